#include "crypto/aes.hpp"

#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <utility>

namespace peerlink::crypto {

namespace {

EVP_CIPHER_CTX* ctx_of(void* p) {
    return static_cast<EVP_CIPHER_CTX*>(p);
}

const EVP_CIPHER* ctr_cipher(std::size_t key_size) {
    if (key_size == 16) return EVP_aes_128_ctr();
    if (key_size == 32) return EVP_aes_256_ctr();
    throw std::invalid_argument("AES key must be 16 or 32 bytes");
}

const EVP_CIPHER* ecb_cipher(std::size_t key_size) {
    if (key_size == 16) return EVP_aes_128_ecb();
    if (key_size == 32) return EVP_aes_256_ecb();
    throw std::invalid_argument("AES key must be 16 or 32 bytes");
}

/// OpenSSL fails only on allocation failure or a broken installation.
[[noreturn]] void backend_failure(const char* what) {
    throw std::runtime_error(what);
}

void* new_ctx(const EVP_CIPHER* cipher, base::ByteView key, const std::uint8_t* iv) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) backend_failure("EVP_CIPHER_CTX_new failed");
    if (EVP_EncryptInit_ex(ctx, cipher, nullptr, key.data(), iv) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        backend_failure("EVP_EncryptInit_ex failed");
    }
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    return ctx;
}

}  // namespace

AesCtr::AesCtr(base::ByteView key, std::span<const std::uint8_t, 16> iv)
    : m_ctx(new_ctx(ctr_cipher(key.size()), key, iv.data())) {}

AesCtr::~AesCtr() {
    EVP_CIPHER_CTX_free(ctx_of(m_ctx));
}

AesCtr::AesCtr(AesCtr&& other) noexcept : m_ctx(std::exchange(other.m_ctx, nullptr)) {}

AesCtr& AesCtr::operator=(AesCtr&& other) noexcept {
    if (this != &other) {
        EVP_CIPHER_CTX_free(ctx_of(m_ctx));
        m_ctx = std::exchange(other.m_ctx, nullptr);
    }
    return *this;
}

void AesCtr::apply(base::ByteView in, base::MutableByteView out) {
    // EVP's CTR mode keeps the partial-block position between calls, so the stream is continuous.
    constexpr std::size_t k_chunk = std::size_t{1} << 30;
    std::size_t done = 0;
    while (done < in.size()) {
        const std::size_t n = std::min(in.size() - done, k_chunk);
        int written = 0;
        if (EVP_EncryptUpdate(ctx_of(m_ctx), out.data() + done, &written, in.data() + done,
                              static_cast<int>(n)) != 1)
            backend_failure("EVP_EncryptUpdate (AES-CTR) failed");
        done += n;
    }
}

AesBlockEncryptor::AesBlockEncryptor(base::ByteView key)
    : m_ctx(new_ctx(ecb_cipher(key.size()), key, nullptr)) {}

AesBlockEncryptor::~AesBlockEncryptor() {
    EVP_CIPHER_CTX_free(ctx_of(m_ctx));
}

AesBlockEncryptor::AesBlockEncryptor(AesBlockEncryptor&& other) noexcept
    : m_ctx(std::exchange(other.m_ctx, nullptr)) {}

AesBlockEncryptor& AesBlockEncryptor::operator=(AesBlockEncryptor&& other) noexcept {
    if (this != &other) {
        EVP_CIPHER_CTX_free(ctx_of(m_ctx));
        m_ctx = std::exchange(other.m_ctx, nullptr);
    }
    return *this;
}

void AesBlockEncryptor::encrypt(std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out) {
    int written = 0;
    if (EVP_EncryptUpdate(ctx_of(m_ctx), out.data(), &written, in.data(), 16) != 1 || written != 16)
        backend_failure("EVP_EncryptUpdate (AES-ECB) failed");
}

std::array<std::uint8_t, 32> hmac_sha256(base::ByteView key, std::span<const base::ByteView> parts) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) backend_failure("EVP_MAC_fetch(HMAC) failed");
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (ctx == nullptr) backend_failure("EVP_MAC_CTX_new failed");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                 OSSL_PARAM_construct_end()};
    bool ok = EVP_MAC_init(ctx, key.data(), key.size(), params) == 1;
    for (const auto& part : parts)
        ok = ok && (part.empty() || EVP_MAC_update(ctx, part.data(), part.size()) == 1);
    std::array<std::uint8_t, 32> out{};
    std::size_t len = 0;
    ok = ok && EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
    EVP_MAC_CTX_free(ctx);
    if (!ok) backend_failure("HMAC-SHA256 failed");
    return out;
}

}  // namespace peerlink::crypto
