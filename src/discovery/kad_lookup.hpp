// An iterative Kademlia lookup as a state machine (geth p2p/discover/lookup.go): of the nodes seen, the 16
// closest that did not fail form the result; the closest unasked among them are asked alpha = 3 at a
// time, each at most once, and the lookup ends when none is left unasked. The caller sends the queries
// and reports answers and failures.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "discovery/kad_table.hpp"

namespace peerlink::discovery {

struct KadLookupOptions {
    std::size_t alpha = 3;
    std::size_t result_size = kad::k_bucket_size;
    /// A hard bound on the queries of one lookup, so that a hostile network cannot keep it going.
    std::size_t max_queries = 256;
    /// A hard bound on the nodes remembered; beyond it, a closer node replaces the farthest unasked one.
    std::size_t max_seen = 4096;
};

class KadLookup {
public:
    /// `seeds` are usually KadTable::closest(target, 16). Our own ID is never queried nor returned.
    KadLookup(const KadId& self, const KadId& target, std::span<const KadNode> seeds,
              KadLookupOptions options = {});

    [[nodiscard]] const KadId& target() const { return m_target; }

    /// The nodes to query now (closest unasked first), keeping at most alpha queries in flight; each
    /// returned node counts as in flight until on_response or on_failure names it.
    std::vector<KadNode> next_queries();
    /// `from` answered with `neighbours`. Answers from nodes we did not ask are ignored; false then.
    bool on_response(const KadId& from, std::span<const KadNode> neighbours);
    /// `from` did not answer (timeout, error): it leaves the result, the next closest node seen takes its
    /// place, and it is not taken back.
    bool on_failure(const KadId& from);

    /// No query is in flight and none can be started.
    [[nodiscard]] bool done() const;
    /// The closest nodes found so far, closest first (at most result_size).
    [[nodiscard]] const std::vector<KadNode>& result() const { return m_result; }
    [[nodiscard]] std::size_t in_flight() const { return m_in_flight; }
    [[nodiscard]] std::size_t queries_sent() const { return m_queries; }
    /// Nodes first seen in the last answer (geth's replyBuffer), for iterators that stream nodes.
    [[nodiscard]] const std::vector<KadNode>& last_new() const { return m_last_new; }

private:
    enum class State : std::uint8_t { fresh, in_flight, answered, failed };
    struct Candidate {
        KadNode node;
        State state = State::fresh;
    };

    /// XOR distance to the target: a bijection of the ID, so it keys the candidates uniquely and in order.
    [[nodiscard]] KadId distance_to_target(const KadId& id) const;
    void add_nodes(std::span<const KadNode> nodes);
    bool finish_query(const KadId& from, State outcome);
    void rebuild_result();

    KadId m_self;
    KadId m_target;
    KadLookupOptions m_options;
    /// Every node seen, closest first (at most max_seen). Failed ones stay, so they are never taken back;
    /// the window of the lookup is the closest result_size that did not fail.
    std::map<KadId, Candidate> m_candidates;
    std::vector<KadNode> m_result;
    std::vector<KadNode> m_last_new;
    std::size_t m_in_flight = 0;
    std::size_t m_queries = 0;
};

}  // namespace peerlink::discovery
