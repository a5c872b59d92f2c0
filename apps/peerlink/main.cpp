// The peerlink command line: `init`, `start`, `show-node-id`, `gen-node-key` and `testnet`, with
// cometbft's verbs and flags. Exit codes: 0 success, 1 runtime or configuration error (the
// message names the file, key and reason), 2 usage error.
#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "apps/peerlink/btc_cmd.hpp"
#include "apps/peerlink/devp2p_cmd.hpp"
#include "apps/peerlink/testnet.hpp"
#include "base/file.hpp"
#include "crypto/crypto.hpp"
#include "node/bitcoin_node.hpp"
#include "node/config.hpp"
#include "node/devp2p_node.hpp"
#include "node/node.hpp"

namespace {

namespace fs = std::filesystem;
using peerlink::node::Config;
using peerlink::node::ConfigError;

constexpr int k_exit_error = 1;
constexpr int k_exit_usage = 2;

fs::path config_path(const fs::path& home) {
    return home / "config" / "config.toml";
}

int run_init(const fs::path& home, const std::string& moniker, const std::string& network,
             const std::string& profile) {
    if (fs::exists(config_path(home))) {
        std::cerr << "error: " << config_path(home).string() << " already exists; not overwriting it\n";
        return k_exit_error;
    }
    Config config;
    config.home = home;
    if (!moniker.empty()) config.moniker = moniker;
    if (!profile.empty()) config.profile = profile;
    // Each profile's own default network: Bitcoin's main network, as bitcoind and btcd.
    if (config.profile == "bitcoin") config.network = "mainnet";
    if (!network.empty()) config.network = network;
    config.validate("init");
    std::error_code ec;
    fs::create_directories(home / "config", ec);
    fs::create_directories(home / "data", ec);
    if (ec) {
        std::cerr << "error: cannot create " << home.string() << ": " << ec.message() << "\n";
        return k_exit_error;
    }
    const std::string text = peerlink::node::render_config(config);
    if (auto written = peerlink::base::write_file_atomic(
            config_path(home), {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, 0644);
        !written.ok()) {
        std::cerr << "error: cannot write " << config_path(home).string() << ": " << written.error().message()
                  << "\n";
        return k_exit_error;
    }
    if (config.profile == "devp2p") {
        // geth's nodekey; the node ID is the public key, shown as hex as geth does.
        const auto devp2p_key =
            peerlink::node::load_or_create_devp2p_key(config.resolve(config.devp2p.node_key_file));
        std::cout << "initialised " << home.string()
                  << "\nnode id: " << peerlink::base::to_hex(devp2p_key.public_key) << "\n";
        return 0;
    }
    if (config.profile == "bitcoin") {  // Bitcoin peers have no long-lived identity key
        std::cout << "initialised " << home.string() << "\n";
        return 0;
    }
    auto key = peerlink::cometbft::load_or_create_node_key(config.resolve(config.node_key_file));
    if (!key.ok()) {
        std::cerr << "error: " << config.resolve(config.node_key_file).string() << ": "
                  << key.error().message() << "\n";
        return k_exit_error;
    }
    std::cout << "initialised " << home.string() << "\nnode id: " << key->id().to_hex() << "\n";
    return 0;
}

int run_show_node_id(const fs::path& home) {
    Config config = peerlink::node::load_config(home);
    if (config.profile == "devp2p") {
        const auto devp2p_key =
            peerlink::node::load_or_create_devp2p_key(config.resolve(config.devp2p.node_key_file));
        std::cout << peerlink::base::to_hex(devp2p_key.public_key) << "\n";
        return 0;
    }
    if (config.profile == "bitcoin") {
        std::cerr << "error: bitcoin peers have no node ID\n";
        return k_exit_error;
    }
    auto key = peerlink::cometbft::load_node_key(config.resolve(config.node_key_file));
    if (!key.ok()) {
        std::cerr << "error: " << config.resolve(config.node_key_file).string() << ": "
                  << key.error().message() << "\n";
        return k_exit_error;
    }
    std::cout << key->id().to_hex() << "\n";
    return 0;
}

int run_gen_node_key(const fs::path& home) {
    const fs::path path = home / "config" / "node_key.json";
    if (fs::exists(path)) {
        std::cerr << "error: " << path.string() << " already exists; not overwriting it\n";
        return k_exit_error;
    }
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    auto key = peerlink::cometbft::load_or_create_node_key(path);
    if (!key.ok()) {
        std::cerr << "error: " << path.string() << ": " << key.error().message() << "\n";
        return k_exit_error;
    }
    std::cout << key->id().to_hex() << "\n";
    return 0;
}

int run_start(const fs::path& home, const std::vector<std::pair<std::string, std::string>>& overrides) {
    Config config = peerlink::node::load_config(home);
    for (const auto& [key, value] : overrides)
        peerlink::node::set_config_key(config, key, value);
    config.validate("command line");
    // Signals are taken by sigwait below, so every thread the node starts must have them blocked.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    if (config.profile == "bitcoin") {
        peerlink::node::BitcoinNode bitcoin_node(std::move(config));
        bitcoin_node.start();
        std::cout << "bitcoin node started: p2p " << bitcoin_node.p2p_address() << ", rpc port "
                  << bitcoin_node.rpc_port() << std::endl;
        int caught = 0;
        sigwait(&signals, &caught);
        std::cout << "received " << (caught == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down"
                  << std::endl;
        bitcoin_node.stop();
        return 0;
    }
    if (config.profile == "devp2p") {
        peerlink::node::Devp2pNode devp2p_node(std::move(config));
        devp2p_node.start();
        std::cout << "node " << devp2p_node.enode() << " started: rpc port " << devp2p_node.rpc_port()
                  << std::endl;
        int caught = 0;
        sigwait(&signals, &caught);
        std::cout << "received " << (caught == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down"
                  << std::endl;
        devp2p_node.stop();
        return 0;
    }
    peerlink::node::Node node(std::move(config));
    node.start();
    std::cout << "node " << node.id().to_hex() << " started: p2p " << node.p2p_address() << ", rpc port "
              << node.rpc_port() << std::endl;
    int signal = 0;
    sigwait(&signals, &signal);
    std::cout << "received " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down" << std::endl;
    node.stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"peerlink: a peer-to-peer networking node (CometBFT profile)"};
    app.require_subcommand(1);
    fs::path home = "peerlink-home";

    auto* init =
        app.add_subcommand("init", "Write config/config.toml (every key documented) and node_key.json");
    std::string moniker, network, profile;
    init->add_option("--home", home, "Node home directory")->required();
    init->add_option("--moniker", moniker, "Node name shown to peers");
    init->add_option("--network", network,
                     "Network to join: the chain ID, or mainnet|testnet3|signet|regtest for bitcoin");
    init->add_option("--profile", profile, "Wire protocol: cometbft (default), devp2p or bitcoin");

    auto* start = app.add_subcommand("start", "Run the node until SIGINT or SIGTERM");
    start->add_option("--home", home, "Node home directory")->required();
    std::vector<std::pair<std::string, std::string>> overrides;
    std::vector<std::string> values(peerlink::node::config_keys().size());
    for (std::size_t i = 0; i < peerlink::node::config_keys().size(); ++i) {
        const auto& key = peerlink::node::config_keys()[i];
        const std::string dotted = key.section.empty()
                                       ? std::string(key.name)
                                       : std::string(key.section) + "." + std::string(key.name);
        start->add_option_function<std::string>(
            "--" + dotted, [&overrides, dotted](const std::string& v) { overrides.emplace_back(dotted, v); },
            std::string(key.doc) + " (overrides config.toml)");
    }

    auto* show = app.add_subcommand("show-node-id", "Print this node's ID");
    show->add_option("--home", home, "Node home directory")->required();

    auto* gen =
        app.add_subcommand("gen-node-key", "Create config/node_key.json in the home and print the ID");
    gen->add_option("--home", home, "Node home directory")->required();

    peerlink::apps::TestnetOptions testnet_options;
    auto* testnet = app.add_subcommand(
        "testnet", "Run a local network of nodes as separate processes on 127.0.0.1 and report on it");
    peerlink::apps::add_testnet_options(*testnet, testnet_options);

    peerlink::apps::add_btc_commands(app);
    peerlink::apps::add_devp2p_commands(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : k_exit_usage;
    }
    try {
        if (const auto btc = peerlink::apps::run_btc_command()) return *btc;
        if (const auto dx = peerlink::apps::run_devp2p_command()) return *dx;
        if (*init) return run_init(home, moniker, network, profile);
        if (*start) return run_start(home, overrides);
        if (*show) return run_show_node_id(home);
        if (*gen) return run_gen_node_key(home);
        if (*testnet) return peerlink::apps::run_testnet(testnet_options, argv[0]);
    } catch (const ConfigError& e) {
        std::cerr << "configuration error: " << e.what() << "\n";
        return k_exit_error;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return k_exit_error;
    }
    return k_exit_usage;
}
