#include "sim/simulation.hpp"

#include <stdexcept>

namespace peerlink::sim {

Simulation::Simulation(std::uint64_t seed, NetworkOptions network)
    : m_random(seed), m_network(m_loop, m_random.next_u64(), network) {}

Node& Simulation::add_node(std::string name, NodeOptions options) {
    for (const auto& n : m_nodes) {
        if (n->name() == name) throw std::invalid_argument("sim: two nodes called " + name);
    }
    const std::uint64_t seed = m_random.next_u64();
    m_nodes.push_back(std::make_unique<Node>(m_loop, m_network, std::move(name), std::move(options), seed));
    return *m_nodes.back();
}

Node& Simulation::node(std::string_view name) {
    for (const auto& n : m_nodes) {
        if (n->name() == name) return *n;
    }
    throw std::out_of_range("sim: no node called " + std::string(name));
}

void Simulation::partition(const std::vector<std::vector<std::string>>& groups, PartitionMode mode) {
    std::vector<std::vector<std::string>> ips;
    ips.reserve(groups.size());
    for (const auto& group : groups) {
        auto& out = ips.emplace_back();
        for (const auto& name : group)
            out.push_back(node(name).ip());
    }
    m_network.partition(ips, mode);
}

void Simulation::set_latency(std::string_view a, std::string_view b, base::Duration latency) {
    m_network.set_latency(node(a).ip(), node(b).ip(), latency);
}

std::vector<base::TimePoint> Simulation::find_all(std::string_view event, base::TimePoint from,
                                                  base::TimePoint to) const {
    std::vector<base::TimePoint> out;
    for (const auto& entry : m_loop.trace()) {
        if (entry.at < from || entry.at > to) continue;
        const std::string_view text = entry.text;
        const auto space = text.find(' ');
        if (space == std::string_view::npos) continue;
        const std::string_view rest = text.substr(space + 1);
        if (rest.starts_with(event) && (rest.size() == event.size() || rest[event.size()] == ' '))
            out.push_back(entry.at);
    }
    return out;
}

std::optional<base::TimePoint> Simulation::find(std::string_view event, base::TimePoint from) const {
    const auto all = find_all(event, from);
    if (all.empty()) return std::nullopt;
    return all.front();
}

}  // namespace peerlink::sim
