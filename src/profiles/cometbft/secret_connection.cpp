#include "profiles/cometbft/secret_connection.hpp"

#include <algorithm>
#include <cstring>

#include "base/log.hpp"
#include "codec/protobuf.hpp"
#include "crypto/merlin.hpp"

namespace peerlink::cometbft {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::bad_ephemeral_key:
            return "ephemeral key message is not a 32-byte BytesValue";
        case Errc::low_order_ephemeral_key:
            return "peer's ephemeral X25519 key has small order";
        case Errc::handshake_message_too_large:
            return "handshake message larger than allowed";
        case Errc::malformed_auth_message:
            return "AuthSigMessage does not decode";
        case Errc::unsupported_key_type:
            return "peer authenticates with a key type other than ed25519";
        case Errc::bad_signature:
            return "challenge signature verification failed";
        case Errc::frame_too_large:
            return "frame length field above 1024 bytes";
        case Errc::decrypt_failed:
            return "frame failed authentication (decryption failed)";
        case Errc::nonce_exhausted:
            return "frame nonce counter exhausted";
        case Errc::handshake_timeout:
            return "secret connection handshake timed out";
        case Errc::not_established:
            return "secret connection used before its handshake finished";
    }
    return "unknown secret connection error";
}

// Ephemeral key message: uvarint(34) 0a 20 <32 bytes>; we accept nothing much larger.
constexpr std::size_t k_max_ephemeral_message = 64;
// AuthSigMessage is about 100 bytes with an ed25519 key; other key types stay well below this.
constexpr std::size_t k_max_auth_message = 1024;

constexpr std::string_view k_transcript_label = "TENDERMINT_SECRET_CONNECTION_TRANSCRIPT_HASH";
constexpr std::string_view k_label_lower = "EPHEMERAL_LOWER_PUBLIC_KEY";
constexpr std::string_view k_label_upper = "EPHEMERAL_UPPER_PUBLIC_KEY";
constexpr std::string_view k_label_dh = "DH_SECRET";
constexpr std::string_view k_label_mac = "SECRET_CONNECTION_MAC";
constexpr std::string_view k_hkdf_info = "TENDERMINT_SECRET_CONNECTION_KEY_AND_CHALLENGE_GEN";

// PublicKey { oneof sum { bytes ed25519 = 1; bytes secp256k1 = 2; ... } }
constexpr std::uint32_t k_pubkey_ed25519 = 1;
constexpr std::uint32_t k_pubkey_secp256k1 = 2;
constexpr std::uint32_t k_pubkey_bls12381 = 3;  // CometBFT v1.0
// AuthSigMessage { PublicKey pub_key = 1; bytes sig = 2; }
constexpr std::uint32_t k_auth_pub_key = 1;
constexpr std::uint32_t k_auth_sig = 2;

auto& logger() {
    return base::log::get(base::log::Category::cometbft);
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("cometbft", describe);
    return category;
}

SecretConnection::SecretConnection(const crypto::Ed25519KeyPair& identity)
    : SecretConnection(identity, crypto::x25519_generate()) {}

SecretConnection::SecretConnection(const crypto::Ed25519KeyPair& identity,
                                   const crypto::X25519KeyPair& ephemeral)
    : m_identity(identity), m_ephemeral(ephemeral) {}

base::Failure SecretConnection::failed(Errc e) {
    m_state = State::failed;
    return base::fail(e);
}

void SecretConnection::start_handshake(base::Buffer& out) {
    // gogotypes.BytesValue{Value: ephemeral public key}, uvarint-delimited.
    base::Buffer message(40);
    codec::ProtoWriter(message).bytes_field(1, m_ephemeral.public_key);
    codec::write_delimited(out, message.data());
}

base::Result<std::size_t> SecretConnection::handshake(base::ByteView in, base::Buffer& out) {
    std::size_t consumed = 0;
    if (m_state == State::awaiting_ephemeral_key) {
        auto frame = codec::read_delimited(in, k_max_ephemeral_message);
        if (!frame) {
            logger().debug("ephemeral key message rejected: {}", frame.error().message());
            return failed(frame.error() == codec::Errc::message_too_large ? Errc::handshake_message_too_large
                                                                          : Errc::bad_ephemeral_key);
        }
        if (!frame->has_value()) return consumed;
        base::ByteView key;
        codec::ProtoReader reader((*frame)->message);
        for (;;) {
            auto field = reader.next();
            if (!field) return failed(Errc::bad_ephemeral_key);
            if (!field->has_value()) break;
            if ((*field)->number == 1) {
                if ((*field)->type != codec::WireType::length_delimited)
                    return failed(Errc::bad_ephemeral_key);
                key = (*field)->bytes;
            }
        }
        if (key.size() != 32) {
            logger().debug("ephemeral key of {} bytes rejected", key.size());
            return failed(Errc::bad_ephemeral_key);
        }
        consumed += (*frame)->consumed;
        PEERLINK_TRY(on_ephemeral_key(key, out));
        in = in.subspan(consumed);
    }
    // One frame at a time, so that frames after the auth message stay in `in` for open().
    while (m_state == State::awaiting_auth && in.size() >= k_frame_sealed_size) {
        auto opened = open_frames(in.first(k_frame_sealed_size), m_plain);
        if (!opened) return base::Failure{opened.error()};
        consumed += *opened;
        in = in.subspan(*opened);
        auto message = codec::read_delimited(m_plain.data(), k_max_auth_message);
        if (!message) {
            return failed(message.error() == codec::Errc::message_too_large
                              ? Errc::handshake_message_too_large
                              : Errc::malformed_auth_message);
        }
        if (message->has_value()) {
            const std::size_t used = (*message)->consumed;
            PEERLINK_TRY(on_auth_message((*message)->message));
            m_plain.consume(used);  // anything after the auth message is the peer's first data
            m_plain.shrink_if_empty(0);
        }
    }
    return consumed;
}

base::Result<void> SecretConnection::on_ephemeral_key(base::ByteView remote_key, base::Buffer& out) {
    crypto::X25519Key remote{};
    std::copy(remote_key.begin(), remote_key.end(), remote.begin());
    const crypto::X25519Key& local = m_ephemeral.public_key;
    const bool local_is_least =
        std::lexicographical_compare(local.begin(), local.end(), remote.begin(), remote.end());
    const crypto::X25519Key& lower = local_is_least ? local : remote;
    const crypto::X25519Key& upper = local_is_least ? remote : local;

    auto dh = crypto::x25519(m_ephemeral.secret_key, remote);
    if (!dh) {
        logger().debug("low-order ephemeral key from peer");
        return failed(Errc::low_order_ephemeral_key);
    }

    crypto::MerlinTranscript transcript(k_transcript_label);
    transcript.append_message(k_label_lower, lower);
    transcript.append_message(k_label_upper, upper);
    transcript.append_message(k_label_dh, *dh);
    transcript.extract_bytes(k_label_mac, m_challenge);

    // 96 bytes: two AEAD keys (and a legacy challenge we no longer use); the lower key receives first.
    std::array<std::uint8_t, 96> secrets{};
    crypto::hkdf_sha256(*dh, {}, base::as_bytes(k_hkdf_info), secrets);
    crypto::ChaCha20Poly1305::Key first{};
    crypto::ChaCha20Poly1305::Key second{};
    std::copy_n(secrets.begin(), 32, first.begin());
    std::copy_n(secrets.begin() + 32, 32, second.begin());
    m_recv_aead.emplace(local_is_least ? first : second);
    m_send_aead.emplace(local_is_least ? second : first);
    crypto::wipe(secrets);
    m_ephemeral.secret_key.fill(0);

    const crypto::Ed25519Signature signature = crypto::ed25519_sign(m_identity.secret_key, m_challenge);
    base::Buffer auth(128);
    codec::ProtoWriter writer(auth);
    writer.message_header(k_auth_pub_key, codec::bytes_field_size(k_pubkey_ed25519, 32));
    writer.bytes_field(k_pubkey_ed25519, m_identity.public_key);
    writer.bytes_field(k_auth_sig, signature);
    base::Buffer delimited(128);
    codec::write_delimited(delimited, auth.data());
    m_state = State::awaiting_auth;
    return seal(delimited.data(), out);
}

base::Result<void> SecretConnection::on_auth_message(base::ByteView message) {
    base::ByteView key;
    base::ByteView signature;
    bool other_key_type = false;
    codec::ProtoReader reader(message);
    for (;;) {
        auto field = reader.next();
        if (!field) return failed(Errc::malformed_auth_message);
        if (!field->has_value()) break;
        const codec::Field& f = **field;
        if (f.number == k_auth_pub_key || f.number == k_auth_sig) {
            if (f.type != codec::WireType::length_delimited) return failed(Errc::malformed_auth_message);
        }
        if (f.number == k_auth_sig) signature = f.bytes;
        if (f.number != k_auth_pub_key) continue;
        codec::ProtoReader key_reader(f.bytes);
        for (;;) {
            auto key_field = key_reader.next();
            if (!key_field) return failed(Errc::malformed_auth_message);
            if (!key_field->has_value()) break;
            const std::uint32_t number = (*key_field)->number;
            if (number == k_pubkey_ed25519 && (*key_field)->type == codec::WireType::length_delimited) {
                key = (*key_field)->bytes;
                other_key_type = false;
            } else if (number == k_pubkey_secp256k1 || number == k_pubkey_bls12381) {
                other_key_type = true;  // a oneof: the last member present wins
                key = {};
            }  // unknown fields are skipped, as gogoproto does
        }
    }
    if (other_key_type) {
        logger().debug("peer authenticates with a non-ed25519 key");
        return failed(Errc::unsupported_key_type);
    }
    if (key.size() != 32) return failed(Errc::malformed_auth_message);
    if (signature.size() != 64) return failed(Errc::bad_signature);
    crypto::Ed25519PublicKey remote{};
    crypto::Ed25519Signature sig{};
    std::copy(key.begin(), key.end(), remote.begin());
    std::copy(signature.begin(), signature.end(), sig.begin());
    if (!crypto::ed25519_verify(remote, m_challenge, sig)) {
        logger().debug("peer's challenge signature does not verify");
        return failed(Errc::bad_signature);
    }
    m_remote_key = remote;
    m_state = State::established;
    return {};
}

base::Result<void> SecretConnection::next_nonce(std::uint64_t& counter,
                                                crypto::ChaCha20Poly1305::Nonce& nonce) {
    bool& exhausted = &counter == &m_send_counter ? m_send_exhausted : m_recv_exhausted;
    // CometBFT increments after each frame and panics when the counter already is 2^64-1, so
    // that value is never used on the wire; neither do we.
    if (exhausted || counter == UINT64_MAX) {
        exhausted = true;
        return failed(Errc::nonce_exhausted);
    }
    nonce.fill(0);
    std::uint64_t c = counter;
    for (std::size_t i = 4; i < 12; ++i, c >>= 8)
        nonce[i] = static_cast<std::uint8_t>(c);
    ++counter;
    return {};
}

base::Result<void> SecretConnection::seal(base::ByteView plaintext, base::Buffer& out) {
    if (m_state != State::established && m_state != State::awaiting_auth)
        return base::fail(Errc::not_established);
    crypto::ChaCha20Poly1305::Nonce nonce;
    // No frame for no data, as CometBFT (`for 0 < len(data)`): its unbuffered protoio reader
    // would misread a zero-length frame during the handshake.
    while (!plaintext.empty()) {
        const std::size_t chunk = std::min(plaintext.size(), k_frame_data_size);
        PEERLINK_TRY(next_nonce(m_send_counter, nonce));
        base::MutableByteView frame = out.prepare(k_frame_sealed_size);
        const auto length = static_cast<std::uint32_t>(chunk);
        for (std::size_t i = 0; i < 4; ++i)
            frame[i] = static_cast<std::uint8_t>(length >> (8 * i));
        std::memcpy(frame.data() + 4, plaintext.data(), chunk);
        std::memset(frame.data() + 4 + chunk, 0, k_frame_data_size - chunk);
        m_send_aead->seal(nonce, frame.first(k_frame_plain_size), {}, frame);
        out.commit(k_frame_sealed_size);
        plaintext = plaintext.subspan(chunk);
    }
    return {};
}

base::Result<std::size_t> SecretConnection::open_frames(base::ByteView in, base::Buffer& plaintext) {
    std::size_t consumed = 0;
    std::array<std::uint8_t, k_frame_plain_size> frame;
    crypto::ChaCha20Poly1305::Nonce nonce;
    while (in.size() - consumed >= k_frame_sealed_size) {
        PEERLINK_TRY(next_nonce(m_recv_counter, nonce));
        if (!m_recv_aead->open(nonce, in.subspan(consumed, k_frame_sealed_size), {}, frame)) {
            logger().debug("frame {} failed authentication", m_recv_counter - 1);
            return failed(Errc::decrypt_failed);
        }
        const std::uint32_t length =
            static_cast<std::uint32_t>(frame[0]) | static_cast<std::uint32_t>(frame[1]) << 8 |
            static_cast<std::uint32_t>(frame[2]) << 16 | static_cast<std::uint32_t>(frame[3]) << 24;
        if (length > k_frame_data_size) {
            logger().debug("frame length {} above {}", length, k_frame_data_size);
            return failed(Errc::frame_too_large);
        }
        plaintext.append(base::ByteView(frame).subspan(4, length));
        consumed += k_frame_sealed_size;
    }
    return consumed;
}

base::Result<std::size_t> SecretConnection::open(base::ByteView in, base::Buffer& plaintext) {
    if (m_state != State::established) return base::fail(Errc::not_established);
    if (!m_plain.empty()) {
        plaintext.append(m_plain.data());
        m_plain.clear();
        m_plain.shrink_if_empty(0);
    }
    return open_frames(in, plaintext);
}

}  // namespace peerlink::cometbft
