// secp256k1 keys, ECDH and recoverable ECDSA over libsecp256k1, in the forms devp2p uses (64-byte
// public keys without the 0x04 prefix, 65-byte r||s||v signatures with v in {0,1}).
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"

// API (stable; used by RLPx/devp2p and discv4):
//   KeyPair generate();                                   fresh key from the OS CSPRNG
//   bool is_valid_secret_key(const SecretKey&);           0 < k < n
//   Result<KeyPair> key_pair_from_secret(const SecretKey&)
//   Result<PublicKey> public_key_of(const SecretKey&)
//   Result<PublicKey> parse_public_key(ByteView)          64 (x||y), 65 (04||x||y) or 33 (02/03||x)
//   Result<void> validate_public_key(const PublicKey&)    on the curve
//   Result<CompressedPublicKey> compress(const PublicKey&)
//   UncompressedPublicKey with_prefix(const PublicKey&)   04||x||y (no validation)
//   Result<SharedSecret> ecdh(const SecretKey&, const PublicKey&)    raw 32-byte x coordinate
//   Result<Signature> sign_recoverable(const SecretKey&, const Hash&)  r||s||v, low-S, RFC 6979
//   Result<PublicKey> recover(const Signature&, const Hash&)
//   bool verify(const PublicKey&, const Hash&, std::span<const uint8_t, 64> r_s)   low-S only
// All functions are thread-safe: they share one context, created and randomized once and
// read-only afterwards. Invalid keys/points/signatures from peers come back as Errc values.

namespace peerlink::crypto::secp256k1 {

enum class Errc {
    invalid_secret_key = 1,  // zero or >= the group order
    invalid_public_key,      // wrong length/prefix, or not a point on the curve
    invalid_signature,       // r or s out of range, or v not in {0,1}
    recovery_failed,         // no public key recovers from this signature and hash
    ecdh_failed,             // the shared point is the point at infinity (cannot happen for valid keys)
};
PEERLINK_DECLARE_ERRC(Errc)

using SecretKey = std::array<std::uint8_t, 32>;
/// x || y, big-endian, without the SEC1 0x04 prefix (devp2p node IDs).
using PublicKey = std::array<std::uint8_t, 64>;
using CompressedPublicKey = std::array<std::uint8_t, 33>;
using UncompressedPublicKey = std::array<std::uint8_t, 65>;
/// r || s || v (v = recovery id, 0 or 1), as go-ethereum's crypto.Sign returns.
using Signature = std::array<std::uint8_t, 65>;
using Hash = std::array<std::uint8_t, 32>;
using SharedSecret = std::array<std::uint8_t, 32>;

struct KeyPair {
    SecretKey secret_key;
    PublicKey public_key;
};

KeyPair generate();
[[nodiscard]] bool is_valid_secret_key(const SecretKey& sk);
base::Result<KeyPair> key_pair_from_secret(const SecretKey& sk);
base::Result<PublicKey> public_key_of(const SecretKey& sk);

/// Accepts 64-byte x||y, 65-byte 0x04||x||y and 33-byte compressed keys; the point is validated.
base::Result<PublicKey> parse_public_key(base::ByteView in);
base::Result<void> validate_public_key(const PublicKey& pk);
base::Result<CompressedPublicKey> compress(const PublicKey& pk);
UncompressedPublicKey with_prefix(const PublicKey& pk);

/// ECDH as devp2p uses it: the x coordinate of sk * pk, not hashed.
base::Result<SharedSecret> ecdh(const SecretKey& sk, const PublicKey& pk);

/// Deterministic (RFC 6979) recoverable signature over a 32-byte hash; s is low.
base::Result<Signature> sign_recoverable(const SecretKey& sk, const Hash& hash);
/// The public key that produced `sig` over `hash`. Accepts high-S (as go-ethereum's Ecrecover).
base::Result<PublicKey> recover(const Signature& sig, const Hash& hash);
/// Verifies a 64-byte r||s signature; rejects high-S (as go-ethereum's VerifySignature).
[[nodiscard]] bool verify(const PublicKey& pk, const Hash& hash, std::span<const std::uint8_t, 64> r_s);

}  // namespace peerlink::crypto::secp256k1

PEERLINK_ERROR_ENUM_TRAIT(peerlink::crypto::secp256k1::Errc)
