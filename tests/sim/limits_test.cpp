// Limits and liveness on virtual time: the inbound limit refusing a third dialler (whose dial
// history then holds it back for 30 s), and MConnection's pong timeout on a link that goes silent.
#include <gtest/gtest.h>

#include "sim/simulation.hpp"

namespace peerlink::sim {
namespace {

using namespace std::chrono_literals;

constexpr base::Duration k_latency = 10ms;
constexpr base::Duration k_connect_time = 5 * k_latency;

std::string dump(const Simulation& sim) {
    std::string out;
    for (const auto& line : sim.trace_lines())
        out += line + "\n";
    return out;
}

TEST(SimLimits, ThirdInboundIsRefusedAndTheDiallerWaitsOutItsDialHistory) {
    // Given a with room for two inbound peers, and b, c, d knowing a's address (not persistent)
    Simulation sim(31);
    NodeOptions two_inbound;
    two_inbound.connmgr.max_inbound = 2;
    Node& a = sim.add_node("a", two_inbound);
    Node& b = sim.add_node("b");
    Node& c = sim.add_node("c");
    Node& d = sim.add_node("d");
    b.add_address(a.address());
    c.add_address(a.address());

    // When b and c dial at 0 s and d at 1 s
    const base::TimePoint third = sim.at(1s);
    sim.schedule(third, [&] { d.add_address(a.address()); });
    sim.run_until(sim.at(40s));
    SCOPED_TRACE(dump(sim));

    // Then b and c are in at 0.050 s ...
    EXPECT_EQ(sim.find("a peer_up b inbound"), sim.at(k_connect_time));
    EXPECT_EQ(sim.find("a peer_up c inbound"), sim.at(k_connect_time));
    // ... and d, whose own checks passed at 1.050 s, is refused by a then (too_many_inbound) and
    // sees the close one latency later.
    EXPECT_EQ(sim.find("d dial a"), third);
    EXPECT_EQ(sim.find("d peer_up a outbound"), third + k_connect_time);
    EXPECT_EQ(sim.find("a rejected inbound d too_many_inbound"), third + k_connect_time);
    EXPECT_EQ(sim.find("d peer_down a closed_by_peer"), third + k_connect_time + k_latency);
    EXPECT_EQ(sim.find("a peer_up d"), std::nullopt);
    // d does not dial a again until its dial history (30 s) expires: next dial at exactly 31.000 s.
    const auto dials = sim.find_all("d dial a");
    ASSERT_EQ(dials.size(), 2u);
    EXPECT_EQ(dials[1], third + 30s);
    EXPECT_EQ(sim.find_all("a rejected inbound d too_many_inbound").size(), 2u);
    EXPECT_EQ(a.conn_manager().inbound_count(), 2u);
    EXPECT_FALSE(d.is_connected(a.id()));
}

TEST(SimLimits, SilentLinkClosesAtPingTimePlusPongTimeout) {
    // Given a and b pinging every second with a 2 s pong timeout, connected at 0.050 s
    Simulation sim(41);
    NodeOptions fast_ping;
    fast_ping.mux.ping_interval = 1s;
    fast_ping.mux.pong_timeout = 2s;
    Node& a = sim.add_node("a", fast_ping);
    Node& b = sim.add_node("b", fast_ping);
    a.add_persistent(b.address());

    // When the link goes silent at 2.5 s without a reset (bytes held, not delivered) until 10 s
    sim.schedule(sim.at(2500ms), [&] { sim.partition({{"a"}, {"b"}}, PartitionMode::hold); });
    sim.schedule(sim.at(10s), [&] { sim.heal(); });
    sim.run_until(sim.at(30s));
    SCOPED_TRACE(dump(sim));

    // Then the pings at 1.050 s and 2.050 s were answered, the one at 3.050 s is not, and both
    // ends close at 3.050 s + 2 s = 5.050 s.
    const base::TimePoint up = sim.at(k_connect_time);
    ASSERT_EQ(sim.find("a peer_up b outbound"), up);
    const base::TimePoint unanswered_ping = up + 3s;
    EXPECT_EQ(sim.find("a peer_down b pong_timeout"), unanswered_ping + 2s);
    EXPECT_EQ(sim.find("b peer_down a pong_timeout"), unanswered_ping + 2s);
    // a redials at once; the dial is lost in the partition and times out after 3 s (8.050 s),
    // the next one, after the heal, connects.
    EXPECT_EQ(sim.find("a dial_failed b dial_timeout"), unanswered_ping + 2s + 3s);
    const auto redial = sim.find("a dial b", sim.at(10s));
    ASSERT_TRUE(redial);
    EXPECT_EQ(sim.find("a peer_up b outbound", sim.at(10s)), *redial + k_connect_time);
    EXPECT_TRUE(a.is_connected(b.id()));
}

TEST(SimLimits, BytesHeldByASilentLinkArriveAfterTheHeal) {
    // Given a and b connected at 0.050 s, a flushing at once
    Simulation sim(43);
    NodeOptions unthrottled;
    unthrottled.mux.flush_throttle = 0ms;
    Node& a = sim.add_node("a", unthrottled);
    Node& b = sim.add_node("b");
    a.add_persistent(b.address());
    sim.run_until(sim.at(1s));

    // When the link is silent from 1 s to 1.5 s and a sends at 1.2 s
    sim.partition({{"a"}, {"b"}}, PartitionMode::hold);
    sim.run_until(sim.at(1200ms));
    ASSERT_TRUE(a.send(b.id(), k_test_channel, base::Bytes{1, 2, 3}));
    sim.run_until(sim.at(1500ms));
    EXPECT_TRUE(b.received().empty());
    sim.heal();
    sim.run_until(sim.at(2s));

    // Then the message arrives one latency after the heal (1.510 s) on the same connection.
    ASSERT_EQ(b.received().size(), 1u);
    EXPECT_EQ(b.received()[0].at, sim.at(1500ms + k_latency));
    EXPECT_EQ(b.received()[0].bytes, (base::Bytes{1, 2, 3}));
    EXPECT_EQ(sim.find_all("b peer_up a").size(), 1u);
    EXPECT_EQ(sim.find("b peer_down a"), std::nullopt);
}

}  // namespace
}  // namespace peerlink::sim
