// Outbound slot filling from an AddressSource: slot counting, dial history, self addresses,
// the allow list for dials, and when poll asks to be called again.
#include <gtest/gtest.h>

#include <algorithm>

#include "connmgr/conn_manager.hpp"
#include "unit/connmgr/helpers.hpp"

namespace peerlink::connmgr {
namespace {

using namespace std::chrono_literals;
using peer::Direction;
using test_support::addr;
using test_support::id;

using test_support::k_self;

using Fixture = test_support::ManagerFixture;

std::vector<peer::PeerAddress> addrs(std::uint16_t first, std::uint16_t last) {
    std::vector<peer::PeerAddress> out;
    for (std::uint16_t n = first; n <= last; ++n)
        out.push_back(addr(n));
    return out;
}

TEST(Dialing, FillsOutboundSlotsUpToMaxOutbound) {
    // Given 15 known addresses and the default 10 outbound slots
    Fixture f;
    for (auto& a : addrs(1, 15))
        f.source.add(a);
    // when polled, 10 dials start and no more while they are in flight
    auto plan = f.manager.poll(f.clock.now());
    EXPECT_EQ(plan.dial_now, addrs(1, 10));
    EXPECT_EQ(f.manager.dialing_count(), 10u);
    EXPECT_TRUE(f.manager.poll(f.clock.now()).dial_now.empty());

    // when 7 connect and 3 fail, the 3 free slots go to addresses not dialled yet
    for (std::uint16_t n = 1; n <= 7; ++n)
        f.manager.on_peer_up(id(n), addr(n).host, Direction::outbound);
    for (std::uint16_t n = 8; n <= 10; ++n)
        f.manager.on_dial_failed(addr(n), f.clock.now() + 1s);
    f.clock.advance(1s);
    plan = f.manager.poll(f.clock.now());
    EXPECT_EQ(plan.dial_now, addrs(11, 13));
    EXPECT_EQ(f.manager.outbound_count(), 7u);

    // and inbound peers do not take outbound slots
    f.manager.on_peer_up(id(500), "192.0.2.1", Direction::inbound);
    for (std::uint16_t n = 11; n <= 13; ++n)
        f.manager.on_peer_up(id(n), addr(n).host, Direction::outbound);
    EXPECT_EQ(f.manager.outbound_count(), 10u);
    EXPECT_TRUE(f.manager.poll(f.clock.now()).dial_now.empty());

    // when an outbound peer leaves, its slot is refilled
    f.manager.on_peer_down(id(3), f.clock.now());
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now, addrs(14, 14));
}

TEST(Dialing, AddressIsNotRedialledWithinDialHistory) {
    Fixture f;
    f.source.add(addr(1));
    const auto t0 = f.clock.now();
    EXPECT_EQ(f.manager.poll(t0).dial_now, addrs(1, 1));
    f.manager.on_dial_failed(addr(1), t0 + 3s);

    auto plan = f.manager.poll(t0 + 3s);
    EXPECT_TRUE(plan.dial_now.empty());
    EXPECT_EQ(plan.wake_at, t0 + 30s);  // the dial at t0 leaves the history at t0 + 30 s
    EXPECT_TRUE(f.manager.poll(t0 + 30s - 1ns).dial_now.empty());
    plan = f.manager.poll(t0 + 30s);
    EXPECT_EQ(plan.dial_now, addrs(1, 1));
    EXPECT_EQ(plan.wake_at, t0 + 60s);  // slots are still free: the next history expiry
}

TEST(Dialing, ConnectedAndDialledIdsAreSkippedWhateverTheirAddress) {
    Fixture f;
    f.manager.on_peer_up(id(1), "192.0.2.1", Direction::inbound);
    f.source.add(addr(1));                  // connected
    f.source.add(addr(2));                  // dialled below
    f.source.add(addr(2, "192.0.2.2", 1));  // same ID elsewhere
    f.source.add(addr(3));
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now, (std::vector{addr(2), addr(3)}));
    EXPECT_TRUE(f.manager.is_dialing(id(2)));
    EXPECT_EQ(f.manager.dialing().size(), 2u);
}

TEST(Dialing, SelfIsNeverDialled) {
    Fixture f;
    const peer::PeerAddress ours{k_self, "10.9.9.9", 26656};
    const peer::PeerAddress us_under_another_id = addr(7, "10.0.0.1");  // reaches us, claims id 7
    f.source.add(ours);
    f.source.add(us_under_another_id);
    const auto t0 = f.clock.now();

    // The self ID is never dialled; the other address is, until it turns out to be us.
    EXPECT_EQ(f.manager.poll(t0).dial_now, std::vector{us_under_another_id});
    f.manager.on_self_address(us_under_another_id);
    EXPECT_FALSE(f.manager.is_dialing(id(7)));
    f.manager.on_dial_failed(us_under_another_id, t0);  // harmless after on_self_address

    // Its host and port stay off the list under any ID, also after the dial history.
    f.source.add(addr(8, "10.0.0.1"));
    for (auto t = t0; t < t0 + 10min; t += 10s)
        EXPECT_TRUE(f.manager.poll(t).dial_now.empty());
    f.source.add(addr(9, "10.0.0.1", 26657));  // another port is someone else
    EXPECT_EQ(f.manager.poll(t0 + 10min).dial_now, std::vector{addr(9, "10.0.0.1", 26657)});
}

TEST(Dialing, AddressesOutsideTheAllowListAreNotDialled) {
    Fixture f(Options{.allow_cidrs = {"10.0.0.0/8", "fd00::/8"}});
    f.source.add(addr(1, "192.0.2.1"));
    f.source.add(addr(2, "10.0.0.2"));
    f.source.add(addr(3, "2001:db8::3"));
    f.source.add(addr(4, "fd00::4"));
    f.source.add(addr(5, "seed.example.org"));  // resolved by the dialer; admit_peer checks its IP
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now,
              (std::vector{addr(2, "10.0.0.2"), addr(4, "fd00::4"), addr(5, "seed.example.org")}));
}

TEST(Dialing, PendingHandshakeRoomLimitsNewDials) {
    Fixture f(Options{.max_pending_handshakes = 4});
    for (auto& a : addrs(1, 10))
        f.source.add(a);
    for (unsigned n = 0; n < 3; ++n)
        ASSERT_TRUE(f.manager.admit_connection("192.0.2." + std::to_string(n + 1), f.clock.now()).ok());
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now, addrs(1, 1));
    f.manager.on_inbound_handshake_finished();
    f.manager.on_inbound_handshake_finished();
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now, addrs(2, 3));
}

TEST(Dialing, WakeAtIsTheEarliestDueTime) {
    Fixture f(Options{.redial_jitter = 0s});
    const auto t0 = f.clock.now();
    f.manager.add_persistent(addr(1));
    f.manager.add_static(addr(2));
    f.source.add(addr(3));
    auto plan = f.manager.poll(t0);
    EXPECT_EQ(plan.dial_now, addrs(1, 3));
    EXPECT_EQ(plan.wake_at, t0 + 30s);  // slots are still free: when address 3 may be redialled

    f.manager.on_dial_failed(addr(1), t0 + 2s);  // redial at 7 s
    f.manager.on_dial_failed(addr(2), t0 + 1s);  // redial at 6 s
    f.manager.on_dial_failed(addr(3), t0 + 1s);  // history until 30 s
    plan = f.manager.poll(t0 + 2s);
    EXPECT_TRUE(plan.dial_now.empty());
    EXPECT_EQ(plan.wake_at, t0 + 6s);
    plan = f.manager.poll(t0 + 6s);
    EXPECT_EQ(plan.dial_now, addrs(2, 2));
    EXPECT_EQ(plan.wake_at, t0 + 7s);
    plan = f.manager.poll(t0 + 7s);
    EXPECT_EQ(plan.dial_now, addrs(1, 1));
    EXPECT_EQ(plan.wake_at, t0 + 30s);
}

TEST(Dialing, DialOnceGoesOutsideTheOutboundSlotsAndIsNotRedialled) {
    // Given a node whose 2 outbound slots are full
    Fixture f(Options{.max_outbound = 2, .max_pending_handshakes = 3});
    f.manager.on_peer_up(id(1), addr(1).host, Direction::outbound);
    f.manager.on_peer_up(id(2), addr(2).host, Direction::outbound);
    // when three one-shot dials are asked for, a duplicate and our own ID refused
    EXPECT_TRUE(f.manager.dial_once(addr(3)));
    EXPECT_TRUE(f.manager.dial_once(addr(4)));
    EXPECT_TRUE(f.manager.dial_once(addr(5)));
    EXPECT_TRUE(f.manager.dial_once(addr(6)));
    EXPECT_FALSE(f.manager.dial_once(addr(4)));
    EXPECT_FALSE(f.manager.dial_once(addr(1)));  // connected
    EXPECT_FALSE(f.manager.dial_once(peer::PeerAddress{k_self, "10.9.9.9", 26656}));
    // then they are dialled at the next poll, only as many as the pending-handshake cap allows
    EXPECT_TRUE(f.manager.is_queued_one_shot(id(3)));
    auto plan = f.manager.poll(f.clock.now());
    EXPECT_EQ(plan.dial_now, addrs(3, 5));
    // (dialled ones leave the queue; the fourth waits)
    EXPECT_FALSE(f.manager.is_queued_one_shot(id(3)));
    EXPECT_TRUE(f.manager.is_dialing(id(3)));
    EXPECT_TRUE(f.manager.is_queued_one_shot(id(6)));
    // and the peers they reach are admitted over max_outbound
    EXPECT_TRUE(f.manager.admit_peer(id(3), addr(3).host, Direction::outbound).ok());
    f.manager.on_peer_up(id(3), addr(3).host, Direction::outbound, f.clock.now());
    EXPECT_EQ(f.manager.outbound_count(), 3u);
    // while a fill dial to another address still is not
    EXPECT_EQ(f.manager.admit_peer(id(9), addr(9).host, Direction::outbound).error(),
              Errc::too_many_outbound);
    // and a failed one-shot dial is not redialled; the queued one goes out once there is room
    f.manager.on_dial_failed(addr(4), f.clock.now());
    f.clock.advance(1h);
    plan = f.manager.poll(f.clock.now());
    EXPECT_EQ(plan.dial_now, addrs(6, 6));
    f.manager.on_peer_down(id(3), f.clock.now());
    f.clock.advance(1h);
    EXPECT_TRUE(f.manager.poll(f.clock.now()).dial_now.empty());
}

}  // namespace
}  // namespace peerlink::connmgr
