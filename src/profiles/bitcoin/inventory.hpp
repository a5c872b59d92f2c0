// Inventory trickling for one peer, sans-I/O (Bitcoin Core net_processing.cpp SendMessages, btcd
// peer.go queueInventory/trickleTicker): announcements queue per peer and leave as batched `inv`
// at Poisson-distributed times; a bounded MRU of what the peer knows stops repeats and echoes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "profiles/bitcoin/messages.hpp"
#include "profiles/bitcoin/peer_state.hpp"

namespace peerlink::bitcoin {

// Inventory types (Core protocol.h).
inline constexpr std::uint32_t k_msg_tx = 1;
inline constexpr std::uint32_t k_msg_block = 2;
inline constexpr std::uint32_t k_msg_wtx = 5;
inline constexpr std::uint32_t k_msg_witness_flag = 1u << 30;

struct TrickleOptions {
    /// INBOUND_INVENTORY_BROADCAST_INTERVAL and OUTBOUND_INVENTORY_BROADCAST_INTERVAL: the mean
    /// delay between two trickles (exponentially distributed).
    base::Duration inbound_interval = std::chrono::seconds(5);
    base::Duration outbound_interval = std::chrono::seconds(2);
    /// INVENTORY_BROADCAST_TARGET (7 per second x 5 s); a backlog raises it by 5 per 1000 queued.
    std::size_t batch_target = 35;
    /// INVENTORY_BROADCAST_MAX.
    std::size_t batch_max = 1000;
    /// btcd maxKnownInventory.
    std::size_t known_capacity = 1000;
    /// Announcements waiting for one peer beyond which new ones are dropped (MAX_INV_SZ).
    std::size_t max_queued = k_max_inv_entries;
};

/// A bounded most-recently-used set of inventory (btcd's mruInventoryMap): adding an entry that is
/// present refreshes it; beyond the capacity the least recently used one is forgotten.
class KnownInventory {
public:
    explicit KnownInventory(std::size_t capacity) : m_capacity(capacity == 0 ? 1 : capacity) {}
    /// True when `item` was not known before.
    bool add(const InvVect& item);
    [[nodiscard]] bool contains(const InvVect& item) const;
    [[nodiscard]] std::size_t size() const { return m_index.size(); }

private:
    static std::string key(const InvVect& item);
    std::size_t m_capacity;
    std::list<std::string> m_order;  // most recent first
    std::unordered_map<std::string, std::list<std::string>::iterator> m_index;
};

/// When peers may next receive trickled inventory. Outbound peers each draw their own delay;
/// inbound peers share one timer (Core's NextInvToInbounds), so an attacker with many inbound
/// connections learns nothing more about where a transaction came from than with one.
class InvSchedule {
public:
    explicit InvSchedule(TrickleOptions options) : m_options(options) {}
    base::TimePoint next(Direction direction, base::TimePoint now, base::Random& random);
    /// An exponentially distributed delay with the given mean (Core's rand_exp_duration).
    static base::Duration exponential(base::Duration mean, base::Random& random);

private:
    TrickleOptions m_options;
    base::TimePoint m_next_inbound{};
};

class InvTrickle {
public:
    InvTrickle(TrickleOptions options, Direction direction, base::TimePoint first_send);

    /// Queues an announcement; false when the peer already knows it, it is queued already or the
    /// queue is full. Blocks are not trickled (Core sends them at once): they go out at the next poll.
    bool queue(const InvVect& item);
    /// The peer announced `item` (or we told it): never announce it to this peer.
    void mark_known(const InvVect& item) { m_known.add(item); }
    [[nodiscard]] bool knows(const InvVect& item) const { return m_known.contains(item); }

    /// The inv messages due at `now`: queued blocks always, transactions once the trickle time
    /// has come (then the next one is drawn from `schedule`). Items the peer learnt about while
    /// they waited are skipped.
    std::vector<Inv> poll(base::TimePoint now, InvSchedule& schedule, base::Random& random);
    /// When poll() next has something to do (TimePoint::max() when nothing is queued).
    [[nodiscard]] base::TimePoint next_deadline() const;
    [[nodiscard]] std::size_t queued() const { return m_tx_queue.size() + m_blocks.size(); }
    [[nodiscard]] std::size_t dropped() const { return m_dropped; }

private:
    TrickleOptions m_options;
    Direction m_direction;
    base::TimePoint m_next_send;
    KnownInventory m_known;
    std::vector<InvVect> m_blocks;
    std::vector<InvVect> m_tx_queue;  // arrival order
    std::set<std::pair<std::uint32_t, Hash256>> m_queued;
    std::size_t m_dropped = 0;
};

}  // namespace peerlink::bitcoin
