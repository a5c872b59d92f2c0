#include "node/metrics.hpp"

#include <httplib.h>
#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <set>
#include <stdexcept>

namespace peerlink::node::metrics {

namespace {

bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

void validate_label_names(const std::string& metric, const std::vector<std::string>& names) {
    std::set<std::string> seen;
    for (const auto& n : names) {
        bool ok = !n.empty() && !(n[0] >= '0' && n[0] <= '9') && n.rfind("__", 0) != 0 && n != "le" &&
                  n != "quantile";
        for (const char c : n)
            ok = ok && (lower_alnum(c) || c == '_');
        if (!ok) throw std::invalid_argument("metrics: " + metric + ": invalid label name \"" + n + "\"");
        if (!seen.insert(n).second) {
            throw std::invalid_argument("metrics: " + metric + ": duplicate label name \"" + n + "\"");
        }
    }
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_value(std::uint64_t v) {
    return std::to_string(v);
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);  // shortest text that reads back as the same double
}

template <typename Child>
void render_family(std::string& out, const Family<Child>& family, const char* type) {
    std::string samples;
    family.for_each([&](const std::vector<std::string>& values, const Child& child) {
        samples += family.name();
        if (!values.empty()) {
            samples += '{';
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (i > 0) samples += ',';
                samples += family.label_names()[i];
                samples += "=\"";
                samples += escape_label_value(values[i]);
                samples += '"';
            }
            samples += '}';
        }
        samples += ' ';
        samples += format_value(child.value());
        samples += '\n';
    });
    if (samples.empty()) return;  // a labelled family nobody has used yet
    out += "# HELP " + family.name() + ' ' + escape_help(family.help()) + '\n';
    out += "# TYPE " + family.name() + ' ' + type + '\n';
    out += samples;
}

}  // namespace

void Gauge::add(double delta) {
    double current = m_value.load(std::memory_order_relaxed);
    while (!m_value.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
    }
}

void validate_metric_name(const std::string& name, Type type) {
    // peerlink_<layer>_<name>[_<unit>]: lower-case words joined by single underscores.
    constexpr std::string_view k_prefix = "peerlink_";
    bool ok = name.rfind(k_prefix, 0) == 0 && name.size() > k_prefix.size();
    std::size_t words = 0;
    bool in_word = false;
    for (std::size_t i = k_prefix.size(); ok && i < name.size(); ++i) {
        if (lower_alnum(name[i])) {
            if (!in_word) ++words;
            in_word = true;
        } else if (name[i] == '_' && in_word) {
            in_word = false;
        } else {
            ok = false;
        }
    }
    ok = ok && in_word && words >= 2;
    if (!ok) {
        throw std::invalid_argument("metrics: \"" + name +
                                    "\" is not peerlink_<layer>_<name>[_<unit>] in lower-case");
    }
    const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    if (type == Type::counter && !total)
        throw std::invalid_argument("metrics: counter \"" + name + "\" must end in _total");
    if (type == Type::gauge && total)
        throw std::invalid_argument("metrics: gauge \"" + name + "\" must not end in _total");
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

Registry::Entry& Registry::add(Type type, const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
    validate_metric_name(name, type);
    validate_label_names(name, label_names);
    std::lock_guard lock(m_mutex);
    if (const auto found = m_families.find(name); found != m_families.end()) {
        const Entry& e = found->second;
        const bool same =
            e.type == type &&
            (type == Type::counter ? e.counter->help() == help && e.counter->label_names() == label_names
                                   : e.gauge->help() == help && e.gauge->label_names() == label_names);
        if (!same) throw std::invalid_argument("metrics: \"" + name + "\" is already registered differently");
        return found->second;
    }
    Entry entry{.type = type, .counter = nullptr, .gauge = nullptr};
    const bool unlabelled = label_names.empty();
    if (type == Type::counter) {
        entry.counter = std::make_unique<CounterFamily>(name, help, std::move(label_names));
        if (unlabelled) entry.counter->get();  // exported as 0 until first counted
    } else {
        entry.gauge = std::make_unique<GaugeFamily>(name, help, std::move(label_names));
        if (unlabelled) entry.gauge->get();
    }
    return m_families.emplace(name, std::move(entry)).first->second;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
    return *add(Type::counter, name, help, std::move(label_names)).counter;
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names) {
    return *add(Type::gauge, name, help, std::move(label_names)).gauge;
}

void Registry::add_collector(Collector collector) {
    std::lock_guard lock(m_mutex);
    m_collectors.push_back(std::move(collector));
}

std::string Registry::render() {
    std::lock_guard scrape(m_scrape_mutex);
    std::vector<Collector> collectors;
    {
        std::lock_guard lock(m_mutex);
        collectors = m_collectors;
    }
    // Outside m_mutex: a collector may register families or look them up.
    for (const auto& c : collectors)
        c();
    std::string out;
    std::lock_guard lock(m_mutex);
    for (const auto& [name, entry] : m_families) {
        if (entry.type == Type::counter) {
            render_family(out, *entry.counter, "counter");
        } else {
            render_family(out, *entry.gauge, "gauge");
        }
    }
    return out;
}

MetricsServer::MetricsServer(ServerOptions options, Registry& registry)
    : m_registry(registry),
      m_server(HttpServerOptions{.host = options.host, .port = options.port, .threads = 1}) {
    auto& server = m_server.server();
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(m_registry.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            res.set_content(res.status == 404 ? "not found: try /metrics\n" : "bad request\n", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }));
}

MetricsServer::~MetricsServer() {
    stop();
}

base::Result<void> MetricsServer::start() {
    return m_server.start();
}

void MetricsServer::stop() {
    m_server.stop();
}

}  // namespace peerlink::node::metrics
