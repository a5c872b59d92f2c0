#include "addrbook/siphash.hpp"

#include <gtest/gtest.h>

namespace peerlink::addrbook {
namespace {

SipKey paper_key() {
    std::array<std::uint8_t, 16> k{};
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<std::uint8_t>(i);
    return SipKey::from_bytes(k);
}

base::Bytes counting(std::size_t n) {
    base::Bytes b(n);
    for (std::size_t i = 0; i < n; ++i)
        b[i] = static_cast<std::uint8_t>(i);
    return b;
}

TEST(SipHash, MatchesThePaperTestVector) {
    // SipHash paper, Appendix A: key 00..0f, message 00..0e (15 bytes).
    EXPECT_EQ(siphash24(paper_key(), counting(15)), 0xa129ca6149be45e5ULL);
}

TEST(SipHash, MatchesReferenceVectorsAtBlockBoundaries) {
    // vectors.h of the reference implementation (as also checked by Bitcoin Core).
    EXPECT_EQ(siphash24(paper_key(), counting(0)), 0x726fdb47dd0e0e31ULL);
    EXPECT_EQ(siphash24(paper_key(), counting(8)), 0x93f5f5799a932462ULL);
}

TEST(SipHash, KeyRoundTripsThroughBytes) {
    const SipKey key{.k0 = 0x0706050403020100ULL, .k1 = 0x0f0e0d0c0b0a0908ULL};
    EXPECT_EQ(key, paper_key());
    EXPECT_EQ(SipKey::from_bytes(key.to_bytes()), key);
}

TEST(SipHash, DifferentKeysGiveDifferentOutputs) {
    const SipKey other{.k0 = 1, .k1 = 2};
    EXPECT_NE(siphash24(paper_key(), counting(15)), siphash24(other, counting(15)));
}

}  // namespace
}  // namespace peerlink::addrbook
