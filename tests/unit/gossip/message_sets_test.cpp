// The bounded ID sets of gossip: the per-peer MRU and the seen-cache with TTL and count bound.
#include <gtest/gtest.h>

#include <stdexcept>

#include "gossip/message_sets.hpp"

namespace peerlink::gossip {
namespace {

using namespace std::chrono_literals;

MessageId id_of(std::uint32_t n) {
    MessageId id{};
    id[0] = static_cast<std::uint8_t>(n);
    id[1] = static_cast<std::uint8_t>(n >> 8);
    id[2] = static_cast<std::uint8_t>(n >> 16);
    return id;
}

constexpr addrbook::SipKey k_key{1, 2};

TEST(MruSet, EvictsTheLeastRecentlyInsertedWhenFull) {
    MruSet set(3, k_key);
    set.insert(id_of(1));
    set.insert(id_of(2));
    set.insert(id_of(3));
    // Re-inserting 1 makes it the most recent, so 2 is now the oldest
    set.insert(id_of(1));
    set.insert(id_of(4));
    EXPECT_EQ(set.size(), 3u);
    EXPECT_TRUE(set.contains(id_of(1)));
    EXPECT_FALSE(set.contains(id_of(2)));
    EXPECT_TRUE(set.contains(id_of(3)));
    EXPECT_TRUE(set.contains(id_of(4)));
}

TEST(MruSet, LookupsDoNotRefreshRecency) {
    MruSet set(2, k_key);
    set.insert(id_of(1));
    set.insert(id_of(2));
    EXPECT_TRUE(set.contains(id_of(1)));
    set.insert(id_of(3));
    EXPECT_FALSE(set.contains(id_of(1)));
    EXPECT_TRUE(set.contains(id_of(2)));
}

TEST(MruSet, StaysAtItsBoundUnderManyInserts) {
    MruSet set(1000, k_key);
    for (std::uint32_t i = 0; i < 50'000; ++i)
        set.insert(id_of(i));
    EXPECT_EQ(set.size(), 1000u);
    EXPECT_TRUE(set.contains(id_of(49'999)));
    EXPECT_TRUE(set.contains(id_of(49'000)));
    EXPECT_FALSE(set.contains(id_of(48'999)));
}

TEST(MruSet, ZeroCapacityIsAConfigurationError) {
    EXPECT_THROW(MruSet(0, k_key), std::invalid_argument);
}

TEST(SeenCache, RemembersUntilTheTtlThenForgets) {
    SeenCache seen(2min, 100, k_key);
    const base::TimePoint t0{};
    EXPECT_TRUE(seen.insert(id_of(1), t0));
    EXPECT_FALSE(seen.insert(id_of(1), t0 + 1min));  // a duplicate does not extend its life
    EXPECT_TRUE(seen.contains(id_of(1), t0 + 2min - 1ns));
    EXPECT_FALSE(seen.contains(id_of(1), t0 + 2min));
    EXPECT_EQ(seen.size(), 0u);
    EXPECT_TRUE(seen.insert(id_of(1), t0 + 2min));
}

TEST(SeenCache, ExpiresInOrderOfFirstSighting) {
    SeenCache seen(10s, 100, k_key);
    const base::TimePoint t0{};
    for (std::uint32_t i = 0; i < 10; ++i)
        ASSERT_TRUE(seen.insert(id_of(i), t0 + std::chrono::seconds(i)));
    seen.expire(t0 + 15s);  // seen at 0..5 s are 10 s old or more
    EXPECT_EQ(seen.size(), 4u);
    EXPECT_FALSE(seen.contains(id_of(5), t0 + 15s));
    EXPECT_TRUE(seen.contains(id_of(6), t0 + 15s));
}

TEST(SeenCache, EvictsTheOldestWhenFull) {
    SeenCache seen(1h, 3, k_key);
    const base::TimePoint t0{};
    for (std::uint32_t i = 0; i < 5; ++i)
        ASSERT_TRUE(seen.insert(id_of(i), t0));
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_FALSE(seen.contains(id_of(0), t0));
    EXPECT_FALSE(seen.contains(id_of(1), t0));
    EXPECT_TRUE(seen.contains(id_of(2), t0));
    EXPECT_TRUE(seen.contains(id_of(4), t0));
}

TEST(SeenCache, BadBoundsAreConfigurationErrors) {
    EXPECT_THROW(SeenCache(1s, 0, k_key), std::invalid_argument);
    EXPECT_THROW(SeenCache(0s, 10, k_key), std::invalid_argument);
}

}  // namespace
}  // namespace peerlink::gossip
