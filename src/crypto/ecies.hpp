// ECIES over secp256k1 as RLPx uses it (devp2p rlpx.md, go-ethereum crypto/ecies): ephemeral ECDH,
// NIST SP 800-56 concat KDF with SHA-256, AES-128-CTR and HMAC-SHA256 over iv || c || shared_data.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "crypto/secp256k1.hpp"

namespace peerlink::crypto::ecies {

enum class Errc {
    message_too_short = 1,  // shorter than 0x04 || R || iv || tag
    invalid_ephemeral_key,  // R is not an uncompressed point on the curve
    bad_mac,                // the HMAC tag does not match (tampered, wrong key or wrong shared data)
};
PEERLINK_DECLARE_ERRC(Errc)

/// 0x04 || R (64) || iv (16) || ... || tag (32).
inline constexpr std::size_t k_overhead = 65 + 16 + 32;

/// Encrypts `plaintext` to `recipient`; the result is 0x04 || R || iv || c || tag. Fails only for an
/// invalid recipient key.
base::Result<base::Bytes> encrypt(const secp256k1::PublicKey& recipient, base::ByteView plaintext,
                                  base::ByteView shared_data);
/// As encrypt with a given ephemeral key and IV (for test vectors).
base::Result<base::Bytes> encrypt_with(const secp256k1::PublicKey& recipient, base::ByteView plaintext,
                                       base::ByteView shared_data, const secp256k1::SecretKey& ephemeral,
                                       const std::array<std::uint8_t, 16>& iv);
/// Authenticates and decrypts a message made by encrypt().
base::Result<base::Bytes> decrypt(const secp256k1::SecretKey& key, base::ByteView message,
                                  base::ByteView shared_data);

/// NIST SP 800-56 concatenation KDF with SHA-256 and empty OtherInfo: 32 bytes from `z`.
std::array<std::uint8_t, 32> concat_kdf_sha256(base::ByteView z);

}  // namespace peerlink::crypto::ecies

PEERLINK_ERROR_ENUM_TRAIT(peerlink::crypto::ecies::Errc)
