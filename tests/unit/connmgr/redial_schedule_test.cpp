#include "connmgr/redial_schedule.hpp"

#include <gtest/gtest.h>

namespace peerlink::connmgr {
namespace {

using namespace std::chrono_literals;

TEST(RedialDelay, FollowsCometBftScheduleWithoutJitter) {
    base::Random random(1);
    const RedialPolicy policy{.jitter = 0s};
    for (unsigned failures = 1; failures < 20; ++failures)
        EXPECT_EQ(redial_delay(failures, policy, random), base::Duration(5s)) << failures;
    EXPECT_EQ(redial_delay(20, policy, random), base::Duration(6s));  // 5 s, then 3^0 s
    EXPECT_EQ(redial_delay(21, policy, random), base::Duration(3s));
    EXPECT_EQ(redial_delay(22, policy, random), base::Duration(9s));
    EXPECT_EQ(redial_delay(29, policy, random), base::Duration(19683s));  // 3^9
    EXPECT_EQ(redial_delay(30, policy, random), std::nullopt);
}

TEST(RedialDelay, JitterIsOneDrawPerSleepInWholeMilliseconds) {
    base::Random random(7);
    base::Random mirror(7);
    const RedialPolicy policy{};
    for (unsigned failures = 1; failures <= 29; ++failures) {
        const auto wait = redial_delay(failures, policy, random);
        ASSERT_TRUE(wait);
        base::Duration expected{};
        if (failures < 20) {
            expected = 5s + std::chrono::milliseconds(mirror.uniform(3000));
            EXPECT_GE(*wait, 5s);
            EXPECT_LT(*wait, 8s);
        } else if (failures == 20) {
            expected = 5s + std::chrono::milliseconds(mirror.uniform(3000));
            expected += 1s + std::chrono::milliseconds(mirror.uniform(3000));
        } else {
            std::int64_t s = 1;
            for (unsigned i = 20; i < failures; ++i)
                s *= 3;
            expected = std::chrono::seconds(s) + std::chrono::milliseconds(mirror.uniform(3000));
            EXPECT_GE(*wait, std::chrono::seconds(s));
            EXPECT_LT(*wait, std::chrono::seconds(s) + 3s);
        }
        EXPECT_EQ(*wait, expected) << failures;
    }
}

TEST(RedialDelay, NeverGiveUpKeepsTheLastWaitAndMaxPeriodCapsIt) {
    base::Random random(1);
    EXPECT_EQ(redial_delay(30, RedialPolicy{.jitter = 0s, .never_give_up = true}, random),
              base::Duration(19683s));
    EXPECT_EQ(redial_delay(1000, RedialPolicy{.jitter = 0s, .never_give_up = true}, random),
              base::Duration(19683s));
    const RedialPolicy capped{.jitter = 0s, .max_period = 7s, .never_give_up = true};
    EXPECT_EQ(redial_delay(1, capped, random), base::Duration(5s));
    EXPECT_EQ(redial_delay(22, capped, random), base::Duration(7s));
    EXPECT_EQ(redial_delay(31, capped, random), base::Duration(7s));
    // The cap includes the jitter.
    EXPECT_EQ(redial_delay(1, RedialPolicy{.max_period = 5s}, random), base::Duration(5s));
}

TEST(RedialDelay, LinearStepIsFailuresTimesStepCappedAndNeverGivesUp) {
    // btcd connmgr: retryCount x 5 s, capped at 5 min, for ever.
    base::Random random(1);
    const RedialPolicy btcd{.jitter = 0s, .max_period = 300s, .linear_step = 5s};
    EXPECT_EQ(redial_delay(1, btcd, random), base::Duration(5s));
    EXPECT_EQ(redial_delay(2, btcd, random), base::Duration(10s));
    EXPECT_EQ(redial_delay(59, btcd, random), base::Duration(295s));
    EXPECT_EQ(redial_delay(60, btcd, random), base::Duration(300s));
    EXPECT_EQ(redial_delay(61, btcd, random), base::Duration(300s));
    EXPECT_EQ(redial_delay(30, btcd, random), base::Duration(150s));  // no give-up after 30
    EXPECT_EQ(redial_delay(4'000'000'000u, btcd, random), base::Duration(300s));
    // Uncapped, the count saturates rather than overflowing.
    const RedialPolicy uncapped{.jitter = 0s, .linear_step = 5s};
    EXPECT_EQ(redial_delay(4'000'000'000u, uncapped, random), base::Duration(5'000'000s));
}

}  // namespace
}  // namespace peerlink::connmgr
