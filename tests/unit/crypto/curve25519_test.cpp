#include <gtest/gtest.h>

#include <array>

#include "crypto/crypto.hpp"
#include "unit/crypto/hex.hpp"

namespace peerlink::crypto {
namespace {

using test::hex;
using test::hex_array;
using test::to_hex;

// ---- X25519 -------------------------------------------------------------------------------------

// RFC 7748 section 6.1.
constexpr const char* k_alice_secret = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr const char* k_alice_public = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr const char* k_bob_secret = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr const char* k_bob_public = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr const char* k_shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(X25519, Rfc7748SharedSecretBothWays) {
    const auto alice = x25519(hex_array<32>(k_alice_secret), hex_array<32>(k_bob_public));
    const auto bob = x25519(hex_array<32>(k_bob_secret), hex_array<32>(k_alice_public));

    ASSERT_TRUE(alice.ok()) << alice.error().message();
    ASSERT_TRUE(bob.ok()) << bob.error().message();
    EXPECT_EQ(to_hex(*alice), k_shared);
    EXPECT_EQ(to_hex(*bob), k_shared);
}

TEST(X25519, Rfc7748PublicKeysFromSecretsViaBasePoint) {
    // The base point u = 9 turns a secret into its public key through the same DH function.
    X25519Key base_point{};
    base_point[0] = 9;

    EXPECT_EQ(to_hex(*x25519(hex_array<32>(k_alice_secret), base_point)), k_alice_public);
    EXPECT_EQ(to_hex(*x25519(hex_array<32>(k_bob_secret), base_point)), k_bob_public);
}

TEST(X25519, GeneratedPairsAgree) {
    const X25519KeyPair a = x25519_generate();
    const X25519KeyPair b = x25519_generate();

    const auto ab = x25519(a.secret_key, b.public_key);
    const auto ba = x25519(b.secret_key, a.public_key);

    ASSERT_TRUE(ab.ok());
    ASSERT_TRUE(ba.ok());
    EXPECT_EQ(*ab, *ba);
    EXPECT_NE(a.public_key, b.public_key);
}

class X25519LowOrder : public ::testing::TestWithParam<const char*> {};

TEST_P(X25519LowOrder, RejectedAsLowOrderPoint) {
    const X25519KeyPair ours = x25519_generate();

    const auto shared = x25519(ours.secret_key, hex_array<32>(GetParam()));

    ASSERT_FALSE(shared.ok());
    EXPECT_EQ(shared.error(), make_error_code(Errc::low_order_point));
    EXPECT_EQ(shared.error().category().name(), std::string("crypto"));
}

INSTANTIATE_TEST_SUITE_P(SmallOrderPoints, X25519LowOrder,
                         ::testing::Values(
                             // u = 0
                             "0000000000000000000000000000000000000000000000000000000000000000",
                             // u = 1, order 1
                             "0100000000000000000000000000000000000000000000000000000000000000",
                             // a point of order 8
                             "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"));

// ---- Ed25519 ------------------------------------------------------------------------------------

struct Rfc8032Case {
    const char* seed;
    const char* public_key;
    const char* message;
    const char* signature;
};

// RFC 8032 section 7.1, TEST 1 and TEST 2.
const Rfc8032Case k_rfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f"
     "0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2ea"
     "eb4302aeeb00d291612bb0c00"},
};

class Ed25519Rfc8032 : public ::testing::TestWithParam<Rfc8032Case> {};

TEST_P(Ed25519Rfc8032, KeyAndSignatureMatch) {
    const Rfc8032Case& c = GetParam();
    const auto seed = hex_array<32>(c.seed);
    const base::Bytes message = hex(c.message);

    const Ed25519KeyPair kp = ed25519_from_seed(seed);
    const Ed25519Signature sig = ed25519_sign(kp.secret_key, message);

    EXPECT_EQ(to_hex(kp.public_key), c.public_key);
    EXPECT_EQ(to_hex(kp.secret_key), std::string(c.seed) + c.public_key);  // seed || public key
    EXPECT_EQ(to_hex(sig), c.signature);
    EXPECT_TRUE(ed25519_verify(kp.public_key, message, sig));
}

TEST_P(Ed25519Rfc8032, FlippedBitsFailVerification) {
    const Rfc8032Case& c = GetParam();
    const auto pk = hex_array<32>(c.public_key);
    const auto sig = hex_array<64>(c.signature);
    const base::Bytes message = hex(c.message);
    ASSERT_TRUE(ed25519_verify(pk, message, sig));

    for (const std::size_t byte : {0u, 31u, 32u, 63u}) {
        auto bad_sig = sig;
        bad_sig[byte] ^= 0x01;
        EXPECT_FALSE(ed25519_verify(pk, message, bad_sig)) << "signature byte " << byte;
    }
    auto bad_pk = pk;
    bad_pk[0] ^= 0x01;
    EXPECT_FALSE(ed25519_verify(bad_pk, message, sig));
    base::Bytes longer = message;
    longer.push_back(0);
    EXPECT_FALSE(ed25519_verify(pk, longer, sig));
    if (!message.empty()) {
        base::Bytes bad_message = message;
        bad_message[0] ^= 0x01;
        EXPECT_FALSE(ed25519_verify(pk, bad_message, sig));
    }
}

INSTANTIATE_TEST_SUITE_P(Rfc8032, Ed25519Rfc8032, ::testing::ValuesIn(k_rfc8032));

TEST(Ed25519, GeneratedKeySignsAndVerifies) {
    const Ed25519KeyPair kp = ed25519_generate();
    const base::ByteView message = base::as_bytes("peerlink");

    const Ed25519Signature sig = ed25519_sign(kp.secret_key, message);

    EXPECT_TRUE(ed25519_verify(kp.public_key, message, sig));
    EXPECT_FALSE(ed25519_verify(kp.public_key, base::as_bytes("peerlinK"), sig));
}

}  // namespace
}  // namespace peerlink::crypto
