// Thin wrappers over libsodium and OpenSSL, plus our own keccak-f[1600] (keccak.hpp) and merlin
// transcript (merlin.hpp). Every function validates sizes through std::span extents.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <system_error>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"

namespace peerlink::crypto {

enum class Errc {
    low_order_point = 1,  // X25519 peer key of small order (all-zero shared secret)
    bad_signature,        // Ed25519 verification failed
    decrypt_failed,       // AEAD authentication failed
    backend_failure,      // libsodium/OpenSSL reported an internal error
};
PEERLINK_DECLARE_ERRC(Errc)

/// Initialises libsodium (its fast implementations need sodium_init()); idempotent, thread-safe.
void init();

/// Fills `out` from the operating system's CSPRNG.
void random_bytes(base::MutableByteView out);
/// Zeroes secret material in a way the optimiser cannot drop (sodium_memzero).
void wipe(base::MutableByteView secret);

// ---- hashes -------------------------------------------------------------------------------------
using Sha256Digest = std::array<std::uint8_t, 32>;
Sha256Digest sha256(base::ByteView data);
/// HKDF-SHA256 (RFC 5869); `out.size()` <= 255*32. Empty salt means no salt.
void hkdf_sha256(base::ByteView ikm, base::ByteView salt, base::ByteView info, base::MutableByteView out);

// ---- X25519 -------------------------------------------------------------------------------------
using X25519Key = std::array<std::uint8_t, 32>;
struct X25519KeyPair {
    X25519Key public_key;
    X25519Key secret_key;
};
X25519KeyPair x25519_generate();
/// The key pair of a given secret, for reproducible keys (the simulator derives them from its seed).
X25519KeyPair x25519_from_secret(const X25519Key& secret);
/// Shared secret of our secret key and their public key; fails with low_order_point when the
/// result would be all zeros (the peer sent a point of small order).
base::Result<X25519Key> x25519(const X25519Key& our_secret, const X25519Key& their_public);

// ---- Ed25519 ------------------------------------------------------------------------------------
using Ed25519PublicKey = std::array<std::uint8_t, 32>;
/// libsodium's 64-byte form: seed || public key (also CometBFT's priv_key encoding).
using Ed25519SecretKey = std::array<std::uint8_t, 64>;
using Ed25519Signature = std::array<std::uint8_t, 64>;
struct Ed25519KeyPair {
    Ed25519PublicKey public_key;
    Ed25519SecretKey secret_key;
};
Ed25519KeyPair ed25519_generate();
Ed25519KeyPair ed25519_from_seed(std::span<const std::uint8_t, 32> seed);
Ed25519Signature ed25519_sign(const Ed25519SecretKey& sk, base::ByteView message);
[[nodiscard]] bool ed25519_verify(const Ed25519PublicKey& pk, base::ByteView message,
                                  const Ed25519Signature& sig);

// ---- ChaCha20-Poly1305 (IETF, 96-bit nonce) on OpenSSL EVP ----------------------------------------
class ChaCha20Poly1305 {
public:
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    using Key = std::array<std::uint8_t, key_size>;
    using Nonce = std::array<std::uint8_t, nonce_size>;

    explicit ChaCha20Poly1305(const Key& key);
    ~ChaCha20Poly1305();
    ChaCha20Poly1305(ChaCha20Poly1305&&) noexcept;
    ChaCha20Poly1305& operator=(ChaCha20Poly1305&&) noexcept;
    ChaCha20Poly1305(const ChaCha20Poly1305&) = delete;
    ChaCha20Poly1305& operator=(const ChaCha20Poly1305&) = delete;

    /// Writes ciphertext || tag to `out` (size plaintext.size() + tag_size). In-place is allowed
    /// (out.data() == plaintext.data()).
    void seal(const Nonce& nonce, base::ByteView plaintext, base::ByteView aad, base::MutableByteView out);
    /// Verifies and decrypts `sealed` (ciphertext || tag) into `out` (size sealed.size() - tag_size).
    /// In-place is allowed. On failure `out` holds no plaintext worth reading.
    base::Result<void> open(const Nonce& nonce, base::ByteView sealed, base::ByteView aad,
                            base::MutableByteView out);

private:
    struct State;
    State* m_state;
};

/// libsodium's ChaCha20-Poly1305 IETF, for the benchmark's comparison of implementations.
void sodium_chacha20poly1305_seal(const ChaCha20Poly1305::Key& key, const ChaCha20Poly1305::Nonce& nonce,
                                  base::ByteView plaintext, base::MutableByteView out);

}  // namespace peerlink::crypto

PEERLINK_ERROR_ENUM_TRAIT(peerlink::crypto::Errc)
