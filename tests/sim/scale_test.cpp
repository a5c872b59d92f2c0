// Many nodes at once: a 50-node network filling outbound slots from address lists under dial loss,
// with crashes and restarts, stays consistent (every connection seen from both ends).
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/simulation.hpp"

namespace peerlink::sim {
namespace {

using namespace std::chrono_literals;

TEST(SimScale, FiftyNodesFillTheirOutboundSlotsUnderLossAndRestarts) {
    // Given 50 nodes, each knowing 8 others picked from the seed, wanting 4 outbound peers, with
    // one dial in ten lost
    Simulation sim(51);
    NodeOptions options;
    options.connmgr.max_outbound = 4;
    std::vector<Node*> nodes;
    for (int i = 0; i < 50; ++i) {
        std::string name = "n";  // not "n" + ...: GCC 12 -Wrestrict false positive
        name += std::to_string(i);
        nodes.push_back(&sim.add_node(std::move(name), options));
    }
    base::Random pick(51);
    for (Node* n : nodes) {
        for (int k = 0; k < 8; ++k) {
            Node* other = nodes[pick.uniform(nodes.size())];
            if (other != n) n->add_address(other->address());
        }
    }
    sim.set_loss(0.1);

    // When five of them crash at 20 s and come back at 40 s
    for (int i = 0; i < 5; ++i) {
        sim.schedule(sim.at(20s), [&, i] { nodes[static_cast<std::size_t>(i) * 10]->stop(); });
        sim.schedule(sim.at(40s), [&, i] { nodes[static_cast<std::size_t>(i) * 10]->restart(); });
    }
    sim.run_until(sim.at(120s));

    // Then at 120 s every node has a peer, and each connection is known to both of its ends.
    std::size_t links = 0;
    for (Node* n : nodes) {
        const auto peers = n->peers();
        EXPECT_FALSE(peers.empty()) << n->name();
        EXPECT_LE(n->conn_manager().outbound_count(), 4u) << n->name();
        for (const auto& id : peers) {
            const auto other =
                std::find_if(nodes.begin(), nodes.end(), [&](Node* m) { return m->id() == id; });
            ASSERT_NE(other, nodes.end());
            EXPECT_TRUE((*other)->is_connected(n->id())) << n->name() << " - " << (*other)->name();
        }
        links += peers.size();
    }
    EXPECT_EQ(links / 2, sim.network().open_connections());
}

}  // namespace
}  // namespace peerlink::sim
