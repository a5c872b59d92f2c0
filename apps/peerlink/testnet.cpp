#include "apps/peerlink/testnet.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "base/file.hpp"
#include "base/log.hpp"
#include "node/config.hpp"
#include "profiles/cometbft/node_key.hpp"

namespace peerlink::apps {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct NodeProcess {
    unsigned index = 0;
    fs::path home;
    std::string id;
    std::uint16_t p2p_port = 0;
    std::uint16_t rpc_port = 0;
    pid_t pid = -1;
    int exit_status = -1;  // after wait: the exit code, or 128 + signal
    bool running = false;
    // Last poll:
    bool up = false;
    std::size_t peers = 0;
    std::size_t book = 0;
    std::set<std::string> peer_ids;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t dropped = 0;
};

std::optional<json> get_json(const NodeProcess& node, const std::string& path) {
    httplib::Client client("127.0.0.1", node.rpc_port);
    client.set_connection_timeout(0, 300'000);
    client.set_read_timeout(5, 0);
    auto res = client.Get(path.c_str());
    if (!res || res->status != 200) return std::nullopt;
    auto parsed = json::parse(res->body, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("result")) return std::nullopt;
    return parsed["result"];
}

std::optional<json> post_json(const NodeProcess& node, const std::string& path, const json& body) {
    httplib::Client client("127.0.0.1", node.rpc_port);
    client.set_connection_timeout(0, 300'000);
    client.set_read_timeout(5, 0);
    auto res = client.Post(path.c_str(), body.dump(), "application/json");
    if (!res || res->status != 200) return std::nullopt;
    auto parsed = json::parse(res->body, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("result")) return std::nullopt;
    return parsed["result"];
}

void poll_node(NodeProcess& node) {
    auto status = get_json(node, "/status");
    node.up = status.has_value();
    if (!status) return;
    node.book = (*status)["known_nodes"].get<std::size_t>();
    node.bytes_sent = (*status)["traffic"]["bytes_sent"].get<std::uint64_t>();
    node.bytes_received = (*status)["traffic"]["bytes_received"].get<std::uint64_t>();
    if (auto info = get_json(node, "/net_info")) {
        node.peer_ids.clear();
        for (const auto& p : (*info)["peers"])
            node.peer_ids.insert(p["node_info"]["id"].get<std::string>());
        node.peers = node.peer_ids.size();
    }
}

/// Every node reachable from the first one over current peer links.
bool connected(const std::vector<NodeProcess>& nodes) {
    std::map<std::string, const NodeProcess*> by_id;
    for (const auto& n : nodes)
        by_id[n.id] = &n;
    std::set<std::string> seen{nodes.front().id};
    std::vector<std::string> todo{nodes.front().id};
    while (!todo.empty()) {
        const auto id = todo.back();
        todo.pop_back();
        for (const auto& p : by_id[id]->peer_ids) {
            if (by_id.contains(p) && seen.insert(p).second) todo.push_back(p);
        }
        // Links are symmetric, but a poll may see one side first: follow inbound links too.
        for (const auto& n : nodes) {
            if (n.peer_ids.contains(id) && seen.insert(n.id).second) todo.push_back(n.id);
        }
    }
    return seen.size() == nodes.size();
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(rank));
    const auto hi = static_cast<std::size_t>(std::ceil(rank));
    return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

std::string fixed(double v, int digits = 1) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(digits);
    out << v;
    return out.str();
}

/// A CDF of every (node, message) delivery latency, with the per-message maxima marked.
std::string latency_svg(std::vector<double> deliveries, const std::vector<double>& propagation,
                        unsigned nodes) {
    std::sort(deliveries.begin(), deliveries.end());
    const double width = 640, height = 400, left = 60, bottom = 50, top = 40, right = 20;
    double max_ms = 1;
    for (double v : deliveries)
        max_ms = std::max(max_ms, v);
    const auto x = [&](double ms) { return left + ms / max_ms * (width - left - right); };
    const auto y = [&](double frac) { return height - bottom - frac * (height - bottom - top); };
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
        << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
    svg << "<text x='" << left << "' y='20' font-size='14'>Gossip delivery latency, " << nodes
        << " nodes: fraction of deliveries within t</text>\n";
    svg << "<line x1='" << left << "' y1='" << y(0) << "' x2='" << width - right << "' y2='" << y(0)
        << "' stroke='black'/>\n<line x1='" << left << "' y1='" << y(0) << "' x2='" << left << "' y2='"
        << y(1) << "' stroke='black'/>\n";
    for (int i = 0; i <= 4; ++i) {
        const double ms = max_ms * i / 4;
        svg << "<text x='" << x(ms) << "' y='" << y(0) + 18 << "' text-anchor='middle'>" << fixed(ms)
            << "</text>\n";
        svg << "<text x='" << left - 6 << "' y='" << y(i / 4.0) + 4 << "' text-anchor='end'>"
            << fixed(i / 4.0, 2) << "</text>\n";
    }
    svg << "<text x='" << (left + width - right) / 2 << "' y='" << height - 12
        << "' text-anchor='middle'>latency (ms)</text>\n";
    svg << "<polyline fill='none' stroke='#1f77b4' stroke-width='2' points='";
    for (std::size_t i = 0; i < deliveries.size(); ++i) {
        const double frac = static_cast<double>(i + 1) / static_cast<double>(deliveries.size());
        svg << x(deliveries[i]) << "," << y(frac) << " ";
    }
    svg << "'/>\n";
    for (double v : propagation)
        svg << "<circle cx='" << x(v) << "' cy='" << y(1) << "' r='3' fill='#d62728'/>\n";
    svg << "<text x='" << width - right << "' y='" << top - 6
        << "' text-anchor='end' fill='#d62728'>dots: time for a message to reach every node</text>\n</svg>\n";
    return svg.str();
}

void write_text(const fs::path& path, const std::string& text) {
    auto ok =
        base::write_file_atomic(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    if (!ok.ok()) throw std::runtime_error("cannot write " + path.string() + ": " + ok.error().message());
}

pid_t spawn(const std::string& exe, const NodeProcess& node) {
    const fs::path log = node.home / "node.log";
    const pid_t pid = fork();
    if (pid != 0) return pid;
    // Child: the node dies with the testnet command, logs to its home, gets default signals.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    const std::string home = node.home.string();
    execl(exe.c_str(), exe.c_str(), "start", "--home", home.c_str(), static_cast<char*>(nullptr));
    _exit(127);
}

void reap(NodeProcess& node, bool block) {
    if (!node.running) return;
    int status = 0;
    const pid_t r = waitpid(node.pid, &status, block ? 0 : WNOHANG);
    if (r != node.pid) return;
    node.running = false;
    node.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

void add_testnet_options(CLI::App& command, TestnetOptions& o) {
    command.add_option("--nodes", o.nodes, "Number of nodes")
        ->check(CLI::Range(2u, 1000u))
        ->capture_default_str();
    command.add_option("--seeds", o.seeds, "How many of them the others know (as p2p.seeds)")
        ->check(CLI::Range(1u, 100u))
        ->capture_default_str();
    command.add_option("--duration", o.duration, "Seconds to wait for every message to reach every node")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command.add_option("--discovery-timeout", o.discovery_timeout, "Seconds to wait for full discovery")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command.add_option("--messages", o.messages, "Gossip messages to inject from random nodes")
        ->capture_default_str();
    command.add_option("--message-size", o.message_size, "Bytes per gossip message")
        ->check(CLI::Range(std::size_t{16}, std::size_t{60000}))
        ->capture_default_str();
    command.add_option("--out", o.out, "Directory for the node homes, report.json and latency.svg")
        ->capture_default_str();
    command.add_option("--base-port", o.base_port, "First port (node i: base+2i P2P, base+2i+1 API)")
        ->check(CLI::Range(1024u, 32000u))
        ->capture_default_str();
    command.add_option("--log-level", o.log_level, "log_level of every node (node.log in its home)")
        ->capture_default_str();
    command.add_option("--max-outbound", o.max_outbound, "p2p.max_num_outbound_peers of every node")
        ->capture_default_str();
}

int run_testnet(const TestnetOptions& o, const char* argv0) {
    if (o.seeds > o.nodes) throw std::runtime_error("--seeds must not exceed --nodes");
    if (o.base_port + 2 * o.nodes > 32768)
        throw std::runtime_error(
            "ports would reach 32768 (the ephemeral range): lower --base-port or --nodes");
    std::error_code ec;
    std::string exe = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec) exe = argv0;
    const fs::path out = fs::absolute(o.out);
    fs::remove_all(out / "nodes", ec);
    fs::create_directories(out / "nodes");
    const bool tty = isatty(STDOUT_FILENO) != 0;

    // ---- homes ----
    base::log::set_level(base::log::Category::cometbft, spdlog::level::warn);  // one line per key is noise
    std::vector<NodeProcess> nodes(o.nodes);
    for (unsigned i = 0; i < o.nodes; ++i) {
        auto& n = nodes[i];
        n.index = i;
        n.home = out / "nodes" / ("node" + std::to_string(i));
        n.p2p_port = static_cast<std::uint16_t>(o.base_port + 2 * i);
        n.rpc_port = static_cast<std::uint16_t>(o.base_port + 2 * i + 1);
        fs::create_directories(n.home / "config");
        auto key = cometbft::load_or_create_node_key(n.home / "config" / "node_key.json");
        if (!key.ok()) throw std::runtime_error("node key: " + key.error().message());
        n.id = key->id().to_hex();
    }
    for (auto& n : nodes) {
        node::Config c;
        c.moniker = "node" + std::to_string(n.index);
        c.network = "peerlink-testnet";
        c.p2p.laddr = "tcp://127.0.0.1:" + std::to_string(n.p2p_port);
        std::string seeds;
        for (unsigned s = 0; s < o.seeds; ++s) {
            if (s == n.index) continue;
            if (!seeds.empty()) seeds += ",";
            seeds += nodes[s].id + "@127.0.0.1:" + std::to_string(nodes[s].p2p_port);
        }
        c.p2p.seeds = seeds;
        c.p2p.addr_book_strict = false;   // 127.0.0.1 is not routable
        c.p2p.allow_duplicate_ip = true;  // every node shares one IP
        c.p2p.max_num_outbound_peers = o.max_outbound;
        c.p2p.flush_throttle_timeout = 10ms;  // CometBFT v1.0's value: latency over batching
        c.rpc.laddr = "tcp://127.0.0.1:" + std::to_string(n.rpc_port);
        c.rpc.unsafe = true;  // the testnet injects messages through the API
        c.log_level = o.log_level;
        c.validate("testnet");
        write_text(n.home / "config" / "config.toml", node::render_config(c));
    }

    // ---- start ----
    const auto t0 = Clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    // Seeds first, and the others once the seeds listen: a node whose first dial to a seed is
    // refused waits out its dial backoff before trying again.
    for (unsigned i = 0; i < o.nodes; ++i) {
        if (i == o.seeds) {
            const auto deadline = Clock::now() + 10s;
            while (Clock::now() < deadline &&
                   !std::all_of(nodes.begin(), nodes.begin() + o.seeds,
                                [](auto& n) { return get_json(n, "/status").has_value(); }))
                std::this_thread::sleep_for(20ms);
        }
        nodes[i].pid = spawn(exe, nodes[i]);
        nodes[i].running = nodes[i].pid > 0;
    }
    std::cout << "testnet: " << o.nodes << " nodes (" << o.seeds << " seeds) in " << (out / "nodes").string()
              << ", ports " << o.base_port << "-" << o.base_port + 2 * o.nodes - 1 << std::endl;

    bool failed = false;
    std::string failure;
    std::optional<double> discovery_time;
    std::optional<double> outbound_time;
    const unsigned target_outbound = std::min(o.max_outbound, o.nodes - 1);
    auto last_print = Clock::now() - 10s;
    const auto progress = [&](const std::string& extra) {
        std::size_t up = 0, min_peers = SIZE_MAX, max_peers = 0, sum_peers = 0, min_book = SIZE_MAX;
        for (const auto& n : nodes) {
            if (!n.up) continue;
            ++up;
            min_peers = std::min(min_peers, n.peers);
            max_peers = std::max(max_peers, n.peers);
            sum_peers += n.peers;
            min_book = std::min(min_book, n.book);
        }
        if (up == 0) min_peers = min_book = 0;
        std::ostringstream line;
        line << "[" << fixed(elapsed()) << "s] up " << up << "/" << nodes.size() << " | peers min/avg/max "
             << min_peers << "/" << fixed(up ? static_cast<double>(sum_peers) / static_cast<double>(up) : 0)
             << "/" << max_peers << " | discovery (fewest known) " << min_book << "/" << nodes.size() - 1
             << extra;
        if (tty) {
            std::cout << "\r\033[K" << line.str() << std::flush;
        } else if (Clock::now() - last_print >= 2s) {
            std::cout << line.str() << std::endl;
            last_print = Clock::now();
        }
    };
    const auto check_processes = [&] {
        for (auto& n : nodes) {
            reap(n, false);
            if (!n.running && !failed) {
                failed = true;
                failure = "node" + std::to_string(n.index) + " exited with status " +
                          std::to_string(n.exit_status) + " (see " + (n.home / "node.log").string() + ")";
            }
        }
    };

    // ---- discovery ----
    while (!failed) {
        for (auto& n : nodes)
            poll_node(n);
        check_processes();
        const bool all_up = std::all_of(nodes.begin(), nodes.end(), [](const auto& n) { return n.up; });
        const bool discovered = all_up && std::all_of(nodes.begin(), nodes.end(), [&](const auto& n) {
                                    return n.book >= nodes.size() - 1;
                                });
        if (discovered && !discovery_time) discovery_time = elapsed();
        progress("");
        if (discovered && connected(nodes)) break;
        if (elapsed() > o.discovery_timeout) {
            failed = true;
            failure = "no full discovery within " + fixed(o.discovery_timeout) + " s";
            break;
        }
        std::this_thread::sleep_for(250ms);
    }
    if (tty) std::cout << "\n";
    (void)outbound_time;
    (void)target_outbound;

    // ---- messages ----
    struct Injected {
        std::string id;
        unsigned origin = 0;
        std::int64_t published_ns = 0;
    };
    std::vector<Injected> injected;
    std::mt19937_64 rng(std::random_device{}());
    if (!failed) {
        for (unsigned m = 0; m < o.messages; ++m) {
            const unsigned origin = static_cast<unsigned>(rng() % nodes.size());
            std::string data;
            static constexpr char digits[] = "0123456789abcdef";
            for (std::size_t b = 0; b < o.message_size; ++b) {
                const auto byte = static_cast<unsigned>(rng() & 0xff);
                data += digits[byte >> 4];
                data += digits[byte & 15];
            }
            auto res = post_json(nodes[origin], "/gossip/publish", {{"data", data}});
            if (!res) {
                failed = true;
                failure = "node" + std::to_string(origin) + " refused a gossip publish";
                break;
            }
            injected.push_back(
                {(*res)["id"].get<std::string>(), origin, (*res)["unix_ns"].get<std::int64_t>()});
            std::this_thread::sleep_for(50ms);
        }
    }

    // ---- delivery ----
    // message id -> node index -> delivery time
    std::map<std::string, std::map<unsigned, std::int64_t>> delivered;
    const auto wait_start = Clock::now();
    std::size_t complete = 0;
    while (!failed && !injected.empty()) {
        for (auto& n : nodes) {
            auto info = get_json(n, "/gossip");
            if (!info) continue;
            n.duplicates = (*info)["stats"]["duplicates"].get<std::uint64_t>();
            n.dropped = (*info)["stats"]["dropped"].get<std::uint64_t>();
            for (const auto& d : (*info)["deliveries"])
                delivered[d["id"].get<std::string>()][n.index] = d["unix_ns"].get<std::int64_t>();
        }
        check_processes();
        complete = 0;
        for (const auto& m : injected) {
            // Every node but the origin must have it.
            if (delivered[m.id].size() + (delivered[m.id].contains(m.origin) ? 0 : 1) >= nodes.size())
                ++complete;
        }
        for (auto& n : nodes)
            poll_node(n);
        progress(" | messages at every node " + std::to_string(complete) + "/" +
                 std::to_string(injected.size()));
        if (complete == injected.size()) break;
        if (std::chrono::duration<double>(Clock::now() - wait_start).count() > o.duration) {
            failed = true;
            failure = std::to_string(injected.size() - complete) + " of " + std::to_string(injected.size()) +
                      " messages did not reach every node within " + fixed(o.duration) + " s";
            break;
        }
        std::this_thread::sleep_for(250ms);
    }
    if (tty) std::cout << "\n";
    for (auto& n : nodes)
        poll_node(n);

    // ---- shutdown ----
    for (auto& n : nodes) {
        if (n.running) kill(n.pid, SIGTERM);
    }
    const auto stop_deadline = Clock::now() + 15s;
    for (auto& n : nodes) {
        while (n.running && Clock::now() < stop_deadline) {
            reap(n, false);
            if (n.running) std::this_thread::sleep_for(20ms);
        }
        if (n.running) {
            kill(n.pid, SIGKILL);
            reap(n, true);
            if (!failed) {
                failed = true;
                failure = "node" + std::to_string(n.index) + " did not stop within 15 s of SIGTERM";
            }
        } else if (n.exit_status != 0 && !failed) {
            failed = true;
            failure =
                "node" + std::to_string(n.index) + " exited with status " + std::to_string(n.exit_status);
        }
    }

    // ---- report ----
    std::vector<double> propagation, all_deliveries;
    json messages = json::array();
    for (const auto& m : injected) {
        double worst = 0;
        std::size_t reached = 0;
        for (const auto& [index, ns] : delivered[m.id]) {
            if (index == m.origin) continue;
            const double ms = static_cast<double>(ns - m.published_ns) / 1e6;
            all_deliveries.push_back(ms);
            worst = std::max(worst, ms);
            ++reached;
        }
        if (reached + 1 >= nodes.size()) propagation.push_back(worst);
        messages.push_back({{"id", m.id},
                            {"origin", m.origin},
                            {"reached_nodes", reached + 1},
                            {"propagation_ms", reached + 1 >= nodes.size() ? json(worst) : json(nullptr)}});
    }
    std::uint64_t duplicates = 0, dropped = 0, bytes_sent = 0, peer_links = 0;
    for (const auto& n : nodes) {
        duplicates += n.duplicates;
        dropped += n.dropped;
        bytes_sent += n.bytes_sent;
        peer_links += n.peers;
    }
    // Each link carries a message at most once each way; the first receipt at each node is not a
    // duplicate, so a flood's bound is 2 x links - (nodes - 1) per message.
    const std::uint64_t links = peer_links / 2;
    const std::uint64_t duplicate_bound = 2 * links - (nodes.size() - 1);
    json report = {
        {"ok", !failed},
        {"failure", failed ? json(failure) : json(nullptr)},
        {"nodes", o.nodes},
        {"seeds", o.seeds},
        {"time_to_full_discovery_s", discovery_time ? json(*discovery_time) : json(nullptr)},
        {"messages_injected", injected.size()},
        {"messages_at_every_node", complete},
        {"propagation_ms",
         {{"p50", percentile(propagation, 50)},
          {"p90", percentile(propagation, 90)},
          {"max", propagation.empty() ? 0.0 : *std::max_element(propagation.begin(), propagation.end())}}},
        {"delivery_ms", {{"p50", percentile(all_deliveries, 50)}, {"p90", percentile(all_deliveries, 90)}}},
        {"duplicates_per_message",
         injected.empty() ? 0.0 : static_cast<double>(duplicates) / static_cast<double>(injected.size())},
        {"duplicate_bound_per_message", duplicate_bound},
        {"links", links},
        {"dropped_sends", dropped},
        {"bytes_sent_total", bytes_sent},
        {"node_exit_status",
         [&] {
             json codes = json::array();
             for (const auto& n : nodes)
                 codes.push_back(n.exit_status);
             return codes;
         }()},
        {"messages", messages}};
    write_text(out / "report.json", report.dump(2) + "\n");
    write_text(out / "latency.svg", latency_svg(all_deliveries, propagation, o.nodes));

    std::cout << "\n== testnet summary\n"
              << "nodes: " << o.nodes << " (" << o.seeds << " seeds)\n"
              << "time to full discovery: "
              << (discovery_time ? fixed(*discovery_time) + " s" : "not reached") << "\n"
              << "messages: " << complete << "/" << injected.size() << " reached every node\n"
              << "propagation latency (ms): p50 " << fixed(percentile(propagation, 50)) << ", p90 "
              << fixed(percentile(propagation, 90)) << ", max "
              << fixed(propagation.empty() ? 0.0 : *std::max_element(propagation.begin(), propagation.end()))
              << "\n"
              << "duplicate deliveries per message: "
              << fixed(injected.empty()
                           ? 0.0
                           : static_cast<double>(duplicates) / static_cast<double>(injected.size()),
                       2)
              << " (bound for a flood over " << links << " links: " << duplicate_bound << ")\n"
              << "bytes sent on the wire (all nodes, MConnection packets): " << bytes_sent << "\n"
              << "report: " << (out / "report.json").string() << ", plot: " << (out / "latency.svg").string()
              << "\n";
    if (failed) {
        std::cout << "FAILED: " << failure << "\n";
        return 1;
    }
    std::cout << "OK\n";
    return 0;
}

}  // namespace peerlink::apps
