// peerlink-bench idle [--peers N]: the memory a node spends per idle peer. This process runs a
// real node::Node (router, PEX, gossip, HTTP off); a forked child opens N CometBFT connections to
// it, each with its own key (SecretConnection, NodeInfo, MConnection), and then stays idle. The
// node's heap in use (mallinfo2) and resident size are read before and after, once buffers had
// time to shrink.
#include "tools/bench/idle_bench.hpp"

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "node/node.hpp"
#include "profiles/cometbft/secure_mconnection.hpp"
#include "transport/delimited_exchange.hpp"

namespace peerlink::bench {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

std::size_t heap_in_use() {
    return mallinfo2().uordblks;
}

std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

/// The child: N connections, each a full CometBFT handshake with its own key, then idle until
/// the parent closes the pipe. Answers pings (the MConnection does) so nothing times out.
[[noreturn]] void run_clients(std::uint16_t port, std::size_t peers, const std::string& network,
                              int done_pipe, int hold_pipe) {
    asio::io_context io(1);
    const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
    std::vector<std::shared_ptr<transport::Connection>> connections;
    std::size_t established = 0, failed = 0;
    std::size_t started = 0;
    std::size_t in_flight = 0;
    std::function<void()> launch = [&] {
        ++started;
        ++in_flight;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                auto socket = co_await transport::dial(server, std::chrono::seconds(10));
                if (!socket) {
                    ++failed;
                    --in_flight;
                    co_return;
                }
                const auto key = crypto::ed25519_generate();
                cometbft::NodeInfo info;
                info.node_id = cometbft::node_id_of(key.public_key).to_hex();
                info.listen_addr = "tcp://127.0.0.1:1";
                info.network = network;
                info.version = "0.38.0";
                info.channels = {0x00, 0x50};
                info.moniker = "idle";
                transport::Connection::Callbacks callbacks;
                callbacks.on_established = [&, info](transport::Connection& c) {
                    c.attach(std::make_unique<transport::DelimitedExchange>(
                        cometbft::encode(info), cometbft::k_max_node_info_size, [&](base::ByteView) {
                            cometbft::attach_mconnection(c, mux::Options{},
                                                         {{.id = 0x00,
                                                           .priority = 1,
                                                           .send_queue_capacity = 10,
                                                           .recv_message_capacity = 65536},
                                                          {.id = 0x50,
                                                           .priority = 5,
                                                           .send_queue_capacity = 10,
                                                           .recv_message_capacity = 65536}},
                                                         [](mux::ChannelId, base::ByteView) {});
                            ++established;
                            --in_flight;
                            if (started < peers) launch();
                        }));
                };
                callbacks.on_closed = [&](transport::Connection&, std::error_code) {};
                connections.push_back(
                    cometbft::start_secret_connection(std::move(*socket), key, {}, callbacks));
            },
            asio::detached);
    };
    for (std::size_t i = 0; i < std::min<std::size_t>(peers, 32); ++i)
        launch();
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (established + failed < peers && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(100ms);
    const std::size_t result = established;
    if (write(done_pipe, &result, sizeof result) != sizeof result) std::_Exit(2);
    // Stay connected and answer pings until the parent has measured.
    std::thread waiter([&] {
        char byte = 0;
        (void)read(hold_pipe, &byte, 1);
        io.stop();
    });
    io.run();
    waiter.join();
    std::_Exit(0);
}

}  // namespace

int run_idle(std::size_t peers) {
    const auto home = std::filesystem::temp_directory_path() / ("peerlink-idle-" + std::to_string(getpid()));
    std::filesystem::remove_all(home);
    node::Config config;
    config.home = home;
    config.network = "idle-bench";
    config.p2p.laddr = "tcp://127.0.0.1:0";
    config.p2p.max_num_inbound_peers = peers + 16;
    config.p2p.allow_duplicate_ip = true;
    config.p2p.addr_book_strict = false;
    config.p2p.pex = false;
    config.rpc.laddr = "";
    config.log_level = "warn";
    node::Node server(config);
    server.start();
    std::this_thread::sleep_for(200ms);
    malloc_trim(0);
    const std::size_t heap_before = heap_in_use();
    const std::size_t rss_before = resident_bytes();

    int done[2], hold[2];
    if (pipe(done) != 0 || pipe(hold) != 0) return 2;
    const pid_t child = fork();
    if (child == 0) {
        close(done[0]);
        close(hold[1]);
        run_clients(server.p2p_port(), peers, config.network, done[1], hold[0]);
    }
    close(done[1]);
    close(hold[0]);
    std::size_t established = 0;
    if (read(done[0], &established, sizeof established) != sizeof established) return 2;
    // Wait for the node to admit them all, then for idle buffers to be given back.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (server.peers().size() < established && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    const std::size_t connected = server.peers().size();
    std::this_thread::sleep_for(3s);
    malloc_trim(0);
    const std::size_t heap_after = heap_in_use();
    const std::size_t rss_after = resident_bytes();
    close(hold[1]);
    waitpid(child, nullptr, 0);
    server.stop();
    std::filesystem::remove_all(home);

    const double n = static_cast<double>(std::max<std::size_t>(connected, 1));
    std::printf("idle peers connected to the node: %zu of %zu\n", connected, peers);
    std::printf("node heap in use: %.1f MiB -> %.1f MiB: %.1f KiB per idle peer (target < 16 KiB)\n",
                static_cast<double>(heap_before) / (1 << 20), static_cast<double>(heap_after) / (1 << 20),
                (static_cast<double>(heap_after) - static_cast<double>(heap_before)) / n / 1024);
    std::printf(
        "node resident set: %.1f MiB -> %.1f MiB: %.1f KiB per idle peer (socket buffers live in the "
        "kernel and are not counted)\n",
        static_cast<double>(rss_before) / (1 << 20), static_cast<double>(rss_after) / (1 << 20),
        (static_cast<double>(rss_after) - static_cast<double>(rss_before)) / n / 1024);
    return connected == peers ? 0 : 1;
}

}  // namespace peerlink::bench
