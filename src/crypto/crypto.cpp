#include "crypto/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace peerlink::crypto {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::low_order_point:
            return "peer X25519 public key has small order (shared secret would be all zeros)";
        case Errc::bad_signature:
            return "Ed25519 signature verification failed";
        case Errc::decrypt_failed:
            return "AEAD authentication failed (ciphertext, tag, nonce or associated data altered)";
        case Errc::backend_failure:
            return "libsodium or OpenSSL reported an internal error";
    }
    return "unknown crypto error";
}

/// The backends fail only on allocation failure or a broken installation; neither is something a
/// caller can handle, so it surfaces as an exception rather than a Result.
[[noreturn]] void throw_backend_failure(const char* what) {
    throw std::system_error(make_error_code(Errc::backend_failure), what);
}

/// Makes sure init() ran; after the first call this is one thread-safe static guard check.
void ensure_init() {
    static const bool k_initialised = (init(), true);
    (void)k_initialised;
}

/// EVP takes int lengths; feed larger inputs in pieces that keep ChaCha20 block alignment.
bool cipher_update(EVP_CIPHER_CTX* ctx, std::uint8_t* out, base::ByteView in) {
    constexpr std::size_t k_max_chunk = std::size_t{1} << 30;
    while (!in.empty()) {
        const std::size_t n = std::min(in.size(), k_max_chunk);
        int written = 0;
        if (EVP_CipherUpdate(ctx, out, &written, in.data(), static_cast<int>(n)) != 1) return false;
        if (out != nullptr) out += n;
        in = in.subspan(n);
    }
    return true;
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("crypto", &describe);
    return category;
}

void init() {
    // sodium_init() is itself idempotent; the static keeps later calls to a guard check.
    static const int rc = sodium_init();
    if (rc < 0) throw_backend_failure("sodium_init failed");
}

void random_bytes(base::MutableByteView out) {
    ensure_init();
    if (out.empty()) return;  // libsodium declares the pointer nonnull, and an empty span may be null
    randombytes_buf(out.data(), out.size());
}

// ---- hashes -------------------------------------------------------------------------------------

Sha256Digest sha256(base::ByteView data) {
    // OpenSSL uses the CPU's SHA extensions (about 5x libsodium's portable code on 1 MB, which
    // bounds Bitcoin message checksums); the digest and one context per thread are reused so a
    // small input costs no allocation.
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                   &EVP_MD_CTX_free);
    Sha256Digest out;
    unsigned int size = 0;
    if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1 || size != out.size()) {
        throw_backend_failure("SHA-256 failed");
    }
    return out;
}

void hkdf_sha256(base::ByteView ikm, base::ByteView salt, base::ByteView info, base::MutableByteView out) {
    if (out.size() > 255 * 32) throw std::invalid_argument("hkdf_sha256: output longer than 255 * HashLen");
    if (out.empty()) return;

    // Fetching walks the provider tables under a lock; the algorithm object is immutable and
    // shareable, so fetch it once for the process.
    static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (kdf == nullptr) throw_backend_failure("EVP_KDF_fetch(HKDF) failed");
    const std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf),
                                                                        &EVP_KDF_CTX_free);
    if (!ctx) throw_backend_failure("EVP_KDF_CTX_new failed");

    // OpenSSL wants a non-null key pointer even for an empty IKM.
    static const std::uint8_t k_empty = 0;
    const auto octets = [](base::ByteView b) {
        return const_cast<std::uint8_t*>(b.empty() ? &k_empty : b.data());
    };
    OSSL_PARAM params[5];
    std::size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, octets(ikm), ikm.size());
    // Leaving the salt out makes OpenSSL use HashLen zero bytes, as RFC 5869 specifies.
    if (!salt.empty())
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, octets(salt), salt.size());
    if (!info.empty())
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, octets(info), info.size());
    params[n] = OSSL_PARAM_construct_end();

    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) throw_backend_failure("HKDF failed");
}

// ---- X25519 -------------------------------------------------------------------------------------

X25519KeyPair x25519_generate() {
    ensure_init();
    X25519KeyPair kp;
    randombytes_buf(kp.secret_key.data(), kp.secret_key.size());
    if (crypto_scalarmult_curve25519_base(kp.public_key.data(), kp.secret_key.data()) != 0)
        throw_backend_failure("crypto_scalarmult_curve25519_base failed");
    return kp;
}

X25519KeyPair x25519_from_secret(const X25519Key& secret) {
    ensure_init();
    X25519KeyPair kp;
    kp.secret_key = secret;
    if (crypto_scalarmult_curve25519_base(kp.public_key.data(), kp.secret_key.data()) != 0)
        throw_backend_failure("crypto_scalarmult_curve25519_base failed");
    return kp;
}

base::Result<X25519Key> x25519(const X25519Key& our_secret, const X25519Key& their_public) {
    ensure_init();
    X25519Key shared;
    // libsodium returns -1 for a blocklisted small-order point or an all-zero result.
    if (crypto_scalarmult_curve25519(shared.data(), our_secret.data(), their_public.data()) != 0)
        return base::fail(Errc::low_order_point);
    // Checked again ourselves so the guarantee does not hang on one libsodium version's behaviour.
    if (sodium_is_zero(shared.data(), shared.size()) != 0) return base::fail(Errc::low_order_point);
    return shared;
}

// ---- Ed25519 ------------------------------------------------------------------------------------

Ed25519KeyPair ed25519_generate() {
    ensure_init();
    Ed25519KeyPair kp;
    if (crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data()) != 0)
        throw_backend_failure("crypto_sign_keypair failed");
    return kp;
}

Ed25519KeyPair ed25519_from_seed(std::span<const std::uint8_t, 32> seed) {
    ensure_init();
    Ed25519KeyPair kp;
    if (crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data()) != 0)
        throw_backend_failure("crypto_sign_seed_keypair failed");
    return kp;
}

Ed25519Signature ed25519_sign(const Ed25519SecretKey& sk, base::ByteView message) {
    ensure_init();
    Ed25519Signature sig;
    if (crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data()) != 0)
        throw_backend_failure("crypto_sign_detached failed");
    return sig;
}

bool ed25519_verify(const Ed25519PublicKey& pk, base::ByteView message, const Ed25519Signature& sig) {
    ensure_init();
    return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), pk.data()) == 0;
}

// ---- ChaCha20-Poly1305 --------------------------------------------------------------------------

// One context per direction, keyed once: per message only the nonce is reset, which skips the
// cipher lookup and key schedule that a fresh EVP_CIPHER_CTX would cost on every frame.
struct ChaCha20Poly1305::State {
    EVP_CIPHER_CTX* encrypt = nullptr;
    EVP_CIPHER_CTX* decrypt = nullptr;

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
        // EVP_CIPHER_CTX_free cleanses the key schedule.
        EVP_CIPHER_CTX_free(encrypt);
        EVP_CIPHER_CTX_free(decrypt);
    }
};

ChaCha20Poly1305::ChaCha20Poly1305(const Key& key) : m_state(nullptr) {
    auto state = std::make_unique<State>();
    state->encrypt = EVP_CIPHER_CTX_new();
    state->decrypt = EVP_CIPHER_CTX_new();
    if (state->encrypt == nullptr || state->decrypt == nullptr)
        throw_backend_failure("EVP_CIPHER_CTX_new failed");
    if (EVP_EncryptInit_ex(state->encrypt, EVP_chacha20_poly1305(), nullptr, key.data(), nullptr) != 1 ||
        EVP_DecryptInit_ex(state->decrypt, EVP_chacha20_poly1305(), nullptr, key.data(), nullptr) != 1)
        throw_backend_failure("EVP_chacha20_poly1305 key setup failed");
    m_state = state.release();
}

ChaCha20Poly1305::~ChaCha20Poly1305() {
    delete m_state;
}

ChaCha20Poly1305::ChaCha20Poly1305(ChaCha20Poly1305&& other) noexcept
    : m_state(std::exchange(other.m_state, nullptr)) {}

ChaCha20Poly1305& ChaCha20Poly1305::operator=(ChaCha20Poly1305&& other) noexcept {
    if (this != &other) {
        delete m_state;
        m_state = std::exchange(other.m_state, nullptr);
    }
    return *this;
}

void ChaCha20Poly1305::seal(const Nonce& nonce, base::ByteView plaintext, base::ByteView aad,
                            base::MutableByteView out) {
    assert(m_state != nullptr && "use of a moved-from ChaCha20Poly1305");
    if (out.size() != plaintext.size() + tag_size)
        throw std::invalid_argument("ChaCha20Poly1305::seal: out must be plaintext.size() + tag_size");
    EVP_CIPHER_CTX* ctx = m_state->encrypt;
    std::uint8_t* tag = out.data() + plaintext.size();
    int written = 0;
    const bool ok = EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
                    cipher_update(ctx, nullptr, aad) && cipher_update(ctx, out.data(), plaintext) &&
                    EVP_EncryptFinal_ex(ctx, tag, &written) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag_size), tag) == 1;
    if (!ok) throw_backend_failure("ChaCha20Poly1305 seal failed");
}

base::Result<void> ChaCha20Poly1305::open(const Nonce& nonce, base::ByteView sealed, base::ByteView aad,
                                          base::MutableByteView out) {
    assert(m_state != nullptr && "use of a moved-from ChaCha20Poly1305");
    // A short record comes from the network, so it is an authentication failure, not a bug.
    if (sealed.size() < tag_size) return base::fail(Errc::decrypt_failed);
    const std::size_t n = sealed.size() - tag_size;
    if (out.size() != n)
        throw std::invalid_argument("ChaCha20Poly1305::open: out must be sealed.size() - tag_size");
    EVP_CIPHER_CTX* ctx = m_state->decrypt;
    // OpenSSL copies the expected tag, so an in-place open may overwrite the ciphertext freely.
    auto* tag = const_cast<std::uint8_t*>(sealed.data() + n);
    int written = 0;
    const bool ready =
        EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag_size), tag) == 1 &&
        cipher_update(ctx, nullptr, aad) && cipher_update(ctx, out.data(), sealed.first(n));
    const bool authentic = ready && EVP_DecryptFinal_ex(ctx, out.data() + n, &written) == 1;
    if (!authentic) {
        // OpenSSL decrypts before it verifies; never leave unauthenticated plaintext behind.
        if (!out.empty()) sodium_memzero(out.data(), out.size());
        return base::fail(ready ? Errc::decrypt_failed : Errc::backend_failure);
    }
    return {};
}

void sodium_chacha20poly1305_seal(const ChaCha20Poly1305::Key& key, const ChaCha20Poly1305::Nonce& nonce,
                                  base::ByteView plaintext, base::MutableByteView out) {
    ensure_init();
    if (out.size() != plaintext.size() + ChaCha20Poly1305::tag_size)
        throw std::invalid_argument("sodium_chacha20poly1305_seal: out must be plaintext.size() + tag_size");
    unsigned long long written = 0;
    if (crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, plaintext.data(), plaintext.size(),
                                                  nullptr, 0, nullptr, nonce.data(), key.data()) != 0)
        throw_backend_failure("crypto_aead_chacha20poly1305_ietf_encrypt failed");
}

}  // namespace peerlink::crypto
