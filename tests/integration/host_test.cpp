// Several real CometBFT-profile nodes in one process over loopback TCP: handshakes, NodeInfo
// checks, admission limits, reactors and the event stream. One io_context runs every node's
// network side on the test thread; reactors run on their own threads.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "profiles/cometbft/host.hpp"
#include "profiles/cometbft/secret_connection.hpp"

namespace peerlink {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

constexpr mux::ChannelId k_test_channel = 0x50;

/// Records peers and messages; optionally blocks in receive until released.
class RecordingReactor final : public router::Reactor {
public:
    std::vector<mux::ChannelDescriptor> channels() const override {
        return {{.id = k_test_channel,
                 .priority = 1,
                 .send_queue_capacity = 64,
                 .recv_message_capacity = 1 << 20}};
    }
    void add_peer(const peer::PeerPtr& p) override {
        std::lock_guard lock(m_mutex);
        m_peers.insert(p->id());
    }
    void remove_peer(const peer::PeerPtr& p, std::error_code) override {
        std::lock_guard lock(m_mutex);
        m_peers.erase(p->id());
    }
    void receive(const peer::PeerPtr& from, mux::ChannelId, base::SharedBytes message) override {
        std::unique_lock lock(m_mutex);
        m_blocked_cv.wait(lock, [&] { return !m_block; });
        m_messages.emplace_back(from->id(), std::string(base::as_chars(message.view())));
    }
    std::size_t peer_count() {
        std::lock_guard lock(m_mutex);
        return m_peers.size();
    }
    std::vector<std::pair<peer::NodeId, std::string>> messages() {
        std::lock_guard lock(m_mutex);
        return m_messages;
    }
    void block(bool on) {
        {
            std::lock_guard lock(m_mutex);
            m_block = on;
        }
        m_blocked_cv.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_blocked_cv;
    bool m_block = false;
    std::set<peer::NodeId> m_peers;
    std::vector<std::pair<peer::NodeId, std::string>> m_messages;
};

struct Node {
    Node(asio::io_context& io, std::uint64_t seed, connmgr::Options cm_options, cometbft::HostOptions options,
         std::shared_ptr<router::Reactor> extra = nullptr,
         cometbft::NodeKey identity = {crypto::ed25519_generate()})
        : key(std::move(identity)),
          random(seed),
          connmgr(cm_options, source, random, key.id()),
          router(io, {}) {
        router.add_reactor("recording", reactor);
        if (extra) router.add_reactor("extra", extra);
        router.start();
        host = std::make_unique<cometbft::Host>(io, std::move(options), key, router, connmgr);
        EXPECT_TRUE(host->start().ok());
    }
    ~Node() {
        host->stop();
        router.stop();
    }
    [[nodiscard]] peer::PeerAddress address() const {
        return {.id = key.id(), .host = "127.0.0.1", .port = host->listen_port()};
    }
    void dial(const peer::PeerAddress& a) {
        connmgr.add_persistent(a);
        host->wake_dialer();
    }

    cometbft::NodeKey key;
    base::Random random;
    connmgr::FixedAddressSource source;
    connmgr::ConnManager connmgr;
    router::Router router;
    std::shared_ptr<RecordingReactor> reactor = std::make_shared<RecordingReactor>();
    std::unique_ptr<cometbft::Host> host;
};

class HostTest : public ::testing::Test {
protected:
    asio::io_context io{1};

    static cometbft::HostOptions options(std::string network = "peerlink-test") {
        cometbft::HostOptions o;
        o.network = std::move(network);
        o.mux.flush_throttle = 1ms;
        return o;
    }
    /// Every test node is on 127.0.0.1, so the duplicate-IP guard is off unless a test turns it on.
    static connmgr::Options loopback() {
        connmgr::Options o;
        o.allow_duplicate_ip = true;
        return o;
    }
    std::unique_ptr<Node> make(std::uint64_t seed, connmgr::Options cm = loopback(),
                               cometbft::HostOptions o = options(),
                               std::shared_ptr<router::Reactor> extra = nullptr) {
        return std::make_unique<Node>(io, seed, cm, std::move(o), std::move(extra));
    }
    bool run_until(const std::function<bool()>& done, base::Duration limit) {
        const auto deadline = base::SteadyClock::now() + limit;
        while (!done() && base::SteadyClock::now() < deadline)
            io.run_one_for(5ms);
        return done();
    }
    static bool has_event(Node& n, router::EventKind kind, std::error_code reason,
                          std::vector<router::Event>& seen) {
        for (auto& e : n.router.events().poll())
            seen.push_back(std::move(e));
        for (const auto& e : seen) {
            if (e.kind == kind && e.reason == reason) return true;
        }
        return false;
    }
};

TEST_F(HostTest, LineTriangleAndStarTopologiesConnect) {
    // Given five nodes wired as a line a-b-c, a triangle c-d-e-c and a star around c
    std::vector<std::unique_ptr<Node>> n;
    for (std::uint64_t i = 0; i < 5; ++i)
        n.push_back(make(i + 1));
    n[0]->dial(n[1]->address());
    n[1]->dial(n[2]->address());
    n[2]->dial(n[3]->address());
    n[3]->dial(n[4]->address());
    n[4]->dial(n[2]->address());
    // When the handshakes complete
    const std::vector<std::size_t> expected = {1, 2, 3, 2, 2};
    ASSERT_TRUE(run_until(
        [&] {
            for (std::size_t i = 0; i < n.size(); ++i) {
                if (n[i]->router.peers()->size() != expected[i]) return false;
            }
            return true;
        },
        10s));
    // Then every reactor saw its peers, directions add up and messages flow both ways
    ASSERT_TRUE(run_until([&] { return n[2]->reactor->peer_count() == 3; }, 5s));
    EXPECT_EQ(n[2]->router.count(peer::Direction::inbound), 2u);
    EXPECT_EQ(n[2]->router.count(peer::Direction::outbound), 1u);
    const auto outcomes =
        n[2]->router.broadcast(k_test_channel, base::SharedBytes::copy_of(base::as_bytes("hi")));
    EXPECT_EQ(outcomes.size(), 3u);
    for (const auto& o : outcomes)
        EXPECT_TRUE(o.queued);
    ASSERT_TRUE(run_until(
        [&] {
            return n[1]->reactor->messages().size() == 1 && n[3]->reactor->messages().size() == 1 &&
                   n[4]->reactor->messages().size() == 1;
        },
        5s));
    EXPECT_EQ(n[1]->reactor->messages()[0].first, n[2]->key.id());
    EXPECT_EQ(n[1]->reactor->messages()[0].second, "hi");
}

TEST_F(HostTest, WrongNetworkIsRefusedWithThatReasonInTheEventStream) {
    auto a = make(1);
    auto b = make(2, loopback(), options("another-chain"));
    a->dial(b->address());
    std::vector<router::Event> seen_a, seen_b;
    ASSERT_TRUE(run_until(
        [&] {
            return has_event(*a, router::EventKind::handshake_rejected,
                             make_error_code(cometbft::NodeInfoErrc::wrong_network), seen_a) &&
                   has_event(*b, router::EventKind::handshake_rejected,
                             make_error_code(cometbft::NodeInfoErrc::wrong_network), seen_b);
        },
        5s));
    EXPECT_TRUE(a->router.peers()->empty());
    EXPECT_TRUE(b->router.peers()->empty());
}

TEST_F(HostTest, SelfDialIsRefusedAndNeverRetried) {
    // Given a static peer whose address is really our own listener (under another node's ID)
    auto a = make(1);
    auto other = make(2);
    peer::PeerAddress looks_like_other = a->address();
    looks_like_other.id = other->key.id();
    other.reset();
    a->connmgr.add_static(looks_like_other);  // static: redialled forever unless known as self
    a->host->wake_dialer();
    std::vector<router::Event> seen;
    ASSERT_TRUE(run_until(
        [&] {
            return has_event(*a, router::EventKind::handshake_rejected,
                             make_error_code(cometbft::HostErrc::self_connection), seen);
        },
        5s));
    // Then, over the next seconds (past the first redial at 5-8 s would be too slow for a unit
    // test; the connection manager's own tests cover the schedule), nothing dials it again.
    run_until([] { return false; }, 1500ms);
    for (auto& e : a->router.events().poll())
        seen.push_back(std::move(e));
    std::size_t self_rejections = 0;
    for (const auto& e : seen) {
        if (e.reason == cometbft::HostErrc::self_connection) ++self_rejections;
    }
    EXPECT_EQ(self_rejections, 2u);  // both ends of the one self-connection, once
    EXPECT_EQ(a->connmgr.dialing_count(), 0u);
    EXPECT_TRUE(a->router.peers()->empty());
    EXPECT_TRUE(a->connmgr.poll(base::SteadyClock::now() + std::chrono::hours(1)).dial_now.empty());
}

TEST_F(HostTest, SecondConnectionToTheSameNodeIsResolvedByTheTieBreak) {
    auto a = make(1);
    auto b = make(2);
    a->dial(b->address());
    ASSERT_TRUE(
        run_until([&] { return a->router.peers()->size() == 1 && b->router.peers()->size() == 1; }, 5s));
    // A second process with b's identity dials a. a already has that node (a connection a
    // dialled); the tie-break keeps the connection dialled by the lower ID, so the new one is
    // refused (already_connected) when a's ID is lower and replaces the old one otherwise.
    auto b_again = std::make_unique<Node>(io, 3, loopback(), options(), nullptr, b->key);
    b_again->dial(a->address());
    const bool new_one_wins = b->key.id() < a->key.id();
    std::vector<router::Event> seen;
    ASSERT_TRUE(run_until(
        [&] {
            return new_one_wins ? has_event(*a, router::EventKind::peer_down,
                                            make_error_code(cometbft::HostErrc::duplicate_replaced), seen)
                                : has_event(*a, router::EventKind::handshake_rejected,
                                            make_error_code(connmgr::Errc::already_connected), seen);
        },
        5s));
    run_until([] { return false; }, 100ms);
    ASSERT_EQ(a->router.peers()->size(), 1u);
    EXPECT_EQ(a->router.peers()->front()->info().direction,
              new_one_wins ? peer::Direction::inbound : peer::Direction::outbound);
    // The original b lost its connection when the twin won (nothing makes b redial a).
    EXPECT_EQ(b_again->router.peers()->size(), new_one_wins ? 1u : 0u);
    EXPECT_EQ(b->router.peers()->size(), new_one_wins ? 0u : 1u);
}

TEST_F(HostTest, TwoNodesDiallingEachOtherSettleOnOneConnection) {
    // Given two nodes that list each other as persistent and dial at the same moment
    auto a = make(1);
    auto b = make(2);
    a->dial(b->address());
    b->dial(a->address());
    ASSERT_TRUE(
        run_until([&] { return a->router.peers()->size() == 1 && b->router.peers()->size() == 1; }, 5s));
    // Then, a second later, both still hold exactly one connection to each other: the same one.
    run_until([] { return false; }, 1s);
    ASSERT_EQ(a->router.peers()->size(), 1u);
    ASSERT_EQ(b->router.peers()->size(), 1u);
    const auto at_a = a->router.find(b->key.id());
    const auto at_b = b->router.find(a->key.id());
    ASSERT_TRUE(at_a && at_b);
    EXPECT_NE(at_a->info().direction, at_b->info().direction);
    EXPECT_EQ(at_a->info().remote_port == b->host->listen_port(),
              at_a->info().direction == peer::Direction::outbound);
}

TEST_F(HostTest, InboundLimitRefusesTheNextButAdmitsAnUnconditionalPeer) {
    connmgr::Options limited;
    limited.max_inbound = 2;
    limited.allow_duplicate_ip = true;  // every node is on 127.0.0.1
    limited.max_inbound_attempts_per_ip = 100;
    auto server = make(100, limited);
    connmgr::Options relaxed;
    relaxed.allow_duplicate_ip = true;
    std::vector<std::unique_ptr<Node>> clients;
    for (std::uint64_t i = 0; i < 4; ++i)
        clients.push_back(make(i + 1, relaxed));
    server->connmgr.add_unconditional(clients[3]->key.id());
    for (std::size_t i = 0; i < 2; ++i)
        clients[i]->dial(server->address());
    ASSERT_TRUE(run_until([&] { return server->router.peers()->size() == 2; }, 5s));
    // the third is refused
    clients[2]->dial(server->address());
    std::vector<router::Event> seen;
    ASSERT_TRUE(run_until(
        [&] {
            return has_event(*server, router::EventKind::handshake_rejected,
                             make_error_code(connmgr::Errc::too_many_inbound), seen);
        },
        5s));
    EXPECT_EQ(server->router.peers()->size(), 2u);
    // the unconditional one is admitted beyond the limit
    clients[3]->dial(server->address());
    ASSERT_TRUE(run_until([&] { return server->router.peers()->size() == 3; }, 5s));
    EXPECT_TRUE(server->router.find(clients[3]->key.id()) != nullptr);
}

TEST_F(HostTest, SilentSocketIsClosedAtHandshakeTimeout) {
    cometbft::HostOptions quick = options();
    quick.handshake_timeout = 300ms;
    auto a = make(1, loopback(), quick);
    tcp::socket raw(io);
    raw.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), a->host->listen_port()));
    const auto start = base::SteadyClock::now();
    std::vector<router::Event> seen;
    ASSERT_TRUE(run_until(
        [&] {
            return has_event(*a, router::EventKind::handshake_rejected,
                             make_error_code(cometbft::Errc::handshake_timeout), seen);
        },
        3s));
    EXPECT_GE(base::SteadyClock::now() - start, 300ms);
    // and the socket is closed: after our 35-byte ephemeral key, a read sees the end of the stream
    std::array<char, 64> buffer{};
    std::error_code ec;
    std::size_t total = 0;
    while (!ec && total < 1000)
        total += raw.read_some(asio::buffer(buffer), ec);
    EXPECT_EQ(total, 35u);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(HostTest, AThousandAttemptsFromOneIpLeaveHonestPeersServed) {
    auto server = make(1);
    auto honest = make(2);
    honest->dial(server->address());
    ASSERT_TRUE(run_until([&] { return server->router.peers()->size() == 1; }, 5s));
    // 1,000 connections that connect and hang up at once, in bounded batches
    std::size_t opened = 0;
    for (int batch = 0; batch < 20; ++batch) {
        std::vector<tcp::socket> sockets;
        for (int i = 0; i < 50; ++i) {
            tcp::socket s(io);
            std::error_code ec;
            s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->host->listen_port()), ec);
            if (!ec) {
                ++opened;
                sockets.push_back(std::move(s));
            }
        }
        run_until([] { return false; }, 10ms);
    }
    EXPECT_EQ(opened, 1000u);
    run_until([] { return false; }, 200ms);
    // the honest peer is still connected and served
    ASSERT_EQ(server->router.peers()->size(), 1u);
    server->router.broadcast(k_test_channel, base::SharedBytes::copy_of(base::as_bytes("still here")));
    ASSERT_TRUE(run_until([&] { return honest->reactor->messages().size() == 1; }, 5s));
    std::vector<router::Event> seen;
    EXPECT_TRUE(has_event(*server, router::EventKind::handshake_rejected,
                          make_error_code(connmgr::Errc::ip_throttled), seen));
}

TEST_F(HostTest, ABlockingReactorDoesNotCostOtherPeersTheirConnection) {
    // Given a server whose reactor blocks on messages, and two peers
    mux::Options pings;
    pings.ping_interval = 200ms;
    pings.pong_timeout = 400ms;
    pings.flush_throttle = 1ms;
    cometbft::HostOptions o = options();
    o.mux = pings;
    auto server = make(1, loopback(), o);
    auto flooder = make(2, loopback(), o);
    auto quiet = make(3, loopback(), o);
    flooder->dial(server->address());
    quiet->dial(server->address());
    // (both ends: each adds the other when its own side of the handshake is done)
    ASSERT_TRUE(run_until(
        [&] {
            return server->router.peers()->size() == 2 && flooder->router.find(server->key.id()) != nullptr &&
                   quiet->router.find(server->key.id()) != nullptr;
        },
        5s));
    server->reactor->block(true);
    // When the flooder sends more than the server's per-peer inbound budget
    const base::SharedBytes big(base::Bytes(512 * 1024, 'x'));
    const auto to_server = flooder->router.find(server->key.id());
    ASSERT_NE(to_server, nullptr);
    for (int i = 0; i < 16; ++i)
        to_server->try_send(k_test_channel, big);
    // Then, for several ping intervals, the quiet peer keeps its connection both ways
    run_until([] { return false; }, 2s);
    EXPECT_NE(server->router.find(quiet->key.id()), nullptr);
    EXPECT_NE(quiet->router.find(server->key.id()), nullptr);
    // The flooder's own reads were paused (its pings went unanswered), so it may have been
    // dropped: back-pressure lands on that peer only. Once released, the reactor processes what
    // was handed to it: at least the 4 MiB inbound budget, eight 512 KiB messages.
    server->reactor->block(false);
    ASSERT_TRUE(run_until([&] { return server->reactor->messages().size() >= 8; }, 10s));
    EXPECT_NE(server->router.find(quiet->key.id()), nullptr);
}

TEST_F(HostTest, PeerFiltersCanRefuseAndMustAnswerInTime) {
    // Given a node whose peer filter refuses one ID and never answers for another
    auto refused = make(2);
    auto silent = make(3);
    auto welcome = make(4);
    cometbft::HostOptions o = options();
    o.filter_timeout = 300ms;
    const peer::NodeId refused_id = refused->key.id();
    const peer::NodeId silent_id = silent->key.id();
    std::vector<cometbft::FilterDone> never_answered;
    o.peer_filters.push_back([&](const peer::PeerInfo& info, cometbft::FilterDone done) {
        if (info.id == refused_id) return done(make_error_code(std::errc::permission_denied));
        if (info.id == silent_id) return never_answered.push_back(std::move(done));
        done({});
    });
    auto server = make(1, loopback(), o);
    refused->dial(server->address());
    silent->dial(server->address());
    welcome->dial(server->address());
    std::vector<router::Event> seen;
    ASSERT_TRUE(run_until(
        [&] {
            return has_event(*server, router::EventKind::handshake_rejected,
                             make_error_code(cometbft::HostErrc::filter_rejected), seen) &&
                   has_event(*server, router::EventKind::handshake_rejected,
                             make_error_code(cometbft::HostErrc::filter_timeout), seen) &&
                   server->router.peers()->size() == 1;
        },
        5s));
    EXPECT_NE(server->router.find(welcome->key.id()), nullptr);
}

TEST_F(HostTest, MessagesSentWhileAPeerFilterDecidesAreNotLost) {
    // Given a server whose peer filter answers 200 ms late, and a client that sends as soon as
    // its own side of the handshake is done
    cometbft::HostOptions o = options();
    asio::steady_timer late(io);
    o.peer_filters.push_back([&](const peer::PeerInfo&, cometbft::FilterDone done) {
        late.expires_after(200ms);
        late.async_wait([done = std::move(done)](std::error_code) { done({}); });
    });
    auto server = make(1, loopback(), o);
    auto client = make(2);
    client->dial(server->address());
    ASSERT_TRUE(run_until([&] { return client->router.find(server->key.id()) != nullptr; }, 5s));
    auto to_server = client->router.find(server->key.id());
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(to_server->try_send(
            k_test_channel, base::SharedBytes(base::Bytes{'m', static_cast<std::uint8_t>('0' + i)})));
    // Then the server receives all three once the filter admits the client
    ASSERT_TRUE(run_until([&] { return server->reactor->messages().size() == 3; }, 5s));
    EXPECT_EQ(server->reactor->messages()[0].second, "m0");
    EXPECT_EQ(server->reactor->messages()[2].second, "m2");
}

TEST_F(HostTest, ConnectionFiltersSeeTheRemoteIpFirst) {
    cometbft::HostOptions o = options();
    std::vector<std::string> seen_ips;
    o.conn_filters.push_back([&](const std::string& ip, cometbft::FilterDone done) {
        seen_ips.push_back(ip);
        done(make_error_code(std::errc::connection_refused));
    });
    auto server = make(1, loopback(), o);
    auto client = make(2);
    client->dial(server->address());
    std::vector<router::Event> seen;
    ASSERT_TRUE(run_until(
        [&] {
            return has_event(*server, router::EventKind::handshake_rejected,
                             std::make_error_code(std::errc::connection_refused), seen);
        },
        5s));
    ASSERT_FALSE(seen_ips.empty());
    EXPECT_EQ(seen_ips[0], "127.0.0.1");
    EXPECT_TRUE(server->router.peers()->empty());
}

}  // namespace
}  // namespace peerlink
