#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "unit/crypto/hex.hpp"

namespace peerlink::crypto {
namespace {

using test::hex;
using test::to_hex;

// FIPS 180-2 examples.
TEST(Sha256, AbcMatchesFips180Example) {
    EXPECT_EQ(to_hex(sha256(base::as_bytes("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, EmptyInput) {
    EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// RFC 5869 appendix A.1: basic test case with SHA-256.
TEST(HkdfSha256, Rfc5869TestCase1WithSalt) {
    const base::Bytes ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    const base::Bytes salt = hex("000102030405060708090a0b0c");
    const base::Bytes info = hex("f0f1f2f3f4f5f6f7f8f9");
    base::Bytes okm(42);

    hkdf_sha256(ikm, salt, info, okm);

    EXPECT_EQ(to_hex(okm),
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 appendix A.3: zero-length salt and info, which is what "no salt" must mean.
TEST(HkdfSha256, Rfc5869TestCase3WithoutSalt) {
    const base::Bytes ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    base::Bytes okm(42);

    hkdf_sha256(ikm, {}, {}, okm);

    EXPECT_EQ(to_hex(okm),
              "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256, EmptyIkmIsAccepted) {
    // Expected value from Python's hmac module running RFC 5869 by hand.
    base::Bytes okm(42);

    hkdf_sha256({}, {}, base::as_bytes("x"), okm);

    EXPECT_EQ(to_hex(okm),
              "0dfd7b633e54fd3c77e68749c2c9a8899dd4a0e86dec0043242e714f6cc75913230179682f679161b40a");
}

std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, sep);)
        fields.push_back(field);
    return fields;
}

// CometBFT's SecretConnection key derivation golden file (see tests/vectors/cometbft/README.md).
TEST(HkdfSha256, CometbftDeriveSecretsGolden) {
    std::ifstream file(PEERLINK_VECTORS_DIR "/cometbft/derive_secrets.golden");
    ASSERT_TRUE(file.is_open()) << "missing " PEERLINK_VECTORS_DIR "/cometbft/derive_secrets.golden";

    std::size_t cases = 0;
    for (std::string line; std::getline(file, line);) {
        if (line.empty()) continue;
        const std::vector<std::string> fields = split(line, ',');
        ASSERT_EQ(fields.size(), 5u) << line;
        const base::Bytes dh_secret = hex(fields[0]);
        const bool loc_is_least = fields[1] == "true";
        ASSERT_TRUE(loc_is_least || fields[1] == "false") << line;

        base::Bytes out(96);
        hkdf_sha256(dh_secret, {}, base::as_bytes("TENDERMINT_SECRET_CONNECTION_KEY_AND_CHALLENGE_GEN"), out);

        const std::string first = to_hex(base::ByteView(out).subspan(0, 32));
        const std::string second = to_hex(base::ByteView(out).subspan(32, 32));
        const std::string& recv = loc_is_least ? first : second;
        const std::string& send = loc_is_least ? second : first;
        EXPECT_EQ(recv, fields[2]) << "recv key, line " << cases + 1;
        EXPECT_EQ(send, fields[3]) << "send key, line " << cases + 1;
        ++cases;
    }
    EXPECT_GT(cases, 0u);
}

}  // namespace
}  // namespace peerlink::crypto
