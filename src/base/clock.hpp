// Time for every sans-I/O core: the current time is read from a Clock that drivers own, so tests and
// the simulator use a ManualClock and assert exact virtual times. Peers never move our clock.
#pragma once
#include <chrono>

namespace peerlink::base {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

class Clock {
public:
    virtual TimePoint now() const = 0;

protected:
    ~Clock() = default;
};

/// The monotonic clock of the machine.
class SystemClock final : public Clock {
public:
    TimePoint now() const override { return SteadyClock::now(); }
};

/// A clock that moves only when told; starts at an arbitrary fixed point, not zero.
class ManualClock final : public Clock {
public:
    ManualClock() : m_now(TimePoint{} + std::chrono::hours(1)) {}
    TimePoint now() const override { return m_now; }
    void advance(Duration d) { m_now += d; }
    void set(TimePoint t) { m_now = t; }

private:
    TimePoint m_now;
};

}  // namespace peerlink::base
