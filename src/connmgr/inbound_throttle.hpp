// Per-IP limit on inbound connection attempts, so one address cannot tie up the handshake slots:
// at most `max_attempts` admitted attempts from one IP within any `window` (a sliding-window log).
// Node thread only; owned by ConnManager.
#pragma once
#include <cstddef>
#include <list>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "connmgr/ip_address.hpp"

namespace peerlink::connmgr {

class InboundThrottle {
public:
    /// `max_attempts` 0 disables the limit. The table holds at most `max_ips` addresses; past that
    /// the address whose last attempt is oldest is forgotten (it may then try again early, which
    /// is the price of a bounded table).
    InboundThrottle(std::size_t max_attempts, base::Duration window, std::size_t max_ips);

    /// Records an attempt from `ip` at `now` and returns true, or returns false without recording
    /// when `ip` already made `max_attempts` attempts within the window (refusals never extend it).
    bool try_attempt(const IpAddress& ip, base::TimePoint now);

    /// Addresses currently tracked.
    [[nodiscard]] std::size_t size() const { return m_index.size(); }

private:
    struct Entry {
        IpAddress ip;
        std::vector<base::TimePoint> attempts;  // oldest first, at most max_attempts
    };
    using List = std::list<Entry>;

    void forget_expired(base::TimePoint now);

    std::size_t m_max_attempts;
    base::Duration m_window;
    std::size_t m_max_ips;
    List m_by_last_attempt;  // oldest last attempt first
    std::unordered_map<IpAddress, List::iterator> m_index;
};

}  // namespace peerlink::connmgr
