// peerlink's Discv4Service against an independent discv4 implementation (@ethereumjs/devp2p's DPT, run by
// dpt.mjs under node): each side pings and bonds with the other, and each finds, through the other, a
// node it did not know (our S2 behind our S1; our S3 known only to their DPT).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "profiles/devp2p/discv4_service.hpp"

#ifndef PEERLINK_INTEROP_DIR
#error "PEERLINK_INTEROP_DIR must name the directory holding dpt.mjs"
#endif
#ifndef PEERLINK_NODE
#error "PEERLINK_NODE must name the node executable"
#endif

namespace peerlink::devp2p {
namespace {

namespace secp = crypto::secp256k1;
using json = nlohmann::json;

/// dpt.mjs as a child process: JSON commands to its stdin, JSON events from its stdout.
class JsDpt {
public:
    JsDpt() {
        int in[2] = {-1, -1};
        int out[2] = {-1, -1};
        if (::pipe(in) != 0 || ::pipe(out) != 0) return;
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::close(in[0]);
            ::close(in[1]);
            ::close(out[0]);
            ::close(out[1]);
            if (::chdir(PEERLINK_INTEROP_DIR) != 0) ::_exit(127);
            ::execl(PEERLINK_NODE, PEERLINK_NODE, "dpt.mjs", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        m_in = in[1];
        m_out = out[0];
        ::fcntl(m_out, F_SETFL, ::fcntl(m_out, F_GETFL) | O_NONBLOCK);
    }
    ~JsDpt() {
        if (m_in >= 0) ::close(m_in);  // EOF: dpt.mjs exits
        if (m_pid > 0) {
            for (int i = 0; i < 50; ++i) {
                int status = 0;
                if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                    m_pid = -1;
                    break;
                }
                ::usleep(20'000);
            }
            if (m_pid > 0) {
                ::kill(m_pid, SIGKILL);
                ::waitpid(m_pid, nullptr, 0);
            }
        }
        if (m_out >= 0) ::close(m_out);
    }
    bool running() const { return m_pid > 0; }

    void send(const json& cmd) {
        const std::string line = cmd.dump() + "\n";
        EXPECT_EQ(::write(m_in, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    }
    /// Events read so far (non-blocking); waits up to `wait` for the first.
    std::vector<json> poll(std::chrono::milliseconds wait) {
        pollfd p{m_out, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(wait.count()));
        char buf[4096];
        for (;;) {
            const auto n = ::read(m_out, buf, sizeof buf);
            if (n <= 0) break;
            m_partial.append(buf, static_cast<std::size_t>(n));
        }
        std::vector<json> events;
        for (auto nl = m_partial.find('\n'); nl != std::string::npos; nl = m_partial.find('\n')) {
            const std::string line = m_partial.substr(0, nl);
            m_partial.erase(0, nl + 1);
            auto j = json::parse(line, nullptr, false);
            if (!j.is_discarded()) events.push_back(std::move(j));
        }
        return events;
    }

private:
    pid_t m_pid = -1;
    int m_in = -1;
    int m_out = -1;
    std::string m_partial;
};

/// Ethereumjs keys its table by ID and by "address:tcpPort" as well: each node needs its own TCP port.
Discv4ServiceOptions local(std::uint16_t tcp_port, std::vector<Enode> boot = {}) {
    Discv4ServiceOptions o;
    o.listen_host = "127.0.0.1";
    o.tcp_port = tcp_port;
    o.bootnodes = std::move(boot);
    return o;
}

std::string hex_id(const Enode& e) {
    return base::to_hex(e.id);
}

TEST(Discv4Interop, EthereumjsDptBondsAndFindsNeighboursBothWays) {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    Discv4Service s1(io, secp::generate(), local(30301));
    ASSERT_TRUE(s1.start().ok());
    Discv4Service s2(io, secp::generate(), local(30302, {s1.self()}));
    ASSERT_TRUE(s2.start().ok());
    std::set<std::string> s1_added;
    s1.on_node_added = [&](const Enode& e) { s1_added.insert(hex_id(e)); };

    JsDpt dpt;
    ASSERT_TRUE(dpt.running());
    std::vector<json> events;
    const auto pump = [&](std::chrono::milliseconds wait) {
        io.run_for(wait);
        for (auto& e : dpt.poll(std::chrono::milliseconds(1))) {
            if (e.value("event", "") == "error") ADD_FAILURE() << "dpt.mjs: " << e.dump();
            events.push_back(std::move(e));
        }
    };
    const auto find_event = [&](auto pred) -> const json* {
        for (const auto& e : events)
            if (pred(e)) return &e;
        return nullptr;
    };
    const auto wait_for = [&](auto pred, std::chrono::seconds limit) -> const json* {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (const json* e = find_event(pred)) return e;
            pump(std::chrono::milliseconds(20));
        }
        return find_event(pred);
    };

    const json* listening_event =
        wait_for([](const json& e) { return e.value("event", "") == "listening"; }, std::chrono::seconds(10));
    ASSERT_NE(listening_event, nullptr);
    const json listening = *listening_event;  // `events` grows: no pointers into it are kept
    auto their_key = base::from_hex(listening.at("id").get<std::string>());
    ASSERT_TRUE(their_key && their_key->size() == 64);
    Enode theirs;
    std::copy(their_key->begin(), their_key->end(), theirs.id.begin());
    theirs.ip = "127.0.0.1";
    theirs.udp_port = listening.at("port").get<std::uint16_t>();
    theirs.tcp_port = theirs.udp_port;
    ASSERT_TRUE(wait_for([&](const json&) { return s1.table_size() >= 1; }, std::chrono::seconds(5)));  // S2

    // Our S3 knows only their DPT.
    Discv4Service s3(io, secp::generate(), local(30303, {theirs}));
    ASSERT_TRUE(s3.start().ok());

    // They ping us and bond: DPT adds S1; S1 adds DPT once it proved its endpoint.
    dpt.send({{"cmd", "bootstrap"}, {"address", "127.0.0.1"}, {"udpPort", s1.local_port()}});
    const auto s1_id = hex_id(s1.self());
    ASSERT_NE(
        wait_for(
            [&](const json& e) { return e.value("event", "") == "peer:added" && e.value("id", "") == s1_id; },
            std::chrono::seconds(10)),
        nullptr);
    ASSERT_TRUE(
        wait_for([&](const json&) { return s1_added.contains(listening.at("id").get<std::string>()); },
                 std::chrono::seconds(10)));

    // We ping them: a Pong with an RTT.
    std::optional<std::pair<bool, std::optional<std::chrono::milliseconds>>> pinged;
    s1.ping(theirs, [&](bool ok, std::optional<std::chrono::milliseconds> rtt) { pinged.emplace(ok, rtt); });
    ASSERT_TRUE(wait_for([&](const json&) { return pinged.has_value(); }, std::chrono::seconds(5)));
    EXPECT_TRUE(pinged->first);
    EXPECT_TRUE(pinged->second.has_value());

    // They find our neighbours: S1 names S2, which DPT never heard of.
    const auto s2_id = hex_id(s2.self());
    const auto names_s2 = [&](const json& e) {
        if (e.value("event", "") != "neighbours") return false;
        for (const auto& p : e.at("peers"))
            if (p.value("id", "") == s2_id) return p.value("udpPort", 0) == s2.local_port();
        return false;
    };
    const json* got = nullptr;
    for (int attempt = 0; attempt < 5 && got == nullptr; ++attempt) {
        dpt.send({{"cmd", "find"}, {"address", "127.0.0.1"}, {"udpPort", s1.local_port()}, {"id", s2_id}});
        got = wait_for(names_s2, std::chrono::seconds(2));
    }
    ASSERT_NE(got, nullptr);

    const auto dump = [&] {
        std::string all;
        for (const auto& e : events)
            all += e.dump() + "\n";
        return all;
    };
    // We find theirs: S3 bonded with DPT only; S1's lookup for S3 goes through DPT.
    ASSERT_TRUE(wait_for(
        [&](const json& e) {
            return e.value("event", "") == "peer:added" && e.value("id", "") == hex_id(s3.self());
        },
        std::chrono::seconds(10)))
        << dump() << "S3 " << hex_id(s3.self()) << " table " << s3.table_size();
    std::optional<std::vector<Enode>> found;
    s1.lookup(s3.self().id, [&](std::vector<Enode> r) { found = std::move(r); });
    ASSERT_TRUE(wait_for([&](const json&) { return found.has_value(); }, std::chrono::seconds(10)));
    bool has_s3 = false;
    for (const auto& e : *found)
        has_s3 = has_s3 || (e.id == s3.self().id && e.udp_port == s3.local_port());
    EXPECT_TRUE(has_s3);
    EXPECT_EQ(s1.stats().dropped[static_cast<std::size_t>(Discv4Drop::malformed)], 0u);
}

}  // namespace
}  // namespace peerlink::devp2p
