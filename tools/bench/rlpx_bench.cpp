// peerlink-bench rlpx: RLPx throughput and handshake rate over loopback TCP, both ends in one
// process (as go-ethereum measures its rlpx package), next to the raw Keccak-256 and AES-256-CTR
// speeds of the same run. Path measured: transport::Connection + RlpxChannel + a minimal session
// (Hello both ways, then bench messages), not devp2p::Server, so that the figures are the RLPx
// stack's own cost and not the server's per-message queueing. p2p v4 Hellos: snappy stays off.
#include "tools/bench/rlpx_bench.hpp"

#include <array>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "base/buffer.hpp"
#include "crypto/aes.hpp"
#include "crypto/crypto.hpp"
#include "crypto/keccak.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/base_protocol.hpp"
#include "profiles/devp2p/rlpx_channel.hpp"
#include "transport/connection.hpp"

namespace peerlink::bench {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace secp = crypto::secp256k1;

constexpr std::uint64_t k_bench_p2p_version = 4;  // below 5: no snappy (both sides)
constexpr std::uint64_t k_data_code = 0x10;       // the first capability code
constexpr std::uint64_t k_flush_code = 0x11;      // "ack everything now"
constexpr std::uint64_t k_ack_code = 0x12;        // 8-byte big-endian count of data messages
// Flow control: the source keeps at most a window in flight, the sink acks every so often.
constexpr std::uint64_t k_ack_messages = 1024;
constexpr std::uint64_t k_ack_bytes = 1 << 20;
constexpr std::uint64_t k_window_messages = 32 * 1024;
constexpr std::uint64_t k_window_bytes = 8 << 20;
constexpr std::size_t k_poll_batch = 256 * 1024;  // plaintext the source adds per writer poll

// Targets: go-ethereum v1.12 measured on this machine (docs/performance.md).
constexpr double k_geth_bulk_mbps = 205;
constexpr double k_geth_messages = 163'000;
constexpr double k_geth_handshakes = 980;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

bool expected_close(std::error_code ec) {
    return ec == make_error_code(transport::Errc::closed_by_peer) ||
           ec == make_error_code(transport::Errc::closed_locally);
}

devp2p::FrameCodec::Options codec_options() {
    devp2p::FrameCodec::Options o;
    o.max_frame_size = 1 << 20;
    o.max_message_size = 1 << 20;
    return o;
}

// ---- sessions ------------------------------------------------------------------------------------

/// Hello both ways, then bench messages. Each side sends its Hello at once and accepts nothing
/// before the peer's, whose node id must be the key the RLPx handshake authenticated.
class BenchSession : public transport::Session {
public:
    BenchSession(const secp::PublicKey& ours, const secp::PublicKey& remote) : m_remote(remote) {
        devp2p::Hello hello;
        hello.protocol_version = k_bench_p2p_version;
        hello.client_id = "peerlink-bench";
        hello.capabilities = {{"bench", 1}};
        hello.node_id = ours;
        m_hello = devp2p::encode_hello(hello);
    }

    base::Result<void> on_receive(base::ByteView plaintext, base::TimePoint) override {
        while (!plaintext.empty()) {
            // RlpxChannel appends whole records, one per frame.
            const auto record = devp2p::peek_record(plaintext);
            if (!record) return base::fail(devp2p::Errc::codec_failed);
            plaintext = plaintext.subspan(record->size);
            if (!m_hello_received) {
                if (record->code != devp2p::k_hello_code) return base::fail(devp2p::Errc::unexpected_message);
                auto hello = devp2p::decode_hello(record->payload);
                if (!hello) return base::Failure{hello.error()};
                PEERLINK_TRY(devp2p::check_hello_identity(*hello, m_remote));
                m_hello_received = true;
                on_hello();
                continue;
            }
            PEERLINK_TRY(on_message(record->code, record->payload));
        }
        return {};
    }

    base::Result<transport::PollResult> poll(base::Buffer& out, base::TimePoint) override {
        if (!m_hello_sent) {
            devp2p::append_record(out, devp2p::k_hello_code, m_hello);
            m_hello_sent = true;
        }
        if (m_hello_received) produce(out);
        transport::PollResult result;
        result.flush = !out.empty();
        return result;
    }

    transport::ReceiveAllowance receive_allowance(base::TimePoint) override { return {}; }
    [[nodiscard]] bool has_pending_output() const override {
        return !m_hello_sent || (m_hello_received && wants_to_send());
    }

protected:
    virtual void on_hello() {}
    virtual base::Result<void> on_message(std::uint64_t code, base::ByteView payload) = 0;
    virtual void produce(base::Buffer&) {}
    [[nodiscard]] virtual bool wants_to_send() const { return false; }

private:
    base::Bytes m_hello;
    secp::PublicKey m_remote;
    bool m_hello_sent = false;
    bool m_hello_received = false;
};

/// Handshake phase, dialing side: done once the peer's Hello checked out.
class HelloSession final : public BenchSession {
public:
    HelloSession(const secp::PublicKey& ours, const secp::PublicKey& remote, std::function<void()> on_done)
        : BenchSession(ours, remote), m_on_done(std::move(on_done)) {}

private:
    void on_hello() override { m_on_done(); }
    base::Result<void> on_message(std::uint64_t, base::ByteView) override {
        return base::fail(devp2p::Errc::unexpected_message);
    }
    std::function<void()> m_on_done;
};

/// Streaming phase, dialing side: messages of `size` bytes within the ack window for `seconds`,
/// then a flush; done when the sink acknowledged every message sent.
class SourceSession final : public BenchSession {
public:
    SourceSession(const secp::PublicKey& ours, const secp::PublicKey& remote, double seconds,
                  std::size_t size, std::function<void(std::uint64_t count, double seconds)> on_done)
        : BenchSession(ours, remote),
          m_seconds(seconds),
          m_payload(size, 0xab),
          m_on_done(std::move(on_done)) {}

private:
    [[nodiscard]] bool window_open() const {
        const std::uint64_t in_flight = m_sent - m_acked;
        return in_flight < k_window_messages && in_flight * m_payload.size() < k_window_bytes;
    }
    [[nodiscard]] bool wants_to_send() const override {
        return (m_sent < m_count && window_open()) || (m_sent == m_count && !m_flush_sent);
    }
    void produce(base::Buffer& out) override {
        if (!m_started) {
            m_started = true;
            m_start = Clock::now();
        }
        if (m_sent < m_count && seconds_since(m_start) >= m_seconds) m_count = m_sent;  // time is up
        std::size_t added = 0;
        while (m_sent < m_count && window_open() && added < k_poll_batch) {
            devp2p::append_record(out, k_data_code, m_payload);
            ++m_sent;
            added += devp2p::k_record_header_size + m_payload.size();
        }
        if (m_sent == m_count && !m_flush_sent) {
            devp2p::append_record(out, k_flush_code, {});
            m_flush_sent = true;
        }
    }
    base::Result<void> on_message(std::uint64_t code, base::ByteView payload) override {
        if (code != k_ack_code || payload.size() != 8) return base::fail(devp2p::Errc::unexpected_message);
        std::uint64_t acked = 0;
        for (const auto b : payload)
            acked = acked << 8 | b;
        if (acked < m_acked || acked > m_sent) return base::fail(devp2p::Errc::unexpected_message);
        m_acked = acked;
        if (m_flush_sent && m_acked == m_count) m_on_done(m_count, seconds_since(m_start));
        return {};
    }

    double m_seconds;
    std::uint64_t m_count = UINT64_MAX;  // set to the number sent once the time is up
    base::Bytes m_payload;
    std::function<void(std::uint64_t, double)> m_on_done;
    std::uint64_t m_sent = 0;
    std::uint64_t m_acked = 0;
    bool m_flush_sent = false;
    bool m_started = false;
    Clock::time_point m_start{};
};

/// The listening side of every phase: counts Hellos and data messages, acks as it goes.
class SinkSession final : public BenchSession {
public:
    SinkSession(const secp::PublicKey& ours, const secp::PublicKey& remote,
                std::atomic<std::uint64_t>& hellos)
        : BenchSession(ours, remote), m_hellos(hellos) {}

private:
    void on_hello() override { m_hellos.fetch_add(1, std::memory_order_relaxed); }
    base::Result<void> on_message(std::uint64_t code, base::ByteView payload) override {
        if (code == k_data_code) {
            ++m_received;
            ++m_unacked_messages;
            m_unacked_bytes += payload.size();
            if (m_unacked_messages >= k_ack_messages || m_unacked_bytes >= k_ack_bytes) m_ack_due = true;
            return {};
        }
        if (code == k_flush_code) {
            m_ack_due = true;
            return {};
        }
        return base::fail(devp2p::Errc::unexpected_message);
    }
    [[nodiscard]] bool wants_to_send() const override { return m_ack_due; }
    void produce(base::Buffer& out) override {
        if (!m_ack_due) return;
        std::array<std::uint8_t, 8> count{};
        for (std::size_t i = 0; i < 8; ++i)
            count[i] = static_cast<std::uint8_t>(m_received >> (56 - 8 * i));
        devp2p::append_record(out, k_ack_code, count);
        m_ack_due = false;
        m_unacked_messages = 0;
        m_unacked_bytes = 0;
    }

    std::atomic<std::uint64_t>& m_hellos;
    std::uint64_t m_received = 0;
    std::uint64_t m_unacked_messages = 0;
    std::uint64_t m_unacked_bytes = 0;
    bool m_ack_due = false;
};

// ---- the listening end, on its own thread ---------------------------------------------------------

class Sink {
public:
    explicit Sink(secp::KeyPair key)
        : m_key(std::move(key)), m_acceptor(m_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

    [[nodiscard]] std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }
    [[nodiscard]] std::uint64_t hellos() const { return m_hellos.load(); }
    [[nodiscard]] std::uint64_t errors() const { return m_errors.load(); }

    void start() {
        accept_next();
        m_thread = std::thread([this] { m_io.run(); });
    }

    void stop() {
        asio::post(m_io, [this] {
            std::error_code ignored;
            m_acceptor.close(ignored);
            const auto open = m_connections;
            for (const auto& c : open)
                c->close(make_error_code(transport::Errc::closed_locally));
        });
        m_thread.join();
    }

private:
    void accept_next() {
        m_acceptor.async_accept([this](std::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !m_acceptor.is_open()) return;
            if (!ec) start_connection(std::move(socket));
            accept_next();
        });
    }

    void start_connection(tcp::socket socket) {
        std::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        transport::Connection::Callbacks callbacks;
        callbacks.on_established = [this](transport::Connection& c) {
            const auto& remote = static_cast<devp2p::RlpxChannel&>(c.secure()).remote_id();
            c.attach(std::make_unique<SinkSession>(m_key.public_key, remote, m_hellos));
        };
        callbacks.on_closed = [this](transport::Connection& c, std::error_code ec) {
            if (!expected_close(ec) && m_errors.fetch_add(1) < 5)
                std::fprintf(stderr, "rlpx bench: sink connection failed: %s\n", ec.message().c_str());
            // Drop our reference outside the connection's own callback.
            asio::post(m_io, [this, p = c.shared_from_this()] { m_connections.erase(p); });
        };
        auto connection = std::make_shared<transport::Connection>(
            std::move(socket), devp2p::RlpxChannel::recipient(m_key, codec_options(), k_bench_p2p_version),
            transport::ConnectionOptions{}, std::move(callbacks));
        m_connections.insert(connection);
        connection->start(make_error_code(transport::Errc::dial_timeout));
    }

    secp::KeyPair m_key;
    asio::io_context m_io{1};
    tcp::acceptor m_acceptor;
    std::set<std::shared_ptr<transport::Connection>> m_connections;
    std::atomic<std::uint64_t> m_hellos{0};
    std::atomic<std::uint64_t> m_errors{0};
    std::thread m_thread;
};

// ---- the dialing end, on the main thread ----------------------------------------------------------

class Source {
public:
    Source(secp::KeyPair key, secp::PublicKey sink_id, tcp::endpoint sink)
        : m_key(std::move(key)), m_sink_id(sink_id), m_sink(sink) {}

    [[nodiscard]] std::uint64_t errors() const { return m_errors; }

    /// Messages per second sending `size`-byte messages on one connection for `seconds` (until
    /// the sink acknowledged the last one); 0 on failure.
    double stream(double seconds, std::size_t size, double limit_seconds) {
        m_io.restart();
        double elapsed = 0;
        std::uint64_t count = 0;
        bool closed = false;
        connect(
            [&](transport::Connection& c) {
                c.attach(std::make_unique<SourceSession>(
                    m_key.public_key, m_sink_id, seconds, size,
                    [&elapsed, &count, &c](std::uint64_t n, double taken) {
                        count = n;
                        elapsed = taken;
                        c.close_when_flushed(make_error_code(transport::Errc::closed_locally));
                    }));
            },
            [&] { closed = true; });
        if (!run_until([&] { return closed; }, limit_seconds) || elapsed <= 0) return 0;
        return static_cast<double>(count) / elapsed;
    }

    /// Handshakes per second (TCP connect, EIP-8 auth/ack, Hello both ways) with `parallel` in
    /// flight for `seconds`.
    double handshakes(double seconds, int parallel, double limit_seconds) {
        m_io.restart();
        std::uint64_t completed = 0;
        int in_flight = 0;
        const auto start = Clock::now();
        std::function<void()> launch = [&] {
            ++in_flight;
            connect(
                [&](transport::Connection& c) {
                    c.attach(std::make_unique<HelloSession>(m_key.public_key, m_sink_id, [&completed, &c] {
                        ++completed;
                        c.close_when_flushed(make_error_code(transport::Errc::closed_locally));
                    }));
                },
                [&] {
                    --in_flight;
                    if (m_errors == 0 && seconds_since(start) < seconds) launch();
                });
        };
        for (int i = 0; i < parallel; ++i)
            launch();
        if (!run_until([&] { return in_flight == 0; }, limit_seconds)) return 0;
        return static_cast<double>(completed) / seconds_since(start);
    }

private:
    /// Dials the sink; `established` attaches a session, `closed` runs when the connection is
    /// gone (or the dial failed).
    void connect(std::function<void(transport::Connection&)> established, std::function<void()> closed) {
        asio::co_spawn(
            m_io,
            [this, established = std::move(established),
             closed = std::move(closed)]() -> asio::awaitable<void> {
                auto socket = co_await transport::dial(m_sink, std::chrono::seconds(5));
                if (!socket) {
                    if (m_errors++ < 5)
                        std::fprintf(stderr, "rlpx bench: dial failed: %s\n",
                                     socket.error().message().c_str());
                    closed();
                    co_return;
                }
                // The dialer closes last (after the sink's FIN): skip TIME_WAIT so that repeated
                // runs do not run out of ephemeral ports.
                std::error_code ignored;
                socket->set_option(asio::socket_base::linger(true, 0), ignored);
                transport::Connection::Callbacks callbacks;
                callbacks.on_established = established;
                callbacks.on_closed = [this, closed](transport::Connection&, std::error_code ec) {
                    if (!expected_close(ec) && m_errors++ < 5)
                        std::fprintf(stderr, "rlpx bench: connection failed: %s\n", ec.message().c_str());
                    closed();
                };
                auto channel =
                    devp2p::RlpxChannel::initiator(m_key, m_sink_id, codec_options(), k_bench_p2p_version);
                auto connection = std::make_shared<transport::Connection>(
                    std::move(*socket), std::move(channel), transport::ConnectionOptions{},
                    std::move(callbacks));
                connection->start(make_error_code(transport::Errc::dial_timeout));
            },
            asio::detached);
    }

    /// Runs the io_context until `done`; false after `limit_seconds` (a stalled phase).
    bool run_until(const std::function<bool()>& done, double limit_seconds) {
        const auto start = Clock::now();
        while (!done()) {
            if (seconds_since(start) > limit_seconds) {
                std::fprintf(stderr, "rlpx bench: phase stalled for %.0f s\n", limit_seconds);
                ++m_errors;
                return false;
            }
            m_io.run_one_for(std::chrono::milliseconds(100));
        }
        return true;
    }

    secp::KeyPair m_key;
    secp::PublicKey m_sink_id;
    tcp::endpoint m_sink;
    asio::io_context m_io{1};
    std::uint64_t m_errors = 0;
};

// ---- raw primitives --------------------------------------------------------------------------------

double keccak_mbps(double seconds) {
    base::Bytes data(16 * 1024, 0x5a);
    std::uint64_t bytes = 0;
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
        for (int i = 0; i < 16; ++i) {
            const auto digest = crypto::keccak256(data);
            data[0] = digest[0];  // chain the inputs so nothing is hoisted out of the loop
            bytes += data.size();
        }
    }
    return static_cast<double>(bytes) / seconds_since(start) / 1e6;
}

double aes_ctr_mbps(double seconds) {
    std::array<std::uint8_t, 32> key{};
    crypto::random_bytes(key);
    const std::array<std::uint8_t, 16> iv{};
    crypto::AesCtr ctr(key, iv);
    base::Bytes data(16 * 1024, 0x5a);
    std::uint64_t bytes = 0;
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
        for (int i = 0; i < 16; ++i) {
            ctr.apply_in_place(data);
            bytes += data.size();
        }
    }
    return static_cast<double>(bytes) / seconds_since(start) / 1e6;
}

const char* verdict(double ratio) {
    return ratio >= 1.0 ? "met" : "MISSED";
}

}  // namespace

int run_rlpx(bool smoke, std::string_view only) {
    const auto wanted = [&](std::string_view phase) { return only.empty() || only == phase; };
    const double crypto_seconds = smoke ? 0.05 : 1.0;
    const double keccak = keccak_mbps(crypto_seconds);
    const double aes = aes_ctr_mbps(crypto_seconds);

    const secp::KeyPair sink_key = secp::generate();
    Sink sink(sink_key);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), sink.port());
    sink.start();
    Source source(secp::generate(), sink_key.public_key, endpoint);

    // Each phase runs for a fixed time (the sink acknowledges what was sent before it ends).
    const double phase_seconds = smoke ? 0.3 : 3.0;
    const double limit = phase_seconds + 30;
    constexpr std::size_t bulk_size = 16 * 1024;
    double bulk = -1, small = -1, hs = -1;
    if (wanted("bulk"))
        bulk = source.stream(phase_seconds, bulk_size, limit) * static_cast<double>(bulk_size) / 1e6;
    if (wanted("small") && source.errors() == 0) small = source.stream(phase_seconds, 128, limit);
    if (wanted("handshake") && source.errors() == 0) hs = source.handshakes(phase_seconds, 16, limit);
    sink.stop();

    std::printf(
        "peerlink-bench rlpx: transport::Connection + RlpxChannel, p2p v4 (snappy off), loopback TCP, "
        "dialer and listener in one process on one thread each%s\n",
        smoke ? " (smoke run: short, figures not meaningful)" : "");
    std::printf("  (d) Keccak-256, 16 KiB inputs, one core:  %8.0f MB/s\n", keccak);
    std::printf("  (e) AES-256-CTR, 16 KiB buffers, one core: %8.0f MB/s\n", aes);
    const double bulk_target = 1.5 * k_geth_bulk_mbps;
    const double keccak_target = 0.6 * keccak;
    if (bulk >= 0) {
        std::printf("  (a) bulk 16 KiB messages: %8.0f MB/s   vs 1.5 x geth (%.0f MB/s): %.2f %s;  ", bulk,
                    bulk_target, bulk / bulk_target, verdict(bulk / bulk_target));
        std::printf("vs 0.6 x (d) (%.0f MB/s): %.2f %s\n", keccak_target, bulk / keccak_target,
                    verdict(bulk / keccak_target));
    }
    const double small_target = 3 * k_geth_messages;
    if (small >= 0) {
        std::printf("  (b) 128-byte messages:    %8.0f msg/s  vs 3 x geth (%.0f /s): %.2f %s\n", small,
                    small_target, small / small_target, verdict(small / small_target));
    }
    const double hs_target = 2 * k_geth_handshakes;
    if (hs >= 0) {
        std::printf(
            "  (c) handshakes + Hello:   %8.0f /s     vs 2 x geth (%.0f /s): %.2f %s  (listener saw %llu "
            "Hellos)\n",
            hs, hs_target, hs / hs_target, verdict(hs / hs_target),
            static_cast<unsigned long long>(sink.hellos()));
    }
    const std::uint64_t errors = source.errors() + sink.errors();
    if (errors > 0)
        std::printf("  FAILED: %llu connection errors\n", static_cast<unsigned long long>(errors));
    // Missed targets are figures, not failures; a protocol error or a phase that moved nothing is
    // (-1: the phase did not run).
    return errors == 0 && bulk != 0 && small != 0 && hs != 0 ? 0 : 1;
}

}  // namespace peerlink::bench
