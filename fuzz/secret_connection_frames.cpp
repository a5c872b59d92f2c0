// Fuzzes SecretConnection's frame decoder: a connection is established against a peer built from
// the primitives, whose frames take their 1028-byte plaintext (length field included) verbatim from
// the input and are sealed with the real key, so decoding past the AEAD is reached; one byte may
// be corrupted; the stream is delivered in input-chosen chunk sizes.
#include <algorithm>

#include "codec/protobuf.hpp"
#include "crypto/merlin.hpp"
#include "profiles/cometbft/secret_connection.hpp"

using namespace peerlink;

namespace {

struct Session {
    cometbft::SecretConnection victim{crypto::ed25519_generate()};
    std::optional<crypto::ChaCha20Poly1305> send;
    std::uint64_t counter = 0;

    Session() {
        const auto eph = crypto::x25519_generate();
        const auto id = crypto::ed25519_generate();
        base::Buffer out;
        victim.start_handshake(out);
        crypto::X25519Key theirs{};
        std::copy_n(out.data().begin() + 3, 32, theirs.begin());
        const bool lower = eph.public_key < theirs;
        const auto dh = *crypto::x25519(eph.secret_key, theirs);
        crypto::MerlinTranscript t("TENDERMINT_SECRET_CONNECTION_TRANSCRIPT_HASH");
        t.append_message("EPHEMERAL_LOWER_PUBLIC_KEY", lower ? eph.public_key : theirs);
        t.append_message("EPHEMERAL_UPPER_PUBLIC_KEY", lower ? theirs : eph.public_key);
        t.append_message("DH_SECRET", dh);
        std::array<std::uint8_t, 32> challenge{};
        t.extract_bytes("SECRET_CONNECTION_MAC", challenge);
        std::array<std::uint8_t, 96> keys{};
        crypto::hkdf_sha256(dh, {}, base::as_bytes("TENDERMINT_SECRET_CONNECTION_KEY_AND_CHALLENGE_GEN"),
                            keys);
        crypto::ChaCha20Poly1305::Key key{};
        std::copy_n(keys.begin() + (lower ? 32 : 0), 32, key.begin());
        send.emplace(key);

        base::Buffer body, msg, wire;
        codec::ProtoWriter(body).bytes_field(1, eph.public_key);
        codec::write_delimited(wire, body.data());
        codec::ProtoWriter w(msg);
        w.message_header(1, codec::bytes_field_size(1, 32));
        w.bytes_field(1, id.public_key);
        w.bytes_field(2, crypto::ed25519_sign(id.secret_key, challenge));
        base::Buffer auth;
        codec::write_delimited(auth, msg.data());
        std::array<std::uint8_t, cometbft::k_frame_plain_size> frame{};
        frame[0] = static_cast<std::uint8_t>(auth.size());
        std::copy(auth.data().begin(), auth.data().end(), frame.begin() + 4);
        seal(frame, wire);
        out.clear();
        (void)victim.handshake(wire.data(), out);
    }
    void seal(base::ByteView plain, base::Buffer& wire) {
        crypto::ChaCha20Poly1305::Nonce nonce{};
        for (std::size_t i = 0; i < 8; ++i)
            nonce[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
        ++counter;
        send->seal(nonce, plain, {}, wire.prepare(cometbft::k_frame_sealed_size));
        wire.commit(cometbft::k_frame_sealed_size);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = (crypto::init(), true);
    (void)initialised;
    if (size < 2) return 0;
    Session s;
    if (!s.victim.established()) __builtin_trap();
    const std::size_t chunk = 1 + data[0] * 17u;
    const std::uint8_t corrupt_at = data[1];
    base::ByteView rest(data + 2, size - 2);

    base::Buffer wire;
    std::array<std::uint8_t, cometbft::k_frame_plain_size> frame{};
    while (!rest.empty()) {
        const std::size_t n = std::min(rest.size(), frame.size());
        frame.fill(0);
        std::copy_n(rest.begin(), n, frame.begin());
        s.seal(frame, wire);
        rest = rest.subspan(n);
    }
    if (corrupt_at != 0 && wire.size() > corrupt_at) wire.mutable_data()[corrupt_at] ^= 0x40;

    base::Buffer received, plaintext;
    base::ByteView all = wire.data();
    while (!all.empty()) {
        const std::size_t n = std::min(chunk, all.size());
        received.append(all.first(n));
        all = all.subspan(n);
        auto consumed = s.victim.open(received.data(), plaintext);
        if (!consumed) return 0;
        received.consume(*consumed);
    }
    return 0;
}
