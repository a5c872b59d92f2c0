#include "gossip/message_sets.hpp"

#include <stdexcept>

namespace peerlink::gossip {

MruSet::MruSet(std::size_t capacity, addrbook::SipKey key)
    : m_capacity(capacity), m_index(16, MessageIdHash{key}) {
    if (capacity == 0) throw std::invalid_argument("gossip: known-message set capacity must be > 0");
}

void MruSet::insert(const MessageId& id) {
    if (const auto found = m_index.find(id); found != m_index.end()) {
        m_order.splice(m_order.begin(), m_order, found->second);
        return;
    }
    if (m_index.size() >= m_capacity) {
        m_index.erase(m_order.back());
        m_order.pop_back();
    }
    m_order.push_front(id);
    m_index.emplace(id, m_order.begin());
}

SeenCache::SeenCache(base::Duration ttl, std::size_t capacity, addrbook::SipKey key)
    : m_ttl(ttl), m_capacity(capacity), m_ids(16, MessageIdHash{key}) {
    if (capacity == 0) throw std::invalid_argument("gossip: seen-cache capacity must be > 0");
    if (ttl <= base::Duration::zero()) throw std::invalid_argument("gossip: seen-cache ttl must be > 0");
}

bool SeenCache::insert(const MessageId& id, base::TimePoint now) {
    expire(now);
    if (m_ids.contains(id)) return false;
    if (m_ids.size() >= m_capacity) {
        m_ids.erase(m_order.front().id);
        m_order.pop_front();
    }
    m_ids.insert(id);
    m_order.push_back({id, now});
    return true;
}

bool SeenCache::contains(const MessageId& id, base::TimePoint now) {
    expire(now);
    return m_ids.contains(id);
}

void SeenCache::expire(base::TimePoint now) {
    // Entries are in insertion order; a clock that stepped back only delays expiry.
    while (!m_order.empty() && now - m_order.front().seen >= m_ttl) {
        m_ids.erase(m_order.front().id);
        m_order.pop_front();
    }
}

}  // namespace peerlink::gossip
