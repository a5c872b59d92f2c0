#include "sim/event_loop.hpp"

#include <algorithm>
#include <cstdio>

namespace peerlink::sim {

EventLoop::EventLoop() : m_start(m_clock.now()) {}

void EventLoop::schedule(base::TimePoint at, std::function<void()> event) {
    // Never in the past: the clock only moves forward.
    m_queue.push_back(Event{std::max(at, now()), m_sequence++, std::move(event)});
    std::push_heap(m_queue.begin(), m_queue.end(), Later{});
}

bool EventLoop::run_next(base::TimePoint limit) {
    if (m_queue.empty() || m_queue.front().at > limit) return false;
    // Moved out before running: the event may schedule more, which reorders the heap.
    std::pop_heap(m_queue.begin(), m_queue.end(), Later{});
    Event event = std::move(m_queue.back());
    m_queue.pop_back();
    m_clock.set(event.at);
    event.run();
    return true;
}

void EventLoop::run_until(base::TimePoint until) {
    while (run_next(until)) {
    }
    if (until > now()) m_clock.set(until);
}

bool EventLoop::run_until(const std::function<bool()>& done, base::TimePoint limit) {
    for (;;) {
        if (done()) return true;
        if (!run_next(limit)) break;
    }
    if (limit > now()) m_clock.set(limit);
    return done();
}

void EventLoop::record(std::string_view who, std::string_view what) {
    std::string text = format_time(now());
    text += ' ';
    text += who;
    text += ' ';
    text += what;
    m_trace.push_back({now(), std::move(text)});
}

std::vector<std::string> EventLoop::trace_lines() const {
    std::vector<std::string> lines;
    lines.reserve(m_trace.size());
    for (const auto& e : m_trace)
        lines.push_back(e.text);
    return lines;
}

std::string EventLoop::format_time(base::TimePoint t) const {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - m_start).count();
    const long long whole = us / 1'000'000;
    const long long micros = us % 1'000'000;
    char text[48];
    if (micros % 1000 == 0) {
        std::snprintf(text, sizeof text, "%lld.%03llds", whole, micros / 1000);
    } else {
        std::snprintf(text, sizeof text, "%lld.%06llds", whole, micros);
    }
    return text;
}

}  // namespace peerlink::sim
