#include "connmgr/inbound_throttle.hpp"

#include <algorithm>

namespace peerlink::connmgr {

InboundThrottle::InboundThrottle(std::size_t max_attempts, base::Duration window, std::size_t max_ips)
    : m_max_attempts(max_attempts), m_window(window), m_max_ips(std::max<std::size_t>(max_ips, 1)) {}

void InboundThrottle::forget_expired(base::TimePoint now) {
    // The list is ordered by last attempt, so whole entries expire from the front.
    while (!m_by_last_attempt.empty() && m_by_last_attempt.front().attempts.back() + m_window <= now) {
        m_index.erase(m_by_last_attempt.front().ip);
        m_by_last_attempt.pop_front();
    }
}

bool InboundThrottle::try_attempt(const IpAddress& ip, base::TimePoint now) {
    if (m_max_attempts == 0) return true;
    forget_expired(now);
    if (auto found = m_index.find(ip); found != m_index.end()) {
        auto& attempts = found->second->attempts;
        const auto live = std::find_if(attempts.begin(), attempts.end(),
                                       [&](base::TimePoint t) { return t + m_window > now; });
        attempts.erase(attempts.begin(), live);
        if (attempts.size() >= m_max_attempts) return false;
        attempts.push_back(now);
        m_by_last_attempt.splice(m_by_last_attempt.end(), m_by_last_attempt, found->second);
        return true;
    }
    if (m_index.size() >= m_max_ips) {
        m_index.erase(m_by_last_attempt.front().ip);
        m_by_last_attempt.pop_front();
    }
    m_by_last_attempt.push_back(Entry{ip, {now}});
    m_index.emplace(ip, std::prev(m_by_last_attempt.end()));
    return true;
}

}  // namespace peerlink::connmgr
