// Persistent peers coming back on the ConnManager's schedule after a crash and after a partition,
// on virtual time: the first redial is immediate, then every 5 s plus jitter in [0, 3 s).
#include <gtest/gtest.h>

#include "connmgr/redial_schedule.hpp"
#include "sim/simulation.hpp"

namespace peerlink::sim {
namespace {

using namespace std::chrono_literals;

constexpr base::Duration k_latency = 10ms;
constexpr base::Duration k_rtt = 2 * k_latency;
// TCP connect (1 RTT) and three crossings: ephemeral keys, auth, NodeInfo.
constexpr base::Duration k_connect_time = 5 * k_latency;

std::string dump(const Simulation& sim) {
    std::string out;
    for (const auto& line : sim.trace_lines())
        out += line + "\n";
    return out;
}

TEST(SimReconnect, PersistentPeerThatRestartsIsRedialledOnItsSchedule) {
    // Given a keeping b as a persistent peer, connected at 0.050 s
    Simulation sim(11);
    Node& a = sim.add_node("a");
    Node& b = sim.add_node("b");
    a.add_persistent(b.address());
    sim.run_until(sim.at(1s));
    ASSERT_EQ(sim.find("a peer_up b outbound"), sim.at(k_connect_time));

    // When b crashes at 10 s and restarts at 30 s
    const base::TimePoint crash = sim.at(10s);
    const base::TimePoint back = sim.at(30s);
    sim.schedule(crash, [&] { b.stop(); });
    sim.schedule(back, [&] { b.restart(); });
    sim.run_until(sim.at(60s));
    SCOPED_TRACE(dump(sim));

    // Then a sees the reset one latency after the crash and redials at once, ...
    const base::TimePoint down = crash + k_latency;
    EXPECT_EQ(sim.find("a peer_down b connection_reset", crash), down);
    const auto dials = sim.find_all("a dial b", crash);
    ASSERT_GE(dials.size(), 3u);
    EXPECT_EQ(dials[0], down);
    // ... each refused dial fails after one round trip and the next one follows 5 s + [0, 3 s)
    // later, ...
    for (std::size_t i = 1; i < dials.size(); ++i) {
        const base::Duration gap = dials[i] - (dials[i - 1] + k_rtt);
        EXPECT_GE(gap, 5s) << "dial " << i;
        EXPECT_LT(gap, 8s) << "dial " << i;
    }
    // ... exactly as the schedule replayed from a's jitter seed says, and the reconnect comes
    // with the first dial whose SYN reaches b after its restart, one handshake later.
    base::Random replay(a.jitter_seed());
    const connmgr::RedialPolicy policy{.jitter = 3s, .max_period = 0s, .never_give_up = false};
    base::TimePoint dial = down;
    std::vector<base::TimePoint> expected_dials{dial};
    for (unsigned failures = 1; dial + k_latency < back; ++failures) {
        dial += k_rtt + *connmgr::redial_delay(failures, policy, replay);
        expected_dials.push_back(dial);
    }
    EXPECT_EQ(dials, expected_dials);
    const base::TimePoint reconnect = expected_dials.back() + k_connect_time;
    EXPECT_GT(reconnect, back);
    EXPECT_LT(reconnect, back + 8s + k_rtt + k_connect_time);
    EXPECT_EQ(sim.find("a peer_up b outbound", crash), reconnect);
    EXPECT_EQ(sim.find("b peer_up a inbound", crash), reconnect);
    EXPECT_TRUE(a.is_connected(b.id()));
}

TEST(SimReconnect, PartitionClosesCrossLinksAndPersistentPeersReconnectAfterHeal) {
    // Given a full mesh of four nodes, each persistent towards the ones added after it
    Simulation sim(21);
    std::vector<Node*> nodes;
    for (const char* name : {"a", "b", "c", "d"})
        nodes.push_back(&sim.add_node(name));
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        for (std::size_t j = i + 1; j < nodes.size(); ++j)
            nodes[i]->add_persistent(nodes[j]->address());
    }
    sim.run_until(sim.at(1s));
    ASSERT_EQ(sim.network().open_connections(), 6u);

    // When {a, b} and {c, d} are cut apart from 5 s to 20 s
    const base::TimePoint cut = sim.at(5s);
    const base::TimePoint heal = sim.at(20s);
    sim.schedule(cut, [&] { sim.partition({{"a", "b"}, {"c", "d"}}); });
    sim.schedule(heal, [&] { sim.heal(); });
    sim.run_until(sim.at(19s));
    SCOPED_TRACE(dump(sim));

    // Then the four cross connections close at 5.000 s on both ends, the two inside the groups
    // stay up, and every redial across the cut times out after the 3 s dial timeout.
    const std::vector<std::pair<std::string, std::string>> cross{
        {"a", "c"}, {"a", "d"}, {"b", "c"}, {"b", "d"}};
    for (const auto& [x, y] : cross) {
        EXPECT_EQ(sim.find(x + " peer_down " + y + " connection_reset"), cut) << x << "-" << y;
        EXPECT_EQ(sim.find(y + " peer_down " + x + " connection_reset"), cut) << x << "-" << y;
        EXPECT_EQ(sim.find(x + " dial_failed " + y + " dial_timeout", cut), cut + 3s) << x << "-" << y;
    }
    EXPECT_EQ(sim.find("a peer_down b"), std::nullopt);
    EXPECT_EQ(sim.find("c peer_down d"), std::nullopt);
    EXPECT_EQ(sim.network().open_connections(), 2u);

    // When the partition heals at 20 s
    sim.run_until(sim.at(40s));

    // Then each dialler's first dial started after the heal connects one handshake later, within
    // one pending dial timeout and one redial period of the heal.
    for (const auto& [x, y] : cross) {
        const auto dial = sim.find(x + " dial " + y, heal);
        ASSERT_TRUE(dial) << x << "-" << y;
        EXPECT_LT(*dial, heal + 3s + 8s) << x << "-" << y;
        EXPECT_EQ(sim.find(x + " peer_up " + y + " outbound", heal), *dial + k_connect_time) << x << "-" << y;
        EXPECT_EQ(sim.find(y + " peer_up " + x + " inbound", heal), *dial + k_connect_time) << x << "-" << y;
    }
    EXPECT_EQ(sim.network().open_connections(), 6u);
    for (Node* n : nodes)
        EXPECT_EQ(n->peers().size(), 3u) << n->name();
}

}  // namespace
}  // namespace peerlink::sim
