// The Bitcoin node on real sockets against itself and against hand-driven peers on 127.0.0.1:
// handshakes in both directions, address exchange and relay, the negotiation deadline, bad magic,
// and the addr rate limit and >1000-entry discouragement.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>

#include "addrbook/netgroup.hpp"
#include "profiles/bitcoin/node.hpp"
#include "profiles/bitcoin/wire.hpp"

namespace peerlink::bitcoin {
namespace {

using namespace std::chrono_literals;

NodeOptions loopback_options() {
    NodeOptions o;
    o.network = &regtest();
    o.listen_port = 0;
    o.book.strict = false;  // every peer is 127.0.0.1
    o.services = k_node_network | k_node_witness;
    o.fill_interval = 100ms;
    o.retry_step = 200ms;
    return o;
}

/// Runs the io_context on its own thread; the test talks to nodes through on_io.
class BitcoinNodeLoopback : public ::testing::Test {
protected:
    Node& make_node(NodeOptions options) {
        nodes.push_back(std::make_unique<Node>(io, std::move(options), 7 + nodes.size()));
        return *nodes.back();
    }
    /// A started loopback node that dials nothing from its book (the io thread not yet run).
    Node& start_node_without_book_dials() {
        auto options = loopback_options();
        options.target_outbound = 0;
        Node& node = make_node(options);
        EXPECT_TRUE(node.start().ok());
        return node;
    }
    void run() {
        thread = std::thread([this] { io.run(); });
    }
    template <typename F>
    auto on_io(F f) {
        if (!thread.joinable()) return f();
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        asio::post(io, [&task] { task(); });
        return future.get();
    }
    /// Polls `condition` on the io thread until it holds or `limit` passes.
    template <typename F>
    bool wait_for(F condition, base::Duration limit = 10s) {
        const auto end = base::SteadyClock::now() + limit;
        while (base::SteadyClock::now() < end) {
            if (on_io([&] { return static_cast<bool>(condition()); })) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    void TearDown() override {
        on_io([&] {
            for (auto& node : nodes)
                node->stop();
            return 0;
        });
        guard.reset();
        io.stop();
        if (thread.joinable()) thread.join();
        nodes.clear();
    }
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
        asio::make_work_guard(io)};
    std::thread thread;
    std::vector<std::unique_ptr<Node>> nodes;
};

/// A hand-driven peer on a blocking socket.
class RawPeer {
public:
    explicit RawPeer(std::uint16_t port) : m_socket(m_io) {
        m_socket.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    void send(std::string_view command, const Message& message, const Magic& magic = regtest().magic) {
        asio::write(m_socket, asio::buffer(frame(magic, command, encode_payload(message))));
    }
    void handshake() {
        Version v;
        v.version = 70016;
        v.timestamp = now_from_clocks().unix_seconds;
        v.nonce = 0x1234567890abcdefULL;
        v.user_agent = "/raw:0/";
        v.relay = true;
        send("version", v);
        send("verack", Verack{});
    }
    /// Version, then (if asked) sendaddrv2, then verack.
    void handshake_with_addrv2() {
        Version v;
        v.version = 70016;
        v.timestamp = now_from_clocks().unix_seconds;
        v.nonce = 0x0badcafe12345678ULL;
        v.user_agent = "/raw:0/";
        v.relay = true;
        send("version", v);
        send("sendaddrv2", SendAddrV2{});
        send("verack", Verack{});
    }
    /// The first message with `command` the node sends within `limit`.
    std::optional<Message> receive(std::string_view command, base::Duration limit) {
        m_socket.non_blocking(true);
        const auto end = base::SteadyClock::now() + limit;
        std::array<std::uint8_t, 4096> buffer{};
        while (base::SteadyClock::now() < end) {
            while (true) {
                auto frame = m_reader.next();
                if (!frame.ok() || !*frame) break;
                if ((*frame)->command != command) continue;
                auto message = decode_message((*frame)->command, (*frame)->payload, true);
                if (message.ok()) return std::move(*message);
            }
            std::error_code ec;
            const auto n = m_socket.read_some(asio::buffer(buffer), ec);
            if (ec == asio::error::would_block) {
                std::this_thread::sleep_for(10ms);
                continue;
            }
            if (ec) return std::nullopt;
            m_reader.append(base::ByteView(buffer.data(), n));
        }
        return std::nullopt;
    }
    /// True once the peer closed the connection, false if `limit` passed first.
    bool closed_within(base::Duration limit) {
        m_socket.non_blocking(true);
        const auto end = base::SteadyClock::now() + limit;
        std::array<std::uint8_t, 4096> buffer{};
        while (base::SteadyClock::now() < end) {
            std::error_code ec;
            m_socket.read_some(asio::buffer(buffer), ec);
            if (ec == asio::error::would_block) {
                std::this_thread::sleep_for(10ms);
                continue;
            }
            if (ec) return true;  // eof or reset
        }
        return false;
    }

private:
    asio::io_context m_io;
    asio::ip::tcp::socket m_socket;
    FrameReader m_reader{{.magic = regtest().magic, .max_payload = k_default_max_payload}};
};

TEST_F(BitcoinNodeLoopback, HandshakeBothWaysAndAddressesExchanged) {
    auto options_a = loopback_options();
    auto options_b = loopback_options();
    options_b.target_outbound = 0;  // b keeps only its permanent peer
    Node& a = make_node(options_a);
    Node& b = make_node(options_b);
    ASSERT_TRUE(a.start().ok());
    ASSERT_TRUE(b.start().ok());
    std::vector<PeerSummary> a_connected;
    a.on_connection = [&](const PeerSummary& p) { a_connected.push_back(p); };
    b.add_permanent({"127.0.0.1", a.listen_port()});
    run();
    // b dials a; b's addr makes a learn b's listen address; a's outbound fill then dials b.
    ASSERT_TRUE(wait_for([&] { return a.outbound_count() == 1 && b.outbound_count() == 1; }));
    on_io([&] {
        EXPECT_TRUE(a.book().find({"", "127.0.0.1", b.listen_port()}).has_value());
        EXPECT_EQ(a.inbound_count(), 1u);
        EXPECT_EQ(b.inbound_count(), 1u);
        EXPECT_GE(a_connected.size(), 2u);
        for (const auto& p : a_connected) {
            EXPECT_EQ(p.remote.user_agent, "/peerlink:0.1.0/");
            EXPECT_EQ(p.remote.services, k_node_network | k_node_witness);
            EXPECT_EQ(p.remote.version, 70016);
        }
        return 0;
    });
    // Two connections between the same pair: an address must not echo between them forever.
    std::this_thread::sleep_for(1s);
    on_io([&] {
        EXPECT_LT(a.stats().addresses_processed, 10u);
        EXPECT_LT(b.stats().addresses_processed, 10u);
        return 0;
    });
}

TEST_F(BitcoinNodeLoopback, GetAddrAnswerReachesTheDialler) {
    auto options_a = loopback_options();
    options_a.target_outbound = 0;
    auto options_b = options_a;
    Node& a = make_node(options_a);
    Node& b = make_node(options_b);
    ASSERT_TRUE(a.start().ok());
    ASSERT_TRUE(b.start().ok());
    const auto t = base::SteadyClock::now();
    for (int i = 0; i < 20; ++i)
        a.book().add_address({"", "10.0." + std::to_string(i) + ".1", 18444}, "seed", t);
    b.add_permanent({"127.0.0.1", a.listen_port()});
    run();
    // b (outbound) sends getaddr; a answers from its book (inbound peer, once).
    ASSERT_TRUE(wait_for([&] { return b.book().size() >= 1; }));
    on_io([&] {
        std::size_t learned = 0;
        for (int i = 0; i < 20; ++i)
            learned += b.book().find({"", "10.0." + std::to_string(i) + ".1", 18444}).has_value();
        EXPECT_GE(learned, 1u);
        EXPECT_LE(learned, 20u * 23 / 100 + 1);
        return 0;
    });
}

TEST_F(BitcoinNodeLoopback, UnsolicitedAddressIsRelayedToAnotherPeer) {
    Node& hub = start_node_without_book_dials();
    Node& listener = start_node_without_book_dials();
    listener.add_permanent({"127.0.0.1", hub.listen_port()});
    run();
    ASSERT_TRUE(wait_for([&] { return hub.peers().size() == 1; }));
    RawPeer raw(hub.listen_port());
    raw.handshake();
    ASSERT_TRUE(wait_for([&] { return hub.peers().size() == 2; }));
    const auto now = static_cast<std::uint32_t>(now_from_clocks().unix_seconds);
    raw.send("addr", Addr{{TimedNetAddr{now, NetAddr{1, ipv4_mapped(10, 9, 8, 7), 18444}}}});
    EXPECT_TRUE(wait_for([&] { return listener.book().find({"", "10.9.8.7", 18444}).has_value(); }));
}

TEST_F(BitcoinNodeLoopback, SilentPeerIsDroppedAtTheNegotiationDeadline) {
    auto options = loopback_options();
    options.negotiation_timeout = 1s;
    Node& a = make_node(options);
    ASSERT_TRUE(a.start().ok());
    run();
    RawPeer raw(a.listen_port());
    const auto start = base::SteadyClock::now();
    ASSERT_TRUE(raw.closed_within(5s));
    const auto took = base::SteadyClock::now() - start;
    EXPECT_GE(took, 900ms);
    EXPECT_LT(took, 3s);
    EXPECT_TRUE(wait_for([&] { return a.inbound_count() == 0; }));
}

TEST_F(BitcoinNodeLoopback, BadMagicDisconnects) {
    Node& a = make_node(loopback_options());
    ASSERT_TRUE(a.start().ok());
    run();
    RawPeer raw(a.listen_port());
    raw.send("verack", Verack{}, mainnet().magic);
    EXPECT_TRUE(raw.closed_within(3s));
    // A wrong network is not misbehaviour: not discouraged.
    EXPECT_FALSE(on_io([&] { return a.book().is_banned("127.0.0.1", base::SteadyClock::now()); }));
}

TEST_F(BitcoinNodeLoopback, AddrFloodIsRateLimited) {
    Node& a = make_node(loopback_options());
    ASSERT_TRUE(a.start().ok());
    run();
    RawPeer raw(a.listen_port());
    raw.handshake();
    ASSERT_TRUE(wait_for([&] { return a.peers().size() == 1; }));
    for (int m = 0; m < 5; ++m) {
        Addr flood;
        for (int i = 0; i < 1000; ++i)
            flood.entries.push_back(
                {0, NetAddr{1,
                            ipv4_mapped(10, static_cast<std::uint8_t>(m), static_cast<std::uint8_t>(i / 256),
                                        static_cast<std::uint8_t>(i % 256)),
                            18444}});
        raw.send("addr", flood);
    }
    ASSERT_TRUE(
        wait_for([&] { return a.stats().addresses_rate_limited + a.stats().addresses_processed >= 5000; }));
    const auto stats = on_io([&] { return a.stats(); });
    EXPECT_LE(stats.addresses_processed, 2u);  // one starting token, a fraction more over the test
    EXPECT_GE(stats.addresses_rate_limited, 4998u);
    EXPECT_EQ(stats.discouraged, 0u);
    EXPECT_LE(on_io([&] { return a.book().size(); }), 2u);
}

TEST_F(BitcoinNodeLoopback, OversizedAddrIsDiscouraged) {
    Node& a = make_node(loopback_options());
    ASSERT_TRUE(a.start().ok());
    run();
    RawPeer raw(a.listen_port());
    raw.handshake();
    ASSERT_TRUE(wait_for([&] { return a.peers().size() == 1; }));
    Addr flood;
    flood.entries.resize(1001, TimedNetAddr{0, NetAddr{1, ipv4_mapped(10, 1, 1, 1), 18444}});
    raw.send("addr", flood);
    EXPECT_TRUE(raw.closed_within(3s));
    EXPECT_TRUE(wait_for([&] { return a.book().is_banned("127.0.0.1", base::SteadyClock::now()); }));
    EXPECT_EQ(on_io([&] { return a.stats().discouraged; }), 1u);
    // A discouraged address is refused at accept.
    RawPeer again(a.listen_port());
    EXPECT_TRUE(again.closed_within(3s));
}

TEST_F(BitcoinNodeLoopback, PermanentPeerRetriedWithLinearBackoffUpToTheCap) {
    // A port nobody listens on: take one and release it.
    std::uint16_t dead_port = 0;
    {
        asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
        dead_port = probe.local_endpoint().port();
    }
    auto options = loopback_options();
    options.listen_port.reset();
    options.retry_step = 200ms;  // btcd: 5 s x attempts
    options.retry_max = 500ms;   // btcd: 5 min
    Node& a = make_node(options);
    std::vector<base::TimePoint> failures;
    a.on_dial_failed = [&](const Endpoint& e, std::error_code) {
        EXPECT_EQ(e.port, dead_port);
        failures.push_back(base::SteadyClock::now());
    };
    a.add_permanent({"127.0.0.1", dead_port});
    ASSERT_TRUE(a.start().ok());
    run();
    ASSERT_TRUE(wait_for([&] { return failures.size() >= 5; }, 10s));
    on_io([&] {
        // Gaps: 200, 400, 500 (capped), 500 ms, plus the 100 ms maintenance tick at most.
        const base::Duration expected[] = {200ms, 400ms, 500ms, 500ms};
        for (std::size_t i = 0; i < 4; ++i) {
            const auto gap = failures[i + 1] - failures[i];
            EXPECT_GE(gap, expected[i] - 10ms) << i;
            EXPECT_LT(gap, expected[i] + 300ms) << i;
        }
        return 0;
    });
}

TEST_F(BitcoinNodeLoopback, AnnouncedInventoryIsTrickledOnceAndNeverEchoed) {
    auto options = loopback_options();
    options.target_outbound = 0;
    options.trickle.inbound_interval = 200ms;
    options.trickle.outbound_interval = 200ms;
    Node& a = make_node(options);
    Node& b = make_node(options);
    ASSERT_TRUE(a.start().ok());
    ASSERT_TRUE(b.start().ok());
    std::vector<InvVect> b_heard;
    std::vector<InvVect> a_heard;
    b.on_inventory = [&](const PeerSummary&, const std::vector<InvVect>& items) {
        b_heard.insert(b_heard.end(), items.begin(), items.end());
    };
    a.on_inventory = [&](const PeerSummary&, const std::vector<InvVect>& items) {
        a_heard.insert(a_heard.end(), items.begin(), items.end());
    };
    b.add_permanent({"127.0.0.1", a.listen_port()});
    run();
    ASSERT_TRUE(wait_for([&] { return a.peers().size() == 1 && b.peers().size() == 1; }));
    InvVect tx;
    tx.type = k_msg_wtx;
    tx.hash.fill(0x5a);
    EXPECT_EQ(on_io([&] { return a.announce(tx); }), 1u);
    EXPECT_EQ(on_io([&] { return a.announce(tx); }), 0u);  // queued or sent already: once per peer
    ASSERT_TRUE(wait_for([&] { return !b_heard.empty(); }));
    // b learnt from a's inv that a has it: b's own announcement does not go back to a.
    EXPECT_EQ(on_io([&] { return b.announce(tx); }), 0u);
    std::this_thread::sleep_for(600ms);
    on_io([&] {
        EXPECT_EQ(b_heard, std::vector<InvVect>{tx});
        EXPECT_TRUE(a_heard.empty());
        EXPECT_EQ(a.message_counts().sent[Message(Inv{}).index()], 1u);  // one inv, one item
        EXPECT_EQ(b.message_counts().received[Message(Inv{}).index()], 1u);
        return 0;
    });
}

TEST_F(BitcoinNodeLoopback, AddressesGoOutAsAddrV2ToPeersThatSentSendAddrV2) {
    auto options = loopback_options();
    options.target_outbound = 0;
    Node& a = make_node(options);
    ASSERT_TRUE(a.start().ok());
    run();
    // After the handshake a advertises its own address: addrv2 to a BIP155 peer, addr otherwise.
    RawPeer v2(a.listen_port());
    v2.handshake_with_addrv2();
    const auto advertised = v2.receive("addrv2", 5s);
    ASSERT_TRUE(advertised);
    const auto& entries = std::get<AddrV2>(*advertised).entries;
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].network, static_cast<std::uint8_t>(Bip155Net::ipv4));
    EXPECT_EQ(entries[0].addr, (base::Bytes{127, 0, 0, 1}));
    EXPECT_EQ(entries[0].port, a.listen_port());

    RawPeer v1(a.listen_port());
    v1.handshake();
    const auto legacy = v1.receive("addr", 5s);
    ASSERT_TRUE(legacy);
    ASSERT_EQ(std::get<Addr>(*legacy).entries.size(), 1u);
    EXPECT_EQ(std::get<Addr>(*legacy).entries[0].addr.ip, ipv4_mapped(127, 0, 0, 1));
}

TEST_F(BitcoinNodeLoopback, ConnectOnlyNodeNeverDialsTheBook) {
    auto options = loopback_options();
    options.dial_from_book = false;
    Node& a = make_node(options);
    auto other = loopback_options();
    other.target_outbound = 0;
    Node& b = make_node(other);
    ASSERT_TRUE(a.start().ok());
    ASSERT_TRUE(b.start().ok());
    a.book().add_address({"", "127.0.0.1", b.listen_port()}, "seed", base::SteadyClock::now());
    run();
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(on_io([&] { return b.inbound_count(); }), 0u);
    // Its permanent peers are still dialled.
    on_io([&] {
        a.add_permanent({"127.0.0.1", b.listen_port()});
        return 0;
    });
    EXPECT_TRUE(wait_for([&] { return b.inbound_count() == 1; }));
}

TEST_F(BitcoinNodeLoopback, DisconnectByIdAndByIp) {
    Node& a = start_node_without_book_dials();
    Node& b = start_node_without_book_dials();
    b.add_permanent({"127.0.0.1", a.listen_port()});
    run();
    ASSERT_TRUE(wait_for([&] { return a.peers().size() == 1; }));
    const auto first = on_io([&] { return a.peers().at(0); });
    EXPECT_GE(first.id, 1u);
    EXPECT_GT(first.connected_since.time_since_epoch().count(), 0);
    EXPECT_FALSE(on_io([&] { return a.disconnect_id(first.id + 100); }));
    EXPECT_TRUE(on_io([&] { return a.disconnect_id(first.id); }));
    // b redials (permanent); the new connection gets a new id.
    ASSERT_TRUE(wait_for([&] { return a.peers().size() == 1 && a.peers().at(0).id != first.id; }));
    EXPECT_EQ(on_io([&] { return a.disconnect_ip("::ffff:127.0.0.1"); }), 1u);
    EXPECT_TRUE(wait_for([&] { return a.inbound_count() == 0 || a.peers().at(0).id > first.id + 1; }));
}

TEST_F(BitcoinNodeLoopback, InboundLimitCountsConnectionsStillInTheirHandshake) {
    // Core refuses a socket at accept once inbound connections, handshaking ones included, reach
    // the limit; a silent peer still holds its place until it is dropped.
    auto options = loopback_options();
    options.max_inbound = 1;
    options.target_outbound = 0;
    Node& a = make_node(options);
    ASSERT_TRUE(a.start().ok());
    run();
    RawPeer first(a.listen_port());
    ASSERT_TRUE(wait_for([&] { return a.inbound_count() == 1; }));
    RawPeer second(a.listen_port());
    EXPECT_TRUE(second.closed_within(2s));
    first.handshake();
    ASSERT_TRUE(first.receive("verack", 2s));
    RawPeer third(a.listen_port());
    EXPECT_TRUE(third.closed_within(2s));
    EXPECT_FALSE(first.closed_within(200ms));
    EXPECT_EQ(on_io([&] { return a.peers().size(); }), 1u);
}

TEST_F(BitcoinNodeLoopback, DialOnceEndsInExactlyOneCallbackAndNeverDuplicatesAConnection) {
    Node& a = start_node_without_book_dials();
    Node& b = start_node_without_book_dials();
    std::vector<std::string> outcomes;
    b.on_connection = [&](const PeerSummary& p) { outcomes.push_back("up " + p.address.to_string()); };
    b.on_dial_failed = [&](const Endpoint& e, std::error_code ec) {
        outcomes.push_back("failed " + e.to_string() + " " + ec.message());
    };
    run();
    const Endpoint to_a{"127.0.0.1", a.listen_port()};
    on_io([&] {
        b.dial_once(to_a);
        b.dial_once(to_a);  // already being dialled
        return 0;
    });
    ASSERT_TRUE(wait_for([&] { return outcomes.size() == 2; }));
    // Connected, a third request (in another spelling of the same address) fails too.
    on_io([&] {
        b.dial_once({"::ffff:127.0.0.1", a.listen_port()});
        return 0;
    });
    ASSERT_TRUE(wait_for([&] { return outcomes.size() == 3; }));
    std::this_thread::sleep_for(300ms);
    on_io([&] {
        const auto already = make_error_code(connmgr::Errc::already_connected).message();
        EXPECT_EQ(outcomes.size(), 3u);
        EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), "up " + to_a.to_string()), 1);
        EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), "failed " + to_a.to_string() + " " + already),
                  1);
        EXPECT_EQ(outcomes.back(),
                  "failed [::ffff:127.0.0.1]:" + std::to_string(a.listen_port()) + " " + already);
        EXPECT_EQ(b.outbound_count(), 1u);
        EXPECT_EQ(a.inbound_count(), 1u);
        return 0;
    });
    // A one-shot peer is not redialled once it goes.
    on_io([&] { return a.disconnect_ip("127.0.0.1"); });
    ASSERT_TRUE(wait_for([&] { return b.outbound_count() == 0; }));
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(on_io([&] { return a.inbound_count(); }), 0u);
}

TEST_F(BitcoinNodeLoopback, ADialThatReachesOurselvesIsEndedAndNeverRepeated) {
    // "localhost" is not our listen address as text, so only the nonce check can tell.
    auto options = loopback_options();
    options.target_outbound = 0;
    Node& a = make_node(options);
    ASSERT_TRUE(a.start().ok());
    std::vector<std::error_code> failures;
    a.on_dial_failed = [&](const Endpoint&, std::error_code ec) { failures.push_back(ec); };
    a.add_permanent({"localhost", a.listen_port()});
    run();
    ASSERT_TRUE(wait_for([&] { return !failures.empty(); }));
    // retry_step is 200 ms: a permanent peer that merely failed would be dialled 4 more times.
    std::this_thread::sleep_for(1500ms);
    on_io([&] {
        EXPECT_EQ(failures.size(), 1u);
        EXPECT_EQ(failures.at(0), make_error_code(Errc::self_connection));
        EXPECT_EQ(a.inbound_count() + a.outbound_count(), 0u);
        return 0;
    });
}

TEST_F(BitcoinNodeLoopback, AnOperatorBanHoldsOffAPermanentPeer) {
    Node& a = start_node_without_book_dials();
    Node& b = start_node_without_book_dials();
    b.add_permanent({"127.0.0.1", a.listen_port()});
    run();
    ASSERT_TRUE(wait_for([&] { return b.peers().size() == 1; }));
    on_io([&] {
        b.book().ban("127.0.0.1", base::SteadyClock::now(), 1h);
        return b.disconnect_ip("127.0.0.1");
    });
    // retry_step is 200 ms here: without the ban check b would be back within a second.
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(on_io([&] { return a.inbound_count(); }), 0u);
    on_io([&] { return b.book().unban("127.0.0.1"); });
    EXPECT_TRUE(wait_for([&] { return b.peers().size() == 1; }));
}

TEST_F(BitcoinNodeLoopback, DnsSeedsGoThroughTheResolverHookOnlyWithAnEmptyBook) {
    auto options = loopback_options();
    options.network = &mainnet();
    options.target_outbound = 0;  // nothing is dialled: the seeded addresses are not ours
    options.seeds.dns_seeds = true;
    Node& a = make_node(options);
    std::vector<std::string> asked;
    a.set_resolver([&](const std::string& host, std::function<void(std::vector<std::string>)> done) {
        asked.push_back(host);
        done({"10.1." + std::to_string(asked.size()) + ".1", "10.1." + std::to_string(asked.size()) + ".2"});
    });
    ASSERT_TRUE(a.start().ok());
    run();
    ASSERT_TRUE(wait_for([&] { return asked.size() == mainnet().dns_seeds.size(); }));
    on_io([&] {
        EXPECT_EQ(asked.front(), "seed.bitcoin.sipa.be");
        // Every answer was offered to the book; a few may lose a bucket-slot collision.
        EXPECT_EQ(a.stats().seeded_from_dns, a.book().size());
        EXPECT_GE(a.book().size(), asked.size());
        a.book().for_each_address([](const addrbook::NetAddress& address) {
            EXPECT_EQ(address.ip.rfind("10.1.", 0), 0u);
            EXPECT_EQ(address.port, 8333);
        });
        return 0;
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(on_io([&] { return asked.size(); }), mainnet().dns_seeds.size());  // once

    // A node whose book is not empty does not ask.
    auto second = options;
    Node& b = make_node(second);
    std::size_t b_asked = 0;
    b.set_resolver([&](const std::string&, std::function<void(std::vector<std::string>)> done) {
        ++b_asked;
        done({});
    });
    on_io([&] {
        b.book().add_address({"", "10.9.9.9", 8333}, "seed", base::SteadyClock::now());
        EXPECT_TRUE(b.start().ok());
        return 0;
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(on_io([&] { return b_asked; }), 0u);
}

TEST_F(BitcoinNodeLoopback, FixedSeedsFillAnEmptyBookWhenDnsSeedingIsOff) {
    auto options = loopback_options();
    options.network = &mainnet();
    options.book.strict = true;
    options.target_outbound = 0;
    options.seeds.dns_seeds = false;
    options.seeds.fixed_seeds = true;
    Node& a = make_node(options);
    ASSERT_TRUE(a.start().ok());
    run();
    ASSERT_TRUE(wait_for([&] { return a.stats().seeded_from_fixed > 0; }));
    on_io([&] {
        // Every fixed seed was offered; a few may lose a bucket-slot collision.
        EXPECT_EQ(a.stats().seeded_from_fixed, a.book().size());
        EXPECT_GE(a.book().size(), mainnet().fixed_seeds.size() / 2);
        a.book().for_each_address([](const addrbook::NetAddress& address) {
            const auto* network = &mainnet();
            bool listed = false;
            for (const auto& entry : network->fixed_seeds) {
                const auto endpoint = Endpoint::parse(entry);
                listed = listed || (endpoint && endpoint->port == address.port &&
                                    addrbook::IpAddress::parse(endpoint->host) ==
                                        addrbook::IpAddress::parse(address.ip));
            }
            EXPECT_TRUE(listed) << address.to_string();
        });
        return 0;
    });
}

TEST(BitcoinEndpoint, Parse) {
    EXPECT_EQ(Endpoint::parse("127.0.0.1:18444"), (Endpoint{"127.0.0.1", 18444}));
    EXPECT_EQ(Endpoint::parse("[::1]:8333"), (Endpoint{"::1", 8333}));
    EXPECT_EQ(Endpoint::parse("seed.example.org:8333"), (Endpoint{"seed.example.org", 8333}));
    EXPECT_FALSE(Endpoint::parse("127.0.0.1"));
    EXPECT_FALSE(Endpoint::parse("127.0.0.1:0"));
    EXPECT_FALSE(Endpoint::parse("127.0.0.1:70000"));
    EXPECT_FALSE(Endpoint::parse("::1:8333"));
}

}  // namespace
}  // namespace peerlink::bitcoin
