// The simulator's single thread of time: a virtual clock and one queue of events ordered by (time,
// insertion order), so two runs that schedule the same events see the same order. Also the trace.
// Single-threaded; owned by sim::Simulation, which outlives every Network and Node that uses it.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"

namespace peerlink::sim {

struct TraceEntry {
    base::TimePoint at;
    std::string text;  // "12.500s b peer_up a outbound"
};

class EventLoop {
public:
    EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    [[nodiscard]] base::Clock& clock() { return m_clock; }
    [[nodiscard]] base::TimePoint now() const { return m_clock.now(); }
    /// Virtual time zero: what trace times and elapsed() count from.
    [[nodiscard]] base::TimePoint start() const { return m_start; }
    [[nodiscard]] base::Duration elapsed() const { return now() - m_start; }

    /// Runs `event` at `at` (at once, after what is already due, when `at` is in the past).
    void schedule(base::TimePoint at, std::function<void()> event);
    void schedule_after(base::Duration delay, std::function<void()> event) {
        schedule(now() + delay, std::move(event));
    }

    /// Runs every event due at or before `until`, then leaves the clock at `until`.
    void run_until(base::TimePoint until);
    /// Runs events until `done()` holds (checked before the first event and after each one) or
    /// the next event lies beyond `limit`. Returns whether `done()` held; the clock stays at the
    /// last event run, or moves to `limit` when it gave up.
    bool run_until(const std::function<bool()>& done, base::TimePoint limit);
    [[nodiscard]] std::size_t pending_events() const { return m_queue.size(); }

    /// Appends "<time> <who> <what>" to the trace.
    void record(std::string_view who, std::string_view what);
    [[nodiscard]] const std::vector<TraceEntry>& trace() const { return m_trace; }
    /// The trace as text lines, for equality checks between runs.
    [[nodiscard]] std::vector<std::string> trace_lines() const;
    /// "12.500s": virtual time since start(), in seconds with millisecond digits (microseconds
    /// are added when the time is not a whole millisecond).
    [[nodiscard]] std::string format_time(base::TimePoint t) const;

private:
    struct Event {
        base::TimePoint at;
        std::uint64_t sequence;
        std::function<void()> run;
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const {
            return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
        }
    };

    /// Pops and runs the earliest event if it is due at or before `limit`.
    bool run_next(base::TimePoint limit);

    base::ManualClock m_clock;
    base::TimePoint m_start;
    std::uint64_t m_sequence = 0;
    std::vector<Event> m_queue;  // a heap under Later: earliest at the front
    std::vector<TraceEntry> m_trace;
};

}  // namespace peerlink::sim
