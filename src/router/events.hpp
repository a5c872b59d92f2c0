// The router's public event stream (libtorrent's alerts): a bounded queue any thread may drain;
// when full, new events are dropped and counted rather than blocking the network thread.
#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "base/clock.hpp"
#include "peer/node_id.hpp"

namespace peerlink::router {

enum class EventKind { peer_up, peer_down, handshake_rejected, dial_failed };

struct Event {
    EventKind kind = EventKind::peer_up;
    base::TimePoint time;
    peer::NodeId id;      // empty when not known (e.g. a handshake that failed early)
    std::string address;  // ip:port or id@host:port
    peer::Direction direction = peer::Direction::outbound;
    std::error_code reason;  // peer_down, handshake_rejected, dial_failed
};

class EventQueue {
public:
    explicit EventQueue(std::size_t capacity) : m_capacity(capacity) {}
    void push(Event event) {
        std::lock_guard lock(m_mutex);
        if (m_events.size() >= m_capacity) {
            ++m_dropped;
            return;
        }
        m_events.push_back(std::move(event));
    }
    /// Takes up to `max` events, oldest first.
    std::vector<Event> poll(std::size_t max = SIZE_MAX) {
        std::lock_guard lock(m_mutex);
        const std::size_t n = std::min(max, m_events.size());
        std::vector<Event> out(std::make_move_iterator(m_events.begin()),
                               std::make_move_iterator(m_events.begin() + static_cast<std::ptrdiff_t>(n)));
        m_events.erase(m_events.begin(), m_events.begin() + static_cast<std::ptrdiff_t>(n));
        return out;
    }
    [[nodiscard]] std::uint64_t dropped() const {
        std::lock_guard lock(m_mutex);
        return m_dropped;
    }

private:
    mutable std::mutex m_mutex;
    std::deque<Event> m_events;
    std::size_t m_capacity;
    std::uint64_t m_dropped = 0;
};

}  // namespace peerlink::router
