// The two geth rules devp2p::Server asks of ConnManager: static nodes redialled on the dial-history
// clock (static_redial_interval) and LAN addresses exempt from the inbound throttle.
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

struct Fixture : test_support::ManagerFixture {
    explicit Fixture(Options options) : ManagerFixture(std::move(options), 7) {}
};

TEST(ConnManagerGeth, StaticNodeIsRedialledWhenItsDialHistoryExpires) {
    Fixture f(Options{.static_redial_interval = 35s});
    const auto peer = addr(1);
    f.manager.add_static(peer);
    const auto t0 = f.clock.now();
    // Given a static node dialled at t0 that fails 3 s later
    ASSERT_EQ(f.manager.poll(t0).dial_now, std::vector{peer});
    f.manager.on_dial_failed(peer, t0 + 3s);
    // Then it is due 35 s after the dial started, not a millisecond earlier
    auto plan = f.manager.poll(t0 + 3s);
    EXPECT_TRUE(plan.dial_now.empty());
    EXPECT_EQ(plan.wake_at, t0 + 35s);
    EXPECT_TRUE(f.manager.poll(t0 + 35s - 1ms).dial_now.empty());
    ASSERT_EQ(f.manager.poll(t0 + 35s).dial_now, std::vector{peer});
    // When it then connects and stays longer than the interval, a drop redials it at once
    f.manager.on_peer_up(peer.id, peer.host, Direction::outbound, t0 + 36s);
    f.manager.on_peer_down(peer.id, t0 + 100s);
    EXPECT_EQ(f.manager.poll(t0 + 100s).dial_now, std::vector{peer});
    // and a drop soon after a dial waits for the rest of the interval
    f.manager.on_peer_up(peer.id, peer.host, Direction::outbound, t0 + 101s);
    f.manager.on_peer_down(peer.id, t0 + 102s);
    plan = f.manager.poll(t0 + 102s);
    EXPECT_TRUE(plan.dial_now.empty());
    EXPECT_EQ(plan.wake_at, t0 + 135s);
}

TEST(ConnManagerGeth, StaticRedialNeverGivesUp) {
    Fixture f(Options{.static_redial_interval = 1s});
    const auto peer = addr(2);
    f.manager.add_static(peer);
    auto now = f.clock.now();
    for (int i = 0; i < 100; ++i) {
        auto plan = f.manager.poll(now);
        ASSERT_EQ(plan.dial_now, std::vector{peer}) << i;
        EXPECT_TRUE(plan.gave_up.empty());
        f.manager.on_dial_failed(peer, now);
        now += 1s;
    }
}

TEST(ConnManagerGeth, LanAddressesAreExemptFromTheThrottleWhenAsked) {
    const Options options{.max_inbound_attempts_per_ip = 1, .throttle_exempt_lan = true};
    Fixture f(options);
    const auto now = f.clock.now();
    for (const char* lan :
         {"127.0.0.1", "10.1.2.3", "192.168.0.7", "172.20.0.1", "::1", "fe80::1", "fd00::5"}) {
        for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE(f.manager.admit_connection(lan, now)) << lan;
            f.manager.on_inbound_handshake_finished();
        }
    }
    ASSERT_TRUE(f.manager.admit_connection("8.8.8.8", now));
    f.manager.on_inbound_handshake_finished();
    EXPECT_EQ(f.manager.admit_connection("8.8.8.8", now).error(), Errc::ip_throttled);
    // 172.32/16 lies just outside 172.16/12.
    ASSERT_TRUE(f.manager.admit_connection("172.32.0.1", now));
    f.manager.on_inbound_handshake_finished();
    EXPECT_EQ(f.manager.admit_connection("172.32.0.1", now).error(), Errc::ip_throttled);
}

TEST(ConnManagerGeth, LanAddressesAreThrottledByDefault) {
    Fixture f(Options{.max_inbound_attempts_per_ip = 1});
    const auto now = f.clock.now();
    ASSERT_TRUE(f.manager.admit_connection("127.0.0.1", now));
    f.manager.on_inbound_handshake_finished();
    EXPECT_EQ(f.manager.admit_connection("127.0.0.1", now).error(), Errc::ip_throttled);
}

}  // namespace
}  // namespace peerlink::connmgr
