// `peerlink devp2p`: key generate / to-enode and rlpx ping (see devp2p_cmd.hpp).
#include "apps/peerlink/devp2p_cmd.hpp"

#include <asio.hpp>
#include <iostream>

#include "base/bytes.hpp"
#include "base/file.hpp"
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
    auto target = devp2p::parse_enode(c.enode);
    if (!target) {
        std::cerr << "error: " << c.enode << ": " << target.error().message() << "\n";
        return k_exit_usage;
    }
    secp::KeyPair key = secp::generate();
    if (!c.key_file.empty()) {
        auto loaded = load_key(c.key_file);
        if (!loaded) return k_exit_error;
        key = *loaded;
    }
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
    devp2p::Server server(io, key, options, callbacks);
    server.dial(*target);
    // Dial + handshake + the Disconnect flush are each bounded; this is the outer bound.
    io.run_for(2 * options.handshake_timeout + std::chrono::seconds(3));
    if (!done) {
        std::cerr << "error: no answer from " << c.enode << "\n";
        return k_exit_error;
    }
    return result;
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
}

std::optional<int> run_devp2p_command() {
    auto& c = commands();
    if (!c.devp2p || !*c.devp2p) return std::nullopt;
    if (*c.key_generate) return run_key_generate(c);
    if (*c.key_to_enode) return run_key_to_enode(c);
    if (*c.rlpx_ping) return run_rlpx_ping(c);
    return k_exit_usage;
}

}  // namespace peerlink::apps
