// Persistent (CometBFT) and static (geth) peers: the reconnect schedule in exact virtual time.
#include <gtest/gtest.h>

#include <chrono>

#include "connmgr/conn_manager.hpp"
#include "unit/connmgr/helpers.hpp"

namespace peerlink::connmgr {
namespace {

using namespace std::chrono_literals;
using peer::Direction;
using test_support::addr;
using test_support::id;

using test_support::k_self;
const peer::PeerAddress k_peer = addr(1);
constexpr base::Duration k_dial_takes = 3s;  // every dial fails this long after it starts

using Fixture = test_support::ManagerFixture;

struct DialRun {
    std::vector<base::Duration> dials;  // since the start
    std::vector<peer::PeerAddress> gave_up;
};

// Lets every dial of k_peer fail k_dial_takes after it starts and polls exactly at each wake_at,
// checking that nothing is dialled a millisecond earlier. Stops after `limit` dials or when poll
// has nothing scheduled.
DialRun fail_every_dial(ConnManager& manager, base::TimePoint start, std::size_t limit) {
    DialRun run;
    base::TimePoint now = start;
    for (;;) {
        auto plan = manager.poll(now);
        run.gave_up.insert(run.gave_up.end(), plan.gave_up.begin(), plan.gave_up.end());
        if (!plan.dial_now.empty()) {
            EXPECT_EQ(plan.dial_now, std::vector{k_peer});
            run.dials.push_back(now - start);
            if (run.dials.size() >= limit) return run;
            now += k_dial_takes;
            manager.on_dial_failed(k_peer, now);
            continue;
        }
        if (plan.wake_at == base::TimePoint::max()) return run;
        EXPECT_GT(plan.wake_at, now);
        EXPECT_TRUE(manager.poll(plan.wake_at - 1ms).dial_now.empty());
        now = plan.wake_at;
    }
}

// Connects k_peer, then drops it at the returned time.
base::TimePoint connect_then_drop(Fixture& f) {
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now, std::vector{k_peer});
    f.manager.on_peer_up(k_peer.id, k_peer.host, Direction::outbound);
    f.clock.advance(1h);
    f.manager.on_peer_down(k_peer.id, f.clock.now());
    return f.clock.now();
}

std::vector<base::Duration> seconds(std::initializer_list<std::int64_t> values) {
    std::vector<base::Duration> out;
    for (auto v : values)
        out.push_back(std::chrono::seconds(v));
    return out;
}

// Dial times after a drop with no jitter: at once, then 5 s after each of 19 failures (3 s dial +
// 5 s = 8 s apart), then 5 s + 3^0 s, then 3^i s for i = 1..9.
std::vector<base::Duration> cometbft_schedule() {
    std::vector<base::Duration> out;
    for (std::int64_t i = 0; i < 20; ++i)
        out.push_back(std::chrono::seconds(8 * i));
    for (auto d : seconds({161, 167, 179, 209, 293, 539, 1271, 3461, 10025, 29711}))
        out.push_back(d);
    return out;
}

TEST(Reconnect, PersistentPeerFollowsCometBftScheduleThenGivesUp) {
    Fixture f(Options{.redial_jitter = 0s});
    f.manager.add_persistent(k_peer);
    const auto down = connect_then_drop(f);

    const DialRun run = fail_every_dial(f.manager, down, 100);
    EXPECT_EQ(run.dials, cometbft_schedule());
    EXPECT_EQ(run.gave_up, std::vector{k_peer});
    // No more dials, however long we wait.
    EXPECT_TRUE(f.manager.poll(down + 24h * 30).dial_now.empty());
}

TEST(Reconnect, JitterIsAddedToEveryWaitFromTheSeededRandom) {
    Fixture f(Options{}, 7);
    base::Random mirror(7);  // the manager draws nothing else from its Random
    auto jitter = [&] { return base::Duration(std::chrono::milliseconds(mirror.uniform(3000))); };
    f.manager.add_persistent(k_peer);
    const auto down = connect_then_drop(f);

    std::vector<base::Duration> expected{0s};
    std::vector<std::pair<base::Duration, base::Duration>> bounds;  // each wait's [low, high)
    for (unsigned failure = 1; failure < 30; ++failure) {
        base::Duration wait{};
        if (failure < 20) {
            wait = 5s + jitter();
            bounds.emplace_back(5s, 8s);
        } else if (failure == 20) {
            wait = 5s + jitter();
            wait += 1s + jitter();
            bounds.emplace_back(6s, 12s);
        } else {
            std::int64_t s = 1;
            for (unsigned i = 20; i < failure; ++i)
                s *= 3;
            wait = std::chrono::seconds(s) + jitter();
            bounds.emplace_back(std::chrono::seconds(s), std::chrono::seconds(s) + 3s);
        }
        expected.push_back(expected.back() + k_dial_takes + wait);
    }

    const DialRun run = fail_every_dial(f.manager, down, 100);
    EXPECT_EQ(run.dials, expected);
    ASSERT_EQ(run.dials.size(), 30u);
    for (std::size_t i = 1; i < run.dials.size(); ++i) {
        const auto wait = run.dials[i] - run.dials[i - 1] - k_dial_takes;
        EXPECT_GE(wait, bounds[i - 1].first) << i;
        EXPECT_LT(wait, bounds[i - 1].second) << i;
    }
    EXPECT_EQ(run.gave_up, std::vector{k_peer});
}

TEST(Reconnect, StaticPeerIsRedialledForever) {
    Fixture f(Options{.redial_jitter = 0s});
    f.manager.add_static(k_peer);
    const auto down = connect_then_drop(f);

    const DialRun run = fail_every_dial(f.manager, down, 40);
    auto expected = cometbft_schedule();
    for (int i = 0; i < 10; ++i)
        expected.push_back(expected.back() + k_dial_takes + 19683s);  // the last backoff wait, 3^9 s
    EXPECT_EQ(run.dials, expected);
    EXPECT_EQ(run.dials[30], 49397s);
    EXPECT_TRUE(run.gave_up.empty());
}

TEST(Reconnect, MaxDialPeriodCapsEveryWaitAndKeepsPersistentPeersDialled) {
    Fixture f(Options{.persistent_max_dial_period = 60s});
    f.manager.add_persistent(k_peer);
    const auto down = connect_then_drop(f);

    const DialRun run = fail_every_dial(f.manager, down, 45);
    ASSERT_EQ(run.dials.size(), 45u);
    for (std::size_t i = 1; i < run.dials.size(); ++i) {
        const auto wait = run.dials[i] - run.dials[i - 1] - k_dial_takes;
        EXPECT_LE(wait, 60s) << i;
        if (i >= 24) {
            EXPECT_EQ(wait, 60s) << i;  // 3^4 s = 81 s and beyond are capped
        }
    }
    EXPECT_TRUE(run.gave_up.empty());
}

TEST(Reconnect, FirstDialOfAPersistentPeerIsAtTheFirstPollAndAFailureStartsTheSchedule) {
    Fixture f(Options{.redial_jitter = 0s});
    const auto t0 = f.clock.now();
    f.manager.add_persistent(k_peer);
    const DialRun run = fail_every_dial(f.manager, t0, 3);
    EXPECT_EQ(run.dials, seconds({0, 8, 16}));
}

TEST(Reconnect, SuccessResetsTheSchedule) {
    Fixture f(Options{.redial_jitter = 0s});
    f.manager.add_persistent(k_peer);
    auto down = connect_then_drop(f);
    const DialRun first = fail_every_dial(f.manager, down, 22);
    ASSERT_EQ(first.dials.back(), 167s);

    f.manager.on_peer_up(k_peer.id, k_peer.host, Direction::outbound);
    EXPECT_FALSE(f.manager.is_dialing(k_peer.id));
    down = down + 1h;
    f.manager.on_peer_down(k_peer.id, down);
    EXPECT_EQ(fail_every_dial(f.manager, down, 3).dials, seconds({0, 8, 16}));
}

TEST(Reconnect, PeerThatConnectsInboundIsNotRedialled) {
    Fixture f(Options{.redial_jitter = 0s});
    f.manager.add_persistent(k_peer);
    const auto down = connect_then_drop(f);
    ASSERT_EQ(f.manager.poll(down).dial_now, std::vector{k_peer});
    f.manager.on_dial_failed(k_peer, down + 1s);  // next dial due at 6 s

    f.manager.on_peer_up(k_peer.id, "192.0.2.7", Direction::inbound);
    const auto plan = f.manager.poll(down + 6s);
    EXPECT_TRUE(plan.dial_now.empty());
    EXPECT_EQ(plan.wake_at, base::TimePoint::max());
    // Dropping it restarts the schedule from an immediate dial.
    f.manager.on_peer_down(k_peer.id, down + 100s);
    EXPECT_EQ(f.manager.poll(down + 100s).dial_now, std::vector{k_peer});
}

TEST(Reconnect, RedialsAreNotHeldBackByLimitsOrPendingHandshakes) {
    Fixture f(Options{.max_outbound = 0, .max_pending_handshakes = 1, .redial_jitter = 0s});
    ASSERT_TRUE(f.manager.admit_connection("192.0.2.1", f.clock.now()).ok());
    f.manager.add_static(k_peer);
    f.source.add(addr(2));
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now, std::vector{k_peer});
    EXPECT_TRUE(f.manager.admit_peer(k_peer.id, k_peer.host, Direction::outbound).ok());
}

TEST(Reconnect, PersistentAddressThatIsOurselvesIsDroppedForGood) {
    Fixture f(Options{.redial_jitter = 0s});
    const auto t0 = f.clock.now();
    f.manager.add_persistent(k_peer);
    ASSERT_EQ(f.manager.poll(t0).dial_now, std::vector{k_peer});
    f.manager.on_self_address(k_peer);
    f.manager.on_dial_failed(k_peer, t0 + 1s);
    const auto plan = f.manager.poll(t0 + 1s);
    EXPECT_TRUE(plan.dial_now.empty());
    EXPECT_EQ(plan.wake_at, base::TimePoint::max());
    EXPECT_TRUE(plan.gave_up.empty());

    f.manager.add_persistent(peer::PeerAddress{k_self, "10.1.1.1", 26656});
    EXPECT_TRUE(f.manager.poll(t0 + 1h).dial_now.empty());
}

TEST(Reconnect, LinearScheduleWaitsAStepAfterEachFailureAndAfterADropAndNeverGivesUp) {
    // btcd's permanent peers: failures x 200 ms, capped at 500 ms, a drop waits one step.
    Fixture f(Options{.redial_jitter = 0s, .persistent_max_dial_period = 500ms, .redial_linear_step = 200ms});
    const auto t0 = f.clock.now();
    f.manager.add_persistent(k_peer);
    const DialRun run = fail_every_dial(f.manager, t0, 100);
    ASSERT_EQ(run.dials.size(), 100u);
    const std::vector<base::Duration> waits{200ms, 400ms, 500ms, 500ms};
    for (std::size_t i = 1; i < run.dials.size(); ++i) {
        const auto wait = run.dials[i] - run.dials[i - 1] - k_dial_takes;
        EXPECT_EQ(wait, waits[std::min(i - 1, waits.size() - 1)]) << i;
    }
    EXPECT_TRUE(run.gave_up.empty());

    // Connected (the 100th dial, still in flight), the count resets; after a drop the next dial
    // waits one step, not zero.
    auto now = t0 + 1h;
    f.manager.on_peer_up(k_peer.id, k_peer.host, Direction::outbound);
    now += 1h;
    f.manager.on_peer_down(k_peer.id, now);
    EXPECT_TRUE(f.manager.poll(now).dial_now.empty());
    EXPECT_TRUE(f.manager.poll(now + 199ms).dial_now.empty());
    EXPECT_EQ(f.manager.poll(now + 200ms).dial_now, std::vector{k_peer});
}

}  // namespace
}  // namespace peerlink::connmgr
