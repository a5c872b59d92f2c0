#include "crypto/keccak.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

#include "unit/crypto/hex.hpp"

namespace peerlink::crypto {
namespace {

using test::to_hex;

base::Bytes counting_bytes(std::size_t n) {
    base::Bytes out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<std::uint8_t>(i);
    return out;
}

// The first lanes of keccak-f[1600] applied to the all-zero state (Keccak team's
// KeccakF-1600-IntermediateValues.txt).
TEST(KeccakF1600, ZeroStatePermutation) {
    std::array<std::uint64_t, 25> state{};

    keccak_f1600(state);

    EXPECT_EQ(state[0], 0xf1258f7940e1dde7u);
    EXPECT_EQ(state[1], 0x84d5ccf933c0478au);
}

// SHA3-256 is the same sponge with domain byte 0x06, and NIST publishes its value for one million
// 'a's: ~7,353 permutations, so any wrong lane, rotation or round constant shows here.
std::string sha3_256_of_million_a() {
    constexpr std::size_t rate = 136;
    constexpr std::size_t length = 1'000'000;
    std::array<std::uint64_t, 25> state{};
    const auto absorb = [&](const std::array<std::uint8_t, rate>& block) {
        for (std::size_t i = 0; i < rate; ++i)
            state[i / 8] ^= std::uint64_t{block[i]} << (8 * (i % 8));
        keccak_f1600(state);
    };
    std::array<std::uint8_t, rate> block;
    block.fill('a');
    for (std::size_t i = 0; i < length / rate; ++i)
        absorb(block);
    block.fill(0);
    std::fill_n(block.begin(), length % rate, std::uint8_t{'a'});
    block[length % rate] ^= 0x06;
    block[rate - 1] ^= 0x80;
    absorb(block);

    std::array<std::uint8_t, 32> digest;
    for (std::size_t i = 0; i < digest.size(); ++i)
        digest[i] = static_cast<std::uint8_t>(state[i / 8] >> (8 * (i % 8)));
    return to_hex(digest);
}

constexpr const char* k_sha3_million_a = "5c8875ae474a3634ba4fd55ec85bffd661f32aca75c6d699d0cdcb6c115891c1";

TEST(KeccakF1600, DrivesSha3_256OfMillionA) {
    EXPECT_EQ(sha3_256_of_million_a(), k_sha3_million_a);
}

// Ethereum's Keccak-256 (pre-standard padding), as in go-ethereum's crypto tests.
TEST(Keccak256, EmptyInput) {
    EXPECT_EQ(to_hex(keccak256({})), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, Abc) {
    EXPECT_EQ(to_hex(keccak256(base::as_bytes("abc"))),
              "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak256, QuickBrownFox) {
    EXPECT_EQ(to_hex(keccak256(base::as_bytes("The quick brown fox jumps over the lazy dog"))),
              "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

// Lengths around the 136-byte rate, where padding lands in the last byte or spills into a new
// block. Expected values from a Python sponge that reproduces hashlib.sha3_256 with padding 0x06.
TEST(Keccak256, RateBoundaries) {
    EXPECT_EQ(to_hex(keccak256(counting_bytes(135))),
              "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
    EXPECT_EQ(to_hex(keccak256(counting_bytes(136))),
              "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e");
    EXPECT_EQ(to_hex(keccak256(counting_bytes(137))),
              "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
    EXPECT_EQ(to_hex(keccak256(counting_bytes(272))),
              "fdf2ec49e749960d3c8521a0219af8d03e30e2b3bf19bd16150ee0eaf133d66e");
}

TEST(Keccak256, IncrementalOddChunksEqualOneShot) {
    const base::Bytes data = counting_bytes(1000);
    const std::string expected = "aca79e4146e30eb1c733f6d6060d72471c36ea4e01ebf45d7f4916249c2bbd82";
    ASSERT_EQ(to_hex(keccak256(data)), expected);

    for (const std::size_t chunk : {1u, 3u, 7u, 135u, 137u, 271u, 500u}) {
        Keccak256 h;
        for (std::size_t off = 0; off < data.size(); off += chunk)
            h.update(base::ByteView(data).subspan(off, std::min(chunk, data.size() - off)));
        EXPECT_EQ(to_hex(h.digest()), expected) << "chunk size " << chunk;
    }
}

TEST(Keccak256, DigestDoesNotDisturbRunningState) {
    const base::Bytes data = counting_bytes(300);
    Keccak256 h;
    h.update(base::ByteView(data).first(150));

    const auto partial = h.digest();
    h.update(base::ByteView(data).subspan(150));

    EXPECT_EQ(partial, keccak256(base::ByteView(data).first(150)));
    EXPECT_EQ(h.digest(), keccak256(data));
}

// Every compiled variant of the permutation against the same known answers, not only the one the
// dispatcher picks for this CPU (variants the CPU cannot run are skipped).
class KeccakVariants : public ::testing::TestWithParam<KeccakVariant> {
protected:
    void SetUp() override {
        m_previous = keccak_active_variant();
        if (!keccak_force_variant(GetParam()))
            GTEST_SKIP() << keccak_variant_name(GetParam()) << " is not available on this CPU/build";
    }
    void TearDown() override { keccak_force_variant(m_previous); }

private:
    KeccakVariant m_previous = KeccakVariant::portable;
};

TEST_P(KeccakVariants, KnownAnswers) {
    ASSERT_EQ(keccak_active_variant(), GetParam());
    std::array<std::uint64_t, 25> state{};
    keccak_f1600(state);
    EXPECT_EQ(state[0], 0xf1258f7940e1dde7u);
    EXPECT_EQ(state[1], 0x84d5ccf933c0478au);
    EXPECT_EQ(sha3_256_of_million_a(), k_sha3_million_a);

    EXPECT_EQ(to_hex(keccak256({})), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_EQ(to_hex(keccak256(base::as_bytes("abc"))),
              "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    EXPECT_EQ(to_hex(keccak256(counting_bytes(135))),
              "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
    EXPECT_EQ(to_hex(keccak256(counting_bytes(136))),
              "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e");
    EXPECT_EQ(to_hex(keccak256(counting_bytes(137))),
              "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
    EXPECT_EQ(to_hex(keccak256(counting_bytes(272))),
              "fdf2ec49e749960d3c8521a0219af8d03e30e2b3bf19bd16150ee0eaf133d66e");
    // Multi-block absorbs (the whole-block path keeps the state in registers across blocks).
    const base::Bytes data = counting_bytes(1000);
    const std::string expected = "aca79e4146e30eb1c733f6d6060d72471c36ea4e01ebf45d7f4916249c2bbd82";
    EXPECT_EQ(to_hex(keccak256(data)), expected);
    Keccak256 h;
    for (std::size_t off = 0; off < data.size(); off += 137)
        h.update(base::ByteView(data).subspan(off, std::min<std::size_t>(137, data.size() - off)));
    EXPECT_EQ(to_hex(h.digest()), expected);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, KeccakVariants,
                         ::testing::Values(KeccakVariant::portable, KeccakVariant::bmi),
                         [](const ::testing::TestParamInfo<KeccakVariant>& param) {
                             return std::string(keccak_variant_name(param.param));
                         });

}  // namespace
}  // namespace peerlink::crypto
