// Inventory trickling: the known-inventory MRU, Poisson schedules, batching, no repeats or echoes.
#include "profiles/bitcoin/inventory.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace peerlink::bitcoin {
namespace {

using namespace std::chrono_literals;

InvVect tx(std::uint8_t n, std::uint8_t m = 0) {
    InvVect v;
    v.type = k_msg_wtx;
    v.hash[0] = n;
    v.hash[1] = m;
    return v;
}

InvVect block(std::uint8_t n) {
    InvVect v;
    v.type = k_msg_block;
    v.hash[0] = n;
    return v;
}

std::size_t total_items(const std::vector<Inv>& messages) {
    std::size_t n = 0;
    for (const auto& m : messages)
        n += m.items.size();
    return n;
}

TEST(KnownInventory, IsBoundedAndForgetsTheLeastRecentlyUsed) {
    KnownInventory known(3);
    EXPECT_TRUE(known.add(tx(1)));
    EXPECT_TRUE(known.add(tx(2)));
    EXPECT_TRUE(known.add(tx(3)));
    EXPECT_FALSE(known.add(tx(1)));  // refreshes 1: 2 is now the oldest
    EXPECT_TRUE(known.add(tx(4)));
    EXPECT_EQ(known.size(), 3u);
    EXPECT_TRUE(known.contains(tx(1)));
    EXPECT_FALSE(known.contains(tx(2)));
    EXPECT_TRUE(known.contains(tx(3)));
    EXPECT_TRUE(known.contains(tx(4)));
    // The type is part of the key: the same hash as a block is another item.
    InvVect as_block = tx(4);
    as_block.type = k_msg_block;
    EXPECT_FALSE(known.contains(as_block));
}

TEST(KnownInventory, DefaultCapacityIsBtcdsMaxKnownInventory) {
    TrickleOptions options;
    EXPECT_EQ(options.known_capacity, 1000u);
    EXPECT_EQ(options.batch_target, 35u);
    EXPECT_EQ(options.batch_max, 1000u);
    EXPECT_EQ(options.inbound_interval, 5s);
    EXPECT_EQ(options.outbound_interval, 2s);
}

TEST(InvSchedule, DelaysAreExponentialWithTheConfiguredMean) {
    base::Random random(7);
    const int n = 20000;
    double sum = 0;
    int above_mean = 0;
    for (int i = 0; i < n; ++i) {
        const auto d = InvSchedule::exponential(2s, random);
        ASSERT_GE(d.count(), 0);
        const double seconds = std::chrono::duration<double>(d).count();
        sum += seconds;
        above_mean += seconds > 2.0;
    }
    EXPECT_NEAR(sum / n, 2.0, 0.1);
    // P(X > mean) = 1/e for an exponential distribution (a uniform one would give 1/2).
    EXPECT_NEAR(static_cast<double>(above_mean) / n, std::exp(-1.0), 0.02);
}

TEST(InvSchedule, InboundPeersShareOneTimerOutboundPeersDrawTheirOwn) {
    base::Random random(3);
    InvSchedule schedule{TrickleOptions{}};
    const auto now = base::TimePoint{} + 1h;
    const auto a = schedule.next(Direction::inbound, now, random);
    const auto b = schedule.next(Direction::inbound, now + 1ms, random);
    EXPECT_GT(a, now);
    if (a > now + 1ms) {
        EXPECT_EQ(a, b);  // the shared time has not passed: every inbound peer gets it
    }
    const auto c = schedule.next(Direction::inbound, a, random);  // passed: a new one is drawn
    EXPECT_GT(c, a);
    const auto o1 = schedule.next(Direction::outbound, now, random);
    const auto o2 = schedule.next(Direction::outbound, now, random);
    EXPECT_NE(o1, o2);
}

struct TrickleTest : ::testing::Test {
    base::Random random{11};
    TrickleOptions options;
    InvSchedule schedule{options};
    base::TimePoint start = base::TimePoint{} + 1h;
};

TEST_F(TrickleTest, TransactionsWaitForTheTrickleTimeThenLeaveInOneBatch) {
    InvTrickle trickle(options, Direction::outbound, start + 3s);
    EXPECT_TRUE(trickle.queue(tx(1)));
    EXPECT_TRUE(trickle.queue(tx(2)));
    EXPECT_FALSE(trickle.queue(tx(2)));  // already queued
    EXPECT_EQ(trickle.next_deadline(), start + 3s);
    EXPECT_TRUE(trickle.poll(start + 2s, schedule, random).empty());
    const auto sent = trickle.poll(start + 3s, schedule, random);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].items, (std::vector<InvVect>{tx(1), tx(2)}));
    EXPECT_EQ(trickle.queued(), 0u);
    EXPECT_EQ(trickle.next_deadline(), base::TimePoint::max());
    // Sent once: never again to this peer.
    EXPECT_TRUE(trickle.knows(tx(1)));
    EXPECT_FALSE(trickle.queue(tx(1)));
}

TEST_F(TrickleTest, BlocksAreNotTrickled) {
    InvTrickle trickle(options, Direction::inbound, start + 10s);
    EXPECT_TRUE(trickle.queue(block(9)));
    EXPECT_TRUE(trickle.queue(tx(1)));
    EXPECT_LE(trickle.next_deadline(), start);
    const auto sent = trickle.poll(start, schedule, random);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].items, std::vector<InvVect>{block(9)});
    EXPECT_EQ(trickle.queued(), 1u);  // the transaction still waits
    EXPECT_EQ(trickle.next_deadline(), start + 10s);
}

TEST_F(TrickleTest, WhatThePeerAnnouncedIsNeverEchoedBack) {
    InvTrickle trickle(options, Direction::outbound, start);
    trickle.mark_known(tx(5));           // the peer sent us inv tx(5)
    EXPECT_FALSE(trickle.queue(tx(5)));  // so announce() skips it
    EXPECT_TRUE(trickle.queue(tx(6)));
    trickle.mark_known(tx(6));  // it announced tx(6) while ours waited
    EXPECT_TRUE(trickle.poll(start, schedule, random).empty());
    EXPECT_EQ(trickle.queued(), 0u);
}

TEST_F(TrickleTest, BatchesAreCappedAndGrowWithTheBacklog) {
    options.known_capacity = 10000;
    InvTrickle trickle(options, Direction::outbound, start);
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(trickle.queue(tx(static_cast<std::uint8_t>(i))));
    auto now = start;
    auto sent = trickle.poll(now, schedule, random);
    EXPECT_EQ(total_items(sent), 35u);  // INVENTORY_BROADCAST_TARGET
    EXPECT_EQ(trickle.queued(), 65u);
    // The next batch waits for the next (random) trickle time.
    const auto next = trickle.next_deadline();
    EXPECT_GT(next, now);
    EXPECT_TRUE(trickle.poll(next - 1ns, schedule, random).empty());
    EXPECT_EQ(total_items(trickle.poll(next, schedule, random)), 35u);

    // 3000 waiting: 35 + 3 x 5 = 50 per batch.
    InvTrickle big(options, Direction::outbound, start);
    for (int i = 0; i < 3000; ++i)
        ASSERT_TRUE(big.queue(tx(static_cast<std::uint8_t>(i & 0xff), static_cast<std::uint8_t>(i >> 8))));
    EXPECT_EQ(total_items(big.poll(start, schedule, random)), 50u);
}

TEST_F(TrickleTest, TheQueueIsBounded) {
    options.max_queued = 3;
    InvTrickle trickle(options, Direction::outbound, start);
    EXPECT_TRUE(trickle.queue(tx(1)));
    EXPECT_TRUE(trickle.queue(tx(2)));
    EXPECT_TRUE(trickle.queue(tx(3)));
    EXPECT_FALSE(trickle.queue(tx(4)));
    EXPECT_EQ(trickle.dropped(), 1u);
}

TEST_F(TrickleTest, TrickleTimesAreRandomisedAcrossPeers) {
    // Ten outbound peers, one announcement each: their send times differ (Poisson), so the
    // announcement does not reach every peer at the same instant.
    std::vector<InvTrickle> peers;
    for (int i = 0; i < 10; ++i)
        peers.emplace_back(options, Direction::outbound, schedule.next(Direction::outbound, start, random));
    std::set<base::TimePoint> times;
    for (auto& p : peers) {
        ASSERT_TRUE(p.queue(tx(1)));
        times.insert(p.next_deadline());
    }
    EXPECT_GT(times.size(), 5u);
}

}  // namespace
}  // namespace peerlink::bitcoin
