// `peerlink btc crawl` and `peerlink btc node` (see btc_cmd.hpp).
#include "apps/peerlink/btc_cmd.hpp"

#include <algorithm>
#include <asio.hpp>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "crypto/crypto.hpp"
#include "profiles/bitcoin/node.hpp"

namespace peerlink::apps {
namespace {

using namespace std::chrono_literals;
namespace btc = peerlink::bitcoin;

constexpr int k_ok = 0;
constexpr int k_error = 1;
constexpr int k_usage = 2;

struct BtcCommands {
    CLI::App* btc = nullptr;
    CLI::App* crawl = nullptr;
    CLI::App* node = nullptr;
    std::string network = "regtest";
    std::vector<std::string> seeds;
    std::string out;
    std::size_t max_nodes = 1000;
    double timeout = 60;
    std::string listen;
    std::vector<std::string> addpeers;
    std::uint64_t services = 0;
    std::size_t max_outbound = 8;
    double ping_interval = 120;
};

BtcCommands& commands() {
    static BtcCommands c;
    return c;
}

std::uint64_t random_seed() {
    std::array<std::uint8_t, 8> bytes{};
    crypto::random_bytes(bytes);
    std::uint64_t seed = 0;
    for (auto b : bytes)
        seed = seed << 8 | b;
    return seed;
}

std::optional<std::vector<btc::Endpoint>> parse_endpoints(const std::vector<std::string>& texts) {
    std::vector<btc::Endpoint> out;
    for (const auto& text : texts) {
        auto e = btc::Endpoint::parse(text);
        if (!e) {
            std::cerr << "not HOST:PORT: " << text << "\n";
            return std::nullopt;
        }
        out.push_back(std::move(*e));
    }
    return out;
}

const char* direction_name(btc::Direction d) {
    return d == btc::Direction::inbound ? "inbound" : "outbound";
}

int run_crawl(const BtcCommands& c) {
    const auto network = btc::network_by_name(c.network);
    if (!network) {
        std::cerr << "unknown network: " << c.network << "\n";
        return k_usage;
    }
    auto seeds = parse_endpoints(c.seeds);
    if (!seeds) return k_usage;
    if (seeds->empty() || c.max_nodes == 0 || !(c.timeout > 0)) {
        std::cerr << "crawl needs at least one --seed, --max-nodes > 0 and --timeout > 0\n";
        return k_usage;
    }
    asio::io_context io;
    btc::NodeOptions options;
    options.network = *network;
    options.target_outbound = 0;  // only the crawler's own dials
    options.advertise_self = false;
    // A regtest crawl on one host learns loopback addresses; real networks only routable ones.
    options.book.strict = (*network)->name != btc::regtest().name;
    options.ping_interval = 1s;  // measure RTT right after the handshake
    options.negotiation_timeout = 10s;
    btc::Node node(io, options, random_seed());
    if (auto started = node.start(); !started) {
        std::cerr << "error: " << started.error().message() << "\n";
        return k_error;
    }

    struct Seen {
        nlohmann::json record;
        base::TimePoint connected{};
        bool got_addresses = false;
        bool done = false;
    };
    std::map<std::string, Seen> reached;
    std::set<std::string> queued;  // every address dialled or waiting
    std::deque<btc::Endpoint> to_dial;
    std::size_t in_flight = 0;
    constexpr std::size_t k_max_in_flight = 32;
    const auto enqueue = [&](const btc::Endpoint& e) {
        if (queued.size() >= c.max_nodes || !queued.insert(e.to_string()).second) return;
        to_dial.push_back(e);
    };
    for (const auto& seed : *seeds)
        enqueue(seed);

    node.on_connection = [&](const btc::PeerSummary& p) {
        --in_flight;
        Seen& s = reached[p.address.to_string()];
        s.connected = base::SteadyClock::now();
        s.record = {{"address", p.address.to_string()},      {"version", p.remote.version},
                    {"user_agent", p.remote.user_agent},     {"services", p.remote.services},
                    {"start_height", p.remote.start_height}, {"rtt_ms", nullptr}};
    };
    node.on_dial_failed = [&](const btc::Endpoint&, std::error_code) { --in_flight; };
    node.on_disconnection = [&](const btc::PeerSummary& p, std::error_code, const std::string&) {
        auto found = reached.find(p.address.to_string());
        if (found != reached.end()) found->second.done = true;
    };
    node.on_addresses = [&](const btc::PeerSummary& p, const std::vector<addrbook::NetAddress>& learned) {
        auto found = reached.find(p.address.to_string());
        // A getaddr answer, not just the peer's self-advertisement.
        if (found != reached.end() && learned.size() > 1) found->second.got_addresses = true;
        for (const auto& a : learned) {
            // Only what the book accepted (routable on real networks, not banned, not ours).
            if (node.book().find(a)) enqueue({a.ip, a.port});
        }
    };

    const auto deadline = base::SteadyClock::now() + std::chrono::duration_cast<base::Duration>(
                                                         std::chrono::duration<double>(c.timeout));
    asio::steady_timer sweep(io);
    std::function<void()> tick = [&] {
        const auto now = base::SteadyClock::now();
        for (const auto& p : node.peers()) {
            Seen& s = reached[p.address.to_string()];
            if (s.done) continue;
            if (p.rtt) s.record["rtt_ms"] = std::chrono::duration<double, std::milli>(*p.rtt).count();
            // Keep a peer until it answered ping and getaddr, at most 10 s.
            if ((p.rtt && s.got_addresses) || now - s.connected > 10s) {
                s.done = true;
                node.disconnect(p.address);
            }
        }
        while (!to_dial.empty() && in_flight < k_max_in_flight) {
            ++in_flight;
            node.dial_once(to_dial.front());
            to_dial.pop_front();
        }
        const bool idle =
            to_dial.empty() && node.peers().empty() &&
            std::all_of(reached.begin(), reached.end(), [](const auto& r) { return r.second.done; });
        if (now >= deadline || (idle && in_flight == 0)) {
            node.stop();
            io.stop();
            return;
        }
        sweep.expires_after(100ms);
        sweep.async_wait([&](std::error_code ec) {
            if (!ec) tick();
        });
    };
    tick();
    io.run();

    nlohmann::json out = nlohmann::json::array();
    for (auto& [address, s] : reached)
        out.push_back(s.record);
    const std::string text = out.dump(2) + "\n";
    if (c.out.empty()) {
        std::cout << text;
    } else {
        std::ofstream file(c.out);
        file << text;
        if (!file) {
            std::cerr << "error: cannot write " << c.out << "\n";
            return k_error;
        }
    }
    std::cerr << "crawl: " << reached.size() << " nodes reached, " << queued.size() << " addresses tried\n";
    return k_ok;
}

int run_node(const BtcCommands& c) {
    const auto network = btc::network_by_name(c.network);
    if (!network) {
        std::cerr << "unknown network: " << c.network << "\n";
        return k_usage;
    }
    const auto listen = btc::Endpoint::parse(c.listen);
    if (!listen) {
        std::cerr << "--listen must be HOST:PORT\n";
        return k_usage;
    }
    auto peers = parse_endpoints(c.addpeers);
    if (!peers) return k_usage;
    asio::io_context io;
    btc::NodeOptions options;
    options.network = *network;
    options.listen_host = listen->host;
    options.listen_port = listen->port;
    options.services = c.services;
    options.target_outbound = c.max_outbound;
    options.ping_interval =
        std::chrono::duration_cast<base::Duration>(std::chrono::duration<double>(c.ping_interval));
    // Non-routable addresses are fine on regtest (everything is on one host).
    options.book.strict = (*network)->name != btc::regtest().name;
    btc::Node node(io, options, random_seed());
    if (auto started = node.start(); !started) {
        std::cerr << "error: cannot listen on " << c.listen << ": " << started.error().message() << "\n";
        return k_error;
    }
    for (auto& p : *peers)
        node.add_permanent(std::move(p));
    node.on_connection = [](const btc::PeerSummary& p) {
        std::cout << "connected " << p.address.to_string() << " " << direction_name(p.direction)
                  << " version=" << p.remote.version << " services=" << p.remote.services
                  << " agent=" << p.remote.user_agent << std::endl;
    };
    node.on_disconnection = [](const btc::PeerSummary& p, std::error_code ec, const std::string& text) {
        std::cout << "disconnected " << p.address.to_string() << " " << direction_name(p.direction) << " "
                  << ec.message() << ": " << text << std::endl;
    };
    node.on_addresses = [](const btc::PeerSummary& p, const std::vector<addrbook::NetAddress>& learned) {
        for (const auto& a : learned)
            std::cout << "learned " << a.to_string() << " from " << p.address.to_string() << std::endl;
    };
    // One line per peer once its first ping is answered.
    std::set<std::string> reported;
    asio::steady_timer status(io);
    std::function<void()> report = [&] {
        std::set<std::string> current;  // only connected peers: bounded
        for (const auto& p : node.peers()) {
            if (!p.rtt) continue;
            if (!reported.contains(p.address.to_string()))
                std::cout << "rtt " << p.address.to_string() << " "
                          << std::chrono::duration<double, std::milli>(*p.rtt).count() << " ms" << std::endl;
            current.insert(p.address.to_string());
        }
        reported = std::move(current);
        status.expires_after(200ms);
        status.async_wait([&](std::error_code ec) {
            if (!ec) report();
        });
    };
    report();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int signal) {
        if (ec) return;
        std::cout << "received " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down"
                  << std::endl;
        node.stop();
        status.cancel();
        io.stop();
    });
    std::cout << "listening " << listen->host << ":" << node.listen_port() << " network " << (*network)->name
              << std::endl;
    io.run();
    return k_ok;
}

}  // namespace

void add_btc_commands(CLI::App& app) {
    auto& c = commands();
    c.btc = app.add_subcommand("btc", "Bitcoin profile: crawl a network or run an address relay node");
    c.btc->require_subcommand(1);

    c.crawl = c.btc->add_subcommand("crawl", "Handshake with every reachable node and write them as JSON");
    c.crawl->add_option("--network", c.network, "regtest, testnet3, signet or mainnet")->required();
    c.crawl->add_option("--seed", c.seeds, "HOST:PORT to start from (repeatable)")->required();
    c.crawl->add_option("--out", c.out, "JSON output file (default: stdout)");
    c.crawl->add_option("--max-nodes", c.max_nodes, "Most addresses to try");
    c.crawl->add_option("--timeout", c.timeout, "Seconds the whole crawl may take");

    c.node = c.btc->add_subcommand("node", "Run an address relay node until SIGINT or SIGTERM");
    c.node->add_option("--network", c.network, "regtest, testnet3, signet or mainnet");
    c.node->add_option("--listen", c.listen, "HOST:PORT to listen on")->required();
    c.node->add_option("--addpeer", c.addpeers, "HOST:PORT kept connected (repeatable)");
    c.node->add_option("--services", c.services, "Service bits to advertise (e.g. 9 = NETWORK|WITNESS)");
    c.node->add_option("--max-outbound", c.max_outbound, "Outbound peers drawn from the address book");
    c.node->add_option("--ping-interval", c.ping_interval, "Seconds between pings (default 120)");
}

std::optional<int> run_btc_command() {
    auto& c = commands();
    if (c.btc == nullptr || !*c.btc) return std::nullopt;
    if (*c.crawl) return run_crawl(c);
    if (*c.node) return run_node(c);
    return k_usage;
}

}  // namespace peerlink::apps
