// `peerlink testnet`: creates N node homes, runs the nodes as separate processes on 127.0.0.1,
// shows their discovery live, injects gossip messages and reports propagation figures
// (report.json and latency.svg in the output directory).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace peerlink::apps {

struct TestnetOptions {
    unsigned nodes = 16;
    unsigned seeds = 2;
    /// Seconds to wait for every message to reach every node once injected.
    double duration = 30;
    /// Seconds to wait for full discovery (every node's book holds every other node).
    double discovery_timeout = 120;
    unsigned messages = 20;
    std::size_t message_size = 256;
    std::string out = "testnet";
    /// Node i listens on base_port + 2i (P2P) and base_port + 2i + 1 (HTTP API); below 32768.
    unsigned base_port = 26100;
    unsigned max_outbound = 10;
    std::string log_level = "info";
};

void add_testnet_options(CLI::App& command, TestnetOptions& options);
/// Runs the testnet; 0 when every node ran and stopped cleanly and every message reached every node.
int run_testnet(const TestnetOptions& options, const char* argv0);

}  // namespace peerlink::apps
