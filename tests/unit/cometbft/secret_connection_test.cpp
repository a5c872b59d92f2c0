#include "profiles/cometbft/secret_connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "codec/protobuf.hpp"
#include "crypto/merlin.hpp"

namespace peerlink::cometbft {
namespace {

using base::Buffer;
using base::Bytes;
using base::ByteView;

struct Pair {
    crypto::Ed25519KeyPair a_key = crypto::ed25519_generate();
    crypto::Ed25519KeyPair b_key = crypto::ed25519_generate();
    SecretConnection a{a_key};
    SecretConnection b{b_key};
    Buffer a_to_b;
    Buffer b_to_a;

    Buffer a_inbox;
    Buffer b_inbox;

    /// Runs both handshakes to completion, delivering `chunk` bytes at a time to each side.
    void handshake(std::size_t chunk = SIZE_MAX) {
        a.start_handshake(a_to_b);
        b.start_handshake(b_to_a);
        for (int round = 0; round < 10000 && !(a.established() && b.established()); ++round) {
            deliver(b, a_to_b, b_inbox, b_to_a, chunk);
            deliver(a, b_to_a, a_inbox, a_to_b, chunk);
        }
        ASSERT_TRUE(a.established());
        ASSERT_TRUE(b.established());
    }
    static void deliver(SecretConnection& to, Buffer& wire, Buffer& inbox, Buffer& reply, std::size_t chunk) {
        if (to.established() || wire.empty()) return;
        const std::size_t n = std::min(chunk, wire.size());
        inbox.append(wire.data().first(n));
        wire.consume(n);
        auto consumed = to.handshake(inbox.data(), reply);
        ASSERT_TRUE(consumed.ok()) << consumed.error().message();
        inbox.consume(*consumed);
    }
};

TEST(SecretConnection, EphemeralKeyMessageIsADelimitedBytesValue) {
    const auto identity = crypto::ed25519_generate();
    const auto ephemeral = crypto::x25519_generate();
    SecretConnection sc(identity, ephemeral);
    Buffer out;
    sc.start_handshake(out);
    ASSERT_EQ(out.size(), 35u);
    EXPECT_EQ(out.data()[0], 0x22);
    EXPECT_EQ(out.data()[1], 0x0a);
    EXPECT_EQ(out.data()[2], 0x20);
    EXPECT_TRUE(std::equal(ephemeral.public_key.begin(), ephemeral.public_key.end(), out.data().begin() + 3));
}

TEST(SecretConnection, HandshakeAuthenticatesBothSides) {
    Pair p;
    p.handshake();
    EXPECT_EQ(p.a.remote_public_key(), p.b_key.public_key);
    EXPECT_EQ(p.b.remote_public_key(), p.a_key.public_key);
}

TEST(SecretConnection, HandshakeWorksByteByByte) {
    Pair p;
    p.handshake(1);
    EXPECT_EQ(p.a.remote_public_key(), p.b_key.public_key);
}

TEST(SecretConnection, SealsIntoFixedSizeFramesAndOpensThem) {
    Pair p;
    p.handshake();
    for (std::size_t size : {1u, 1023u, 1024u, 1025u, 5000u}) {
        Bytes message(size);
        for (std::size_t i = 0; i < size; ++i)
            message[i] = static_cast<std::uint8_t>(i * 7);
        Buffer wire;
        ASSERT_TRUE(p.a.seal(message, wire).ok());
        const std::size_t frames = (size + 1023) / 1024;
        EXPECT_EQ(wire.size(), frames * k_frame_sealed_size) << size;
        Buffer plain;
        auto consumed = p.b.open(wire.data(), plain);
        ASSERT_TRUE(consumed.ok());
        EXPECT_EQ(*consumed, wire.size());
        EXPECT_EQ(Bytes(plain.data().begin(), plain.data().end()), message);
    }
}

TEST(SecretConnection, SealsNoFrameForNoData) {
    Pair p;
    p.handshake();
    Buffer wire;
    ASSERT_TRUE(p.a.seal({}, wire).ok());
    EXPECT_TRUE(wire.empty());
}

TEST(SecretConnection, PartialFrameWaitsForTheRest) {
    Pair p;
    p.handshake();
    Buffer wire;
    ASSERT_TRUE(p.a.seal(base::as_bytes("hello"), wire).ok());
    Buffer plain;
    auto first = p.b.open(wire.data().first(100), plain);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(*first, 0u);
    EXPECT_TRUE(plain.empty());
    auto all = p.b.open(wire.data(), plain);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(base::as_chars(plain.data()), "hello");
}

TEST(SecretConnection, TamperedFrameFailsDecryption) {
    Pair p;
    p.handshake();
    Buffer wire;
    ASSERT_TRUE(p.a.seal(base::as_bytes("hello"), wire).ok());
    wire.mutable_data()[10] ^= 1;
    Buffer plain;
    EXPECT_EQ(p.b.open(wire.data(), plain).error(), Errc::decrypt_failed);
}

TEST(SecretConnection, ReplayedFrameFailsBecauseNoncesAdvance) {
    Pair p;
    p.handshake();
    Buffer wire;
    ASSERT_TRUE(p.a.seal(base::as_bytes("once"), wire).ok());
    Buffer plain;
    ASSERT_TRUE(p.b.open(wire.data(), plain).ok());
    EXPECT_EQ(p.b.open(wire.data(), plain).error(), Errc::decrypt_failed);
}

TEST(SecretConnection, NonceCounterExhaustionIsFatal) {
    Pair p;
    p.handshake();
    // 2^64 - 2 is the last counter CometBFT puts on the wire (it panics rather than use 2^64 - 1).
    p.a.set_nonce_counters_for_testing(UINT64_MAX - 1, 0);
    p.b.set_nonce_counters_for_testing(0, UINT64_MAX - 1);
    Buffer wire;
    ASSERT_TRUE(p.a.seal(base::as_bytes("last"), wire).ok());
    Buffer plain;
    ASSERT_TRUE(p.b.open(wire.data(), plain).ok());
    EXPECT_EQ(base::as_chars(plain.data()), "last");
    Buffer more;
    EXPECT_EQ(p.a.seal(base::as_bytes("one more"), more).error(), Errc::nonce_exhausted);
    EXPECT_TRUE(more.empty());
}

TEST(SecretConnection, SealBeforeHandshakeIsRefused) {
    SecretConnection sc(crypto::ed25519_generate());
    Buffer out;
    EXPECT_EQ(sc.seal(base::as_bytes("x"), out).error(), Errc::not_established);
    EXPECT_EQ(sc.open(base::as_bytes("x"), out).error(), Errc::not_established);
}

Bytes ephemeral_message(ByteView key) {
    Buffer body;
    codec::ProtoWriter(body).bytes_field(1, key);
    Buffer out;
    codec::write_delimited(out, body.data());
    return Bytes(out.data().begin(), out.data().end());
}

TEST(SecretConnection, RejectsEphemeralKeyOfWrongLength) {
    SecretConnection sc(crypto::ed25519_generate());
    Buffer out;
    sc.start_handshake(out);
    out.clear();
    const Bytes short_key(31, 9);
    EXPECT_EQ(sc.handshake(ephemeral_message(short_key), out).error(), Errc::bad_ephemeral_key);
}

TEST(SecretConnection, RejectsOversizedEphemeralMessageBeforeItArrives) {
    SecretConnection sc(crypto::ed25519_generate());
    Buffer out;
    const Bytes prefix = {0xff, 0xff, 0x03};  // announces ~64 KiB
    EXPECT_EQ(sc.handshake(prefix, out).error(), Errc::handshake_message_too_large);
}

TEST(SecretConnection, RejectsLowOrderEphemeralKeys) {
    const auto order1 = *base::from_hex("0100000000000000000000000000000000000000000000000000000000000000");
    const auto order8 = *base::from_hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    for (const Bytes& key : {Bytes(32, 0), order1, order8}) {
        SecretConnection sc(crypto::ed25519_generate());
        Buffer out;
        EXPECT_EQ(sc.handshake(ephemeral_message(key), out).error(), Errc::low_order_ephemeral_key);
    }
}

/// The remote side of a handshake written from the primitives alone, so tests can send what an
/// honest SecretConnection never would.
struct ManualPeer {
    crypto::X25519KeyPair ephemeral = crypto::x25519_generate();
    crypto::Ed25519KeyPair identity = crypto::ed25519_generate();
    std::optional<crypto::ChaCha20Poly1305> send_aead;
    std::array<std::uint8_t, 32> challenge{};
    std::uint64_t send_counter = 0;

    /// Consumes the victim's ephemeral message; derives keys and the challenge as the spec says.
    void on_ephemeral(ByteView victim_message) {
        ASSERT_EQ(victim_message.size(), 35u);
        crypto::X25519Key theirs{};
        std::copy_n(victim_message.begin() + 3, 32, theirs.begin());
        const bool we_are_lower = ephemeral.public_key < theirs;
        auto dh = crypto::x25519(ephemeral.secret_key, theirs);
        ASSERT_TRUE(dh.ok());
        crypto::MerlinTranscript t("TENDERMINT_SECRET_CONNECTION_TRANSCRIPT_HASH");
        t.append_message("EPHEMERAL_LOWER_PUBLIC_KEY", we_are_lower ? ephemeral.public_key : theirs);
        t.append_message("EPHEMERAL_UPPER_PUBLIC_KEY", we_are_lower ? theirs : ephemeral.public_key);
        t.append_message("DH_SECRET", *dh);
        t.extract_bytes("SECRET_CONNECTION_MAC", challenge);
        std::array<std::uint8_t, 96> secrets{};
        crypto::hkdf_sha256(*dh, {}, base::as_bytes("TENDERMINT_SECRET_CONNECTION_KEY_AND_CHALLENGE_GEN"),
                            secrets);
        crypto::ChaCha20Poly1305::Key key{};
        std::copy_n(secrets.begin() + (we_are_lower ? 32 : 0), 32, key.begin());
        send_aead.emplace(key);
    }
    /// One sealed frame whose plaintext (length field included) is exactly `frame_plain`.
    Bytes raw_frame(const std::array<std::uint8_t, k_frame_plain_size>& frame_plain) {
        crypto::ChaCha20Poly1305::Nonce nonce{};
        for (std::size_t i = 0; i < 8; ++i)
            nonce[4 + i] = static_cast<std::uint8_t>(send_counter >> (8 * i));
        ++send_counter;
        Bytes sealed(k_frame_sealed_size);
        send_aead->seal(nonce, frame_plain, {}, sealed);
        return sealed;
    }
    Bytes frame_with(ByteView data) {
        std::array<std::uint8_t, k_frame_plain_size> plain{};
        const auto n = static_cast<std::uint32_t>(data.size());
        for (std::size_t i = 0; i < 4; ++i)
            plain[i] = static_cast<std::uint8_t>(n >> (8 * i));
        std::copy(data.begin(), data.end(), plain.begin() + 4);
        return raw_frame(plain);
    }
    Bytes auth_message(std::uint32_t key_field, ByteView key, ByteView signature) {
        Buffer msg;
        codec::ProtoWriter w(msg);
        w.message_header(1, codec::bytes_field_size(key_field, key.size()));
        w.bytes_field(key_field, key);
        w.bytes_field(2, signature);
        Buffer delimited;
        codec::write_delimited(delimited, msg.data());
        return frame_with(delimited.data());
    }
};

/// Drives a real SecretConnection against a ManualPeer up to the auth message.
struct Victim {
    SecretConnection sc{crypto::ed25519_generate()};
    ManualPeer peer;
    Buffer out;

    Victim() {
        sc.start_handshake(out);
        peer.on_ephemeral(out.data());
        out.clear();
        auto consumed = sc.handshake(ephemeral_message(peer.ephemeral.public_key), out);
        EXPECT_TRUE(consumed.ok());
    }
};

TEST(SecretConnection, ManualPeerWithHonestSignatureIsAccepted) {
    Victim v;
    const auto sig = crypto::ed25519_sign(v.peer.identity.secret_key, v.peer.challenge);
    auto r = v.sc.handshake(v.peer.auth_message(1, v.peer.identity.public_key, sig), v.out);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_TRUE(v.sc.established());
    EXPECT_EQ(v.sc.remote_public_key(), v.peer.identity.public_key);
}

TEST(SecretConnection, RejectsSignatureOverAnotherChallenge) {
    Victim v;
    const Bytes wrong(32, 0x42);
    const auto sig = crypto::ed25519_sign(v.peer.identity.secret_key, wrong);
    EXPECT_EQ(v.sc.handshake(v.peer.auth_message(1, v.peer.identity.public_key, sig), v.out).error(),
              Errc::bad_signature);
}

TEST(SecretConnection, RejectsNonEd25519Keys) {
    Victim v;
    const Bytes secp_key(33, 2);
    const Bytes sig(64, 1);
    EXPECT_EQ(v.sc.handshake(v.peer.auth_message(2, secp_key, sig), v.out).error(),
              Errc::unsupported_key_type);
}

TEST(SecretConnection, SkipsUnknownFieldsInThePublicKey) {
    Victim v;
    const auto sig = crypto::ed25519_sign(v.peer.identity.secret_key, v.peer.challenge);
    // PublicKey{ed25519 = 1: key, 9: "x"} inside AuthSigMessage.
    Buffer key;
    codec::ProtoWriter kw(key);
    kw.bytes_field(1, v.peer.identity.public_key);
    kw.bytes_field(9, base::as_bytes("x"));
    Buffer msg;
    codec::ProtoWriter w(msg);
    w.message_header(1, key.size());
    msg.append(key.data());
    w.bytes_field(2, sig);
    Buffer delimited;
    codec::write_delimited(delimited, msg.data());
    auto r = v.sc.handshake(v.peer.frame_with(delimited.data()), v.out);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_TRUE(v.sc.established());
}

TEST(SecretConnection, RejectsFrameLengthAbove1024) {
    Victim v;
    std::array<std::uint8_t, k_frame_plain_size> plain{};
    plain[0] = 0x01;
    plain[1] = 0x04;  // 1025
    EXPECT_EQ(v.sc.handshake(v.peer.raw_frame(plain), v.out).error(), Errc::frame_too_large);
}

TEST(SecretConnection, DataAfterAuthMessageIsKeptForOpen) {
    Victim v;
    const auto sig = crypto::ed25519_sign(v.peer.identity.secret_key, v.peer.challenge);
    Bytes wire = v.peer.auth_message(1, v.peer.identity.public_key, sig);
    const Bytes next = v.peer.frame_with(base::as_bytes("first data"));
    wire.insert(wire.end(), next.begin(), next.end());
    auto consumed = v.sc.handshake(wire, v.out);
    ASSERT_TRUE(consumed.ok());
    ASSERT_TRUE(v.sc.established());
    EXPECT_EQ(*consumed, k_frame_sealed_size);  // the second frame is left for open()
    Buffer plain;
    auto opened = v.sc.open(ByteView(wire).subspan(*consumed), plain);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(base::as_chars(plain.data()), "first data");
}

}  // namespace
}  // namespace peerlink::cometbft
