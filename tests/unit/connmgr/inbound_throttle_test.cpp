#include "connmgr/inbound_throttle.hpp"

#include <gtest/gtest.h>

namespace peerlink::connmgr {
namespace {

using namespace std::chrono_literals;

const IpAddress k_ip = *IpAddress::parse("192.0.2.1");
const IpAddress k_other = *IpAddress::parse("192.0.2.2");

TEST(InboundThrottle, SlidingWindowCountsOnlyAdmittedAttempts) {
    base::ManualClock clock;
    const auto t0 = clock.now();
    InboundThrottle throttle(2, 10s, 16);
    EXPECT_TRUE(throttle.try_attempt(k_ip, t0));
    EXPECT_TRUE(throttle.try_attempt(k_ip, t0 + 4s));
    EXPECT_FALSE(throttle.try_attempt(k_ip, t0 + 9s));
    EXPECT_TRUE(throttle.try_attempt(k_other, t0 + 9s));
    // The refusal at 9 s is not recorded: the attempt at 0 s leaves the window at 10 s.
    EXPECT_TRUE(throttle.try_attempt(k_ip, t0 + 10s));
    EXPECT_FALSE(throttle.try_attempt(k_ip, t0 + 13s));
    EXPECT_TRUE(throttle.try_attempt(k_ip, t0 + 14s));
}

TEST(InboundThrottle, ForgetsIdleAddressesAndEvictsTheOldestWhenFull) {
    base::ManualClock clock;
    const auto t0 = clock.now();
    InboundThrottle throttle(1, 10s, 2);
    EXPECT_TRUE(throttle.try_attempt(k_ip, t0));
    EXPECT_TRUE(throttle.try_attempt(k_other, t0 + 1s));
    EXPECT_TRUE(throttle.try_attempt(*IpAddress::parse("192.0.2.3"), t0 + 2s));  // evicts k_ip
    EXPECT_EQ(throttle.size(), 2u);
    EXPECT_TRUE(throttle.try_attempt(k_ip, t0 + 3s));
    EXPECT_FALSE(throttle.try_attempt(*IpAddress::parse("192.0.2.3"), t0 + 3s));
    EXPECT_EQ(throttle.try_attempt(k_other, t0 + 100s), true);
    EXPECT_EQ(throttle.size(), 1u);  // the others' windows are over
}

TEST(InboundThrottle, ZeroMeansUnlimited) {
    base::ManualClock clock;
    InboundThrottle throttle(0, 10s, 2);
    for (int i = 0; i < 100; ++i)
        EXPECT_TRUE(throttle.try_attempt(k_ip, clock.now()));
    EXPECT_EQ(throttle.size(), 0u);
}

}  // namespace
}  // namespace peerlink::connmgr
