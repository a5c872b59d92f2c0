// SecretConnection + MConnection over real TCP on 127.0.0.1: both ends in this process, one
// io_context, bounded run times.
#include <gtest/gtest.h>

#include <map>

#include "base/random.hpp"
#include "profiles/cometbft/secure_mconnection.hpp"

namespace peerlink {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

struct Received {
    mux::ChannelId channel;
    base::Bytes message;
};

/// One end of a connection under test.
struct End {
    crypto::Ed25519KeyPair identity = crypto::ed25519_generate();
    std::shared_ptr<transport::Connection> connection;
    mux::MConnection* mc = nullptr;
    std::vector<Received> received;
    bool established = false;
    std::optional<std::error_code> closed_with;
    base::TimePoint closed_at;
    /// Attaches the session once the handshake is done.
    std::function<void(transport::Connection&)> attach;
};

class SecureMConnectionTest : public ::testing::Test {
protected:
    asio::io_context io{1};
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};

    static std::vector<mux::ChannelDescriptor> channels() {
        return {{.id = 0x00, .priority = 1, .send_queue_capacity = 100},
                {.id = 0x20, .priority = 5, .send_queue_capacity = 100},
                {.id = 0x30, .priority = 10, .send_queue_capacity = 100},
                {.id = 0x40, .priority = 1, .send_queue_capacity = 100, .recv_message_capacity = 1 << 20}};
    }

    static void attach_default(End& end, transport::Connection& c, mux::Options options) {
        end.mc = &cometbft::attach_mconnection(
            c, options, channels(), [&end](mux::ChannelId ch, base::ByteView m) {
                end.received.push_back({ch, base::Bytes(m.begin(), m.end())});
            });
    }

    transport::Connection::Callbacks callbacks_for(End& end) {
        transport::Connection::Callbacks cb;
        cb.on_established = [&end](transport::Connection& c) {
            end.established = true;
            if (end.attach) end.attach(c);
        };
        cb.on_closed = [&end](transport::Connection&, std::error_code ec) {
            end.closed_with = ec;
            end.closed_at = base::SteadyClock::now();
        };
        return cb;
    }

    /// Connects `client` to `server` over loopback and runs both handshakes.
    void connect(End& server, End& client, transport::ConnectionOptions options = {}) {
        acceptor.async_accept([&](std::error_code ec, tcp::socket socket) {
            ASSERT_FALSE(ec);
            server.connection = cometbft::start_secret_connection(std::move(socket), server.identity, options,
                                                                  callbacks_for(server));
        });
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                auto socket = co_await transport::dial(acceptor.local_endpoint(), 3s);
                EXPECT_TRUE(socket.ok());
                if (!socket) co_return;
                client.connection = cometbft::start_secret_connection(std::move(*socket), client.identity,
                                                                      options, callbacks_for(client));
            },
            asio::detached);
        run_until([&] { return server.established && client.established; }, 5s);
    }

    /// Runs the loop until `done` holds or `limit` passes; returns whether it held.
    bool run_until(const std::function<bool()>& done, base::Duration limit) {
        const auto deadline = base::SteadyClock::now() + limit;
        while (!done() && base::SteadyClock::now() < deadline)
            io.run_one_for(10ms);
        return done();
    }
};

/// A session that swallows every byte and never writes: a peer that stops answering pings.
class SilentSession final : public transport::Session {
public:
    base::Result<void> on_receive(base::ByteView, base::TimePoint) override { return {}; }
    base::Result<transport::PollResult> poll(base::Buffer&, base::TimePoint) override {
        return transport::PollResult{};
    }
    transport::ReceiveAllowance receive_allowance(base::TimePoint) override { return {}; }
    bool has_pending_output() const override { return false; }
};

mux::Options fast_options() {
    mux::Options o;
    o.send_rate = 0;
    o.recv_rate = 0;
    o.flush_throttle = 1ms;
    return o;
}

TEST_F(SecureMConnectionTest, AuthenticatesBothEnds) {
    End server, client;
    server.attach = [&](auto& c) { attach_default(server, c, fast_options()); };
    client.attach = [&](auto& c) { attach_default(client, c, fast_options()); };
    connect(server, client);
    ASSERT_NE(server.mc, nullptr);
    EXPECT_EQ(cometbft::remote_public_key(*server.connection), client.identity.public_key);
    EXPECT_EQ(cometbft::remote_public_key(*client.connection), server.identity.public_key);
}

TEST_F(SecureMConnectionTest, ManyChannelsAndMultiFragmentMessagesArriveIntactAndInOrder) {
    End server, client;
    server.attach = [&](auto& c) { attach_default(server, c, fast_options()); };
    client.attach = [&](auto& c) { attach_default(client, c, fast_options()); };
    connect(server, client);
    ASSERT_NE(client.mc, nullptr);

    // Given messages of sizes from 0 bytes to 300 KiB on four channels
    std::map<mux::ChannelId, std::vector<base::Bytes>> sent;
    base::Random rng(7);
    const std::vector<mux::ChannelId> ids = {0x00, 0x20, 0x30, 0x40};
    for (int i = 0; i < 60; ++i) {
        const mux::ChannelId ch = ids[static_cast<std::size_t>(i) % ids.size()];
        std::size_t size = rng.uniform(3000);
        if (ch == 0x40) size = rng.uniform(300 * 1024);
        base::Bytes m(size);
        for (auto& b : m)
            b = static_cast<std::uint8_t>(rng.next_u64());
        ASSERT_TRUE(client.mc->try_send(ch, base::SharedBytes(m)));
        sent[ch].push_back(std::move(m));
    }
    client.connection->wake();

    // When they all arrive
    ASSERT_TRUE(run_until([&] { return server.received.size() == 60; }, 10s));

    // Then each channel's messages are intact and in their sending order
    std::map<mux::ChannelId, std::size_t> next;
    for (const auto& r : server.received) {
        const std::size_t i = next[r.channel]++;
        ASSERT_LT(i, sent[r.channel].size());
        EXPECT_EQ(r.message, sent[r.channel][i]) << "channel " << int(r.channel) << " message " << i;
    }
    EXPECT_FALSE(server.closed_with.has_value());
}

TEST_F(SecureMConnectionTest, PeerThatStopsAnsweringPingsIsDroppedAtPongTimeout) {
    End server, silent;
    mux::Options options = fast_options();
    options.ping_interval = 200ms;
    options.pong_timeout = 300ms;
    server.attach = [&](auto& c) { attach_default(server, c, options); };
    // The silent end completes the handshake, then reads everything and never answers.
    silent.attach = [&](transport::Connection& c) { c.attach(std::make_unique<SilentSession>()); };
    const auto start = base::SteadyClock::now();
    connect(server, silent);
    ASSERT_NE(server.mc, nullptr);
    ASSERT_TRUE(run_until([&] { return server.closed_with.has_value(); }, 5s));
    EXPECT_EQ(*server.closed_with, mux::Errc::pong_timeout);
    const auto after = server.closed_at - start;
    EXPECT_GE(after, 500ms);
    EXPECT_LT(after, 1500ms);
}

TEST_F(SecureMConnectionTest, AnsweredPingsKeepTheConnection) {
    End server, client;
    mux::Options options = fast_options();
    options.ping_interval = 100ms;
    options.pong_timeout = 150ms;
    server.attach = [&](auto& c) { attach_default(server, c, options); };
    client.attach = [&](auto& c) { attach_default(client, c, options); };
    connect(server, client);
    run_until([] { return false; }, 800ms);
    EXPECT_FALSE(server.closed_with.has_value());
    EXPECT_FALSE(client.closed_with.has_value());
    ASSERT_NE(server.mc, nullptr);
    EXPECT_GE(server.mc->stats().pongs_received, 4u);
}

/// Measures the byte rate at which `receiver` sees 1 KiB messages while `sender` floods channel 0x40.
double measured_rate(SecureMConnectionTest& t, End& sender, End& receiver, base::Duration span,
                     const std::function<bool(const std::function<bool()>&, base::Duration)>& run_until) {
    (void)t;
    const base::SharedBytes message(base::Bytes(1024, 0x11));
    std::function<void(bool)> refill = [&](bool) {
        while (sender.mc->try_send(0x40, message)) {
        }
        sender.mc->send(0x40, message, base::TimePoint::max(), refill);
        sender.connection->wake();
    };
    refill(true);
    // Skip the initial burst, then measure over `span`.
    run_until([] { return false; }, 500ms);
    const std::size_t first = receiver.received.size();
    const auto start = base::SteadyClock::now();
    run_until([] { return false; }, span);
    const double seconds = std::chrono::duration<double>(base::SteadyClock::now() - start).count();
    return static_cast<double>(receiver.received.size() - first) * 1024.0 / seconds;
}

TEST_F(SecureMConnectionTest, SendRateLimitIsHonouredWithinTenPercent) {
    End server, client;
    mux::Options limited = fast_options();
    limited.send_rate = 200'000;
    server.attach = [&](auto& c) { attach_default(server, c, fast_options()); };
    client.attach = [&](auto& c) { attach_default(client, c, limited); };
    connect(server, client);
    ASSERT_NE(client.mc, nullptr);
    const double rate =
        measured_rate(*this, client, server, 2s, [&](auto& d, auto l) { return run_until(d, l); });
    // Payload bytes are ~1% below wire bytes (packet headers); the limit counts wire bytes.
    EXPECT_GT(rate, 200'000 * 0.9);
    EXPECT_LT(rate, 200'000 * 1.1);
}

TEST_F(SecureMConnectionTest, ReceiveRateLimitIsHonouredWithinTenPercent) {
    End server, client;
    mux::Options limited = fast_options();
    limited.recv_rate = 200'000;
    server.attach = [&](auto& c) { attach_default(server, c, limited); };
    client.attach = [&](auto& c) { attach_default(client, c, fast_options()); };
    connect(server, client);
    ASSERT_NE(client.mc, nullptr);
    const double rate =
        measured_rate(*this, client, server, 2s, [&](auto& d, auto l) { return run_until(d, l); });
    EXPECT_GT(rate, 200'000 * 0.9);
    EXPECT_LT(rate, 200'000 * 1.1);
}

TEST_F(SecureMConnectionTest, FullSendQueueFailsTrySendAndTimesOutSend) {
    End server, client;
    mux::Options slow = fast_options();
    slow.send_rate = 1000;  // a 20 KiB message stays in the queue for ~20 s
    server.attach = [&](auto& c) { attach_default(server, c, fast_options()); };
    client.attach = [&](transport::Connection& c) {
        std::vector<mux::ChannelDescriptor> one = {{.id = 0x40, .priority = 1, .send_queue_capacity = 1}};
        client.mc = &cometbft::attach_mconnection(c, slow, one, [](mux::ChannelId, base::ByteView) {});
    };
    // The server needs channel 0x40 too.
    connect(server, client);
    ASSERT_NE(client.mc, nullptr);
    const base::SharedBytes big(base::Bytes(20 * 1024, 1));
    ASSERT_TRUE(client.mc->try_send(0x40, big));
    client.connection->wake();
    run_until([] { return false; }, 50ms);
    EXPECT_FALSE(client.mc->try_send(0x40, big));

    std::optional<bool> outcome;
    const auto start = base::SteadyClock::now();
    base::TimePoint finished;
    client.mc->send(0x40, big, start + 300ms, [&](bool queued) {
        outcome = queued;
        finished = base::SteadyClock::now();
    });
    client.connection->wake();
    ASSERT_TRUE(run_until([&] { return outcome.has_value(); }, 3s));
    EXPECT_FALSE(*outcome);
    EXPECT_GE(finished - start, 300ms);
    EXPECT_LT(finished - start, 1s);
}

TEST_F(SecureMConnectionTest, HandshakeTimesOutAgainstASilentPeer) {
    End server;
    transport::ConnectionOptions options;
    options.handshake_timeout = 300ms;
    acceptor.async_accept([&](std::error_code ec, tcp::socket socket) {
        ASSERT_FALSE(ec);
        server.connection = cometbft::start_secret_connection(std::move(socket), server.identity, options,
                                                              callbacks_for(server));
    });
    // A raw TCP client that connects and sends nothing.
    tcp::socket raw(io);
    raw.connect(acceptor.local_endpoint());
    const auto start = base::SteadyClock::now();
    ASSERT_TRUE(run_until([&] { return server.closed_with.has_value(); }, 3s));
    EXPECT_EQ(*server.closed_with, cometbft::Errc::handshake_timeout);
    EXPECT_GE(server.closed_at - start, 250ms);
}

TEST_F(SecureMConnectionTest, GarbageInsteadOfAnEphemeralKeyIsRejected) {
    End server;
    acceptor.async_accept([&](std::error_code ec, tcp::socket socket) {
        ASSERT_FALSE(ec);
        server.connection =
            cometbft::start_secret_connection(std::move(socket), server.identity, {}, callbacks_for(server));
    });
    tcp::socket raw(io);
    raw.connect(acceptor.local_endpoint());
    const std::uint8_t junk[] = {0x05, 0x0a, 0x03, 1, 2, 3};  // a 3-byte "key"
    asio::write(raw, asio::buffer(junk));
    ASSERT_TRUE(run_until([&] { return server.closed_with.has_value(); }, 3s));
    EXPECT_EQ(*server.closed_with, cometbft::Errc::bad_ephemeral_key);
}

TEST_F(SecureMConnectionTest, UnknownChannelClosesTheConnection) {
    End server, client;
    server.attach = [&](transport::Connection& c) {
        std::vector<mux::ChannelDescriptor> only = {{.id = 0x20}};
        server.mc =
            &cometbft::attach_mconnection(c, fast_options(), only, [](mux::ChannelId, base::ByteView) {});
    };
    client.attach = [&](auto& c) { attach_default(client, c, fast_options()); };
    connect(server, client);
    ASSERT_NE(client.mc, nullptr);
    ASSERT_TRUE(client.mc->try_send(0x30, base::SharedBytes::copy_of(base::as_bytes("hi"))));
    client.connection->wake();
    ASSERT_TRUE(run_until([&] { return server.closed_with.has_value(); }, 3s));
    EXPECT_EQ(*server.closed_with, mux::Errc::unknown_channel);
    ASSERT_TRUE(run_until([&] { return client.closed_with.has_value(); }, 3s));
    EXPECT_EQ(*client.closed_with, transport::Errc::closed_by_peer);
}

}  // namespace
}  // namespace peerlink
