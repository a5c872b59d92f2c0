// AES-CTR streams, single-block AES-ECB encryption and HMAC-SHA256 on OpenSSL EVP, for ECIES and
// the RLPx frame cipher and MAC. Each object is owned by one thread (the connection's).
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"

namespace peerlink::crypto {

/// AES-128-CTR or AES-256-CTR (chosen by the key size, 16 or 32 bytes) over one continuous key
/// stream: successive apply() calls continue where the previous one stopped, at any byte offset.
class AesCtr {
public:
    AesCtr(base::ByteView key, std::span<const std::uint8_t, 16> iv);
    ~AesCtr();
    AesCtr(AesCtr&& other) noexcept;
    AesCtr& operator=(AesCtr&& other) noexcept;
    AesCtr(const AesCtr&) = delete;
    AesCtr& operator=(const AesCtr&) = delete;

    /// XORs the next in.size() key stream bytes into `in`, writing `out` (same size; in place OK).
    void apply(base::ByteView in, base::MutableByteView out);
    void apply_in_place(base::MutableByteView data) { apply(data, data); }

private:
    void* m_ctx = nullptr;  // EVP_CIPHER_CTX
};

/// AES-128/256 single-block encryption (ECB, no padding), for the RLPx MAC construction.
class AesBlockEncryptor {
public:
    explicit AesBlockEncryptor(base::ByteView key);
    ~AesBlockEncryptor();
    AesBlockEncryptor(AesBlockEncryptor&& other) noexcept;
    AesBlockEncryptor& operator=(AesBlockEncryptor&& other) noexcept;
    AesBlockEncryptor(const AesBlockEncryptor&) = delete;
    AesBlockEncryptor& operator=(const AesBlockEncryptor&) = delete;

    void encrypt(std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out);

private:
    void* m_ctx = nullptr;  // EVP_CIPHER_CTX
};

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
std::array<std::uint8_t, 32> hmac_sha256(base::ByteView key, std::span<const base::ByteView> parts);

}  // namespace peerlink::crypto
