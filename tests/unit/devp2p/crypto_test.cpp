#include <gtest/gtest.h>

#include "codec/snappy.hpp"
#include "crypto/aes.hpp"
#include "crypto/crypto.hpp"
#include "crypto/ecies.hpp"
#include "crypto/keccak.hpp"
#include "crypto/secp256k1.hpp"
#include "test_util.hpp"

namespace peerlink::crypto {
namespace {

using devp2p::test::hex;
using devp2p::test::hex_array;
namespace secp = secp256k1;

// The devp2p rlpx.md handshake vectors double as secp256k1 vectors: the auth signature is the
// ephemeral key A's RFC 6979 signature over ecdh(static A, static B) ^ nonce A.
const auto k_static_a = hex_array<32>("49a7b37aa6f6645917e7b807e9d1c00d4fa71f18343b0d4122a4d2df64dd6fee");
const auto k_static_b = hex_array<32>("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291");
const auto k_ephemeral_a = hex_array<32>("869d6ecf5211f1cc60418a13b9d870b22959d0c16f02bec714c960dd2298a32d");
const auto k_nonce_a = hex_array<32>("7e968bba13b6c50e2c4cd7f241cc0d64d1ac25c7f5952df231ac6a2bda8ee5d6");
const auto k_auth_signature = hex_array<65>(
    "299ca6acfd35e3d72d8ba3d1e2b60b5561d5af5218eb5bc182045769eb4226910a301acae3b369fffc4a4899d6b02531e89fd4fe"
    "36a2cf0"
    "d93607ba470b50f7800");
// Static key A's public key, as the pre-EIP-8 auth plaintext of rlpx.md carries it.
const auto k_static_a_public = hex_array<64>(
    "fda1cff674c90c9a197539fe3dfb53086ace64f83ed7c6eabec741f7f381cc803e52ab2cd55d5569bce4347107a310dfd5f88a01"
    "0cd2"
    "ffd1005ca406f1842877");

TEST(Secp256k1, PublicKeyOfOneIsTheGenerator) {
    secp::SecretKey one{};
    one[31] = 1;
    auto pk = secp::public_key_of(one);
    ASSERT_TRUE(pk.ok());
    EXPECT_EQ(base::to_hex(*pk),
              "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
              "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
    auto compressed = secp::compress(*pk);
    ASSERT_TRUE(compressed.ok());
    EXPECT_EQ(base::to_hex(*compressed),
              "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    EXPECT_EQ(*secp::parse_public_key(*compressed), *pk);
    EXPECT_EQ(*secp::parse_public_key(secp::with_prefix(*pk)), *pk);
}

TEST(Secp256k1, KnownPublicKeyOfTheRlpxVectorKey) {
    EXPECT_EQ(*secp::public_key_of(k_static_a), k_static_a_public);
}

TEST(Secp256k1, SecretKeysOutOfRangeAreRejected) {
    secp::SecretKey zero{};
    EXPECT_FALSE(secp::is_valid_secret_key(zero));
    EXPECT_EQ(secp::public_key_of(zero).error(), make_error_code(secp::Errc::invalid_secret_key));
    const auto order = hex_array<32>("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    EXPECT_FALSE(secp::is_valid_secret_key(order));
    auto below = order;
    below[31] = 0x40;
    EXPECT_TRUE(secp::is_valid_secret_key(below));
}

TEST(Secp256k1, InvalidPointsAreRejected) {
    secp::PublicKey not_on_curve = k_static_a_public;
    not_on_curve[63] ^= 1;
    EXPECT_EQ(secp::validate_public_key(not_on_curve).error(),
              make_error_code(secp::Errc::invalid_public_key));
    EXPECT_EQ(secp::ecdh(k_static_b, not_on_curve).error(), make_error_code(secp::Errc::invalid_public_key));
    EXPECT_FALSE(secp::compress(not_on_curve).ok());
    const secp::PublicKey zero{};
    EXPECT_FALSE(secp::validate_public_key(zero).ok());
    EXPECT_FALSE(secp::parse_public_key(hex("05")).ok());
    auto hybrid = secp::with_prefix(k_static_a_public);
    hybrid[0] = 0x07;  // hybrid encoding: libsecp256k1 would take it, devp2p does not
    EXPECT_FALSE(secp::parse_public_key(hybrid).ok());
    EXPECT_FALSE(secp::parse_public_key(base::ByteView(k_static_a_public).first(63)).ok());
}

TEST(Secp256k1, EcdhIsTheRawXCoordinateAndSymmetric) {
    const auto a = *secp::key_pair_from_secret(k_static_a);
    const auto b = *secp::key_pair_from_secret(k_static_b);
    const auto ab = secp::ecdh(a.secret_key, b.public_key);
    const auto ba = secp::ecdh(b.secret_key, a.public_key);
    ASSERT_TRUE(ab.ok());
    EXPECT_EQ(*ab, *ba);
    // sk = 1: the shared point is the peer's key itself, so the result is its x coordinate.
    secp::SecretKey one{};
    one[31] = 1;
    const auto x = secp::ecdh(one, b.public_key);
    EXPECT_EQ(base::to_hex(*x), base::to_hex(base::ByteView(b.public_key).first(32)));
}

// The published auth signature was not made with RFC 6979 nonces, so it is checked by recovery;
// our own signature over the same hash must recover the same key and be deterministic.
TEST(Secp256k1, RlpxAuthSignatureRecoversEphemeralKeyA) {
    const auto b_public = *secp::public_key_of(k_static_b);
    auto token = *secp::ecdh(k_static_a, b_public);
    secp::Hash signed_hash{};
    for (std::size_t i = 0; i < 32; ++i)
        signed_hash[i] = static_cast<std::uint8_t>(token[i] ^ k_nonce_a[i]);
    const auto recovered = secp::recover(k_auth_signature, signed_hash);
    ASSERT_TRUE(recovered.ok());
    EXPECT_EQ(*recovered, *secp::public_key_of(k_ephemeral_a));
    EXPECT_TRUE(secp::verify(*recovered, signed_hash,
                             std::span<const std::uint8_t, 64>(k_auth_signature.data(), 64)));

    const auto sig = secp::sign_recoverable(k_ephemeral_a, signed_hash);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(*sig, *secp::sign_recoverable(k_ephemeral_a, signed_hash));
    EXPECT_EQ(*secp::recover(*sig, signed_hash), *recovered);
    EXPECT_TRUE(secp::verify(*recovered, signed_hash, std::span<const std::uint8_t, 64>(sig->data(), 64)));
}

TEST(Secp256k1, SignRecoverVerifyRoundTripAndFailures) {
    const auto kp = secp::generate();
    const auto hash = keccak256(base::as_bytes("peerlink"));
    auto sig = *secp::sign_recoverable(kp.secret_key, hash);
    EXPECT_LE(sig[64], 1);
    EXPECT_EQ(*secp::recover(sig, hash), kp.public_key);
    const std::span<const std::uint8_t, 64> rs(sig.data(), 64);
    EXPECT_TRUE(secp::verify(kp.public_key, hash, rs));

    auto other_hash = hash;
    other_hash[0] ^= 1;
    EXPECT_FALSE(secp::verify(kp.public_key, other_hash, rs));
    EXPECT_NE(*secp::recover(sig, other_hash), kp.public_key);

    auto bad_v = sig;
    bad_v[64] = 4;
    EXPECT_EQ(secp::recover(bad_v, hash).error(), make_error_code(secp::Errc::invalid_signature));
    auto zero_r = sig;
    std::fill_n(zero_r.begin(), 32, 0);
    EXPECT_FALSE(secp::recover(zero_r, hash).ok());
    auto big_s = sig;
    std::fill_n(big_s.begin() + 32, 32, 0xff);
    EXPECT_EQ(secp::recover(big_s, hash).error(), make_error_code(secp::Errc::invalid_signature));
}

TEST(Ecies, RoundTripWithSharedData) {
    const auto kp = secp::generate();
    const auto msg = base::as_bytes("hello ecies");
    const auto shared = hex("01fa");
    auto sealed = ecies::encrypt(kp.public_key, msg, shared);
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), msg.size() + ecies::k_overhead);
    EXPECT_EQ((*sealed)[0], 0x04);
    auto opened = ecies::decrypt(kp.secret_key, *sealed, shared);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(base::as_chars(*opened), "hello ecies");

    auto empty = ecies::encrypt(kp.public_key, {}, {});
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(ecies::decrypt(kp.secret_key, *empty, {})->empty());
}

TEST(Ecies, TamperingAndWrongKeysAreDetected) {
    const auto kp = secp::generate();
    const auto other = secp::generate();
    const auto msg = base::as_bytes("attack at dawn");
    const auto sealed = *ecies::encrypt(kp.public_key, msg, hex("0102"));
    for (std::size_t i = 1; i < sealed.size(); ++i) {
        auto t = sealed;
        t[i] ^= 0x01;
        EXPECT_FALSE(ecies::decrypt(kp.secret_key, t, hex("0102")).ok()) << i;
    }
    EXPECT_EQ(ecies::decrypt(kp.secret_key, sealed, hex("0103")).error(),
              make_error_code(ecies::Errc::bad_mac));
    EXPECT_EQ(ecies::decrypt(other.secret_key, sealed, hex("0102")).error(),
              make_error_code(ecies::Errc::bad_mac));
    EXPECT_EQ(ecies::decrypt(kp.secret_key, base::ByteView(sealed).first(ecies::k_overhead - 1), hex("0102"))
                  .error(),
              make_error_code(ecies::Errc::message_too_short));
    auto compressed = sealed;
    compressed[0] = 0x02;
    EXPECT_EQ(ecies::decrypt(kp.secret_key, compressed, hex("0102")).error(),
              make_error_code(ecies::Errc::invalid_ephemeral_key));
}

TEST(Ecies, ConcatKdfIsSha256OfCounterAndZ) {
    const auto z = hex_array<32>("0000000000000000000000000000000000000000000000000000000000000001");
    base::Bytes input = hex("00000001");
    input.insert(input.end(), z.begin(), z.end());
    EXPECT_EQ(ecies::concat_kdf_sha256(z), sha256(input));
}

TEST(Aes, CtrIsOneContinuousStream) {
    const auto key = hex_array<32>("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    // NIST SP 800-38A F.5.5 CTR-AES256.Encrypt, blocks 1-2.
    const auto iv = hex_array<16>("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    const auto plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
    base::Bytes once(plain.size());
    AesCtr(key, iv).apply(plain, once);
    EXPECT_EQ(base::to_hex(once), "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5");
    // Same stream fed in odd pieces.
    AesCtr ctr(key, iv);
    base::Bytes pieces(plain.size());
    std::size_t at = 0;
    for (std::size_t n : {1u, 7u, 13u, 11u}) {
        ctr.apply(base::ByteView(plain).subspan(at, n), base::MutableByteView(pieces).subspan(at, n));
        at += n;
    }
    EXPECT_EQ(pieces, once);
}

TEST(Aes, EcbSingleBlock) {
    // FIPS-197 C.3 AES-256.
    AesBlockEncryptor aes(hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
    const auto in = hex_array<16>("00112233445566778899aabbccddeeff");
    std::array<std::uint8_t, 16> out{};
    aes.encrypt(in, out);
    EXPECT_EQ(base::to_hex(out), "8ea2b7ca516745bfeafc49904b496089");
}

TEST(Aes, HmacSha256Rfc4231Case2) {
    const base::ByteView parts[] = {base::as_bytes("what do ya want "), base::as_bytes("for nothing?")};
    EXPECT_EQ(base::to_hex(hmac_sha256(base::as_bytes("Jefe"), parts)),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Snappy, RoundTripAndBounds) {
    base::Bytes data(100000);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<std::uint8_t>(i % 251 < 200 ? 'a' : i);
    const auto compressed = codec::snappy_compress(data);
    EXPECT_LT(compressed.size(), data.size());
    EXPECT_EQ(*codec::snappy_uncompressed_length(compressed), data.size());
    EXPECT_EQ(*codec::snappy_decompress(compressed, data.size()), data);
    EXPECT_EQ(codec::snappy_decompress(compressed, data.size() - 1).error(),
              make_error_code(codec::SnappyErrc::too_large));
    // Known block: "a" x 0 is the single byte 00.
    EXPECT_EQ(base::to_hex(codec::snappy_compress({})), "00");
    EXPECT_TRUE(codec::snappy_decompress(hex("00"), 0)->empty());
}

TEST(Snappy, OversizeIsRejectedFromTheHeaderAlone) {
    // Header announcing 2^32-1 bytes followed by nothing: rejected before allocating.
    EXPECT_EQ(codec::snappy_decompress(hex("ffffffff0f"), std::size_t{16} << 20).error(),
              make_error_code(codec::SnappyErrc::too_large));
    // 16 MiB + 1 announced.
    EXPECT_EQ(codec::snappy_decompress(hex("81808008"), (std::size_t{1} << 24)).error(),
              make_error_code(codec::SnappyErrc::too_large));
}

TEST(Snappy, CorruptInputIsAnError) {
    EXPECT_EQ(codec::snappy_decompress({}, 100).error(), make_error_code(codec::SnappyErrc::corrupt));
    EXPECT_EQ(codec::snappy_decompress(hex("ff"), 100).error(), make_error_code(codec::SnappyErrc::corrupt));
    // Announces 5 bytes, carries a 3-byte literal.
    EXPECT_EQ(codec::snappy_decompress(hex("0508616263"), 100).error(),
              make_error_code(codec::SnappyErrc::corrupt));
    // A copy reaching before the start of the output.
    EXPECT_EQ(codec::snappy_decompress(hex("0a0161"
                                           "0a05"),
                                       100)
                  .error(),
              make_error_code(codec::SnappyErrc::corrupt));
}

}  // namespace
}  // namespace peerlink::crypto
