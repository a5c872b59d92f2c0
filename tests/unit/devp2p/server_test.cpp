// devp2p::Server on loopback: two servers against each other (Hello, matched protocols with
// relative codes, snappy, ping/pong, Disconnect reasons), and a hand-driven RLPx peer that
// misbehaves (wrong Hello id, no shared capability, oversized frame, silence, unknown codes).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "profiles/devp2p/rlpx_channel.hpp"
#include "profiles/devp2p/server.hpp"

namespace peerlink::devp2p {
namespace {

using namespace std::chrono_literals;

/// Thread-safe log of what the server thread saw.
struct Events {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> lines;
    std::vector<std::error_code> failed;   // on_handshake_failed
    std::vector<std::error_code> removed;  // on_peer_removed
    std::vector<Hello> added;              // the remote Hellos of added peers

    template <typename F>
    void with(F&& f) {
        {
            std::lock_guard lock(mutex);
            f();
        }
        cv.notify_all();
    }
    template <typename P>
    bool wait(P&& predicate, std::chrono::milliseconds limit = 5000ms) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, limit, predicate);
    }
    /// A copy of element `i` of one of the lists, read under the lock (the server thread appends).
    template <typename T>
    T at(const std::vector<T>& list, std::size_t i) {
        std::lock_guard lock(mutex);
        return list.at(i);
    }
    template <typename T>
    std::size_t count(const std::vector<T>& list) {
        std::lock_guard lock(mutex);
        return list.size();
    }
    Server::Callbacks callbacks() {
        Server::Callbacks c;
        c.on_peer_added = [this](const PeerPtr& p) { with([&] { added.push_back(p->hello()); }); };
        c.on_peer_removed = [this](const PeerPtr&, std::error_code r) {
            with([&] { removed.push_back(r); });
        };
        c.on_handshake_failed = [this](const std::string&, std::error_code r) {
            with([&] { failed.push_back(r); });
        };
        return c;
    }
};

/// A server on its own io_context thread.
struct Node {
    asio::io_context io;
    Events events;
    std::unique_ptr<Server> server;
    std::thread thread;

    explicit Node(ServerOptions options) {
        server = std::make_unique<Server>(io, secp::generate(), std::move(options), events.callbacks());
        EXPECT_TRUE(server->start());
        thread = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
    }
    ~Node() {
        asio::post(io, [this] {
            server.reset();
            io.stop();
        });
        thread.join();
    }
    Enode enode() const {
        return Enode{server->key().public_key, "127.0.0.1", false, server->listen_port(), 0};
    }
    template <typename F>
    void run(F f) {
        asio::post(io, std::move(f));
    }
};

ServerOptions options_with(std::vector<ServerProtocol> protocols) {
    ServerOptions o;
    o.protocols = std::move(protocols);
    return o;
}

TEST(Devp2pServer, TwoServersExchangeHelloMessagesPingAndDisconnect) {
    // "aaa" sorts before "test": offsets 16 and 18, so relative codes differ from wire codes.
    struct Seen {
        std::vector<std::pair<std::uint64_t, std::string>> a, b;
    };
    Seen seen;
    std::mutex seen_mutex;
    ServerProtocol aaa{"aaa", 1, 2, {}, {}, {}};
    ServerProtocol test_a{"test", 1, 3, {}, {}, {}};
    test_a.on_message = [&](const PeerPtr& p, std::uint64_t code,
                            base::ByteView payload) -> base::Result<void> {
        {
            std::lock_guard lock(seen_mutex);
            seen.a.emplace_back(code, std::string(payload.begin(), payload.end()));
        }
        const std::string reply = "pong-from-a";
        return p->send("test", 1,
                       base::ByteView(reinterpret_cast<const base::Byte*>(reply.data()), reply.size()));
    };
    ServerProtocol test_b{"test", 1, 3, {}, {}, {}};
    test_b.on_start = [](const PeerPtr& p) {
        const std::string hi(3000, 'x');  // compressible: exercises snappy both ways
        EXPECT_TRUE(
            p->send("test", 2, base::ByteView(reinterpret_cast<const base::Byte*>(hi.data()), hi.size())));
        EXPECT_FALSE(p->send("test", 3, {}));  // outside the protocol's length
        EXPECT_FALSE(p->send("nope", 0, {}));
    };
    Events* b_events = nullptr;
    test_b.on_message = [&](const PeerPtr&, std::uint64_t code,
                            base::ByteView payload) -> base::Result<void> {
        b_events->with([&] { seen.b.emplace_back(code, std::string(payload.begin(), payload.end())); });
        return {};
    };
    Node a(options_with({test_a, aaa}));
    Node b(options_with({aaa, test_b}));
    b_events = &b.events;
    b.run([&] { b.server->dial(a.enode()); });

    ASSERT_TRUE(b.events.wait([&] { return seen.b.size() == 1; }));
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    {
        std::lock_guard lock(seen_mutex);
        ASSERT_EQ(seen.a.size(), 1u);
        EXPECT_EQ(seen.a[0].first, 2u);
        EXPECT_EQ(seen.a[0].second, std::string(3000, 'x'));
    }
    EXPECT_EQ(seen.b[0].first, 1u);
    EXPECT_EQ(seen.b[0].second, "pong-from-a");
    {
        std::lock_guard lock(a.events.mutex);
        const Hello& h = a.events.added[0];
        EXPECT_EQ(h.node_id, b.server->key().public_key);
        EXPECT_EQ(h.client_id, "peerlink/0.1");
        EXPECT_EQ(h.protocol_version, 5u);
        EXPECT_EQ(h.capabilities, (std::vector<Capability>{{"aaa", 1}, {"test", 1}}));
    }

    // Ping from b, answered by a; then b disconnects with a reason a sees.
    std::atomic<std::uint64_t> pongs{0};
    std::atomic<bool> snappy_on{false};
    b.run([&] {
        auto peer = b.server->find_peer(a.server->key().public_key);
        ASSERT_TRUE(peer);
        EXPECT_EQ(peer->matched().size(), 2u);
        EXPECT_EQ(peer->matched()[1].offset, 18u);
        EXPECT_TRUE(peer->ping());
    });
    for (int i = 0; i < 100 && pongs == 0; ++i) {
        std::this_thread::sleep_for(20ms);
        b.run([&] {
            if (auto peer = b.server->find_peer(a.server->key().public_key)) pongs = peer->pongs();
        });
    }
    EXPECT_GE(pongs.load(), 1u);
    b.run([&] {
        if (auto peer = b.server->find_peer(a.server->key().public_key))
            peer->disconnect(DisconnectReason::requested);
    });
    ASSERT_TRUE(a.events.wait([&] { return a.events.removed.size() == 1; }));
    ASSERT_TRUE(b.events.wait([&] { return b.events.removed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.removed, 0), remote_disconnect(0));
    EXPECT_EQ(b.events.at(b.events.removed, 0), local_disconnect(DisconnectReason::requested));
    (void)snappy_on;
}

/// A hand-driven RLPx initiator on a blocking socket (the server runs on its own thread).
class RawPeer {
public:
    RawPeer(const Enode& target, std::uint64_t hello_version = 4) : m_socket(m_io) {
        m_socket.connect({asio::ip::make_address(target.ip), target.tcp_port});
        timeval tv{5, 0};
        ::setsockopt(m_socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        m_target = target.id;
        m_hello_version = hello_version;
    }
    void handshake() {
        m_channel = RlpxChannel::initiator(m_key, m_target, {}, m_hello_version);
        base::Buffer out;
        m_channel->start_handshake(out);
        write(out);
        while (!m_channel->established()) {
            ASSERT_TRUE(read_some());
            base::Buffer reply;
            auto used = m_channel->handshake(m_in.data(), reply);
            ASSERT_TRUE(used);
            m_in.consume(*used);
        }
    }
    void send(std::uint64_t code, base::ByteView payload) {
        base::Buffer plain, out;
        append_record(plain, code, payload);
        ASSERT_TRUE(m_channel->seal(plain.data(), out));
        write(out);
    }
    void send_hello(std::vector<Capability> caps, std::optional<secp::PublicKey> id = std::nullopt) {
        Hello h;
        h.protocol_version = m_hello_version;
        h.client_id = "raw";
        h.capabilities = std::move(caps);
        h.node_id = id.value_or(m_key.public_key);
        send(k_hello_code, encode_hello(h));
    }
    void send_raw(base::ByteView frame) {
        base::Buffer out;
        ASSERT_TRUE(m_channel->codec()->write_raw(frame, out));
        write(out);
    }
    /// The next message, or nullopt on EOF/timeout/error.
    std::optional<std::pair<std::uint64_t, base::Bytes>> read() {
        while (true) {
            if (auto r = peek_record(m_plain.data())) {
                std::pair<std::uint64_t, base::Bytes> m{r->code,
                                                        base::Bytes(r->payload.begin(), r->payload.end())};
                m_plain.consume(r->size);
                return m;
            }
            auto used = m_channel->open(m_in.data(), m_plain);
            if (!used) return std::nullopt;
            m_in.consume(*used);
            if (peek_record(m_plain.data())) continue;
            if (!read_some()) return std::nullopt;
        }
    }
    /// Reads until a Disconnect; its reason.
    std::optional<std::uint8_t> read_disconnect() {
        while (auto m = read()) {
            if (m->first == k_disconnect_code) {
                auto r = decode_disconnect(m->second);
                if (r) return *r;
                return std::nullopt;
            }
        }
        return std::nullopt;
    }
    bool eof() {
        std::error_code ec;
        std::array<base::Byte, 4096> buf{};
        for (int i = 0; i < 100; ++i) {
            m_socket.read_some(asio::buffer(buf), ec);
            if (ec) return ec == asio::error::eof || ec == asio::error::connection_reset;
        }
        return false;
    }
    const secp::KeyPair& key() const { return m_key; }

private:
    bool read_some() {
        std::error_code ec;
        auto space = m_in.prepare(4096);
        const std::size_t n = m_socket.read_some(asio::buffer(space.data(), space.size()), ec);
        if (ec) return false;
        m_in.commit(n);
        return true;
    }
    void write(base::Buffer& out) {
        asio::write(m_socket, asio::buffer(out.data().data(), out.size()));
        out.clear();
    }

    asio::io_context m_io;
    asio::ip::tcp::socket m_socket;
    secp::KeyPair m_key = secp::generate();
    secp::PublicKey m_target{};
    std::uint64_t m_hello_version = 4;
    std::unique_ptr<RlpxChannel> m_channel;
    base::Buffer m_in, m_plain;
};

ServerProtocol simple(std::string name, std::uint64_t length) {
    return ServerProtocol{std::move(name), 1, length, {}, {}, {}};
}

TEST(Devp2pServer, HelloWithAnotherNodeIdIsDisconnected) {
    Node a(options_with({simple("test", 3)}));
    RawPeer raw(a.enode());
    raw.handshake();
    raw.send_hello({{"test", 1}}, secp::generate().public_key);
    EXPECT_EQ(raw.read_disconnect(), static_cast<std::uint8_t>(DisconnectReason::unexpected_identity));
    ASSERT_TRUE(a.events.wait([&] { return a.events.failed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.failed, 0), local_disconnect(DisconnectReason::unexpected_identity));
    EXPECT_EQ(a.events.count(a.events.added), 0u);
}

TEST(Devp2pServer, NoSharedCapabilityIsUselessPeer) {
    Node a(options_with({simple("test", 3)}));
    RawPeer raw(a.enode());
    raw.handshake();
    raw.send_hello({{"other", 1}, {"test", 2}});
    EXPECT_EQ(raw.read_disconnect(), static_cast<std::uint8_t>(DisconnectReason::useless_peer));
    ASSERT_TRUE(a.events.wait([&] { return a.events.failed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.failed, 0), local_disconnect(DisconnectReason::useless_peer));
}

TEST(Devp2pServer, OversizedFrameCloses) {
    auto options = options_with({simple("test", 3)});
    options.max_message_size = 1024;
    Node a(options);
    RawPeer raw(a.enode());
    raw.handshake();
    raw.send_hello({{"test", 1}});
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    base::Bytes frame(4096, 0);
    frame[0] = 0x10;  // code 16, then 4095 bytes: above the 1024-byte bound
    raw.send_raw(frame);
    ASSERT_TRUE(a.events.wait([&] { return a.events.removed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.removed, 0), make_error_code(Errc::frame_too_large));
    EXPECT_TRUE(raw.eof());
}

TEST(Devp2pServer, SilentSocketHitsTheHandshakeDeadline) {
    auto options = options_with({simple("test", 3)});
    options.handshake_timeout = 300ms;
    Node a(options);
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), a.server->listen_port()});
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(a.events.wait([&] { return a.events.failed.size() == 1; }, 3000ms));
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(a.events.at(a.events.failed, 0), make_error_code(ServerErrc::handshake_timeout));
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 2500ms);
}

TEST(Devp2pServer, HelloDeadlineCoversTheWholeExchange) {
    auto options = options_with({simple("test", 3)});
    options.handshake_timeout = 400ms;
    Node a(options);
    RawPeer raw(a.enode());
    raw.handshake();  // ECIES done, but no Hello follows
    ASSERT_TRUE(a.events.wait([&] { return a.events.failed.size() == 1; }, 3000ms));
    EXPECT_EQ(a.events.at(a.events.failed, 0), make_error_code(ServerErrc::handshake_timeout));
}

TEST(Devp2pServer, CodeOutsideEveryProtocolIsProtocolError) {
    std::atomic<int> handled{0};
    auto proto = simple("test", 3);
    proto.on_message = [&](const PeerPtr&, std::uint64_t code, base::ByteView) -> base::Result<void> {
        if (code == 2) ++handled;
        return {};
    };
    Node a(options_with({proto}));
    RawPeer raw(a.enode());
    raw.handshake();
    raw.send_hello({{"test", 1}});
    raw.send(16 + 2, {});  // test's code 2
    raw.send(k_ping_code, encode_ping());
    bool ponged = false;
    while (auto m = raw.read()) {
        if (m->first == k_pong_code) {
            ponged = true;
            break;
        }
    }
    EXPECT_TRUE(ponged);
    EXPECT_EQ(handled.load(), 1);
    raw.send(16 + 3, {});  // one past test's length
    EXPECT_EQ(raw.read_disconnect(), static_cast<std::uint8_t>(DisconnectReason::protocol_error));
    ASSERT_TRUE(a.events.wait([&] { return a.events.removed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.removed, 0), local_disconnect(DisconnectReason::protocol_error));
}

TEST(Devp2pServer, IdlePeerGetsReadTimeout) {
    auto options = options_with({simple("test", 3)});
    options.read_timeout = 400ms;
    options.ping_interval = 10s;
    Node a(options);
    RawPeer raw(a.enode());
    raw.handshake();
    raw.send_hello({{"test", 1}});
    EXPECT_EQ(raw.read_disconnect(), static_cast<std::uint8_t>(DisconnectReason::read_timeout));
    ASSERT_TRUE(a.events.wait([&] { return a.events.removed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.removed, 0), local_disconnect(DisconnectReason::read_timeout));
}

TEST(Devp2pServer, PeerDisconnectReasonIsReported) {
    Node a(options_with({simple("test", 3)}));
    RawPeer raw(a.enode());
    raw.handshake();
    raw.send_hello({{"test", 1}});
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    raw.send(k_disconnect_code, encode_disconnect(DisconnectReason::too_many_peers));
    ASSERT_TRUE(a.events.wait([&] { return a.events.removed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.removed, 0), remote_disconnect(0x04));
    EXPECT_EQ(a.events.at(a.events.removed, 0).message(), "peer disconnected: too many peers");
}

TEST(Devp2pServer, SecondConnectionToTheSamePeerIsAlreadyConnected) {
    Node a(options_with({simple("test", 3)}));
    Node b(options_with({simple("test", 3)}));
    b.run([&] { b.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    ASSERT_TRUE(b.events.wait([&] { return b.events.added.size() == 1; }));
    b.run([&] { b.server->dial(a.enode()); });
    // Both sides find the id already connected and send Disconnect(already_connected); the side
    // whose socket closes first may see only the close, so one reason is required, not both.
    auto already = [](Events& e) {
        for (const auto& r : e.failed)
            if (disconnect_reason(r) == static_cast<std::uint8_t>(DisconnectReason::already_connected))
                return true;
        return false;
    };
    ASSERT_TRUE(a.events.wait([&] { return !a.events.failed.empty(); }));
    ASSERT_TRUE(b.events.wait([&] { return !b.events.failed.empty(); }));
    {
        std::scoped_lock lock(a.events.mutex, b.events.mutex);
        EXPECT_TRUE(already(a.events) || already(b.events));
    }
    EXPECT_EQ(a.events.count(a.events.removed), 0u);
    EXPECT_EQ(b.events.count(b.events.removed), 0u);
}

TEST(Devp2pServer, DialingOurselfFails) {
    Node a(options_with({simple("test", 3)}));
    a.run([&] { a.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.failed.size() == 1; }));
    EXPECT_EQ(a.events.at(a.events.failed, 0), make_error_code(ServerErrc::self_dial));
}

}  // namespace
}  // namespace peerlink::devp2p
