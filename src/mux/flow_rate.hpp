// A token bucket that keeps a byte stream under a rate (CometBFT's flowrate.Monitor.Limit, without
// sleeping: it tells the driver how much it may move now and when to ask again).
#pragma once
#include <algorithm>
#include <cstdint>

#include "base/clock.hpp"

namespace peerlink::mux {

class FlowRate {
public:
    /// `rate` bytes/s (0 = unlimited); `burst` bytes may go at once after an idle period.
    FlowRate(std::uint64_t rate, std::uint64_t burst, base::TimePoint now)
        : m_rate(rate),
          m_burst(static_cast<double>(burst)),
          m_tokens(static_cast<double>(burst)),
          m_last(now) {}

    [[nodiscard]] bool unlimited() const { return m_rate == 0; }
    /// Bytes that may move now (may be less than a packet; callers may overdraw by one packet).
    [[nodiscard]] std::uint64_t available(base::TimePoint now) {
        refill(now);
        return m_tokens > 0 ? static_cast<std::uint64_t>(m_tokens) : 0;
    }
    /// Records `n` bytes moved; the balance may go negative (paid back before the next move).
    void spend(std::uint64_t n) {
        if (!unlimited()) m_tokens -= static_cast<double>(n);
    }
    /// When available() will be at least `amount` (<= burst) again.
    [[nodiscard]] base::TimePoint next_available(base::TimePoint now, std::uint64_t amount = 1) {
        refill(now);
        const double wanted = std::min(static_cast<double>(amount), m_burst);
        // available() truncates, so a balance just below `wanted` is still "not enough".
        if (unlimited() || m_tokens >= wanted) return now;
        const double seconds = (wanted - m_tokens) / static_cast<double>(m_rate);
        // Rounded up plus one tick: a time that rounds down would find too little again and make
        // the caller spin.
        return now + std::chrono::ceil<base::Duration>(std::chrono::duration<double>(seconds)) +
               base::Duration(1);
    }

private:
    void refill(base::TimePoint now) {
        if (unlimited() || now <= m_last) return;
        const double elapsed = std::chrono::duration<double>(now - m_last).count();
        m_tokens = std::min(m_burst, m_tokens + elapsed * static_cast<double>(m_rate));
        m_last = now;
    }

    std::uint64_t m_rate;
    double m_burst;
    double m_tokens;
    base::TimePoint m_last;
};

}  // namespace peerlink::mux
