// A deterministic simulation: many nodes in one process on a virtual clock and an in-memory
// network, reproducible from one seed (same seed, same trace). The entry point of sim tests.
// Single-threaded; owns the event loop, the network and the nodes.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/random.hpp"
#include "sim/event_loop.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"

namespace peerlink::sim {

class Simulation {
public:
    explicit Simulation(std::uint64_t seed, NetworkOptions network = {});

    /// A started node on the next address; its keys and jitter come from the simulation's seed and
    /// the order nodes are added in.
    Node& add_node(std::string name, NodeOptions options = {});
    /// The node called `name`; throws std::out_of_range for an unknown name.
    [[nodiscard]] Node& node(std::string_view name);

    [[nodiscard]] EventLoop& loop() { return m_loop; }
    [[nodiscard]] Network& network() { return m_network; }
    [[nodiscard]] base::TimePoint now() const { return m_loop.now(); }
    /// The virtual time `since_start` after time zero.
    [[nodiscard]] base::TimePoint at(base::Duration since_start) const {
        return m_loop.start() + since_start;
    }
    [[nodiscard]] base::Duration elapsed() const { return m_loop.elapsed(); }

    void run_until(base::TimePoint until) { m_loop.run_until(until); }
    void run_for(base::Duration duration) { m_loop.run_until(now() + duration); }
    /// Runs until `done()` holds or `limit`; returns whether it held.
    bool run_until(const std::function<bool()>& done, base::TimePoint limit) {
        return m_loop.run_until(done, limit);
    }
    /// Runs `event` at `at` (e.g. a stop or restart in the middle of a run).
    void schedule(base::TimePoint at, std::function<void()> event) { m_loop.schedule(at, std::move(event)); }

    /// Groups by node name; see Network::partition.
    void partition(const std::vector<std::vector<std::string>>& groups,
                   PartitionMode mode = PartitionMode::reset);
    void heal() { m_network.heal(); }
    void set_loss(double probability) { m_network.set_loss(probability); }
    void set_latency(std::string_view a, std::string_view b, base::Duration latency);

    [[nodiscard]] const std::vector<TraceEntry>& trace() const { return m_loop.trace(); }
    [[nodiscard]] std::vector<std::string> trace_lines() const { return m_loop.trace_lines(); }
    /// Times of the trace entries in [from, to] that, after their time, start with the words of
    /// `event`: "a peer_up b" matches "a peer_up b outbound", not "a peer_up bc".
    [[nodiscard]] std::vector<base::TimePoint> find_all(std::string_view event, base::TimePoint from = {},
                                                        base::TimePoint to = base::TimePoint::max()) const;
    /// The first of find_all, if any.
    [[nodiscard]] std::optional<base::TimePoint> find(std::string_view event,
                                                      base::TimePoint from = {}) const;

private:
    EventLoop m_loop;
    base::Random m_random;
    Network m_network;
    std::vector<std::unique_ptr<Node>> m_nodes;  // after the loop and network they refer to
};

}  // namespace peerlink::sim
