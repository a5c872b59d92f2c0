// Discovery on virtual time: nodes that know only the seeds fill their address books through PEX
// (channel 0x00) and their outbound slots from the books, with the real PexCore, AddrBook and
// BookAddressSource driven as discovery::PexReactor drives them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "sim/simulation.hpp"

namespace peerlink::sim {
namespace {

using namespace std::chrono_literals;

constexpr base::Duration k_latency = 10ms;
// TCP connect (1 RTT) and three crossings: ephemeral keys, auth, NodeInfo.
constexpr base::Duration k_connect_time = 5 * k_latency;
// MConnection's default: written packets wait this long before a flush.
constexpr base::Duration k_flush_throttle = 100ms;

std::string dump(const Simulation& sim) {
    std::string out;
    for (const auto& line : sim.trace_lines())
        out += line + "\n";
    return out;
}

NodeOptions pex_options(std::vector<peer::PeerAddress> seeds) {
    NodeOptions options;
    options.pex = true;
    options.seeds = std::move(seeds);
    return options;
}

NodeOptions seed_options() {
    NodeOptions options;
    options.pex = true;
    options.seed_mode = true;
    return options;
}

double seconds(base::Duration d) {
    return std::chrono::duration<double>(d).count();
}

TEST(SimDiscovery, NodeKnowingOnlyTheSeedLearnsAndConnectsToTheOthers) {
    // Given a seed and two nodes that found each other through it in their first second
    Simulation sim(21);
    Node& s = sim.add_node("s", seed_options());
    Node& a = sim.add_node("a", pex_options({s.address()}));
    Node& b = sim.add_node("b", pex_options({s.address()}));
    sim.run_until(sim.at(1s));
    ASSERT_TRUE(a.is_connected(b.id())) << dump(sim);

    // When c, knowing only the seed, starts at 1 s
    const base::TimePoint start = sim.at(1s);
    Node& c = sim.add_node("c", pex_options({s.address()}));
    sim.run_until(sim.at(5s));
    SCOPED_TRACE(dump(sim));

    // Then its first ensure-peers round puts the seed in its book and it dials the seed at once, ...
    EXPECT_EQ(sim.find("c dial_seeds", start), start);
    EXPECT_EQ(sim.find("c dial s", start), start);
    const base::TimePoint seed_up = start + k_connect_time;
    EXPECT_EQ(sim.find("c peer_up s outbound", start), seed_up);
    // ... asks it for addresses (each side's write waits for its flush throttle), and the seed hangs
    // up once its answer is written, ...
    const base::TimePoint written = seed_up + k_flush_throttle + k_latency + k_flush_throttle;
    const base::TimePoint answered = written + k_latency;
    EXPECT_EQ(sim.find("s peer_down c closed_locally", start), written);
    EXPECT_EQ(sim.find("c peer_down s closed_by_peer", start), answered);
    // ... and dials the two addresses it learnt at once, connected one handshake later.
    EXPECT_EQ(sim.find("c dial a", start), answered);
    EXPECT_EQ(sim.find("c dial b", start), answered);
    EXPECT_EQ(sim.find("c peer_up a outbound", start), answered + k_connect_time);
    EXPECT_EQ(sim.find("c peer_up b outbound", start), answered + k_connect_time);
    EXPECT_TRUE(c.is_connected(a.id()));
    EXPECT_TRUE(c.is_connected(b.id()));
    EXPECT_TRUE(a.is_connected(c.id()));
    EXPECT_TRUE(b.is_connected(c.id()));
    // Its book holds the seed and both peers, proven (old table).
    EXPECT_EQ(c.addr_book().size(), 3u);
    EXPECT_EQ(c.addr_book().old_count(), 3u);
}

TEST(SimDiscovery, HundredNodesBootstrappedFromTwoSeedsReachTheirOutboundTarget) {
    // Given 2 seeds and 100 nodes that know only the seeds, with CometBFT's default limits
    // (10 outbound, 40 inbound) and 10 ms links
    const auto real_start = std::chrono::steady_clock::now();
    Simulation sim(2024);
    const std::vector<peer::PeerAddress> seeds{sim.add_node("seed0", seed_options()).address(),
                                               sim.add_node("seed1", seed_options()).address()};
    constexpr std::size_t k_nodes = 100;
    constexpr std::size_t k_target = 10;
    NodeOptions options = pex_options(seeds);
    options.connmgr.max_outbound = k_target;
    options.connmgr.max_inbound = 40;
    std::vector<Node*> nodes;
    for (std::size_t i = 0; i < k_nodes; ++i) {
        std::string name = "n";  // not "n" + ...: GCC 12 -Wrestrict false positive
        name += std::to_string(i);
        nodes.push_back(&sim.add_node(std::move(name), options));
    }

    // When they run until each has 10 outbound peers, or 30 virtual minutes
    std::vector<std::optional<base::Duration>> reached(k_nodes);
    std::size_t reached_count = 0;
    const auto all_at_target = [&] {
        bool all = true;
        for (std::size_t i = 0; i < k_nodes; ++i) {
            const bool at_target = nodes[i]->conn_manager().outbound_count() >= k_target;
            if (at_target && !reached[i]) {
                reached[i] = sim.elapsed();
                ++reached_count;
            }
            all = all && at_target;
        }
        return all;
    };
    const bool done = sim.run_until(all_at_target, sim.at(30min));
    const auto real = std::chrono::steady_clock::now() - real_start;

    // Then every node reached the target; the last one and the median as printed.
    std::vector<base::Duration> times;
    for (const auto& t : reached) {
        if (t) times.push_back(*t);
    }
    std::sort(times.begin(), times.end());
    std::printf(
        "[ discovery ] %zu/%zu nodes at %zu outbound peers; all at %.3f s virtual; first reach: "
        "median %.3f s, last %.3f s; %zu trace entries; real %.2f s\n",
        reached_count, k_nodes, k_target, seconds(sim.elapsed()),
        times.empty() ? 0.0 : seconds(times[times.size() / 2]), times.empty() ? 0.0 : seconds(times.back()),
        sim.trace().size(), seconds(real));
    ASSERT_TRUE(done) << reached_count << " of " << k_nodes << " nodes reached " << k_target;
    for (Node* n : nodes) {
        EXPECT_GE(n->conn_manager().outbound_count(), k_target) << n->name();
        EXPECT_LE(n->conn_manager().inbound_count(), 40u) << n->name();
        for (const auto& id : n->peers()) {
            const auto other =
                std::find_if(nodes.begin(), nodes.end(), [&](Node* m) { return m->id() == id; });
            if (other != nodes.end()) {
                EXPECT_TRUE((*other)->is_connected(n->id())) << n->name();
            }
        }
    }
    // Nobody was banned: every PEX answer came to a request (the reactor's rules, honest nodes).
    for (const auto& entry : sim.trace()) {
        EXPECT_EQ(entry.text.find(" pex_ban "), std::string::npos) << entry.text;
    }
    // Nodes the seeds turned away (too many pending handshakes or inbound peers) try them again
    // when the dial history lets them, 30 s later: the whole network is at target within three
    // such rounds.
    EXPECT_LE(sim.elapsed(), 90s);
}

}  // namespace
}  // namespace peerlink::sim
