// The two bounded sets of message IDs gossip keeps: per peer, the IDs that peer is known to have
// (btcd's knownInventory MRU), and per node, the IDs already seen, forgotten after a TTL.
// Not thread-safe: GossipCore's owner serialises access.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <list>
#include <unordered_map>
#include <unordered_set>

#include "addrbook/siphash.hpp"
#include "base/clock.hpp"

namespace peerlink::gossip {

/// SHA-256 of the payload: a message's identity on the wire is its content.
using MessageId = std::array<std::uint8_t, 32>;

/// Peers choose payloads and so choose IDs: a keyed hash keeps them from aiming IDs at one bucket.
struct MessageIdHash {
    addrbook::SipKey key;
    std::size_t operator()(const MessageId& id) const {
        return static_cast<std::size_t>(addrbook::siphash24(key, base::ByteView(id.data(), id.size())));
    }
};

/// At most `capacity` IDs; inserting into a full set evicts the least recently inserted one.
/// Lookups do not refresh recency (btcd's mruInventoryMap.Exists does not either).
class MruSet {
public:
    /// Throws std::invalid_argument for a zero capacity (a configuration error).
    MruSet(std::size_t capacity, addrbook::SipKey key);
    MruSet(const MruSet&) = delete;
    MruSet& operator=(const MruSet&) = delete;

    [[nodiscard]] bool contains(const MessageId& id) const { return m_index.contains(id); }
    /// Adds `id` or makes it the most recent one.
    void insert(const MessageId& id);
    [[nodiscard]] std::size_t size() const { return m_index.size(); }
    [[nodiscard]] std::size_t capacity() const { return m_capacity; }

private:
    std::size_t m_capacity;
    std::list<MessageId> m_order;  // front: most recent
    std::unordered_map<MessageId, std::list<MessageId>::iterator, MessageIdHash> m_index;
};

/// IDs seen within the last `ttl`, at most `capacity` of them (the oldest go first when full).
/// An ID is remembered from its first sighting: duplicates do not extend its life.
class SeenCache {
public:
    /// Throws std::invalid_argument for a zero capacity or a non-positive ttl.
    SeenCache(base::Duration ttl, std::size_t capacity, addrbook::SipKey key);

    /// Inserts `id` at `now`; false (and nothing changes) when it is already remembered.
    bool insert(const MessageId& id, base::TimePoint now);
    [[nodiscard]] bool contains(const MessageId& id, base::TimePoint now);
    /// Forgets every ID first seen `ttl` or more before `now`.
    void expire(base::TimePoint now);
    [[nodiscard]] std::size_t size() const { return m_ids.size(); }

private:
    struct Entry {
        MessageId id;
        base::TimePoint seen;
    };
    base::Duration m_ttl;
    std::size_t m_capacity;
    std::deque<Entry> m_order;  // by first sighting, oldest at the front
    std::unordered_set<MessageId, MessageIdHash> m_ids;
};

}  // namespace peerlink::gossip
