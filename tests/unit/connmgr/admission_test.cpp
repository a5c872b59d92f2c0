// Inbound admission and post-handshake checks: limits, pending handshakes, per-IP throttle,
// allow list, duplicate IP and ID, self.
#include <gtest/gtest.h>

#include <string>

#include "connmgr/conn_manager.hpp"
#include "unit/connmgr/helpers.hpp"

namespace peerlink::connmgr {
namespace {

using namespace std::chrono_literals;
using peer::Direction;
using test_support::id;

using test_support::k_self;

std::string ip_of(unsigned n) {
    return "10." + std::to_string((n >> 16) & 0xff) + "." + std::to_string((n >> 8) & 0xff) + "." +
           std::to_string(n & 0xff);
}

using Fixture = test_support::ManagerFixture;

TEST(Admission, FortyFirstInboundIsRefusedButUnconditionalAndTrustedAreAdmitted) {
    Fixture f;
    for (std::uint16_t n = 1; n <= 40; ++n) {
        ASSERT_TRUE(f.manager.admit_peer(id(n), ip_of(n), Direction::inbound).ok()) << n;
        f.manager.on_peer_up(id(n), ip_of(n), Direction::inbound);
    }
    EXPECT_EQ(f.manager.inbound_count(), 40u);
    EXPECT_EQ(f.manager.admit_peer(id(41), ip_of(41), Direction::inbound).error(), Errc::too_many_inbound);

    f.manager.add_unconditional(id(41));
    f.manager.add_trusted(id(42));
    EXPECT_TRUE(f.manager.admit_peer(id(41), ip_of(41), Direction::inbound).ok());
    f.manager.on_peer_up(id(41), ip_of(41), Direction::inbound);
    EXPECT_TRUE(f.manager.admit_peer(id(42), ip_of(42), Direction::inbound).ok());
    EXPECT_EQ(f.manager.admit_peer(id(43), ip_of(43), Direction::inbound).error(), Errc::too_many_inbound);
    EXPECT_EQ(f.manager.inbound_count(), 41u);

    f.manager.on_peer_down(id(1), f.clock.now());
    f.manager.on_peer_down(id(2), f.clock.now());
    EXPECT_TRUE(f.manager.admit_peer(id(43), ip_of(43), Direction::inbound).ok());
}

TEST(Admission, OutboundLimitRefusesOthersButNotTrustedOrPersistent) {
    Fixture f(Options{.max_outbound = 2});
    f.manager.on_peer_up(id(1), ip_of(1), Direction::outbound);
    f.manager.on_peer_up(id(2), ip_of(2), Direction::outbound);
    EXPECT_EQ(f.manager.admit_peer(id(3), ip_of(3), Direction::outbound).error(), Errc::too_many_outbound);
    f.manager.add_trusted(id(3));
    EXPECT_TRUE(f.manager.admit_peer(id(3), ip_of(3), Direction::outbound).ok());
    f.manager.add_persistent(test_support::addr(4));
    EXPECT_TRUE(f.manager.admit_peer(id(4), ip_of(4), Direction::outbound).ok());
    EXPECT_EQ(f.manager.outbound_count(), 2u);
}

TEST(Admission, MaxConnectionsCapsBothDirectionsTogether) {
    // Given a total cap of 3 below the inbound and outbound limits
    Fixture f(Options{.max_connections = 3});
    f.manager.on_peer_up(id(1), ip_of(1), Direction::outbound);
    f.manager.on_peer_up(id(2), ip_of(2), Direction::inbound);
    f.manager.on_peer_up(id(3), ip_of(3), Direction::inbound);
    // then a fourth peer is refused in either direction, except an unconditional one
    EXPECT_EQ(f.manager.admit_peer(id(4), ip_of(4), Direction::inbound).error(), Errc::too_many_connections);
    EXPECT_EQ(f.manager.admit_peer(id(4), ip_of(4), Direction::outbound).error(), Errc::too_many_connections);
    f.manager.add_unconditional(id(4));
    EXPECT_TRUE(f.manager.admit_peer(id(4), ip_of(4), Direction::inbound).ok());
}

TEST(Admission, PendingHandshakesAreCapped) {
    Fixture f(Options{.max_pending_handshakes = 3});
    const auto now = f.clock.now();
    for (unsigned n = 1; n <= 3; ++n)
        ASSERT_TRUE(f.manager.admit_connection(ip_of(n), now).ok());
    EXPECT_EQ(f.manager.pending_handshakes(), 3u);
    EXPECT_EQ(f.manager.admit_connection(ip_of(4), now).error(), Errc::too_many_pending);

    f.manager.on_inbound_handshake_finished();
    EXPECT_TRUE(f.manager.admit_connection(ip_of(4), now).ok());
    EXPECT_EQ(f.manager.admit_connection(ip_of(5), now).error(), Errc::too_many_pending);
    for (int i = 0; i < 5; ++i)
        f.manager.on_inbound_handshake_finished();  // extra calls do not underflow
    EXPECT_EQ(f.manager.pending_handshakes(), 0u);
}

TEST(Admission, InboundLimitAtAcceptCountsHandshakesInProgress) {
    // Bitcoin Core refuses at accept once established plus handshaking inbound reach the limit.
    Fixture f(Options{.max_inbound = 2, .max_inbound_attempts_per_ip = 0, .inbound_limit_at_accept = true});
    const auto now = f.clock.now();
    ASSERT_TRUE(f.manager.admit_connection(ip_of(1), now).ok());
    ASSERT_TRUE(f.manager.admit_connection(ip_of(2), now).ok());
    EXPECT_EQ(f.manager.admit_connection(ip_of(3), now).error(), Errc::too_many_inbound);
    // One finishes its handshake and joins: still two inbound, still full.
    f.manager.on_inbound_handshake_finished();
    f.manager.on_peer_up(id(1), ip_of(1), Direction::inbound);
    EXPECT_EQ(f.manager.admit_connection(ip_of(3), now).error(), Errc::too_many_inbound);
    // The other fails its handshake: a place is free.
    f.manager.on_inbound_handshake_finished();
    EXPECT_TRUE(f.manager.admit_connection(ip_of(3), now).ok());

    // Without the option, accept only checks the pending cap (the limit waits for admit_peer).
    Fixture g(Options{.max_inbound = 2, .max_inbound_attempts_per_ip = 0});
    for (unsigned n = 1; n <= 3; ++n)
        EXPECT_TRUE(g.manager.admit_connection(ip_of(n), now).ok()) << n;
}

TEST(Admission, DialsInFlightCountAsPendingHandshakes) {
    Fixture f(Options{.max_pending_handshakes = 3});
    f.source.add(test_support::addr(1));
    f.source.add(test_support::addr(2));
    ASSERT_TRUE(f.manager.admit_connection(ip_of(100), f.clock.now()).ok());
    EXPECT_EQ(f.manager.poll(f.clock.now()).dial_now.size(), 2u);
    EXPECT_EQ(f.manager.pending_handshakes(), 3u);
    EXPECT_EQ(f.manager.admit_connection(ip_of(101), f.clock.now()).error(), Errc::too_many_pending);
}

TEST(Admission, FifthAttemptFromOneIpWithinThirtySecondsIsThrottled) {
    Fixture f;
    const auto t0 = f.clock.now();
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(f.manager.admit_connection("203.0.113.9", t0 + std::chrono::seconds(i)).ok()) << i;
        f.manager.on_inbound_handshake_finished();
    }
    EXPECT_EQ(f.manager.admit_connection("203.0.113.9", t0 + 4s).error(), Errc::ip_throttled);
    EXPECT_EQ(f.manager.admit_connection("::ffff:203.0.113.9", t0 + 29s).error(), Errc::ip_throttled);
    EXPECT_TRUE(f.manager.admit_connection("203.0.113.10", t0 + 29s).ok());
    f.manager.on_inbound_handshake_finished();
    // The first attempt leaves the window at exactly 30 s; the second one a second later.
    EXPECT_TRUE(f.manager.admit_connection("203.0.113.9", t0 + 30s).ok());
    f.manager.on_inbound_handshake_finished();
    EXPECT_EQ(f.manager.admit_connection("203.0.113.9", t0 + 30s).error(), Errc::ip_throttled);
    EXPECT_TRUE(f.manager.admit_connection("203.0.113.9", t0 + 31s).ok());
}

TEST(Admission, PerIpTableStaysBoundedAfterManyDistinctIps) {
    Fixture f;
    const auto now = f.clock.now();
    for (unsigned n = 0; n < 100'000; ++n) {
        ASSERT_TRUE(f.manager.admit_connection(ip_of(n), now).ok());
        f.manager.on_inbound_handshake_finished();
        ASSERT_LE(f.manager.tracked_ip_count(), 4096u);
    }
    EXPECT_EQ(f.manager.tracked_ip_count(), 4096u);
    // The most recent IPs are still throttled after their fourth attempt.
    const std::string last = ip_of(99'999);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(f.manager.admit_connection(last, now).ok());
        f.manager.on_inbound_handshake_finished();
    }
    EXPECT_EQ(f.manager.admit_connection(last, now).error(), Errc::ip_throttled);
    // Once the window is over the table empties as new attempts arrive.
    EXPECT_TRUE(f.manager.admit_connection(ip_of(1), now + 30s).ok());
    EXPECT_EQ(f.manager.tracked_ip_count(), 1u);
}

TEST(Admission, AllowListAcceptsOnlyListedIpv4AndIpv6Networks) {
    Fixture f(Options{.allow_cidrs = {"10.0.0.0/8", "2001:db8::/32"}});
    const auto now = f.clock.now();
    EXPECT_TRUE(f.manager.admit_connection("10.1.2.3", now).ok());
    EXPECT_TRUE(f.manager.admit_connection("::ffff:10.9.9.9", now).ok());
    EXPECT_TRUE(f.manager.admit_connection("2001:db8:1::5", now).ok());
    EXPECT_EQ(f.manager.admit_connection("11.0.0.1", now).error(), Errc::ip_not_allowed);
    EXPECT_EQ(f.manager.admit_connection("2001:db9::1", now).error(), Errc::ip_not_allowed);
    EXPECT_EQ(f.manager.admit_connection("::1", now).error(), Errc::ip_not_allowed);
    EXPECT_EQ(f.manager.admit_connection("not-an-ip", now).error(), Errc::bad_ip);
    // admit_peer checks the address too: an outbound dial to a host name ends up here.
    EXPECT_EQ(f.manager.admit_peer(id(1), "192.0.2.1", Direction::outbound).error(), Errc::ip_not_allowed);
    EXPECT_TRUE(f.manager.admit_peer(id(1), "2001:db8::7", Direction::outbound).ok());
}

TEST(Admission, MalformedAllowListIsAConfigurationError) {
    base::Random random(1);
    FixedAddressSource source;
    EXPECT_THROW(ConnManager(Options{.allow_cidrs = {"10.0.0.0/33"}}, source, random, k_self),
                 std::invalid_argument);
}

TEST(Admission, SecondPeerFromOneIpIsRefusedUnlessAllowed) {
    Fixture f;
    f.manager.on_peer_up(id(1), "192.0.2.1", Direction::inbound);
    EXPECT_EQ(f.manager.admit_peer(id(2), "192.0.2.1", Direction::inbound).error(), Errc::duplicate_ip);
    EXPECT_EQ(f.manager.admit_peer(id(2), "::ffff:192.0.2.1", Direction::outbound).error(),
              Errc::duplicate_ip);
    EXPECT_TRUE(f.manager.admit_peer(id(2), "192.0.2.2", Direction::inbound).ok());
    f.manager.on_peer_down(id(1), f.clock.now());
    EXPECT_TRUE(f.manager.admit_peer(id(2), "192.0.2.1", Direction::inbound).ok());

    Fixture lenient(Options{.allow_duplicate_ip = true});
    lenient.manager.on_peer_up(id(1), "127.0.0.1", Direction::inbound);
    EXPECT_TRUE(lenient.manager.admit_peer(id(2), "127.0.0.1", Direction::inbound).ok());
}

TEST(Admission, SelfAndAlreadyConnectedAreRefused) {
    Fixture f;
    EXPECT_EQ(f.manager.admit_peer(k_self, "192.0.2.1", Direction::inbound).error(), Errc::self);
    EXPECT_EQ(f.manager.admit_peer(k_self, "192.0.2.1", Direction::outbound).error(), Errc::self);
    f.manager.on_peer_up(id(1), "192.0.2.1", Direction::inbound);
    EXPECT_TRUE(f.manager.is_connected(id(1)));
    EXPECT_EQ(f.manager.admit_peer(id(1), "192.0.2.9", Direction::inbound).error(), Errc::already_connected);
    EXPECT_EQ(f.manager.admit_peer(id(1), "192.0.2.9", Direction::outbound).error(), Errc::already_connected);
    EXPECT_EQ(std::error_code(Errc::already_connected).message(),
              "a peer with this node ID is already connected");
    EXPECT_STREQ(std::error_code(Errc::self).category().name(), "connmgr");
}

TEST(Admission, LaterOfTwoConnectionsToOneNodeLoses) {
    // Given a dial to node 1 in flight
    Fixture f;
    f.source.add(test_support::addr(1));
    ASSERT_EQ(f.manager.poll(f.clock.now()).dial_now.size(), 1u);
    ASSERT_TRUE(f.manager.is_dialing(id(1)));
    // when node 1's own connection to us finishes its handshake first, it is admitted (CometBFT
    // checks only connected peers), and our dial, finishing later, is refused as a duplicate.
    ASSERT_TRUE(f.manager.admit_peer(id(1), "10.0.0.1", Direction::inbound).ok());
    f.manager.on_peer_up(id(1), "10.0.0.1", Direction::inbound);
    EXPECT_TRUE(f.manager.is_dialing(id(1)));
    EXPECT_EQ(f.manager.admit_peer(id(1), "10.0.0.1", Direction::outbound).error(), Errc::already_connected);
    f.manager.on_dial_failed(test_support::addr(1), f.clock.now());
    EXPECT_FALSE(f.manager.is_dialing(id(1)));
    EXPECT_TRUE(f.manager.is_connected(id(1)));
    EXPECT_EQ(f.manager.inbound_count(), 1u);
    EXPECT_EQ(f.manager.outbound_count(), 0u);
    EXPECT_EQ(f.manager.peers(Direction::inbound), std::vector<peer::NodeId>{id(1)});
}

}  // namespace
}  // namespace peerlink::connmgr
