// KadTable: distances, bucket placement, capacity and replacements, /24 limits, revalidation, closest.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "discovery/kad_table.hpp"

namespace peerlink::discovery {
namespace {

using namespace std::chrono_literals;
const base::TimePoint t0 = base::TimePoint{} + 1000h;

/// An ID at log distance `d` (1..256) from the all-zero ID; `tag` fills the bits below the top one.
KadId id_at(int d, std::uint32_t tag = 0) {
    KadId id{};
    const int bit = d - 1;
    id[static_cast<std::size_t>(31 - bit / 8)] |= static_cast<std::uint8_t>(1u << (bit % 8));
    // Spread the tag over the lowest bits without touching the top bit (tags must stay below 2^(d-1)).
    for (int i = 0; i < 4 && i * 8 < bit; ++i) {
        auto& byte = id[static_cast<std::size_t>(31 - i)];
        const auto t = static_cast<std::uint8_t>(tag >> (8 * i));
        const int room = bit - i * 8;  // bits of this byte below the top bit
        const auto mask = room >= 8 ? std::uint8_t{0xff} : static_cast<std::uint8_t>((1u << room) - 1);
        byte = static_cast<std::uint8_t>(byte | (t & mask));
    }
    return id;
}

KadId random_id(base::Random& rng) {
    KadId id{};
    for (auto& b : id)
        b = static_cast<std::uint8_t>(rng.next_u64());
    return id;
}

addrbook::IpAddress ip(const std::string& text) {
    return *addrbook::IpAddress::parse(text);
}

/// A public-looking address in its own /24: 23.<n / 256>.<n % 256>.1.
addrbook::IpAddress distinct_ip(std::uint32_t n) {
    return ip("23." + std::to_string(n / 256) + "." + std::to_string(n % 256) + ".1");
}

KadNode node(const KadId& id, const addrbook::IpAddress& address) {
    return KadNode{.id = id, .key = {}, .ip = address, .udp_port = 30303, .tcp_port = 30303};
}

int naive_log_distance(const KadId& a, const KadId& b) {
    for (int bit = 255; bit >= 0; --bit) {
        const auto byte = static_cast<std::size_t>(31 - bit / 8);
        const int mask = 1 << (bit % 8);
        if (((a[byte] ^ b[byte]) & mask) != 0) return bit + 1;
    }
    return 0;
}

struct TableTest : ::testing::Test {
    base::Random rng{7};
    KadTable table{KadId{}, KadTableOptions{.exempt_lan = false}, rng};
};

TEST(KadDistance, LogDistanceMatchesBitwiseDefinition) {
    EXPECT_EQ(log_distance(KadId{}, KadId{}), 0);
    EXPECT_EQ(log_distance(KadId{}, id_at(1)), 1);
    EXPECT_EQ(log_distance(KadId{}, id_at(256)), 256);
    EXPECT_EQ(log_distance(KadId{}, id_at(200, 0xabcd)), 200);
    base::Random rng(1);
    for (int i = 0; i < 500; ++i) {
        KadId a = random_id(rng);
        KadId b = random_id(rng);
        // Make long common prefixes common, too.
        const auto shared = static_cast<std::size_t>(rng.uniform(33));
        std::copy_n(a.begin(), shared, b.begin());
        EXPECT_EQ(log_distance(a, b), naive_log_distance(a, b));
        EXPECT_EQ(log_distance(a, b), log_distance(b, a));
    }
}

TEST(KadDistance, DistanceCmpOrdersByXor) {
    const KadId target = id_at(100, 5);
    EXPECT_EQ(distance_cmp(target, target, id_at(1)), -1);
    EXPECT_EQ(distance_cmp(target, id_at(1), target), 1);
    EXPECT_EQ(distance_cmp(target, id_at(3), id_at(3)), 0);
    // Both differ from the target at bit 100; the one sharing more of the low bits is closer.
    EXPECT_EQ(distance_cmp(target, id_at(1), KadId{}), -1);
    EXPECT_EQ(distance_cmp(target, KadId{}, id_at(3)), 1);
}

TEST(KadDistance, LanClassificationFollowsGeth) {
    for (const char* lan : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.7.7", "0.1.2.3",
                            "::1", "fe80::1", "fd00::5", "::ffff:10.0.0.1"})
        EXPECT_TRUE(is_lan(ip(lan))) << lan;
    for (const char* wan :
         {"8.8.8.8", "172.32.0.1", "192.169.0.1", "169.254.1.1", "2001:db8::1", "100.64.0.1"})
        EXPECT_FALSE(is_lan(ip(wan))) << wan;
}

TEST_F(TableTest, BucketPlacementByLogDistance) {
    // geth: distances up to 239 share bucket 0, then one bucket per distance up to 256.
    EXPECT_EQ(table.bucket_index(id_at(1)), 0u);
    EXPECT_EQ(table.bucket_index(id_at(239)), 0u);
    EXPECT_EQ(table.bucket_index(id_at(240)), 0u);
    EXPECT_EQ(table.bucket_index(id_at(241)), 1u);
    EXPECT_EQ(table.bucket_index(id_at(255)), 15u);
    EXPECT_EQ(table.bucket_index(id_at(256)), 16u);
    EXPECT_EQ(kad::k_buckets, 17u);

    EXPECT_EQ(table.add_seen(node(id_at(256, 1), distinct_ip(1)), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(100, 1), distinct_ip(2)), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.bucket_entries(16).size(), 1u);
    EXPECT_EQ(table.bucket_entries(0).size(), 1u);
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.stats().non_empty_buckets, 2u);
}

TEST_F(TableTest, SelfAndAddresslessNodesAreRejected) {
    EXPECT_EQ(table.add_seen(node(KadId{}, distinct_ip(1)), t0), KadTable::AddResult::rejected);
    EXPECT_EQ(table.add_verified(node(id_at(5), addrbook::IpAddress()), t0), KadTable::AddResult::rejected);
    EXPECT_EQ(table.size(), 0u);
}

TEST_F(TableTest, FullBucketKeepsTenMostRecentReplacements) {
    for (std::uint32_t i = 0; i < 16; ++i)
        ASSERT_EQ(table.add_seen(node(id_at(256, i), distinct_ip(i)), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(256, 3), distinct_ip(3)), t0), KadTable::AddResult::already_present);
    for (std::uint32_t i = 16; i < 30; ++i)
        EXPECT_EQ(table.add_seen(node(id_at(256, i), distinct_ip(i)), t0), KadTable::AddResult::replacement);
    EXPECT_EQ(table.bucket_entries(16).size(), 16u);
    const auto& repl = table.bucket_replacements(16);
    ASSERT_EQ(repl.size(), 10u);
    EXPECT_EQ(repl.front().id, id_at(256, 29));  // most recent first
    EXPECT_EQ(repl.back().id, id_at(256, 20));   // 16..19 were pushed out
    EXPECT_FALSE(table.contains(id_at(256, 29)));
    EXPECT_EQ(table.stats().replacements, 10u);
}

TEST_F(TableTest, AddSeenAppendsAndAddVerifiedMovesToFront) {
    for (std::uint32_t i = 0; i < 4; ++i)
        ASSERT_EQ(table.add_seen(node(id_at(256, i), distinct_ip(i)), t0 + 1s * i),
                  KadTable::AddResult::added);
    EXPECT_EQ(table.bucket_entries(16).back().node.id, id_at(256, 3));
    EXPECT_EQ(table.add_verified(node(id_at(256, 2), distinct_ip(2)), t0 + 10s),
              KadTable::AddResult::moved_to_front);
    const auto& entries = table.bucket_entries(16);
    EXPECT_EQ(entries.front().node.id, id_at(256, 2));
    EXPECT_EQ(entries.front().added_at, t0 + 2s);  // moving keeps when it joined
    EXPECT_EQ(entries[1].node.id, id_at(256, 0));
    EXPECT_EQ(table.add_verified(node(id_at(256, 9), distinct_ip(9)), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.bucket_entries(16).front().node.id, id_at(256, 9));
}

TEST_F(TableTest, AtMostTwoPerSlash24InABucket) {
    EXPECT_EQ(table.add_seen(node(id_at(256, 1), ip("23.1.2.3")), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(256, 2), ip("23.1.2.200")), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(256, 3), ip("23.1.2.4")), t0), KadTable::AddResult::ip_limit);
    EXPECT_EQ(table.add_verified(node(id_at(256, 3), ip("23.1.2.4")), t0), KadTable::AddResult::ip_limit);
    // Another /24 is fine, and the same /24 is fine in another bucket.
    EXPECT_EQ(table.add_seen(node(id_at(256, 4), ip("23.1.3.4")), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(255, 4), ip("23.1.2.5")), t0), KadTable::AddResult::added);
    // Removing one frees its slot.
    EXPECT_TRUE(table.remove(id_at(256, 1)));
    EXPECT_FALSE(table.remove(id_at(256, 1)));
    EXPECT_EQ(table.add_seen(node(id_at(256, 3), ip("23.1.2.4")), t0), KadTable::AddResult::added);
}

TEST_F(TableTest, AtMostTenPerSlash24InTheTable) {
    int added = 0;
    for (int d = 256; d > 250; --d)
        for (std::uint32_t k = 0; k < 2; ++k) {
            const auto result = table.add_seen(
                node(id_at(d, k + 1), ip("23.9.9." + std::to_string(d - 250) + std::to_string(k))), t0);
            if (result == KadTable::AddResult::added)
                ++added;
            else
                EXPECT_EQ(result, KadTable::AddResult::ip_limit);
        }
    EXPECT_EQ(added, 10);
    EXPECT_EQ(table.size(), 10u);
}

TEST_F(TableTest, ReplacementsCountAgainstIpLimits) {
    for (std::uint32_t i = 0; i < 16; ++i)
        ASSERT_EQ(table.add_seen(node(id_at(256, i), distinct_ip(i)), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(256, 100), ip("23.200.0.1")), t0), KadTable::AddResult::replacement);
    EXPECT_EQ(table.add_seen(node(id_at(256, 101), ip("23.200.0.2")), t0), KadTable::AddResult::replacement);
    EXPECT_EQ(table.add_seen(node(id_at(256, 102), ip("23.200.0.3")), t0), KadTable::AddResult::ip_limit);
}

TEST_F(TableTest, ChangedEndpointMustFitTheIpLimits) {
    ASSERT_EQ(table.add_seen(node(id_at(256, 1), ip("23.5.5.1")), t0), KadTable::AddResult::added);
    ASSERT_EQ(table.add_seen(node(id_at(256, 2), ip("23.5.5.2")), t0), KadTable::AddResult::added);
    ASSERT_EQ(table.add_seen(node(id_at(256, 3), ip("23.6.6.1")), t0), KadTable::AddResult::added);
    // Moving node 3 into the full 23.5.5/24 is refused and leaves it as it was.
    EXPECT_EQ(table.add_verified(node(id_at(256, 3), ip("23.5.5.3")), t0), KadTable::AddResult::ip_limit);
    EXPECT_EQ(table.find(id_at(256, 3))->node.ip, ip("23.6.6.1"));
    // Moving node 1 out of it frees a slot there, and its old /24 no longer counts it.
    EXPECT_EQ(table.add_verified(node(id_at(256, 1), ip("23.7.7.1")), t0),
              KadTable::AddResult::moved_to_front);
    EXPECT_EQ(table.find(id_at(256, 1))->node.ip, ip("23.7.7.1"));
    EXPECT_EQ(table.add_verified(node(id_at(256, 3), ip("23.5.5.3")), t0),
              KadTable::AddResult::moved_to_front);
    EXPECT_EQ(table.add_seen(node(id_at(256, 4), ip("23.5.5.4")), t0), KadTable::AddResult::ip_limit);
}

TEST_F(TableTest, PromotedReplacementIsCountedOnce) {
    for (std::uint32_t i = 0; i < 16; ++i)
        ASSERT_EQ(table.add_seen(node(id_at(256, i), distinct_ip(i)), t0), KadTable::AddResult::added);
    ASSERT_EQ(table.add_seen(node(id_at(256, 40), ip("23.99.0.1")), t0), KadTable::AddResult::replacement);
    ASSERT_TRUE(table.remove(id_at(256, 0)));
    EXPECT_EQ(table.add_seen(node(id_at(256, 40), ip("23.99.0.1")), t0), KadTable::AddResult::added);
    EXPECT_TRUE(table.bucket_replacements(16).empty());
    // 23.99.0/24 holds one node, so one more fits in the bucket and a third does not.
    ASSERT_TRUE(table.remove(id_at(256, 1)));
    EXPECT_EQ(table.add_seen(node(id_at(256, 41), ip("23.99.0.2")), t0), KadTable::AddResult::added);
    ASSERT_TRUE(table.remove(id_at(256, 2)));
    EXPECT_EQ(table.add_seen(node(id_at(256, 42), ip("23.99.0.3")), t0), KadTable::AddResult::ip_limit);
}

TEST(KadTableLan, LanAddressesAreExemptByDefault) {
    base::Random rng(3);
    KadTable table(KadId{}, KadTableOptions{}, rng);
    for (std::uint32_t i = 0; i < 16; ++i)
        EXPECT_EQ(table.add_seen(node(id_at(256, i), ip("192.168.1." + std::to_string(i + 1))), t0),
                  KadTable::AddResult::added);
    // Public addresses are still limited.
    EXPECT_EQ(table.add_seen(node(id_at(255, 1), ip("23.1.1.1")), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(255, 2), ip("23.1.1.2")), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(255, 3), ip("23.1.1.3")), t0), KadTable::AddResult::ip_limit);
}

TEST_F(TableTest, RevalidationPicksLastEntryAndReplacesOnFailure) {
    for (std::uint32_t i = 0; i < 16; ++i)
        ASSERT_EQ(table.add_seen(node(id_at(256, i), distinct_ip(i)), t0), KadTable::AddResult::added);
    ASSERT_EQ(table.add_seen(node(id_at(256, 50), distinct_ip(50)), t0), KadTable::AddResult::replacement);
    ASSERT_EQ(table.add_seen(node(id_at(256, 51), distinct_ip(51)), t0), KadTable::AddResult::replacement);
    auto pick = table.node_to_revalidate();
    ASSERT_TRUE(pick.has_value());
    EXPECT_EQ(pick->id, id_at(256, 15));  // the only non-empty bucket, its last entry

    // A failure of a node that is no longer last changes nothing.
    EXPECT_FALSE(table.revalidation_failed(id_at(256, 3), t0 + 1s).has_value());
    EXPECT_TRUE(table.contains(id_at(256, 3)));

    auto replacement = table.revalidation_failed(id_at(256, 15), t0 + 1s);
    ASSERT_TRUE(replacement.has_value());
    EXPECT_TRUE(replacement->id == id_at(256, 50) || replacement->id == id_at(256, 51));
    EXPECT_FALSE(table.contains(id_at(256, 15)));
    EXPECT_TRUE(table.contains(replacement->id));
    EXPECT_EQ(table.bucket_entries(16).back().node.id, replacement->id);
    EXPECT_EQ(table.bucket_entries(16).back().added_at, t0 + 1s);
    EXPECT_EQ(table.bucket_replacements(16).size(), 1u);
    // The dead node's /24 is free again.
    EXPECT_EQ(table.add_seen(node(id_at(255, 1), distinct_ip(15)), t0), KadTable::AddResult::added);
    EXPECT_EQ(table.add_seen(node(id_at(255, 2), distinct_ip(15)), t0), KadTable::AddResult::added);
}

TEST_F(TableTest, RevalidationFailureWithoutReplacementsRemoves) {
    ASSERT_EQ(table.add_seen(node(id_at(200, 1), distinct_ip(1)), t0), KadTable::AddResult::added);
    EXPECT_FALSE(table.revalidation_failed(id_at(200, 1), t0).has_value());
    EXPECT_EQ(table.size(), 0u);
    EXPECT_FALSE(table.node_to_revalidate().has_value());
}

TEST_F(TableTest, RevalidationSuccessCountsLivenessAndMovesToFront) {
    for (std::uint32_t i = 0; i < 3; ++i)
        ASSERT_EQ(table.add_seen(node(id_at(256, i), distinct_ip(i)), t0), KadTable::AddResult::added);
    KadNode moved = node(id_at(256, 2), distinct_ip(77));
    table.revalidation_succeeded(moved);
    const auto& front = table.bucket_entries(16).front();
    EXPECT_EQ(front.node.id, id_at(256, 2));
    EXPECT_EQ(front.node.ip, distinct_ip(77));
    EXPECT_EQ(front.liveness_checks, 1u);
    // prefer_live returns only checked nodes while there are any.
    auto live = table.closest(KadId{}, 16, true);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].id, id_at(256, 2));
    EXPECT_EQ(table.closest(KadId{}, 16, false).size(), 3u);
}

TEST_F(TableTest, RevalidationChoosesAmongNonEmptyBucketsAndDelayIsBelowTenSeconds) {
    ASSERT_EQ(table.add_seen(node(id_at(256, 1), distinct_ip(1)), t0), KadTable::AddResult::added);
    ASSERT_EQ(table.add_seen(node(id_at(250, 1), distinct_ip(2)), t0), KadTable::AddResult::added);
    bool saw[2] = {false, false};
    for (int i = 0; i < 100; ++i) {
        auto pick = table.node_to_revalidate();
        ASSERT_TRUE(pick.has_value());
        saw[pick->id == id_at(256, 1) ? 0 : 1] = true;
        const auto delay = table.next_revalidate_delay();
        EXPECT_GE(delay, base::Duration::zero());
        EXPECT_LT(delay, 10s);
    }
    EXPECT_TRUE(saw[0] && saw[1]);
}

TEST(KadTableClosest, ClosestMatchesBruteForceOrder) {
    base::Random rng(11);
    const KadId self = random_id(rng);
    KadTable table(self, KadTableOptions{}, rng);
    for (std::uint32_t i = 0; i < 2000; ++i) {
        const auto result = table.add_seen(
            node(random_id(rng), ip("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256))), t0);
        ASSERT_NE(result, KadTable::AddResult::ip_limit);
    }
    const auto all = table.nodes();
    ASSERT_EQ(all.size(), table.size());
    ASSERT_GT(all.size(), 50u);
    for (int round = 0; round < 20; ++round) {
        const KadId target = random_id(rng);
        auto expected = all;
        std::sort(expected.begin(), expected.end(),
                  [&](const KadNode& a, const KadNode& b) { return distance_cmp(target, a.id, b.id) < 0; });
        expected.resize(16);
        EXPECT_EQ(table.closest(target, 16), expected);
    }
    EXPECT_EQ(table.closest(self, 1000).size(), all.size());
}

}  // namespace
}  // namespace peerlink::discovery
