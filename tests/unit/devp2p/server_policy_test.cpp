// devp2p::Server's geth policies over real loopback sockets: MaxPeers refusal with its Disconnect
// reason, trusted nodes over the limit, static redial after a drop (dial history), NetRestrict,
// the per-IP inbound throttle, DialRatio over an address source, and the polite stop.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "profiles/devp2p/server.hpp"

namespace peerlink::devp2p {
namespace {

using namespace std::chrono_literals;

struct Events {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::error_code> failed;   // on_handshake_failed
    std::vector<std::error_code> removed;  // on_peer_removed
    std::vector<secp::PublicKey> added;    // ids of added peers
    std::vector<base::TimePoint> added_at;

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
    template <typename T>
    std::vector<T> copy(const std::vector<T>& list) {
        std::lock_guard lock(mutex);
        return list;
    }
    bool failed_with(std::error_code code) {
        std::lock_guard lock(mutex);
        return std::find(failed.begin(), failed.end(), code) != failed.end();
    }
    Server::Callbacks callbacks() {
        Server::Callbacks c;
        c.on_peer_added = [this](const PeerPtr& p) {
            with([&] {
                added.push_back(p->id());
                added_at.push_back(base::SteadyClock::now());
            });
        };
        c.on_peer_removed = [this](const PeerPtr&, std::error_code r) {
            with([&] { removed.push_back(r); });
        };
        c.on_handshake_failed = [this](const std::string&, std::error_code r) {
            with([&] { failed.push_back(r); });
        };
        return c;
    }
};

ServerOptions base_options() {
    ServerOptions o;
    o.protocols = {ServerProtocol{"test", 1, 3, {}, {}, {}}};
    return o;
}

struct Node {
    asio::io_context io;
    Events events;
    secp::KeyPair key;
    std::unique_ptr<Server> server;
    std::thread thread;

    explicit Node(ServerOptions options, secp::KeyPair k = secp::generate()) : key(k) {
        server = std::make_unique<Server>(io, key, std::move(options), events.callbacks());
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
    Enode enode() const { return Enode{key.public_key, "127.0.0.1", false, server->listen_port(), 0}; }
    template <typename F>
    void run(F f) {
        asio::post(io, std::move(f));
    }
    /// Runs `f` on the server thread and returns its result.
    template <typename F>
    auto call(F f) -> decltype(f()) {
        std::promise<decltype(f())> done;
        asio::post(io, [&] { done.set_value(f()); });
        return done.get_future().get();
    }
    std::size_t peers() {
        return call([this] { return server->peer_count(); });
    }
};

TEST(Devp2pServerPolicy, MaxPeersRefusesInboundWithTooManyPeers) {
    // Given max_peers 2 and dial ratio 2: one dialled slot and one inbound slot.
    auto options = base_options();
    options.max_peers = 2;
    options.dial_ratio = 2;
    Node a(options);
    EXPECT_EQ(a.server->conn_manager().options().max_inbound, 1u);
    EXPECT_EQ(a.server->conn_manager().options().max_outbound, 1u);
    Node b(base_options());
    Node c(base_options());
    // When b takes the inbound slot and c dials too
    b.run([&] { b.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    c.run([&] { c.server->dial(a.enode()); });
    // Then c is refused after the Hello exchange with Disconnect(too many peers): c may have
    // taken a's Hello (a peer, then removed) or not yet (a failed handshake).
    ASSERT_TRUE(c.events.wait([&] { return !c.events.failed.empty() || !c.events.removed.empty(); }));
    {
        std::lock_guard lock(c.events.mutex);
        const auto& seen = c.events.failed.empty() ? c.events.removed : c.events.failed;
        EXPECT_EQ(seen.at(0), remote_disconnect(0x04));
    }
    ASSERT_TRUE(a.events.wait([&] { return !a.events.failed.empty(); }));
    EXPECT_EQ(a.events.copy(a.events.failed).at(0), local_disconnect(DisconnectReason::too_many_peers));
    EXPECT_EQ(a.peers(), 1u);
}

TEST(Devp2pServerPolicy, TrustedNodeIsAdmittedOverTheLimit) {
    const auto trusted_key = secp::generate();
    auto options = base_options();
    options.max_peers = 1;
    options.no_dial = true;  // every slot inbound
    options.trusted_nodes = {trusted_key.public_key};
    Node a(options);
    Node b(base_options());
    Node c(base_options(), trusted_key);
    b.run([&] { b.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    c.run([&] { c.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 2; }));
    EXPECT_EQ(a.peers(), 2u);
    EXPECT_TRUE(c.events.copy(c.events.failed).empty());
}

TEST(Devp2pServerPolicy, StaticNodeIsRedialledAfterADisconnect) {
    Node b(base_options());
    auto options = base_options();
    options.static_nodes = {b.enode()};
    options.dial_history = 300ms;
    Node a(options);
    // Given a static node that a dials on its own
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    ASSERT_TRUE(b.events.wait([&] { return b.events.added.size() == 1; }));
    // When b drops it
    b.run([&] {
        if (auto p = b.server->find_peer(a.key.public_key)) p->disconnect(DisconnectReason::requested);
    });
    ASSERT_TRUE(a.events.wait([&] { return a.events.removed.size() == 1; }));
    // Then a dials it again, not before the dial history (300 ms since the first dial) expired
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 2; }));
    const auto at = a.events.copy(a.events.added_at);
    EXPECT_GE(at[1] - at[0], 250ms);
    EXPECT_EQ(a.events.copy(a.events.added)[1], b.key.public_key);
}

TEST(Devp2pServerPolicy, NetRestrictRefusesInboundAndDials) {
    auto options = base_options();
    options.net_restrict = {"10.0.0.0/8"};
    Node a(options);
    Node b(base_options());
    b.run([&] { b.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return !a.events.failed.empty(); }));
    EXPECT_EQ(a.events.copy(a.events.failed).at(0), make_error_code(connmgr::Errc::ip_not_allowed));
    ASSERT_TRUE(b.events.wait([&] { return !b.events.failed.empty(); }));
    a.run([&] { a.server->dial(b.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.failed.size() == 2; }));
    EXPECT_EQ(a.events.copy(a.events.failed).at(1), make_error_code(connmgr::Errc::ip_not_allowed));
    EXPECT_EQ(a.peers(), 0u);
    EXPECT_EQ(b.peers(), 0u);
}

TEST(Devp2pServerPolicy, InboundThrottleRefusesASecondAttemptFromOneIp) {
    auto options = base_options();
    options.throttle_exempt_lan = false;  // loopback is LAN: geth would exempt it
    Node a(options);
    Node b(base_options());
    Node c(base_options());
    b.run([&] { b.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    c.run([&] { c.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return !a.events.failed.empty(); }));
    EXPECT_EQ(a.events.copy(a.events.failed).at(0), make_error_code(connmgr::Errc::ip_throttled));
    EXPECT_EQ(a.peers(), 1u);
}

TEST(Devp2pServerPolicy, LanAddressesAreExemptFromTheThrottleByDefault) {
    Node a(base_options());
    Node b(base_options());
    Node c(base_options());
    b.run([&] { b.server->dial(a.enode()); });
    c.run([&] { c.server->dial(a.enode()); });
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 2; }));
}

TEST(Devp2pServerPolicy, DialRatioBoundsDialsFromTheAddressSource) {
    std::vector<std::unique_ptr<Node>> targets;
    connmgr::FixedAddressSource source;
    for (int i = 0; i < 4; ++i) {
        targets.push_back(std::make_unique<Node>(base_options()));
        source.add(to_peer_address(targets.back()->enode()));
    }
    // Given max_peers 6 and dial ratio 3: two dialled peers at most
    auto options = base_options();
    options.max_peers = 6;
    options.dial_ratio = 3;
    options.address_source = &source;
    Node a(options);
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 2; }));
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(a.peers(), 2u);
    EXPECT_EQ(a.call([&] { return a.server->conn_manager().outbound_count(); }), 2u);
    EXPECT_EQ(a.server->conn_manager().options().max_inbound, 4u);
}

TEST(Devp2pServerPolicy, NoDialDialsOnlyStaticNodes) {
    Node b(base_options());
    Node c(base_options());
    connmgr::FixedAddressSource source({to_peer_address(c.enode())});
    auto options = base_options();
    options.no_dial = true;
    options.static_nodes = {b.enode()};
    options.address_source = &source;
    Node a(options);
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(a.events.copy(a.events.added), std::vector<secp::PublicKey>{b.key.public_key});
}

TEST(Devp2pServerPolicy, StopSendsQuittingToEveryPeer) {
    Node a(base_options());
    Node b(base_options());
    b.run([&] { b.server->dial(a.enode()); });
    ASSERT_TRUE(b.events.wait([&] { return b.events.added.size() == 1; }));
    ASSERT_TRUE(a.events.wait([&] { return a.events.added.size() == 1; }));
    a.run([&] { a.server->stop(); });
    ASSERT_TRUE(b.events.wait([&] { return b.events.removed.size() == 1; }, 3000ms));
    EXPECT_EQ(b.events.copy(b.events.removed).at(0), remote_disconnect(0x08));
    ASSERT_TRUE(a.events.wait([&] { return a.events.removed.size() == 1; }, 3000ms));
    EXPECT_EQ(a.events.copy(a.events.removed).at(0), local_disconnect(DisconnectReason::quitting));
    EXPECT_EQ(a.call([&] { return a.server->connection_count(); }), 0u);
}

TEST(Devp2pServerPolicy, RefusalsMapToGethDisconnectReasons) {
    EXPECT_EQ(disconnect_reason_for(connmgr::Errc::too_many_inbound), DisconnectReason::too_many_peers);
    EXPECT_EQ(disconnect_reason_for(connmgr::Errc::too_many_connections), DisconnectReason::too_many_peers);
    EXPECT_EQ(disconnect_reason_for(connmgr::Errc::already_connected), DisconnectReason::already_connected);
    EXPECT_EQ(disconnect_reason_for(connmgr::Errc::self), DisconnectReason::self_connection);
    EXPECT_EQ(disconnect_reason_for(connmgr::Errc::ip_not_allowed), DisconnectReason::useless_peer);
}

}  // namespace
}  // namespace peerlink::devp2p
