// peerlink's devp2p::Server against an independent RLPx implementation (@ethereumjs/devp2p, run
// by peer.mjs under node): both dial directions, Hello contents, the "plk" capability's messages
// with relative codes both ways, Ping/Pong both ways and Disconnect reasons seen on the far side;
// and `peerlink devp2p rlpx ping` against it.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "profiles/devp2p/server.hpp"

#ifndef PEERLINK_INTEROP_DIR
#error "PEERLINK_INTEROP_DIR must name the directory holding peer.mjs"
#endif
#ifndef PEERLINK_NODE
#error "PEERLINK_NODE must name the node executable"
#endif
#ifndef PEERLINK_CLI
#error "PEERLINK_CLI must name the peerlink executable"
#endif

namespace peerlink::devp2p {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

base::ByteView bytes_of(const std::string& s) {
    return {reinterpret_cast<const base::Byte*>(s.data()), s.size()};
}

/// What our server saw, filled on its thread.
struct Seen {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::pair<std::uint64_t, std::string>> messages;  // plk code (relative), payload
    std::vector<Hello> hellos;
    std::vector<std::error_code> removed;
    std::vector<std::error_code> failed;
    std::uint64_t pongs_at_removal = 0;

    template <typename F>
    void with(F&& f) {
        {
            std::lock_guard lock(mutex);
            f();
        }
        cv.notify_all();
    }
};

/// Our server with the "plk/1" capability: answers code 1 with code 2 "from-cpp", pings on start.
struct Ours {
    asio::io_context io;
    Seen seen;
    std::unique_ptr<Server> server;
    std::thread thread;

    Ours() {
        ServerProtocol plk{"plk", 1, 4, {}, {}, {}};
        plk.on_start = [](const PeerPtr& peer) { EXPECT_TRUE(peer->ping()); };
        plk.on_message = [this](const PeerPtr& peer, std::uint64_t code,
                                base::ByteView payload) -> base::Result<void> {
            seen.with([&] { seen.messages.emplace_back(code, std::string(payload.begin(), payload.end())); });
            if (code == 1) return peer->send("plk", 2, bytes_of("from-cpp"));
            return {};
        };
        plk.on_stop = [this](const PeerPtr& peer, std::error_code) {
            seen.with([&] { seen.pongs_at_removal = peer->pongs(); });
        };
        ServerOptions options;
        options.protocols = {plk};
        Server::Callbacks callbacks;
        callbacks.on_peer_added = [this](const PeerPtr& p) {
            seen.with([&] { seen.hellos.push_back(p->hello()); });
        };
        callbacks.on_peer_removed = [this](const PeerPtr&, std::error_code r) {
            seen.with([&] { seen.removed.push_back(r); });
        };
        callbacks.on_handshake_failed = [this](const std::string&, std::error_code r) {
            seen.with([&] { seen.failed.push_back(r); });
        };
        server = std::make_unique<Server>(io, secp::generate(), options, callbacks);
        EXPECT_TRUE(server->start());
        thread = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
    }
    ~Ours() {
        asio::post(io, [this] {
            server.reset();
            io.stop();
        });
        thread.join();
    }
    std::string id_hex() const { return base::to_hex(server->key().public_key); }
};

/// peer.mjs as a child process; its stdout read line by line (it exits by itself within 20 s).
class JsPeer {
public:
    explicit JsPeer(const std::string& args) {
        const std::string command =
            std::string(PEERLINK_NODE) + " " + PEERLINK_INTEROP_DIR + "/peer.mjs " + args + " 2>&1";
        m_pipe = ::popen(command.c_str(), "r");
    }
    ~JsPeer() { close(); }
    /// The next JSON event; nullopt at EOF. Non-JSON lines (stderr) are printed and skipped.
    std::optional<json> next() {
        if (!m_pipe) return std::nullopt;
        char line[8192];
        while (std::fgets(line, sizeof line, m_pipe)) {
            auto event = json::parse(line, nullptr, false);
            if (event.is_discarded() || !event.is_object()) {
                std::printf("peer.mjs: %s", line);
                continue;
            }
            std::printf("peer.mjs event: %s", line);
            m_events.push_back(event);
            return event;
        }
        return std::nullopt;
    }
    /// Reads until an event named `name`.
    std::optional<json> until(const std::string& name) {
        while (auto e = next()) {
            if ((*e)["event"] == name) return e;
        }
        return std::nullopt;
    }
    int close() {
        if (!m_pipe) return m_status;
        while (next()) {
        }
        m_status = ::pclose(m_pipe);
        m_pipe = nullptr;
        return m_status;
    }
    bool saw(const std::string& name) const {
        for (const auto& e : m_events)
            if (e["event"] == name) return true;
        return false;
    }

private:
    std::FILE* m_pipe = nullptr;
    int m_status = -1;
    std::vector<json> m_events;
};

void expect_js_hello(const json& peer, const std::string& our_id, std::uint16_t our_port) {
    EXPECT_EQ(peer["id"], our_id);
    EXPECT_EQ(peer["clientId"], "peerlink/0.1");
    EXPECT_EQ(peer["protocolVersion"], 5);
    EXPECT_EQ(peer["caps"], json::array({"plk/1"}));
    EXPECT_EQ(peer["port"], our_port);
}

void expect_our_hello(Seen& seen, const std::string& js_id) {
    std::lock_guard lock(seen.mutex);
    ASSERT_EQ(seen.hellos.size(), 1u);
    EXPECT_EQ(base::to_hex(seen.hellos[0].node_id), js_id);
    EXPECT_EQ(seen.hellos[0].client_id, "ethereumjs-interop/10");
    EXPECT_EQ(seen.hellos[0].protocol_version, 5u);
    EXPECT_EQ(seen.hellos[0].capabilities, (std::vector<Capability>{{"plk", 1}}));
}

TEST(Devp2pInterop, EthereumjsDialsUsAndDisconnects) {
    Ours ours;
    const std::string enode =
        "enode://" + ours.id_hex() + "@127.0.0.1:" + std::to_string(ours.server->listen_port());
    JsPeer js("dial " + enode + " 4");  // 4: too many peers
    auto start = js.until("start");
    ASSERT_TRUE(start);
    const std::string js_id = (*start)["id"];
    auto peer = js.until("peer");
    ASSERT_TRUE(peer);
    expect_js_hello(*peer, ours.id_hex(), ours.server->listen_port());
    auto msg = js.until("msg");
    ASSERT_TRUE(msg);
    EXPECT_EQ((*msg)["code"], 2);
    EXPECT_EQ((*msg)["payload"], "from-cpp");
    auto removed = js.until("removed");
    ASSERT_TRUE(removed);
    EXPECT_EQ((*removed)["reason"], 4);
    EXPECT_EQ((*removed)["disconnectWe"], true);
    EXPECT_EQ(js.close(), 0);
    EXPECT_TRUE(js.saw("pong"));  // our Pong to their Ping

    std::unique_lock lock(ours.seen.mutex);
    ASSERT_TRUE(ours.seen.cv.wait_for(lock, 5s, [&] { return !ours.seen.removed.empty(); }));
    EXPECT_EQ(ours.seen.removed[0], remote_disconnect(4));
    EXPECT_GE(ours.seen.pongs_at_removal, 1u);  // their Pong to our Ping
    ASSERT_GE(ours.seen.messages.size(), 2u);
    EXPECT_EQ(ours.seen.messages[0], (std::pair<std::uint64_t, std::string>{1, "from-js"}));
    EXPECT_EQ(ours.seen.messages[1], (std::pair<std::uint64_t, std::string>{3, "ack:from-cpp"}));
    lock.unlock();
    expect_our_hello(ours.seen, js_id);
}

TEST(Devp2pInterop, WeDialEthereumjsAndDisconnect) {
    Ours ours;
    JsPeer js("listen");
    auto listening = js.until("listening");
    ASSERT_TRUE(listening);
    const std::string js_id = (*listening)["id"];
    const int js_port = (*listening)["port"];
    auto target = parse_enode("enode://" + js_id + "@127.0.0.1:" + std::to_string(js_port));
    ASSERT_TRUE(target);
    asio::post(ours.io, [&] { ours.server->dial(*target); });

    auto peer = js.until("peer");
    ASSERT_TRUE(peer);
    expect_js_hello(*peer, ours.id_hex(), ours.server->listen_port());
    auto msg = js.until("msg");
    ASSERT_TRUE(msg);
    EXPECT_EQ((*msg)["payload"], "from-cpp");
    // Wait (bounded) until our side has their ack and their Pong, then disconnect: quitting (8).
    std::uint64_t pongs = 0;
    for (int i = 0; i < 250; ++i) {
        std::promise<std::uint64_t> got;
        asio::post(ours.io, [&] {
            auto p = ours.server->find_peer(*secp::parse_public_key(*base::from_hex(js_id)));
            got.set_value(p ? p->pongs() : 0);
        });
        pongs = got.get_future().get();
        bool acked = false;
        {
            std::lock_guard lock(ours.seen.mutex);
            acked = ours.seen.messages.size() >= 2;
        }
        if (pongs >= 1 && acked) break;
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_GE(pongs, 1u);
    asio::post(ours.io, [&] {
        if (auto p = ours.server->find_peer(*secp::parse_public_key(*base::from_hex(js_id))))
            p->disconnect(DisconnectReason::quitting);
    });
    auto removed = js.until("removed");
    ASSERT_TRUE(removed);
    EXPECT_EQ((*removed)["reason"], 8);
    EXPECT_EQ((*removed)["disconnectWe"], false);
    EXPECT_EQ(js.close(), 0);
    EXPECT_TRUE(js.saw("pong"));

    std::unique_lock lock(ours.seen.mutex);
    ASSERT_TRUE(ours.seen.cv.wait_for(lock, 5s, [&] { return !ours.seen.removed.empty(); }));
    EXPECT_EQ(ours.seen.removed[0], local_disconnect(DisconnectReason::quitting));
    ASSERT_GE(ours.seen.messages.size(), 2u);
    EXPECT_EQ(ours.seen.messages[0], (std::pair<std::uint64_t, std::string>{1, "from-js"}));
    EXPECT_EQ(ours.seen.messages[1], (std::pair<std::uint64_t, std::string>{3, "ack:from-cpp"}));
    lock.unlock();
    expect_our_hello(ours.seen, js_id);
}

TEST(Devp2pInterop, CliRlpxPingEthereumjs) {
    JsPeer js("listen");
    auto listening = js.until("listening");
    ASSERT_TRUE(listening);
    const std::string js_id = (*listening)["id"];
    const int js_port = (*listening)["port"];
    const std::string command = std::string(PEERLINK_CLI) + " devp2p rlpx ping --cap plk/1 enode://" + js_id +
                                "@127.0.0.1:" + std::to_string(js_port) + " 2>&1";
    std::FILE* cli = ::popen(command.c_str(), "r");
    ASSERT_NE(cli, nullptr);
    std::string output;
    char line[1024];
    while (std::fgets(line, sizeof line, cli))
        output += line;
    const int status = ::pclose(cli);
    std::printf("peerlink: %s", output.c_str());
    EXPECT_EQ(status, 0);
    EXPECT_NE(output.find("node " + js_id + "\n"), std::string::npos);
    EXPECT_NE(output.find("client ethereumjs-interop/10\n"), std::string::npos);
    EXPECT_NE(output.find("caps plk/1\n"), std::string::npos);
    auto removed = js.until("removed");
    ASSERT_TRUE(removed);
    EXPECT_EQ((*removed)["reason"], 0);  // requested
    EXPECT_EQ((*removed)["disconnectWe"], false);
}

}  // namespace
}  // namespace peerlink::devp2p
