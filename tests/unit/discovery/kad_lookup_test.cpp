// KadLookup: alpha-bounded queries, each node asked once, and convergence on a simulated network.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "discovery/kad_lookup.hpp"

namespace peerlink::discovery {
namespace {

using namespace std::chrono_literals;
const base::TimePoint t0 = base::TimePoint{} + 1000h;

KadId random_id(base::Random& rng) {
    KadId id{};
    for (auto& b : id)
        b = static_cast<std::uint8_t>(rng.next_u64());
    return id;
}

KadNode node(const KadId& id, std::uint32_t n) {
    return KadNode{.id = id,
                   .key = {},
                   .ip = addrbook::IpAddress::v4(0x0a000000u + n),
                   .udp_port = 30303,
                   .tcp_port = 30303};
}

/// Hex IDs, for readable comparisons.
std::vector<std::string> ids(const std::vector<KadNode>& nodes) {
    std::vector<std::string> out;
    for (const auto& n : nodes)
        out.push_back(base::to_hex(n.id));
    return out;
}

std::vector<KadNode> sorted_by_distance(std::vector<KadNode> nodes, const KadId& target) {
    std::sort(nodes.begin(), nodes.end(),
              [&](const KadNode& a, const KadNode& b) { return distance_cmp(target, a.id, b.id) < 0; });
    return nodes;
}

TEST(KadLookup, KeepsAtMostAlphaQueriesInFlightAndAsksEachOnce) {
    base::Random rng(1);
    const KadId self = random_id(rng);
    const KadId target = random_id(rng);
    std::vector<KadNode> seeds;
    for (std::uint32_t i = 0; i < 5; ++i)
        seeds.push_back(node(random_id(rng), i));
    KadLookup lookup(self, target, seeds);

    auto first = lookup.next_queries();
    ASSERT_EQ(first.size(), 3u);
    EXPECT_TRUE(lookup.next_queries().empty());  // alpha reached
    EXPECT_EQ(lookup.in_flight(), 3u);
    EXPECT_FALSE(lookup.done());
    // The three closest seeds go first.
    const auto ordered = sorted_by_distance(seeds, target);
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(first[i].id, ordered[i].id);

    // A response from someone we did not ask is ignored.
    const KadNode stranger = node(random_id(rng), 99);
    EXPECT_FALSE(lookup.on_response(stranger.id, std::vector<KadNode>{stranger}));
    EXPECT_EQ(lookup.result().size(), 5u);

    // An answer repeating known nodes and ourselves adds nothing; the freed slot goes to seed 4.
    std::vector<KadNode> echo = seeds;
    echo.push_back(node(self, 100));
    EXPECT_TRUE(lookup.on_response(first[0].id, echo));
    EXPECT_FALSE(lookup.on_response(first[0].id, echo));  // only once
    EXPECT_TRUE(lookup.last_new().empty());
    auto second = lookup.next_queries();
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].id, ordered[3].id);

    EXPECT_TRUE(lookup.on_failure(first[1].id));
    EXPECT_EQ(lookup.result().size(), 4u);  // the silent node left the result
    auto third = lookup.next_queries();
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0].id, ordered[4].id);
    EXPECT_TRUE(lookup.on_response(first[2].id, {}));
    EXPECT_TRUE(lookup.on_response(second[0].id, {}));
    EXPECT_FALSE(lookup.done());
    EXPECT_TRUE(lookup.on_response(third[0].id, {}));
    EXPECT_TRUE(lookup.next_queries().empty());
    EXPECT_TRUE(lookup.done());
    EXPECT_EQ(lookup.queries_sent(), 5u);
}

TEST(KadLookup, EmptyLookupIsDoneAtOnce) {
    KadLookup lookup(KadId{}, KadId{}, {});
    EXPECT_TRUE(lookup.next_queries().empty());
    EXPECT_TRUE(lookup.done());
    EXPECT_TRUE(lookup.result().empty());
}

TEST(KadLookup, ResultKeepsTheClosestSixteen) {
    base::Random rng(2);
    const KadId target = random_id(rng);
    std::vector<KadNode> seeds;
    for (std::uint32_t i = 0; i < 40; ++i)
        seeds.push_back(node(random_id(rng), i));
    KadLookup lookup(random_id(rng), target, seeds);
    auto expected = sorted_by_distance(seeds, target);
    expected.resize(16);
    EXPECT_EQ(ids(lookup.result()), ids(expected));
}

TEST(KadLookup, QueryBudgetBoundsTheLookup) {
    base::Random rng(3);
    const KadId target = random_id(rng);
    std::vector<KadNode> seeds;
    for (std::uint32_t i = 0; i < 16; ++i)
        seeds.push_back(node(random_id(rng), i));
    KadLookup lookup(random_id(rng), target, seeds, KadLookupOptions{.max_queries = 4});
    std::size_t asked = 0;
    while (!lookup.done()) {
        auto queries = lookup.next_queries();
        ASSERT_FALSE(queries.empty());
        for (const auto& q : queries) {
            ++asked;
            ASSERT_TRUE(lookup.on_response(q.id, {}));
        }
    }
    EXPECT_EQ(asked, 4u);
}

TEST(KadLookup, FailedNodesAreNeverAskedOrReturnedAgain) {
    base::Random rng(5);
    const KadId target = random_id(rng);
    std::vector<KadNode> seeds;
    for (std::uint32_t i = 0; i < 3; ++i)
        seeds.push_back(node(random_id(rng), i));
    KadLookup lookup(random_id(rng), target, seeds);
    const auto first = lookup.next_queries();
    ASSERT_EQ(first.size(), 3u);
    ASSERT_TRUE(lookup.on_failure(first[0].id));
    EXPECT_FALSE(lookup.on_failure(first[0].id));
    // Another node names the silent one again: it stays out.
    ASSERT_TRUE(lookup.on_response(first[1].id, std::vector<KadNode>{first[0]}));
    EXPECT_TRUE(lookup.last_new().empty());
    EXPECT_TRUE(lookup.next_queries().empty());
    for (const auto& n : lookup.result())
        EXPECT_NE(n.id, first[0].id);
    ASSERT_TRUE(lookup.on_response(first[2].id, {}));
    EXPECT_TRUE(lookup.done());
    EXPECT_EQ(lookup.result().size(), 2u);
}

TEST(KadLookup, SeenSetIsBoundedAndKeepsTheClosest) {
    base::Random rng(6);
    const KadId target = random_id(rng);
    const KadNode seed = node(random_id(rng), 0);
    KadLookup lookup(random_id(rng), target, std::vector<KadNode>{seed}, KadLookupOptions{.max_seen = 10});
    const auto q = lookup.next_queries();
    ASSERT_EQ(q.size(), 1u);
    std::vector<KadNode> flood;
    for (std::uint32_t i = 1; i < 100; ++i)
        flood.push_back(node(random_id(rng), i));
    ASSERT_TRUE(lookup.on_response(q[0].id, flood));
    // The asked seed stays; of the rest, the 9 closest are kept.
    auto expected = sorted_by_distance(flood, target);
    expected.resize(9);
    expected.push_back(seed);
    EXPECT_EQ(ids(lookup.result()), ids(sorted_by_distance(expected, target)));
}

/// 1,000 nodes, each with a full table of the others; FindNode answers with the table's 16 closest.
class SimulatedNetwork {
public:
    SimulatedNetwork(std::size_t n, std::uint64_t seed) : m_rng(seed) {
        for (std::uint32_t i = 0; i < n; ++i)
            m_nodes.push_back(node(random_id(m_rng), i));
        for (const auto& self : m_nodes) {
            auto table = std::make_unique<KadTable>(self.id, KadTableOptions{}, m_rng);
            for (const auto& other : m_nodes)
                (void)table->add_seen(other, t0);
            m_tables.emplace(self.id, std::move(table));
        }
    }
    const std::vector<KadNode>& nodes() const { return m_nodes; }
    KadTable& table(const KadId& id) { return *m_tables.at(id); }
    base::Random& rng() { return m_rng; }

    /// Runs a lookup from `from` to completion; nodes in `dead` never answer.
    std::vector<KadNode> lookup(const KadNode& from, const KadId& target, const std::set<KadId>& dead,
                                std::size_t* queries) {
        const auto seeds = table(from.id).closest(target, kad::k_bucket_size);
        KadLookup lookup(from.id, target, seeds);
        while (!lookup.done()) {
            const auto batch = lookup.next_queries();
            if (batch.empty()) break;
            // Answer in reverse order, so answers arrive in a different order than asked.
            for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
                if (dead.contains(it->id)) {
                    EXPECT_TRUE(lookup.on_failure(it->id));
                } else {
                    EXPECT_TRUE(
                        lookup.on_response(it->id, table(it->id).closest(target, kad::k_bucket_size)));
                }
            }
        }
        EXPECT_TRUE(lookup.done());
        *queries = lookup.queries_sent();
        return lookup.result();
    }

private:
    base::Random m_rng;
    std::vector<KadNode> m_nodes;
    std::map<KadId, std::unique_ptr<KadTable>> m_tables;
};

TEST(KadLookupSimulation, ConvergesOnTheTrueSixteenClosestOfAThousandNodes) {
    SimulatedNetwork net(1000, 42);
    std::size_t total_queries = 0;
    for (int round = 0; round < 20; ++round) {
        const KadNode& from = net.nodes()[static_cast<std::size_t>(net.rng().uniform(1000))];
        const KadId target = random_id(net.rng());
        std::vector<KadNode> others;
        for (const auto& n : net.nodes())
            if (n.id != from.id) others.push_back(n);
        auto expected = sorted_by_distance(others, target);
        expected.resize(16);
        std::size_t queries = 0;
        const auto result = net.lookup(from, target, {}, &queries);
        EXPECT_EQ(ids(result), ids(expected)) << "round " << round;
        total_queries += queries;
        EXPECT_LE(queries, 80u);
    }
    // With 17 x 16 entries per table a lookup needs only a few dozen queries.
    EXPECT_LT(total_queries, 20u * 60u);
}

TEST(KadLookupSimulation, StartTableDoesNotAlreadyHoldTheAnswer) {
    SimulatedNetwork net(1000, 43);
    int differing = 0;
    for (int round = 0; round < 20; ++round) {
        const KadNode& from = net.nodes()[static_cast<std::size_t>(net.rng().uniform(1000))];
        const KadId target = random_id(net.rng());
        std::vector<KadNode> others;
        for (const auto& n : net.nodes())
            if (n.id != from.id) others.push_back(n);
        auto expected = sorted_by_distance(others, target);
        expected.resize(16);
        if (net.table(from.id).closest(target, 16) != expected) ++differing;
    }
    EXPECT_GT(differing, 15);
}

TEST(KadLookupSimulation, SilentNodesAreLeftOutOfTheResult) {
    SimulatedNetwork net(1000, 44);
    std::set<KadId> dead;
    for (std::size_t i = 0; i < net.nodes().size(); i += 10)
        dead.insert(net.nodes()[i].id);  // 10 % silent
    for (int round = 0; round < 10; ++round) {
        const KadNode& from = net.nodes()[1 + 10 * static_cast<std::size_t>(net.rng().uniform(99))];
        const KadId target = random_id(net.rng());
        std::vector<KadNode> live;
        for (const auto& n : net.nodes())
            if (n.id != from.id && !dead.contains(n.id)) live.push_back(n);
        auto expected = sorted_by_distance(live, target);
        expected.resize(16);
        std::size_t queries = 0;
        const auto result = net.lookup(from, target, dead, &queries);
        // A silent node's place goes to the next closest node seen, so the result holds only live nodes
        // and stays (nearly) full: it is short only when no answer named a 16th live node, as full
        // buckets near the target can hide it. Its head is the true closest live nodes.
        EXPECT_GE(result.size(), 15u) << "round " << round;
        for (const auto& n : result)
            EXPECT_FALSE(dead.contains(n.id)) << "round " << round;
        EXPECT_EQ(ids(result), ids(sorted_by_distance(result, target))) << "round " << round;
        auto head = result;
        head.resize(12);
        expected.resize(12);
        EXPECT_EQ(ids(head), ids(expected)) << "round " << round;
    }
}

}  // namespace
}  // namespace peerlink::discovery
