// `peerlink devp2p`: key generate / to-enode and rlpx ping (see devp2p_cmd.hpp).
#include "apps/peerlink/devp2p_cmd.hpp"

#include <asio.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "base/bytes.hpp"
#include "base/file.hpp"
#include "crypto/crypto.hpp"
#include "profiles/devp2p/discv4_service.hpp"
#include "profiles/devp2p/enode.hpp"
#include "profiles/devp2p/server.hpp"

namespace peerlink::apps {

namespace {

namespace secp = crypto::secp256k1;

constexpr int k_exit_error = 1;
constexpr int k_exit_usage = 2;
constexpr std::size_t k_max_key_file = 1024;

struct Devp2pCommands {
    CLI::App* devp2p = nullptr;
    CLI::App* key_generate = nullptr;
    CLI::App* key_to_enode = nullptr;
    CLI::App* rlpx_ping = nullptr;
    CLI::App* discv4_ping = nullptr;
    CLI::App* discv4_resolve = nullptr;
    CLI::App* discv4_crawl = nullptr;
    std::string listen_addr = "0.0.0.0";
    std::uint16_t listen_port = 0;
    std::string bootnodes;
    std::string duration;  // empty: the command's default
    std::string node_db;
    std::string out_file;
    std::string key_file;
    std::string ip = "127.0.0.1";
    std::uint16_t tcp_port = 30303;
    std::string enode;
    std::vector<std::string> caps{"eth/68"};
    double timeout_seconds = 10;
};

Devp2pCommands& commands() {
    static Devp2pCommands c;
    return c;
}

/// Reads a hex secret key (surrounding whitespace ignored).
std::optional<secp::KeyPair> load_key(const std::string& path) {
    auto text = base::read_file(path, k_max_key_file);
    if (!text) {
        std::cerr << "error: " << path << ": " << text.error().message() << "\n";
        return std::nullopt;
    }
    std::string hex = *text;
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back())))
        hex.pop_back();
    std::size_t start = 0;
    while (start < hex.size() && std::isspace(static_cast<unsigned char>(hex[start])))
        ++start;
    hex = hex.substr(start);
    if (hex.starts_with("0x")) hex = hex.substr(2);
    const auto bytes = base::from_hex(hex);
    if (!bytes || bytes->size() != 32) {
        std::cerr << "error: " << path << ": not a 32-byte hex secp256k1 secret key\n";
        return std::nullopt;
    }
    secp::SecretKey secret{};
    std::copy(bytes->begin(), bytes->end(), secret.begin());
    auto pair = secp::key_pair_from_secret(secret);
    if (!pair) {
        std::cerr << "error: " << path << ": " << pair.error().message() << "\n";
        return std::nullopt;
    }
    return *pair;
}

/// --key's key, or a fresh one without --key; nullopt after printing why the file is unusable.
std::optional<secp::KeyPair> command_key(const Devp2pCommands& c) {
    if (c.key_file.empty()) return secp::generate();
    return load_key(c.key_file);
}

/// The ENODE argument; nullopt after printing why it does not parse.
std::optional<devp2p::Enode> target_enode(const Devp2pCommands& c) {
    auto target = devp2p::parse_enode(c.enode);
    if (!target) {
        std::cerr << "error: " << c.enode << ": " << target.error().message() << "\n";
        return std::nullopt;
    }
    return *target;
}

/// --bootnodes (comma-separated enodes, possibly none); nullopt after printing the bad one.
std::optional<std::vector<devp2p::Enode>> bootnode_list(const Devp2pCommands& c) {
    std::vector<devp2p::Enode> bootnodes;
    if (c.bootnodes.empty()) return bootnodes;
    for (const auto& url : CLI::detail::split(c.bootnodes, ',')) {
        auto b = devp2p::parse_enode(url);
        if (!b) {
            std::cerr << "error: --bootnodes " << url << ": " << b.error().message() << "\n";
            return std::nullopt;
        }
        bootnodes.push_back(*b);
    }
    return bootnodes;
}

int run_key_generate(const Devp2pCommands& c) {
    const secp::KeyPair key = secp::generate();
    const std::string hex = base::to_hex(key.secret_key) + "\n";
    if (c.out_file.empty()) {
        std::cout << hex;
        return 0;
    }
    if (std::filesystem::exists(c.out_file)) {
        std::cerr << "error: " << c.out_file << " already exists; not overwriting it\n";
        return k_exit_error;
    }
    if (auto written = base::write_file_atomic(
            c.out_file, {reinterpret_cast<const std::uint8_t*>(hex.data()), hex.size()}, 0600);
        !written) {
        std::cerr << "error: cannot write " << c.out_file << ": " << written.error().message() << "\n";
        return k_exit_error;
    }
    return 0;
}

int run_key_to_enode(const Devp2pCommands& c) {
    const auto key = load_key(c.key_file);
    if (!key) return k_exit_error;
    devp2p::Enode node;
    node.id = key->public_key;
    node.ip = c.ip;
    node.tcp_port = c.tcp_port;
    node.udp_port = c.tcp_port;
    // Round-trip through the parser: it validates and canonicalises the IP literal.
    auto parsed = devp2p::parse_enode(devp2p::format_enode(node));
    if (!parsed) {
        std::cerr << "error: --ip " << c.ip << ": " << parsed.error().message() << "\n";
        return k_exit_usage;
    }
    std::cout << devp2p::format_enode(*parsed) << "\n";
    return 0;
}

int run_rlpx_ping(const Devp2pCommands& c) {
    const auto target = target_enode(c);
    if (!target) return k_exit_usage;
    const auto key = command_key(c);
    if (!key) return k_exit_error;
    devp2p::ServerOptions options;
    options.listen = false;
    options.require_shared_protocol = false;
    for (const auto& cap : c.caps) {
        const auto slash = cap.find('/');
        std::uint64_t version = 0;
        if (slash == std::string::npos || slash == 0 ||
            !CLI::detail::lexical_cast(cap.substr(slash + 1), version)) {
            std::cerr << "error: --cap " << cap << ": expected NAME/VERSION\n";
            return k_exit_usage;
        }
        // Only advertised: we disconnect right after the Hello, so no message is ever handled.
        options.protocols.push_back({cap.substr(0, slash), version, 1, {}, {}, {}});
    }
    asio::io_context io;
    int result = k_exit_error;
    bool done = false;
    devp2p::Server::Callbacks callbacks;
    callbacks.on_peer_added = [&](const devp2p::PeerPtr& peer) {
        const devp2p::Hello& hello = peer->hello();
        std::cout << "node " << base::to_hex(peer->id()) << "\nclient " << hello.client_id << "\np2p version "
                  << hello.protocol_version << "\ncaps";
        for (const auto& cap : hello.capabilities)
            std::cout << " " << cap.name << "/" << cap.version;
        std::cout << "\nlisten port " << hello.listen_port << std::endl;
        result = 0;
        peer->disconnect(devp2p::DisconnectReason::requested);
    };
    callbacks.on_peer_removed = [&](const devp2p::PeerPtr&, std::error_code reason) {
        if (reason != devp2p::local_disconnect(devp2p::DisconnectReason::requested))
            std::cout << "closed: " << reason.message() << std::endl;
        done = true;
        io.stop();
    };
    callbacks.on_handshake_failed = [&](const std::string& address, std::error_code reason) {
        std::cerr << "error: " << address << ": " << reason.message() << "\n";
        done = true;
        io.stop();
    };
    options.handshake_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(c.timeout_seconds * 1000));
    options.dial_timeout = options.handshake_timeout;
    devp2p::Server server(io, *key, options, callbacks);
    server.dial(*target);
    // Dial + handshake + the Disconnect flush are each bounded; this is the outer bound.
    io.run_for(2 * options.handshake_timeout + std::chrono::seconds(3));
    if (!done) {
        std::cerr << "error: no answer from " << c.enode << "\n";
        return k_exit_error;
    }
    return result;
}

/// "30s", "500ms", "2m" or plain seconds; nullopt for anything else or beyond an hour.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
        ++digits;
    if (digits == 0 || digits > 7) return std::nullopt;
    const std::int64_t value = std::stoll(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    std::int64_t ms = 0;
    if (unit.empty() || unit == "s")
        ms = value * 1000;
    else if (unit == "ms")
        ms = value;
    else if (unit == "m")
        ms = value * 60'000;
    else
        return std::nullopt;
    if (ms <= 0 || ms > 3'600'000) return std::nullopt;
    return std::chrono::milliseconds(ms);
}

std::uint64_t unix_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

/// A started service on `io` for a one-shot discv4 command; nullptr after printing why not.
std::unique_ptr<devp2p::Discv4Service> discv4_service(asio::io_context& io, const Devp2pCommands& c,
                                                      std::vector<devp2p::Enode> bootnodes) {
    const auto key = command_key(c);
    if (!key) return nullptr;
    devp2p::Discv4ServiceOptions options;
    options.listen_host = c.listen_addr;
    options.listen_port = c.listen_port;
    options.bootnodes = std::move(bootnodes);
    options.node_db = c.node_db;
    auto service = std::make_unique<devp2p::Discv4Service>(io, *key, options);
    if (auto started = service->start(); !started) {
        std::cerr << "error: discv4 on " << c.listen_addr << ":" << c.listen_port << ": "
                  << started.error().message() << "\n";
        return nullptr;
    }
    return service;
}

std::optional<std::chrono::milliseconds> command_timeout(const Devp2pCommands& c, const char* fallback) {
    auto t = parse_duration(c.duration.empty() ? std::string(fallback) : c.duration);
    if (!t) std::cerr << "error: --timeout " << c.duration << ": expected e.g. 30s, 500ms or 2m\n";
    return t;
}

int run_discv4_ping(const Devp2pCommands& c) {
    const auto target = target_enode(c);
    if (!target) return k_exit_usage;
    const auto timeout = command_timeout(c, "5s");
    if (!timeout) return k_exit_usage;
    asio::io_context io;
    auto service = discv4_service(io, c, {});
    if (!service) return k_exit_error;
    std::optional<std::optional<std::chrono::milliseconds>> answer;
    bool over = false;
    // Pings until one is answered or the time is up (UDP may lose one).
    std::function<void()> send = [&] {
        service->ping(*target, [&](bool ok, std::optional<std::chrono::milliseconds> rtt) {
            if (ok) {
                answer = rtt;
                io.stop();
            } else if (!over) {
                send();
            }
        });
    };
    send();
    io.run_for(*timeout);
    over = true;
    service->stop();  // fails the ping still out, while `send` is alive
    if (!answer) {
        std::cerr << "error: no pong from " << c.enode << " within " << c.duration << "\n";
        return k_exit_error;
    }
    std::cout << "pong from " << devp2p::format_enode(*target) << " rtt "
              << answer->value_or(std::chrono::milliseconds(0)).count() << "ms" << std::endl;
    return 0;
}

int run_discv4_resolve(const Devp2pCommands& c) {
    const auto target = target_enode(c);
    if (!target) return k_exit_usage;
    const auto timeout = command_timeout(c, "10s");
    if (!timeout) return k_exit_usage;
    auto bootnodes = bootnode_list(c);
    if (!bootnodes) return k_exit_usage;
    asio::io_context io;
    auto service = discv4_service(io, c, std::move(*bootnodes));
    if (!service) return k_exit_error;
    std::optional<std::optional<devp2p::Enode>> found;
    service->resolve(*target, [&](std::optional<devp2p::Enode> e) {
        found = std::move(e);
        io.stop();
    });
    io.run_for(*timeout);
    const auto record = found && *found ? service->known_record((*found)->id) : std::nullopt;
    service->stop();
    if (!found || !*found) {
        std::cerr << "error: cannot resolve " << c.enode << "\n";
        return k_exit_error;
    }
    std::cout << devp2p::format_enode(**found) << "\n";
    if (record) std::cout << record->text() << "\n";
    return 0;
}

struct CrawledNode {
    devp2p::Enode node;
    std::uint64_t first_seen = 0;
    std::uint64_t last_seen = 0;
    std::optional<devp2p::enr::Record> record;
};

/// geth's `devp2p discv4 crawl` in small: lookups for random targets until a run of them brings no new
/// node or the time is up, then an ENRRequest to every node found.
int run_discv4_crawl(const Devp2pCommands& c) {
    const auto timeout = command_timeout(c, "30s");
    if (!timeout) return k_exit_usage;
    auto bootnodes = bootnode_list(c);
    if (!bootnodes) return k_exit_usage;
    if (bootnodes->empty()) {
        std::cerr << "error: --bootnodes is empty\n";
        return k_exit_usage;
    }
    asio::io_context io;
    auto service = discv4_service(io, c, std::move(*bootnodes));
    if (!service) return k_exit_error;

    constexpr std::size_t k_max_nodes = 100'000;
    constexpr int k_parallel_lookups = 3;
    constexpr int k_idle_lookups = 6;  // consecutive lookups without a new node end the walk
    constexpr std::size_t k_parallel_enr = 16;
    std::map<secp::PublicKey, CrawledNode> nodes;
    const auto saw = [&](const devp2p::Enode& e) {
        const auto now = unix_now();
        auto it = nodes.find(e.id);
        if (it == nodes.end()) {
            if (nodes.size() >= k_max_nodes) return false;
            nodes.emplace(e.id, CrawledNode{e, now, now, std::nullopt});
            return true;
        }
        it->second.node = e;
        it->second.last_seen = now;
        return false;
    };
    std::size_t fresh = 0;
    service->on_node_seen = [&](const devp2p::Enode& e) { fresh += saw(e) ? 1 : 0; };
    service->on_node_added = [&](const devp2p::Enode& e) { fresh += saw(e) ? 1 : 0; };

    const auto start = std::chrono::steady_clock::now();
    // Lookups get at most 80% of the time; the ENR requests the rest.
    const auto walk_deadline = start + *timeout * 4 / 5;
    int idle = 0;
    int running = 0;
    bool enr_phase = false;
    bool walking = true;
    std::function<void()> next_lookup = [&] {
        if (!walking || std::chrono::steady_clock::now() >= walk_deadline || idle >= k_idle_lookups) {
            walking = false;
            if (running == 0 && !enr_phase) io.stop();
            return;
        }
        secp::PublicKey target{};
        crypto::random_bytes(target);
        const std::size_t before = fresh;
        ++running;
        service->lookup(target, [&, before](std::vector<devp2p::Enode>) {
            --running;
            idle = fresh == before ? idle + 1 : 0;
            next_lookup();
        });
    };
    for (int i = 0; i < k_parallel_lookups; ++i)
        next_lookup();
    io.run_until(walk_deadline);
    io.restart();
    walking = false;
    enr_phase = true;

    // ENR phase.
    std::vector<secp::PublicKey> todo;
    for (const auto& [id, n] : nodes)
        todo.push_back(id);
    std::size_t next = 0, in_flight = 0;
    const auto deadline = start + *timeout;
    std::function<void()> ask = [&] {
        while (next < todo.size() && in_flight < k_parallel_enr) {
            const auto id = todo[next++];
            ++in_flight;
            service->request_enr(nodes.at(id).node, [&, id](std::optional<devp2p::enr::Record> r) {
                --in_flight;
                if (r) {
                    auto& n = nodes.at(id);
                    n.record = std::move(*r);
                    n.last_seen = unix_now();
                }
                ask();
                if (in_flight == 0 && next >= todo.size()) io.stop();
            });
        }
    };
    ask();
    if (!todo.empty()) io.run_until(deadline);
    service->stop();

    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, n] : nodes) {
        nlohmann::json j{{"id", base::to_hex(id)},     {"ip", n.node.ip},
                         {"udp", n.node.udp_port},     {"tcp", n.node.tcp_port},
                         {"first_seen", n.first_seen}, {"last_seen", n.last_seen}};
        if (n.record) {
            j["seq"] = n.record->seq();
            j["enr"] = n.record->text();
        }
        out.push_back(std::move(j));
    }
    const std::string text = out.dump(2) + "\n";
    if (c.out_file.empty()) {
        std::cout << text;
    } else {
        std::ofstream f(c.out_file, std::ios::trunc);
        f << text;
        if (!f) {
            std::cerr << "error: cannot write " << c.out_file << "\n";
            return k_exit_error;
        }
    }
    std::cerr << "crawl: " << nodes.size() << " nodes\n";
    return nodes.empty() ? k_exit_error : 0;
}

}  // namespace

void add_devp2p_commands(CLI::App& app) {
    auto& c = commands();
    c.devp2p = app.add_subcommand("devp2p", "Ethereum devp2p (RLPx) tools");
    c.devp2p->require_subcommand(1);
    auto* key = c.devp2p->add_subcommand("key", "secp256k1 node keys");
    key->require_subcommand(1);
    c.key_generate = key->add_subcommand("generate", "Print (or write) a new hex secret key");
    c.key_generate->add_option("--out", c.out_file,
                               "Write the key to this file (mode 0600) instead of stdout");
    c.key_to_enode = key->add_subcommand("to-enode", "Print the enode URL of a key");
    c.key_to_enode->add_option("--key", c.key_file, "File holding the hex secret key")->required();
    c.key_to_enode->add_option("--ip", c.ip, "IP address of the URL")->capture_default_str();
    c.key_to_enode->add_option("--tcp", c.tcp_port, "TCP port of the URL")->capture_default_str();
    auto* rlpx = c.devp2p->add_subcommand("rlpx", "RLPx connections");
    rlpx->require_subcommand(1);
    c.rlpx_ping = rlpx->add_subcommand("ping", "Handshake and Hello with a node; print its client and caps");
    c.rlpx_ping->add_option("enode", c.enode, "enode://<id>@<ip>:<port>")->required();
    c.rlpx_ping->add_option("--key", c.key_file, "Our hex secret key file (default: a fresh key)");
    c.rlpx_ping->add_option("--cap", c.caps, "Capabilities to announce, NAME/VERSION")->capture_default_str();
    c.rlpx_ping->add_option("--timeout", c.timeout_seconds, "Seconds for dial and for handshake + Hello")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 300.0));

    auto* discv4 = c.devp2p->add_subcommand("discv4", "Node discovery v4 (UDP)");
    discv4->require_subcommand(1);
    const auto common = [&](CLI::App* cmd, const char* timeout_default) {
        cmd->add_option("--key", c.key_file, "Our hex secret key file (default: a fresh key)");
        cmd->add_option("--addr", c.listen_addr, "UDP address to bind")->capture_default_str();
        cmd->add_option("--port", c.listen_port, "UDP port to bind (0: any)")->capture_default_str();
        cmd->add_option("--timeout", c.duration,
                        std::string("Time limit, e.g. 30s, 500ms, 2m (default ") + timeout_default + ")");
    };
    c.discv4_ping = discv4->add_subcommand("ping", "Ping a node; print the round-trip time");
    c.discv4_ping->add_option("enode", c.enode, "enode://<id>@<ip>:<port>[?discport=<udp>]")->required();
    common(c.discv4_ping, "5s");
    c.discv4_resolve = discv4->add_subcommand("resolve", "Find a node's current endpoint and record");
    c.discv4_resolve->add_option("enode", c.enode, "enode://<id>@<ip>:<port>[?discport=<udp>]")->required();
    c.discv4_resolve->add_option("--bootnodes", c.bootnodes,
                                 "Comma-separated enodes for the lookup fallback");
    common(c.discv4_resolve, "10s");
    c.discv4_crawl = discv4->add_subcommand("crawl", "Walk the DHT; write the nodes found as JSON");
    c.discv4_crawl->add_option("--bootnodes", c.bootnodes, "Comma-separated enodes to start from")
        ->required();
    c.discv4_crawl->add_option("--out", c.out_file, "Write the JSON here instead of stdout");
    c.discv4_crawl->add_option("--nodedb", c.node_db, "SQLite node database (default: in memory)");
    common(c.discv4_crawl, "30s");
}

std::optional<int> run_devp2p_command() {
    auto& c = commands();
    if (!c.devp2p || !*c.devp2p) return std::nullopt;
    if (*c.key_generate) return run_key_generate(c);
    if (*c.key_to_enode) return run_key_to_enode(c);
    if (*c.rlpx_ping) return run_rlpx_ping(c);
    if (*c.discv4_ping) return run_discv4_ping(c);
    if (*c.discv4_resolve) return run_discv4_resolve(c);
    if (*c.discv4_crawl) return run_discv4_crawl(c);
    return k_exit_usage;
}

}  // namespace peerlink::apps
