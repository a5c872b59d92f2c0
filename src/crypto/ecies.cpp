#include "crypto/ecies.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "crypto/aes.hpp"
#include "crypto/crypto.hpp"

namespace peerlink::crypto::ecies {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::message_too_short:
            return "ECIES message shorter than its fixed overhead";
        case Errc::invalid_ephemeral_key:
            return "ECIES ephemeral public key is not an uncompressed secp256k1 point";
        case Errc::bad_mac:
            return "ECIES message authentication failed";
    }
    return "unknown ECIES error";
}

struct Keys {
    std::array<std::uint8_t, 16> enc;  // kE: AES-128 key
    Sha256Digest mac;                  // kM = SHA-256 of the second half of the KDF output
};

Keys derive(const secp256k1::SharedSecret& z) {
    auto k = concat_kdf_sha256(z);
    Keys keys{};
    std::copy_n(k.begin(), 16, keys.enc.begin());
    keys.mac = sha256(base::ByteView(k).subspan(16));
    wipe(k);
    return keys;
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("ecies", describe);
    return category;
}

std::array<std::uint8_t, 32> concat_kdf_sha256(base::ByteView z) {
    // One 32-byte block: SHA-256(counter = 1 as big-endian u32 || z || OtherInfo = empty).
    base::Bytes input;
    input.reserve(4 + z.size());
    input.insert(input.end(), {0, 0, 0, 1});
    input.insert(input.end(), z.begin(), z.end());
    auto out = sha256(input);
    wipe(input);
    return out;
}

base::Result<base::Bytes> encrypt_with(const secp256k1::PublicKey& recipient, base::ByteView plaintext,
                                       base::ByteView shared_data, const secp256k1::SecretKey& ephemeral,
                                       const std::array<std::uint8_t, 16>& iv) {
    auto eph = secp256k1::key_pair_from_secret(ephemeral);
    PEERLINK_TRY(eph);
    auto z = secp256k1::ecdh(ephemeral, recipient);
    PEERLINK_TRY(z);
    Keys keys = derive(*z);

    base::Bytes out(k_overhead + plaintext.size());
    out[0] = 0x04;
    std::copy(eph->public_key.begin(), eph->public_key.end(), out.begin() + 1);
    std::copy(iv.begin(), iv.end(), out.begin() + 65);
    const base::MutableByteView body = base::MutableByteView(out).subspan(65 + 16, plaintext.size());
    AesCtr(keys.enc, iv).apply(plaintext, body);
    const base::ByteView parts[] = {base::ByteView(out).subspan(65, 16 + plaintext.size()), shared_data};
    const auto tag = hmac_sha256(keys.mac, parts);
    std::copy(tag.begin(), tag.end(), out.end() - 32);
    wipe(keys.enc);
    wipe(keys.mac);
    return out;
}

base::Result<base::Bytes> encrypt(const secp256k1::PublicKey& recipient, base::ByteView plaintext,
                                  base::ByteView shared_data) {
    const auto eph = secp256k1::generate();
    std::array<std::uint8_t, 16> iv{};
    random_bytes(iv);
    auto out = encrypt_with(recipient, plaintext, shared_data, eph.secret_key, iv);
    auto sk = eph.secret_key;
    wipe(sk);
    return out;
}

base::Result<base::Bytes> decrypt(const secp256k1::SecretKey& key, base::ByteView message,
                                  base::ByteView shared_data) {
    if (message.size() < k_overhead) return base::fail(Errc::message_too_short);
    // go-ethereum accepts only the uncompressed form here (elliptic.Unmarshal).
    if (message[0] != 0x04) return base::fail(Errc::invalid_ephemeral_key);
    auto r = secp256k1::parse_public_key(message.first(65));
    if (!r.ok()) return base::fail(Errc::invalid_ephemeral_key);
    auto z = secp256k1::ecdh(key, *r);
    PEERLINK_TRY(z);
    Keys keys = derive(*z);

    const base::ByteView iv_and_c = message.subspan(65, message.size() - 65 - 32);
    const base::ByteView parts[] = {iv_and_c, shared_data};
    const auto tag = hmac_sha256(keys.mac, parts);
    if (CRYPTO_memcmp(tag.data(), message.data() + message.size() - 32, 32) != 0) {
        wipe(keys.enc);
        wipe(keys.mac);
        return base::fail(Errc::bad_mac);
    }
    const std::span<const std::uint8_t, 16> iv(iv_and_c.data(), 16);
    const base::ByteView c = iv_and_c.subspan(16);
    base::Bytes plain(c.size());
    AesCtr(keys.enc, iv).apply(c, plain);
    wipe(keys.enc);
    wipe(keys.mac);
    return plain;
}

}  // namespace peerlink::crypto::ecies
