// Gossip over real CometBFT-profile nodes on 127.0.0.1: one publisher's messages reach every node
// of a line and of a mesh exactly once, never go back to the peer they came from, cross each link
// at most once per direction, and an oversized message costs only its sender its connection.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "gossip/gossip_reactor.hpp"
#include "profiles/cometbft/host.hpp"

namespace peerlink {
namespace {

using namespace std::chrono_literals;

struct GossipNode {
    GossipNode(asio::io_context& io, std::uint64_t seed)
        : key{crypto::ed25519_generate()},
          random(seed),
          connmgr(loopback(), source, random, key.id()),
          router(io, {}) {
        gossip = std::make_shared<gossip::GossipReactor>(
            gossip::ReactorOptions{},
            [this](const gossip::MessageId& id, const base::SharedBytes&, const peer::NodeId& from) {
                std::lock_guard lock(mutex);
                ++deliveries[id];
                first_from[id] = from;
            });
        router.add_reactor("gossip", gossip);
        router.start();
        cometbft::HostOptions options;
        options.network = "gossip-test";
        options.mux.flush_throttle = 1ms;
        host = std::make_unique<cometbft::Host>(io, options, key, router, connmgr);
        EXPECT_TRUE(host->start().ok());
    }
    ~GossipNode() {
        host->stop();
        router.stop();
    }
    static connmgr::Options loopback() {
        connmgr::Options o;
        o.allow_duplicate_ip = true;
        o.max_inbound_attempts_per_ip = 1000;
        return o;
    }
    [[nodiscard]] peer::PeerAddress address() const {
        return {.id = key.id(), .host = "127.0.0.1", .port = host->listen_port()};
    }
    void dial(const GossipNode& other) {
        connmgr.add_persistent(other.address());
        host->wake_dialer();
    }
    /// Network thread (the test thread runs the io_context): gossip messages sent to `other` on
    /// the current connection, from the MConnection's own count.
    [[nodiscard]] std::uint64_t sent_to(const GossipNode& other) const {
        const auto p = router.find(other.key.id());
        if (!p) return 0;
        for (const auto& c : p->stats().channels) {
            if (c.id == gossip::k_gossip_channel) return c.messages_sent;
        }
        return 0;
    }
    std::map<gossip::MessageId, int> delivered() {
        std::lock_guard lock(mutex);
        return deliveries;
    }

    cometbft::NodeKey key;
    base::Random random;
    connmgr::FixedAddressSource source;
    connmgr::ConnManager connmgr;
    router::Router router;
    std::shared_ptr<gossip::GossipReactor> gossip;
    std::unique_ptr<cometbft::Host> host;
    std::mutex mutex;
    std::map<gossip::MessageId, int> deliveries;  // guarded by mutex
    std::map<gossip::MessageId, peer::NodeId> first_from;
};

class GossipTest : public ::testing::Test {
protected:
    asio::io_context io{1};
    std::vector<std::unique_ptr<GossipNode>> nodes;

    bool run_until(const std::function<bool()>& done, base::Duration limit) {
        const auto deadline = base::SteadyClock::now() + limit;
        while (!done() && base::SteadyClock::now() < deadline)
            io.run_one_for(5ms);
        return done();
    }
    void run_for(base::Duration d) {
        const auto deadline = base::SteadyClock::now() + d;
        while (base::SteadyClock::now() < deadline)
            io.run_one_for(5ms);
    }
    /// Starts `count` nodes, dials each edge (a dials b) and waits until every edge is up on both
    /// ends and every gossip reactor has seen its peers.
    void build(std::size_t count, const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
        for (std::size_t i = 0; i < count; ++i)
            nodes.push_back(std::make_unique<GossipNode>(io, i + 1));
        std::vector<std::size_t> degree(count, 0);
        for (const auto& [a, b] : edges) {
            nodes[a]->dial(*nodes[b]);
            ++degree[a];
            ++degree[b];
        }
        ASSERT_TRUE(run_until(
            [&] {
                for (std::size_t i = 0; i < count; ++i) {
                    // The reactor learns of a peer on its own thread, after the router does.
                    if (nodes[i]->router.peers()->size() != degree[i] ||
                        nodes[i]->gossip->peer_count() != degree[i])
                        return false;
                }
                return true;
            },
            10s));
    }
    std::vector<gossip::MessageId> publish(std::size_t from, int count) {
        std::vector<gossip::MessageId> ids;
        for (int i = 0; i < count; ++i) {
            const std::string text = "message " + std::to_string(i) + " from node " + std::to_string(from);
            auto id = nodes[from]->gossip->publish(base::SharedBytes::copy_of(base::as_bytes(text)));
            EXPECT_TRUE(id.ok());
            if (id.ok()) ids.push_back(*id);
        }
        return ids;
    }
    bool everyone_delivered(std::size_t except, const std::vector<gossip::MessageId>& ids) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (i == except) continue;
            const auto d = nodes[i]->delivered();
            for (const auto& id : ids) {
                if (!d.contains(id)) return false;
            }
        }
        return true;
    }
};

TEST_F(GossipTest, LineOfFiveDeliversEachMessageOnceAndSendsItDownstreamOnly) {
    // Given a line 0-1-2-3-4
    build(5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}});
    // When node 0 publishes 20 messages
    const auto ids = publish(0, 20);
    ASSERT_EQ(ids.size(), 20u);
    ASSERT_TRUE(run_until([&] { return everyone_delivered(0, ids); }, 10s));
    run_for(200ms);  // anything sent back would have arrived by now
    // Then every other node delivered each exactly once, from its upstream neighbour
    for (std::size_t i = 1; i < 5; ++i) {
        const auto d = nodes[i]->delivered();
        EXPECT_EQ(d.size(), 20u) << "node " << i;
        for (const auto& [id, n] : d)
            EXPECT_EQ(n, 1) << "node " << i;
        std::lock_guard lock(nodes[i]->mutex);
        for (const auto& id : ids)
            EXPECT_EQ(nodes[i]->first_from[id], nodes[i - 1]->key.id());
    }
    EXPECT_TRUE(nodes[0]->delivered().empty());
    // and each link carried each message once downstream and never back
    for (std::size_t i = 0; i + 1 < 5; ++i) {
        EXPECT_EQ(nodes[i]->sent_to(*nodes[i + 1]), 20u) << "link " << i << "->" << i + 1;
        EXPECT_EQ(nodes[i + 1]->sent_to(*nodes[i]), 0u) << "link " << i + 1 << "->" << i;
    }
    const auto origin = nodes[0]->gossip->stats();
    EXPECT_EQ(origin.published, 20u);
    EXPECT_EQ(origin.relayed, 20u);
    for (std::size_t i = 1; i < 5; ++i) {
        const auto s = nodes[i]->gossip->stats();
        EXPECT_EQ(s.delivered, 20u);
        EXPECT_EQ(s.duplicates, 0u) << "node " << i;
        EXPECT_EQ(s.relayed, i < 4 ? 20u : 0u) << "node " << i;
        EXPECT_EQ(s.dropped, 0u);
        EXPECT_EQ(s.rejected, 0u);
    }
}

TEST_F(GossipTest, MeshOfFiveDeliversOnceAndEachLinkCarriesAMessageAtMostOncePerDirection) {
    // Given a ring 0-1-2-3-4-0 with chords 0-2 and 1-3 (degrees 3, 3, 3, 3, 2)
    const std::vector<std::pair<std::size_t, std::size_t>> edges = {{0, 1}, {1, 2}, {2, 3}, {3, 4},
                                                                    {4, 0}, {0, 2}, {1, 3}};
    build(5, edges);
    // When node 0 publishes 20 messages
    const auto ids = publish(0, 20);
    ASSERT_EQ(ids.size(), 20u);
    ASSERT_TRUE(run_until([&] { return everyone_delivered(0, ids); }, 10s));
    run_for(300ms);
    // Then each node delivered each message once (the publisher none)
    for (std::size_t i = 1; i < 5; ++i) {
        const auto d = nodes[i]->delivered();
        EXPECT_EQ(d.size(), 20u);
        for (const auto& [id, n] : d)
            EXPECT_EQ(n, 1) << "node " << i;
    }
    EXPECT_TRUE(nodes[0]->delivered().empty());
    // each link carried at most 20 messages per direction
    std::uint64_t total_sent = 0;
    for (const auto& [a, b] : edges) {
        EXPECT_LE(nodes[a]->sent_to(*nodes[b]), 20u) << a << "->" << b;
        EXPECT_LE(nodes[b]->sent_to(*nodes[a]), 20u) << b << "->" << a;
        total_sent += nodes[a]->sent_to(*nodes[b]) + nodes[b]->sent_to(*nodes[a]);
    }
    // no node sent a message back to the peer it first got it from: a relaying node sends each
    // message to at most degree - 1 peers, the publisher to all of its own
    const std::vector<std::uint64_t> degree = {3, 3, 3, 3, 2};
    std::uint64_t relayed = 0;
    std::uint64_t receipts = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        const auto s = nodes[i]->gossip->stats();
        EXPECT_EQ(s.dropped, 0u);
        if (i == 0) {
            EXPECT_EQ(s.relayed, 20u * degree[0]);
        } else {
            EXPECT_LE(s.relayed, 20u * (degree[i] - 1)) << "node " << i;
            EXPECT_EQ(s.delivered, 20u);
        }
        relayed += s.relayed;
        receipts += s.delivered + s.duplicates;
    }
    // and the reactors' counts agree with what the connections carried
    EXPECT_EQ(relayed, total_sent);
    EXPECT_EQ(receipts, total_sent);
}

TEST_F(GossipTest, TwoPublishersOnTheirOwnThreadsReachEveryNodeOnce) {
    // Given the mesh, and nodes 0 and 3 publishing 20 messages each from threads of their own
    // while the network runs (publish() is callable from any thread)
    const std::vector<std::pair<std::size_t, std::size_t>> edges = {{0, 1}, {1, 2}, {2, 3}, {3, 4},
                                                                    {4, 0}, {0, 2}, {1, 3}};
    build(5, edges);
    std::vector<gossip::MessageId> ids0, ids3;
    std::thread p0([&] { ids0 = publish(0, 20); });
    std::thread p3([&] { ids3 = publish(3, 20); });
    run_for(50ms);
    p0.join();
    p3.join();
    ASSERT_TRUE(run_until([&] { return everyone_delivered(0, ids0) && everyone_delivered(3, ids3); }, 10s));
    run_for(300ms);
    // Then every node delivered every message of the other publisher(s) exactly once
    for (std::size_t i = 0; i < 5; ++i) {
        const auto d = nodes[i]->delivered();
        const std::size_t expected = (i == 0 || i == 3) ? 20u : 40u;
        EXPECT_EQ(d.size(), expected) << "node " << i;
        for (const auto& [id, n] : d)
            EXPECT_EQ(n, 1) << "node " << i;
    }
    for (const auto& [a, b] : edges) {
        EXPECT_LE(nodes[a]->sent_to(*nodes[b]), 40u) << a << "->" << b;
        EXPECT_LE(nodes[b]->sent_to(*nodes[a]), 40u) << b << "->" << a;
    }
}

TEST_F(GossipTest, OversizedMessageDisconnectsItsSenderWhileOtherPeersKeepGossiping) {
    // Given a star: node 0 in the middle, dialled by 1 and 2
    build(3, {{1, 0}, {2, 0}});
    // When node 1 sends a message one byte over the 64 KiB limit on the gossip channel
    const auto center = nodes[1]->router.find(nodes[0]->key.id());
    ASSERT_TRUE(center);
    ASSERT_TRUE(
        center->try_send(gossip::k_gossip_channel,
                         base::SharedBytes(base::Bytes(gossip::CoreOptions{}.max_message_size + 1, 0x61))));
    // Then node 0 drops node 1 for it (the MConnection refuses to reassemble past the channel's
    // recv_message_capacity, which is the gossip limit)
    std::vector<router::Event> seen;
    const auto dropped = [&] {
        for (auto& e : nodes[0]->router.events().poll())
            seen.push_back(std::move(e));
        for (const auto& e : seen) {
            if (e.kind == router::EventKind::peer_down && e.id == nodes[1]->key.id() &&
                e.reason == mux::Errc::message_too_large)
                return true;
        }
        return false;
    };
    ASSERT_TRUE(run_until(dropped, 5s));
    // and node 2 keeps its connection and its messages still reach node 0
    publish(2, 3);
    ASSERT_TRUE(run_until(
        [&] {
            const auto d = nodes[0]->delivered();
            return d.size() == 3;
        },
        5s));
    for (const auto& e : seen)
        EXPECT_FALSE(e.kind == router::EventKind::peer_down && e.id == nodes[2]->key.id());
    EXPECT_TRUE(nodes[0]->router.find(nodes[2]->key.id()));
    EXPECT_EQ(nodes[0]->gossip->stats().delivered, 3u);
}

}  // namespace
}  // namespace peerlink
