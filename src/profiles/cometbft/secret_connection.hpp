// CometBFT's SecretConnection (p2p/conn/secret_connection.go) as a sans-I/O secure channel:
// X25519 ephemeral exchange, merlin transcript challenge, HKDF-SHA256 keys, ed25519 auth, and
// ChaCha20-Poly1305 sealed 1044-byte frames. Node thread only; owned by its transport::Connection.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "base/error.hpp"
#include "crypto/crypto.hpp"
#include "transport/secure_channel.hpp"

namespace peerlink::cometbft {

enum class Errc {
    bad_ephemeral_key = 1,        // the ephemeral key message is not a 32-byte BytesValue
    low_order_ephemeral_key,      // the peer's X25519 key has small order
    handshake_message_too_large,  // a handshake message announces more than we accept
    malformed_auth_message,       // AuthSigMessage does not decode
    unsupported_key_type,         // the peer authenticates with a key other than ed25519
    bad_signature,                // the challenge signature does not verify
    frame_too_large,              // a frame's length field is above 1024
    decrypt_failed,               // a frame fails authentication
    nonce_exhausted,              // 2^64 frames in one direction: the key may not be used again
    handshake_timeout,            // the handshake did not finish in time (set by the driver)
    not_established,              // seal/open before the handshake finished
};
PEERLINK_DECLARE_ERRC(Errc)

inline constexpr std::size_t k_frame_data_size = 1024;
inline constexpr std::size_t k_frame_plain_size = 4 + k_frame_data_size;  // length + data
inline constexpr std::size_t k_frame_sealed_size = k_frame_plain_size + crypto::ChaCha20Poly1305::tag_size;

class SecretConnection final : public transport::SecureChannel {
public:
    /// `identity` is our node key; a fresh ephemeral X25519 key is generated.
    explicit SecretConnection(const crypto::Ed25519KeyPair& identity);
    /// For tests: a fixed ephemeral key.
    SecretConnection(const crypto::Ed25519KeyPair& identity, const crypto::X25519KeyPair& ephemeral);

    void start_handshake(base::Buffer& out) override;
    base::Result<std::size_t> handshake(base::ByteView in, base::Buffer& out) override;
    [[nodiscard]] bool established() const override { return m_state == State::established; }
    base::Result<void> seal(base::ByteView plaintext, base::Buffer& out) override;
    base::Result<std::size_t> open(base::ByteView in, base::Buffer& plaintext) override;
    [[nodiscard]] double expansion() const override {
        return static_cast<double>(k_frame_sealed_size) / static_cast<double>(k_frame_data_size);
    }

    /// The peer's authenticated ed25519 key; set once established.
    [[nodiscard]] const std::optional<crypto::Ed25519PublicKey>& remote_public_key() const {
        return m_remote_key;
    }
    /// Moves both frame counters, to test nonce exhaustion without sealing 2^64 frames.
    void set_nonce_counters_for_testing(std::uint64_t send, std::uint64_t recv) {
        m_send_counter = send;
        m_recv_counter = recv;
    }

private:
    enum class State { awaiting_ephemeral_key, awaiting_auth, established, failed };

    base::Result<void> on_ephemeral_key(base::ByteView remote_key, base::Buffer& out);
    base::Result<void> on_auth_message(base::ByteView message);
    base::Result<void> next_nonce(std::uint64_t& counter, crypto::ChaCha20Poly1305::Nonce& nonce);
    base::Result<std::size_t> open_frames(base::ByteView in, base::Buffer& plaintext);
    base::Failure failed(Errc e);

    crypto::Ed25519KeyPair m_identity;
    crypto::X25519KeyPair m_ephemeral;
    State m_state = State::awaiting_ephemeral_key;
    std::optional<crypto::ChaCha20Poly1305> m_send_aead;
    std::optional<crypto::ChaCha20Poly1305> m_recv_aead;
    std::uint64_t m_send_counter = 0;
    std::uint64_t m_recv_counter = 0;
    bool m_send_exhausted = false;
    bool m_recv_exhausted = false;
    std::array<std::uint8_t, 32> m_challenge{};
    std::optional<crypto::Ed25519PublicKey> m_remote_key;
    /// Decrypted bytes during the handshake; after it, what followed the auth message.
    base::Buffer m_plain;
};

}  // namespace peerlink::cometbft

PEERLINK_ERROR_ENUM_TRAIT(peerlink::cometbft::Errc)
