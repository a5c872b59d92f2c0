#include "crypto/secp256k1.hpp"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "crypto/crypto.hpp"

namespace peerlink::crypto::secp256k1 {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::invalid_secret_key:
            return "secp256k1 secret key is zero or not below the group order";
        case Errc::invalid_public_key:
            return "secp256k1 public key is malformed or not on the curve";
        case Errc::invalid_signature:
            return "secp256k1 signature has r/s out of range or a recovery id other than 0 or 1";
        case Errc::recovery_failed:
            return "no secp256k1 public key recovers from this signature";
        case Errc::ecdh_failed:
            return "secp256k1 ECDH failed";
    }
    return "unknown secp256k1 error";
}

/// One context for the whole process: created and randomized once (static initialisation is
/// thread-safe), then only read, which libsecp256k1 documents as safe from any thread.
const secp256k1_context* context() {
    static secp256k1_context* const ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        if (c == nullptr) throw std::runtime_error("secp256k1_context_create failed");
        std::array<std::uint8_t, 32> seed{};
        random_bytes(seed);
        if (secp256k1_context_randomize(c, seed.data()) != 1)
            throw std::runtime_error("secp256k1_context_randomize failed");
        wipe(seed);
        return c;
    }();
    return ctx;
}

/// Copies the raw x coordinate out: devp2p (ECIES and RLPx) hashes it itself.
int copy_x(unsigned char* output, const unsigned char* x32, const unsigned char* /*y32*/, void* /*data*/) {
    std::memcpy(output, x32, 32);
    return 1;
}

bool load(const PublicKey& pk, secp256k1_pubkey& out) {
    UncompressedPublicKey full = with_prefix(pk);
    return secp256k1_ec_pubkey_parse(context(), &out, full.data(), full.size()) == 1;
}

PublicKey store(const secp256k1_pubkey& key) {
    UncompressedPublicKey full{};
    std::size_t len = full.size();
    (void)secp256k1_ec_pubkey_serialize(context(), full.data(), &len, &key, SECP256K1_EC_UNCOMPRESSED);
    PublicKey out{};
    std::copy(full.begin() + 1, full.end(), out.begin());
    return out;
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("secp256k1", describe);
    return category;
}

KeyPair generate() {
    for (;;) {
        SecretKey sk{};
        random_bytes(sk);
        if (auto kp = key_pair_from_secret(sk); kp.ok()) {
            wipe(sk);
            return *kp;
        }
    }
}

bool is_valid_secret_key(const SecretKey& sk) {
    return secp256k1_ec_seckey_verify(context(), sk.data()) == 1;
}

base::Result<KeyPair> key_pair_from_secret(const SecretKey& sk) {
    auto pk = public_key_of(sk);
    PEERLINK_TRY(pk);
    return KeyPair{sk, *pk};
}

base::Result<PublicKey> public_key_of(const SecretKey& sk) {
    secp256k1_pubkey key;
    if (secp256k1_ec_pubkey_create(context(), &key, sk.data()) != 1)
        return base::fail(Errc::invalid_secret_key);
    return store(key);
}

base::Result<PublicKey> parse_public_key(base::ByteView in) {
    secp256k1_pubkey key;
    if (in.size() == 64) {
        UncompressedPublicKey full{};
        full[0] = 0x04;
        std::copy(in.begin(), in.end(), full.begin() + 1);
        if (secp256k1_ec_pubkey_parse(context(), &key, full.data(), full.size()) != 1)
            return base::fail(Errc::invalid_public_key);
        return store(key);
    }
    // libsecp256k1 also accepts the hybrid 0x06/0x07 forms in 65 bytes; devp2p does not.
    if (in.size() == 65 && in[0] != 0x04) return base::fail(Errc::invalid_public_key);
    if (in.size() != 65 && in.size() != 33) return base::fail(Errc::invalid_public_key);
    if (secp256k1_ec_pubkey_parse(context(), &key, in.data(), in.size()) != 1)
        return base::fail(Errc::invalid_public_key);
    return store(key);
}

base::Result<void> validate_public_key(const PublicKey& pk) {
    secp256k1_pubkey key;
    if (!load(pk, key)) return base::fail(Errc::invalid_public_key);
    return {};
}

base::Result<CompressedPublicKey> compress(const PublicKey& pk) {
    secp256k1_pubkey key;
    if (!load(pk, key)) return base::fail(Errc::invalid_public_key);
    CompressedPublicKey out{};
    std::size_t len = out.size();
    (void)secp256k1_ec_pubkey_serialize(context(), out.data(), &len, &key, SECP256K1_EC_COMPRESSED);
    return out;
}

UncompressedPublicKey with_prefix(const PublicKey& pk) {
    UncompressedPublicKey out{};
    out[0] = 0x04;
    std::copy(pk.begin(), pk.end(), out.begin() + 1);
    return out;
}

base::Result<SharedSecret> ecdh(const SecretKey& sk, const PublicKey& pk) {
    secp256k1_pubkey key;
    if (!load(pk, key)) return base::fail(Errc::invalid_public_key);
    if (!is_valid_secret_key(sk)) return base::fail(Errc::invalid_secret_key);
    SharedSecret out{};
    if (secp256k1_ecdh(context(), out.data(), &key, sk.data(), &copy_x, nullptr) != 1)
        return base::fail(Errc::ecdh_failed);
    return out;
}

base::Result<Signature> sign_recoverable(const SecretKey& sk, const Hash& hash) {
    secp256k1_ecdsa_recoverable_signature sig;
    // nullptr nonce function: RFC 6979, like go-ethereum's secp256k1 binding.
    if (secp256k1_ecdsa_sign_recoverable(context(), &sig, hash.data(), sk.data(), nullptr, nullptr) != 1)
        return base::fail(Errc::invalid_secret_key);
    Signature out{};
    int recid = 0;
    (void)secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recid, &sig);
    out[64] = static_cast<std::uint8_t>(recid);
    return out;
}

base::Result<PublicKey> recover(const Signature& sig, const Hash& hash) {
    if (sig[64] > 1) return base::fail(Errc::invalid_signature);
    secp256k1_ecdsa_recoverable_signature rs;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rs, sig.data(), sig[64]) != 1)
        return base::fail(Errc::invalid_signature);
    secp256k1_pubkey key;
    if (secp256k1_ecdsa_recover(context(), &key, &rs, hash.data()) != 1)
        return base::fail(Errc::recovery_failed);
    return store(key);
}

bool verify(const PublicKey& pk, const Hash& hash, std::span<const std::uint8_t, 64> r_s) {
    secp256k1_pubkey key;
    if (!load(pk, key)) return false;
    secp256k1_ecdsa_signature sig;
    if (secp256k1_ecdsa_signature_parse_compact(context(), &sig, r_s.data()) != 1) return false;
    // secp256k1_ecdsa_verify itself rejects high-S signatures.
    return secp256k1_ecdsa_verify(context(), &sig, hash.data(), &key) == 1;
}

}  // namespace peerlink::crypto::secp256k1
