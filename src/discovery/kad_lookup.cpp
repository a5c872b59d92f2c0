// The iterative lookup: every node seen, ordered by distance, with its query state (geth lookup.go).
#include "discovery/kad_lookup.hpp"

#include <algorithm>

namespace peerlink::discovery {

KadLookup::KadLookup(const KadId& self, const KadId& target, std::span<const KadNode> seeds,
                     KadLookupOptions options)
    : m_self(self), m_target(target), m_options(options) {
    add_nodes(seeds);
}

KadId KadLookup::distance_to_target(const KadId& id) const {
    KadId d{};
    for (std::size_t i = 0; i < d.size(); ++i)
        d[i] = static_cast<std::uint8_t>(id[i] ^ m_target[i]);
    return d;
}

void KadLookup::add_nodes(std::span<const KadNode> nodes) {
    m_last_new.clear();
    for (const auto& n : nodes) {
        // Never ask ourselves, even if someone lists us.
        if (n.id == m_self) continue;
        const KadId key = distance_to_target(n.id);
        if (m_candidates.contains(key)) continue;
        if (m_candidates.size() >= m_options.max_seen) {
            // Full: forget the farthest node never asked, if it is farther than this one. Asked nodes
            // are kept so that none is asked twice; there are at most max_queries of them to walk past.
            auto victim = std::find_if(m_candidates.rbegin(), m_candidates.rend(),
                                       [](const auto& kv) { return kv.second.state == State::fresh; });
            if (victim == m_candidates.rend() || victim->first < key) continue;
            m_candidates.erase(std::next(victim).base());
        }
        m_candidates.emplace(key, Candidate{n, State::fresh});
        m_last_new.push_back(n);
    }
    rebuild_result();
}

void KadLookup::rebuild_result() {
    m_result.clear();
    for (const auto& [key, c] : m_candidates) {
        if (m_result.size() >= m_options.result_size) break;
        if (c.state != State::failed) m_result.push_back(c.node);
    }
}

std::vector<KadNode> KadLookup::next_queries() {
    std::vector<KadNode> out;
    std::size_t window = 0;
    for (auto& [key, c] : m_candidates) {
        if (c.state == State::failed) continue;
        if (window++ >= m_options.result_size) break;
        if (m_in_flight >= m_options.alpha || m_queries >= m_options.max_queries) break;
        if (c.state != State::fresh) continue;
        c.state = State::in_flight;
        ++m_in_flight;
        ++m_queries;
        out.push_back(c.node);
    }
    return out;
}

bool KadLookup::finish_query(const KadId& from, State outcome) {
    auto it = m_candidates.find(distance_to_target(from));
    if (it == m_candidates.end() || it->second.state != State::in_flight) return false;
    it->second.state = outcome;
    --m_in_flight;
    return true;
}

bool KadLookup::on_response(const KadId& from, std::span<const KadNode> neighbours) {
    if (!finish_query(from, State::answered)) return false;
    add_nodes(neighbours);
    return true;
}

bool KadLookup::on_failure(const KadId& from) {
    if (!finish_query(from, State::failed)) return false;
    m_last_new.clear();
    rebuild_result();
    return true;
}

bool KadLookup::done() const {
    if (m_in_flight > 0) return false;
    if (m_queries >= m_options.max_queries) return true;
    std::size_t window = 0;
    for (const auto& [key, c] : m_candidates) {
        if (c.state == State::failed) continue;
        if (window++ >= m_options.result_size) break;
        if (c.state == State::fresh) return false;
    }
    return true;
}

}  // namespace peerlink::discovery
