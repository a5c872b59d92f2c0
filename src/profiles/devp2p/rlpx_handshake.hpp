// The RLPx encryption handshake (devp2p rlpx.md, EIP-8) as a sans-I/O state machine for both
// roles: auth/ack messages in, auth/ack messages out, and the frame secrets at the end.
// Node thread only; owned by the connection that runs it (handshake, then frames).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/keccak.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/error.hpp"

namespace peerlink::devp2p {

namespace secp = crypto::secp256k1;
using Nonce = std::array<std::uint8_t, 32>;

/// go-ethereum rejects handshake messages whose size prefix is above 2048 (p2p/rlpx readMsg).
inline constexpr std::size_t k_max_handshake_size = 2048;
inline constexpr std::uint64_t k_auth_version = 4;

/// What a finished handshake hands to the frame codec.
struct Secrets {
    std::array<std::uint8_t, 32> aes_secret{};
    std::array<std::uint8_t, 32> mac_secret{};
    crypto::Keccak256 egress_mac;  // running state; the frame codec keeps absorbing into it
    crypto::Keccak256 ingress_mac;
    secp::PublicKey remote_public_key{};  // the peer's authenticated static key (its node id)
};

/// Decrypted auth body: [signature, initiator-pubk, initiator-nonce, auth-vsn, ...extra].
struct AuthBody {
    secp::Signature signature{};
    secp::PublicKey initiator_public_key{};
    Nonce nonce{};
    std::uint64_t version = 0;
    std::vector<base::Bytes> extra;  // further list elements, each still RLP-encoded
};

/// Decrypted ack body: [recipient-ephemeral-pubk, recipient-nonce, ack-vsn, ...extra].
struct AckBody {
    secp::PublicKey ephemeral_public_key{};
    Nonce nonce{};
    std::uint64_t version = 0;
    std::vector<base::Bytes> extra;
};

/// Length (prefix included) of the size-prefixed handshake message at the front of `in`: nullopt
/// while fewer than 2 bytes are there; bad_size_prefix outside [ECIES overhead, 2048].
base::Result<std::optional<std::size_t>> handshake_message_size(base::ByteView in);
/// Decrypts and decodes a whole EIP-8 auth packet (2-byte size prefix || ECIES message).
base::Result<AuthBody> decode_auth(const secp::SecretKey& our_key, base::ByteView packet);
base::Result<AckBody> decode_ack(const secp::SecretKey& our_key, base::ByteView packet);

/// Everything the secrets derive from (rlpx.md "Secrets").
struct SecretInputs {
    bool initiator = false;
    secp::SecretKey our_ephemeral{};
    secp::PublicKey remote_ephemeral{};
    Nonce initiator_nonce{};
    Nonce recipient_nonce{};
    base::ByteView auth_packet;  // the whole auth as sent (size prefix included)
    base::ByteView ack_packet;
    secp::PublicKey remote_public_key{};
};
base::Result<Secrets> derive_secrets(const SecretInputs& in);

class RlpxHandshake {
public:
    /// Fixed ephemeral key and nonce, for test vectors; production leaves them empty (random).
    struct TestParams {
        std::optional<secp::SecretKey> ephemeral;
        std::optional<Nonce> nonce;
    };

    /// The dialing side; `remote` is the node id we dial (the handshake fails if it is invalid).
    static RlpxHandshake initiator(const secp::KeyPair& identity, const secp::PublicKey& remote,
                                   const TestParams& test = {});
    /// The listening side.
    static RlpxHandshake recipient(const secp::KeyPair& identity, const TestParams& test = {});

    /// Initiator: appends the auth packet to `out`. Recipient: does nothing.
    base::Result<void> start(base::Buffer& out);
    /// Feeds received bytes; returns how many were consumed (0 until a whole message is there).
    /// The recipient appends its ack to `out` when the auth arrives. Bytes after the last
    /// handshake message are not consumed: they are the peer's first frames.
    base::Result<std::size_t> on_data(base::ByteView in, base::Buffer& out);

    [[nodiscard]] bool done() const { return m_state == State::done; }
    [[nodiscard]] bool is_initiator() const { return m_initiator; }
    /// The peer's auth/ack version (>= 4; higher versions are accepted as EIP-8 asks).
    [[nodiscard]] std::uint64_t remote_version() const { return m_remote_version; }
    /// The peer's static key: known from the start for the initiator, after auth for the recipient.
    [[nodiscard]] const secp::PublicKey& remote_public_key() const { return m_remote_static; }
    /// Moves the secrets out once done().
    Secrets take_secrets();

private:
    enum class State { initial, awaiting_auth, awaiting_ack, done, failed };

    RlpxHandshake(const secp::KeyPair& identity, bool initiator, const TestParams& test);
    base::Result<void> on_auth(base::ByteView packet, base::Buffer& out);
    base::Result<void> on_ack(base::ByteView packet);
    base::Result<base::Bytes> seal(const base::Bytes& body);

    secp::KeyPair m_identity;
    secp::KeyPair m_ephemeral;
    Nonce m_nonce{};
    bool m_initiator;
    State m_state = State::initial;
    std::uint64_t m_remote_version = 0;
    secp::PublicKey m_remote_static{};
    base::Bytes m_auth_packet;  // kept for the MAC initialisation
    std::optional<Secrets> m_secrets;
};

}  // namespace peerlink::devp2p
