// peerlink-bench: end-to-end benchmarks of the connection stack.
//   peerlink-bench conn [--smoke] [--only bulk|small|handshake]
//   peerlink-bench idle [--peers N] [--smoke]   (memory per idle peer; idle_bench.cpp)
//   peerlink-bench rlpx [--smoke] [--only bulk|small|handshake]   (devp2p RLPx; rlpx_bench.cpp)
//   peerlink-bench btc-crawl|btc-decode [--smoke] (Bitcoin profile; btc_crawl_bench.cpp)
// forks a sink process and measures, over loopback TCP through SecretConnection + MConnection with
// rate limits lifted: bulk MB/s (16 KiB and 1 MiB messages), 128-byte messages/s, handshakes/s, and
// in the same run the raw ChaCha20-Poly1305 speed sealing 1 KiB records (OpenSSL and libsodium).
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "base/log.hpp"
#include "crypto/crypto.hpp"
#include "profiles/cometbft/secure_mconnection.hpp"
#include "tools/bench/btc_crawl_bench.hpp"
#include "tools/bench/idle_bench.hpp"
#include "tools/bench/rlpx_bench.hpp"

namespace peerlink::bench {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr mux::ChannelId k_control = 0x01;
constexpr mux::ChannelId k_data = 0x02;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

mux::Options bench_mux_options() {
    mux::Options o;
    o.send_rate = 0;  // rate limits lifted
    o.recv_rate = 0;
    o.flush_throttle = base::Duration::zero();
    return o;
}

std::vector<mux::ChannelDescriptor> bench_channels() {
    return {
        {.id = k_control, .priority = 1, .send_queue_capacity = 16, .recv_message_capacity = 1024},
        {.id = k_data, .priority = 10, .send_queue_capacity = 256, .recv_message_capacity = 2 * 1024 * 1024},
    };
}

// ---- raw AEAD --------------------------------------------------------------------------------------

struct AeadSpeed {
    double openssl_mbps;
    double sodium_mbps;
};

AeadSpeed measure_aead(double seconds) {
    crypto::ChaCha20Poly1305::Key key{};
    crypto::random_bytes(key);
    crypto::ChaCha20Poly1305 aead(key);
    crypto::ChaCha20Poly1305::Nonce nonce{};
    std::vector<std::uint8_t> record(1024 + 4, 0x5a);  // a SecretConnection frame's plaintext size
    std::vector<std::uint8_t> sealed(record.size() + crypto::ChaCha20Poly1305::tag_size);
    auto run = [&](auto&& seal_one) {
        std::uint64_t bytes = 0;
        const auto start = Clock::now();
        while (seconds_since(start) < seconds) {
            for (int i = 0; i < 1000; ++i) {
                nonce[4] = static_cast<std::uint8_t>(i);
                seal_one();
                bytes += record.size();
            }
        }
        return static_cast<double>(bytes) / seconds_since(start) / 1e6;
    };
    AeadSpeed speed{};
    speed.openssl_mbps = run([&] { aead.seal(nonce, record, {}, sealed); });
    speed.sodium_mbps = run([&] { crypto::sodium_chacha20poly1305_seal(key, nonce, record, sealed); });
    return speed;
}

/// Both ends of one SecretConnection handshake in this thread, no sockets: the crypto cost that
/// bounds (c). Two cores can complete at most 2 / cost handshakes per second.
double handshake_crypto_seconds(double seconds) {
    const auto ka = crypto::ed25519_generate();
    const auto kb = crypto::ed25519_generate();
    std::uint64_t done = 0;
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
        cometbft::SecretConnection a(ka), b(kb);
        base::Buffer ab, ba;
        a.start_handshake(ab);
        b.start_handshake(ba);
        for (int i = 0; i < 4; ++i) {
            if (!b.established()) ab.consume(*b.handshake(ab.data(), ba));
            if (!a.established()) ba.consume(*a.handshake(ba.data(), ab));
        }
        done += a.established() && b.established() ? 1 : 0;
    }
    return seconds_since(start) / static_cast<double>(std::max<std::uint64_t>(done, 1));
}

// ---- sink process ----------------------------------------------------------------------------------

/// Accepts connections forever; on each, counts data messages and answers "done" on the control
/// channel once the announced number has arrived.
void run_sink(int port_pipe) {
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto identity = crypto::ed25519_generate();
    const unsigned short port = acceptor.local_endpoint().port();
    if (write(port_pipe, &port, sizeof port) != sizeof port) std::_Exit(2);
    close(port_pipe);

    std::function<void()> accept_next = [&] {
        acceptor.async_accept([&](std::error_code ec, tcp::socket socket) {
            if (ec) return;
            struct Counter {
                std::uint64_t expected = 0;
                std::uint64_t received = 0;
                mux::MConnection* mc = nullptr;
            };
            auto counter = std::make_shared<Counter>();
            transport::Connection::Callbacks callbacks;
            callbacks.on_established = [counter](transport::Connection& c) {
                auto on_receive = [counter, &c](mux::ChannelId channel, base::ByteView message) {
                    if (channel == k_control) {
                        counter->expected = std::stoull(std::string(base::as_chars(message)));
                        counter->received = 0;
                        return;
                    }
                    if (++counter->received == counter->expected) {
                        (void)counter->mc->try_send(k_control,
                                                    base::SharedBytes::copy_of(base::as_bytes("done")));
                        c.wake();
                    }
                };
                counter->mc =
                    &cometbft::attach_mconnection(c, bench_mux_options(), bench_channels(), on_receive);
            };
            cometbft::start_secret_connection(std::move(socket), identity, {}, std::move(callbacks));
            accept_next();
        });
    };
    accept_next();
    io.run();
}

// ---- client side ----------------------------------------------------------------------------------

class Client {
public:
    Client(asio::io_context& io, tcp::endpoint sink) : m_io(io), m_sink(sink) {}

    /// Sends `count` messages of `size` bytes and returns messages/s measured until the sink's "done".
    double stream(std::size_t size, std::uint64_t count) {
        m_io.restart();
        bool done = false;
        mux::MConnection* mc = nullptr;
        std::shared_ptr<transport::Connection> connection;
        transport::Connection::Callbacks callbacks;
        callbacks.on_established = [&](transport::Connection& c) {
            mc = &cometbft::attach_mconnection(
                c, bench_mux_options(), bench_channels(),
                [&](mux::ChannelId ch, base::ByteView) { done = ch == k_control; });
        };
        callbacks.on_closed = [&](transport::Connection&, std::error_code ec) {
            if (!done) std::fprintf(stderr, "bench connection closed: %s\n", ec.message().c_str());
            done = true;
        };
        asio::co_spawn(
            m_io,
            [&]() -> asio::awaitable<void> {
                auto socket = co_await transport::dial(m_sink, std::chrono::seconds(3));
                if (!socket) {
                    std::fprintf(stderr, "dial failed: %s\n", socket.error().message().c_str());
                    done = true;
                    co_return;
                }
                connection = cometbft::start_secret_connection(std::move(*socket), m_identity, {}, callbacks);
            },
            asio::detached);
        while (mc == nullptr && !done)
            m_io.run_one();
        if (mc == nullptr) return 0;

        const base::SharedBytes payload(base::Bytes(size, 0xab));
        (void)mc->try_send(k_control, base::SharedBytes::copy_of(base::as_bytes(std::to_string(count))));
        std::uint64_t sent = 0;
        const auto start = Clock::now();
        // Fill the queue; when it is full, park one send() whose completion refills it.
        std::function<void(bool)> refill = [&](bool) {
            while (sent < count && mc->try_send(k_data, payload))
                ++sent;
            if (sent < count) {
                ++sent;
                mc->send(k_data, payload, base::TimePoint::max(), refill);
            }
            connection->wake();
        };
        refill(true);
        while (!done)
            m_io.run_one();
        const double elapsed = seconds_since(start);
        connection->close(make_error_code(transport::Errc::closed_locally));
        m_io.poll();
        return static_cast<double>(count) / elapsed;
    }

    /// Completes as many handshakes as it can in `seconds` with `parallel` in flight.
    double handshakes(double seconds, int parallel) {
        m_io.restart();
        std::uint64_t completed = 0;
        std::uint64_t failed = 0;
        int in_flight = 0;
        const auto start = Clock::now();
        std::function<void()> launch = [&] {
            ++in_flight;
            asio::co_spawn(
                m_io,
                [&]() -> asio::awaitable<void> {
                    auto socket = co_await transport::dial(m_sink, std::chrono::seconds(3));
                    if (!socket) {
                        ++failed;
                        --in_flight;
                        co_return;
                    }
                    transport::Connection::Callbacks callbacks;
                    callbacks.on_established = [&](transport::Connection& c) {
                        ++completed;
                        c.close(make_error_code(transport::Errc::closed_locally));
                    };
                    callbacks.on_closed = [&](transport::Connection&, std::error_code) {
                        --in_flight;
                        if (seconds_since(start) < seconds) launch();
                    };
                    cometbft::start_secret_connection(std::move(*socket), m_identity, {},
                                                      std::move(callbacks));
                },
                asio::detached);
        };
        for (int i = 0; i < parallel; ++i)
            launch();
        while (in_flight > 0)
            m_io.run_one();
        const double elapsed = seconds_since(start);
        if (failed > 0)
            std::fprintf(stderr, "%llu handshake dials failed\n", static_cast<unsigned long long>(failed));
        return static_cast<double>(completed) / elapsed;
    }

private:
    asio::io_context& m_io;
    tcp::endpoint m_sink;
    crypto::Ed25519KeyPair m_identity = crypto::ed25519_generate();
};

int run_conn(bool smoke, std::string_view only) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    const pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        run_sink(fds[1]);
        std::_Exit(0);
    }
    close(fds[1]);
    unsigned short port = 0;
    if (read(fds[0], &port, sizeof port) != sizeof port) return 2;
    close(fds[0]);

    const auto wanted = [&](std::string_view phase) { return only.empty() || only == phase; };
    const double aead_seconds = smoke ? 0.1 : 1.0;
    const AeadSpeed aead = measure_aead(aead_seconds);
    const double fastest = std::max(aead.openssl_mbps, aead.sodium_mbps);

    asio::io_context io(1);
    Client client(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    const std::uint64_t bulk_bytes = smoke ? (64ull << 20) : (4ull << 30);
    double mbps_16k = -1, mbps_1m = -1, small = -1, hs = -1;
    if (wanted("bulk")) {
        mbps_16k = client.stream(16 * 1024, bulk_bytes / (16 * 1024)) * 16 * 1024 / 1e6;
        mbps_1m = client.stream(1024 * 1024, bulk_bytes / (1024 * 1024)) * 1024 * 1024 / 1e6;
    }
    if (wanted("small")) small = client.stream(128, smoke ? 200'000 : 8'000'000);
    double hs_ceiling = 0;
    if (wanted("handshake")) {
        hs = client.handshakes(smoke ? 0.3 : 3.0, 32);
        hs_ceiling = 2.0 / handshake_crypto_seconds(smoke ? 0.1 : 1.0);
    }

    kill(child, SIGTERM);
    waitpid(child, nullptr, 0);

    std::printf(
        "peerlink-bench conn: SecretConnection + MConnection, two processes, loopback TCP, rate limits "
        "off%s\n",
        smoke ? " (smoke run: short, figures not meaningful)" : "");
    std::printf(
        "  (d) AEAD ChaCha20-Poly1305, 1 KiB records, one core: OpenSSL %.0f MB/s, libsodium %.0f MB/s\n",
        aead.openssl_mbps, aead.sodium_mbps);
    if (mbps_16k >= 0) {
        std::printf("  (a) bulk 16 KiB messages: %8.0f MB/s   ratio to (d): %.2f\n", mbps_16k,
                    mbps_16k / fastest);
        std::printf("  (a) bulk 1 MiB messages:  %8.0f MB/s   ratio to (d): %.2f\n", mbps_1m,
                    mbps_1m / fastest);
    }
    if (small >= 0) std::printf("  (b) 128-byte messages:    %8.0f msg/s\n", small);
    if (hs >= 0) {
        std::printf(
            "  (c) handshakes:           %8.0f /s   ratio to the crypto ceiling of two cores (%.0f /s): "
            "%.2f\n",
            hs, hs_ceiling, hs / hs_ceiling);
    }
    // A phase that ran and moved nothing is a failure (the smoke run in CI relies on this).
    return (mbps_16k != 0 && mbps_1m != 0 && small != 0 && hs != 0) ? 0 : 1;
}

}  // namespace
}  // namespace peerlink::bench

int main(int argc, char** argv) {
    using namespace peerlink;
    crypto::init();
    base::log::set_level_all(spdlog::level::warn);
    std::string_view command = argc > 1 ? argv[1] : "";
    bool smoke = false;
    std::string_view only;
    std::size_t peers = 1000;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--peers" && i + 1 < argc) {
            peers = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--smoke") {
            smoke = true;
        } else if (arg == "--only" && i + 1 < argc) {
            only = argv[++i];
        } else {
            command = "";
        }
    }
    if (command == "conn" && (only.empty() || only == "bulk" || only == "small" || only == "handshake")) {
        return bench::run_conn(smoke, only);
    }
    if (command == "idle" && peers > 0) return bench::run_idle(smoke ? 100 : peers);
    if (command == "rlpx" && (only.empty() || only == "bulk" || only == "small" || only == "handshake"))
        return bench::run_rlpx(smoke, only);
    if (command == "btc-crawl" && only.empty()) return bench::run_btc_crawl(smoke);
    if (command == "btc-decode" && only.empty()) return bench::run_btc_decode(smoke);
    std::fprintf(stderr,
                 "usage: peerlink-bench conn [--smoke] [--only bulk|small|handshake]\n"
                 "       peerlink-bench idle [--peers N] [--smoke]\n"
                 "       peerlink-bench rlpx [--smoke] [--only bulk|small|handshake]\n"
                 "       peerlink-bench btc-crawl [--smoke]\n"
                 "       peerlink-bench btc-decode [--smoke]\n");
    return 2;
}
