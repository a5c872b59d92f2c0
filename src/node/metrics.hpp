// A small Prometheus registry: counter and gauge families with fixed label names, collectors
// that refresh gauges from snapshots at scrape time, the text exposition format 0.0.4, and a
// server for GET /metrics. Names follow peerlink_<layer>_<name>_<unit> (counters end in _total).
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "node/http_server.hpp"

namespace peerlink::node::metrics {

/// A monotonic count. Any thread.
class Counter {
public:
    void inc(std::uint64_t n = 1) { m_value.fetch_add(n, std::memory_order_relaxed); }
    /// For collectors mirroring a total kept elsewhere (which must itself never decrease).
    void set(std::uint64_t total) { m_value.store(total, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> m_value{0};
};

/// A value that goes up and down. Any thread.
class Gauge {
public:
    void set(double v) { m_value.store(v, std::memory_order_relaxed); }
    void add(double delta);
    [[nodiscard]] double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0};
};

enum class Type { counter, gauge };

/// One metric name with fixed label names; a child per combination of label values.
template <typename Child>
class Family {
public:
    Family(std::string name, std::string help, std::vector<std::string> label_names)
        : m_name(std::move(name)), m_help(std::move(help)), m_label_names(std::move(label_names)) {}

    /// Any thread. The child for `values` (one per label name, in order), created on first use;
    /// the reference stays valid until clear(). Throws std::invalid_argument on a count mismatch.
    Child& with(const std::vector<std::string>& values);
    /// The child of a family without labels.
    Child& get() { return with({}); }
    /// For families a collector rebuilds at each scrape (label sets come and go): drops every
    /// child; references from with() become invalid, so only the collector may hold them.
    void clear();

    [[nodiscard]] const std::string& name() const { return m_name; }
    [[nodiscard]] const std::string& help() const { return m_help; }
    [[nodiscard]] const std::vector<std::string>& label_names() const { return m_label_names; }
    /// Calls `fn(values, child)` for each child in label-value order, holding the family's lock.
    template <typename Fn>
    void for_each(Fn&& fn) const {
        std::lock_guard lock(m_mutex);
        for (const auto& [values, child] : m_children)
            fn(values, *child);
    }

private:
    std::string m_name;
    std::string m_help;
    std::vector<std::string> m_label_names;
    mutable std::mutex m_mutex;  // guards the map, not the values (atomics)
    std::map<std::vector<std::string>, std::unique_ptr<Child>> m_children;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;

class Registry {
public:
    using Collector = std::function<void()>;

    /// Any thread. Registering a name again returns the same family when type, help and labels
    /// match. Throws std::invalid_argument for a name outside peerlink_<layer>_<name>[_<unit>], a
    /// counter not ending in _total, invalid or duplicate label names, or a conflicting family.
    CounterFamily& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
    GaugeFamily& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names = {});
    /// Runs at every render(), before anything is written, on the scraping thread; it must be
    /// thread-safe itself (read atomics or snapshots). Collectors run one scrape at a time.
    void add_collector(Collector collector);

    /// The text exposition format 0.0.4: families sorted by name, children by label values.
    [[nodiscard]] std::string render();

private:
    struct Entry {
        Type type;
        std::unique_ptr<CounterFamily> counter;
        std::unique_ptr<GaugeFamily> gauge;
    };
    Entry& add(Type type, const std::string& name, const std::string& help,
               std::vector<std::string> label_names);

    std::mutex m_mutex;  // the family map and the collector list
    std::map<std::string, Entry> m_families;
    std::vector<Collector> m_collectors;
    std::mutex m_scrape_mutex;  // one render() at a time
};

/// Throws std::invalid_argument unless `name` is a valid peerlink metric name for `type`.
void validate_metric_name(const std::string& name, Type type);
/// Label value escaping of the exposition format: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 26660;  // CometBFT's prometheus_listen_addr port; 0: ephemeral
};

/// Serves GET /metrics (text/plain; version=0.0.4) from `registry`, which outlives the server.
class MetricsServer {
public:
    MetricsServer(ServerOptions options, Registry& registry);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    base::Result<void> start();
    void stop();
    [[nodiscard]] std::uint16_t port() const { return m_server.port(); }

private:
    Registry& m_registry;
    HttpServer m_server;
};

// ---- template definitions ----

template <typename Child>
Child& Family<Child>::with(const std::vector<std::string>& values) {
    if (values.size() != m_label_names.size()) {
        throw std::invalid_argument("metrics: " + m_name + " takes " + std::to_string(m_label_names.size()) +
                                    " label values, got " + std::to_string(values.size()));
    }
    std::lock_guard lock(m_mutex);
    auto& slot = m_children[values];
    if (!slot) slot = std::make_unique<Child>();
    return *slot;
}

template <typename Child>
void Family<Child>::clear() {
    std::lock_guard lock(m_mutex);
    m_children.clear();
}

}  // namespace peerlink::node::metrics
