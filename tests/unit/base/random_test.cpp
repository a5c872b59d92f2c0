#include "base/random.hpp"

#include <gtest/gtest.h>

#include <array>

#include "base/clock.hpp"

namespace peerlink::base {
namespace {

TEST(Random, SameSeedSameSequence) {
    Random a(42);
    Random b(42);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(Random, DifferentSeedsDiffer) {
    Random a(1);
    Random b(2);
    EXPECT_NE(a.next_u64(), b.next_u64());
}

TEST(Random, UniformStaysInRangeAndCoversIt) {
    Random r(7);
    std::array<int, 10> counts{};
    for (int i = 0; i < 10000; ++i) {
        const auto v = r.uniform(10);
        ASSERT_LT(v, 10u);
        ++counts[v];
    }
    for (int c : counts)
        EXPECT_GT(c, 800);  // expected 1000 each
}

TEST(Random, UniformRealInUnitInterval) {
    Random r(9);
    for (int i = 0; i < 1000; ++i) {
        const double v = r.uniform_real();
        ASSERT_GE(v, 0.0);
        ASSERT_LT(v, 1.0);
    }
}

TEST(ManualClock, MovesOnlyWhenTold) {
    ManualClock clock;
    const TimePoint start = clock.now();
    EXPECT_EQ(clock.now(), start);
    clock.advance(seconds(3));
    EXPECT_EQ(clock.now() - start, seconds(3));
}

}  // namespace
}  // namespace peerlink::base
