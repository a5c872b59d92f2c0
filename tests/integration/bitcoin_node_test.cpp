// The Bitcoin-profile node facade end to end: two BitcoinNodes on regtest over 127.0.0.1 seen
// through the real HTTP API (handshake, /net_info, ban_ip disconnects and persists, unban, the
// Bitcoin-specific refusals), and `peerlink start --profile bitcoin` as a separate process.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "node/bitcoin_node.hpp"

namespace peerlink::node {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

/// GET or POST against 127.0.0.1:port; the body with "http_status" added (null on no answer).
json http(std::uint16_t port, const std::string& path, const std::optional<json>& body = std::nullopt) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(5, 0);
    auto res = body ? client.Post(path.c_str(), body->dump(), "application/json") : client.Get(path.c_str());
    if (!res) return json{{"http_status", 0}};
    auto parsed = json::parse(res->body, nullptr, false);
    if (parsed.is_discarded()) parsed = json{{"raw", res->body}};
    parsed["http_status"] = res->status;
    return parsed;
}

class BitcoinNodeTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("peerlink-btc-node-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    Config config(const std::string& name, std::uint16_t p2p_port = 0) const {
        Config c;
        c.home = dir / name;
        c.profile = "bitcoin";
        c.network = "regtest";
        c.bitcoin.laddr = "tcp://127.0.0.1:" + std::to_string(p2p_port);
        c.bitcoin.max_outbound = 0;   // only the configured peers: the test controls every connection
        c.bitcoin.dns_seeds = false;  // tests never query public DNS
        c.bitcoin.fixed_seeds = false;
        c.bitcoin.services = 9;
        c.rpc.laddr = "tcp://127.0.0.1:0";
        c.rpc.unsafe = true;
        return c;
    }

    fs::path dir;
};

std::size_t peer_count(std::uint16_t rpc) {
    const auto info = http(rpc, "/net_info");
    if (info["http_status"] != 200) return 0;
    return info["result"]["peers"].size();
}

std::vector<std::string> banned(std::uint16_t rpc) {
    std::vector<std::string> out;
    const auto bans = http(rpc, "/bans");
    if (bans["http_status"] != 200) return out;
    for (const auto& b : bans["result"]["bans"])
        out.push_back(b["banned"].get<std::string>());
    return out;
}

TEST_F(BitcoinNodeTest, HandshakeNetInfoBanPersistsAcrossRestartAndUnban) {
    auto b_config = config("b");
    auto b = std::make_unique<BitcoinNode>(b_config);
    b->start();
    const std::uint16_t b_port = b->p2p_port();
    ASSERT_NE(b_port, 0);
    auto a_config = config("a");
    a_config.bitcoin.add_peers = b->p2p_address();
    BitcoinNode a(a_config);
    a.start();

    // The handshake, as /net_info shows it on both sides.
    ASSERT_TRUE(eventually([&] { return peer_count(a.rpc_port()) == 1 && peer_count(b->rpc_port()) == 1; }));
    const auto a_info = http(a.rpc_port(), "/net_info");
    ASSERT_EQ(a_info["http_status"], 200);
    const auto& to_b = a_info["result"]["peers"][0];
    EXPECT_EQ(to_b["address"], b->p2p_address());
    EXPECT_EQ(to_b["inbound"], false);
    EXPECT_EQ(to_b["permanent"], true);
    EXPECT_EQ(to_b["version"], 70016);
    EXPECT_EQ(to_b["user_agent"], "/peerlink:0.1.0/");
    EXPECT_EQ(to_b["services"], 9);
    EXPECT_EQ(to_b["start_height"], 0);
    EXPECT_EQ(to_b["id"].get<std::string>().size(), 16u);
    EXPECT_GT(to_b["connected_since"].get<std::int64_t>(), 1'600'000'000);
    EXPECT_TRUE(to_b.contains("ping_rtt_ms"));
    const auto b_info = http(b->rpc_port(), "/net_info");
    EXPECT_EQ(b_info["result"]["peers"][0]["inbound"], true);
    EXPECT_EQ(b_info["result"]["listening"], true);

    const auto status = http(b->rpc_port(), "/status");
    ASSERT_EQ(status["http_status"], 200);
    EXPECT_EQ(status["result"]["node_info"]["network"], "regtest");
    EXPECT_EQ(status["result"]["node_info"]["profile"], "bitcoin");
    EXPECT_EQ(status["result"]["node_info"]["user_agent"], "/peerlink:0.1.0/");
    EXPECT_EQ(status["result"]["node_info"]["services"], 9);
    EXPECT_EQ(status["result"]["peers"]["inbound"], 1);
    EXPECT_EQ(status["result"]["listen_address"], b->p2p_address());
    EXPECT_TRUE(status["result"]["address_book"].contains("size"));

    // Node IDs do not exist in Bitcoin: clear refusals.
    const auto by_id = http(b->rpc_port(), "/ban", json{{"id", "00112233445566778899aabbccddeeff00112233"}});
    EXPECT_EQ(by_id["http_status"], 400);
    EXPECT_NE(by_id["error"]["data"].get<std::string>().find("no node IDs"), std::string::npos);
    const auto with_id = http(b->rpc_port(), "/dial_peers", json{{"peers", {"abcd@127.0.0.1:1"}}});
    EXPECT_EQ(with_id["http_status"], 400);

    // ban_ip disconnects the peer and keeps it out; the ban is listed.
    const auto ban = http(b->rpc_port(), "/ban", json{{"ip", "127.0.0.1"}, {"duration", "1h"}});
    ASSERT_EQ(ban["http_status"], 200) << ban.dump();
    EXPECT_TRUE(eventually([&] { return peer_count(b->rpc_port()) == 0 && peer_count(a.rpc_port()) == 0; }));
    EXPECT_EQ(banned(b->rpc_port()), std::vector<std::string>{"127.0.0.1"});
    const auto bans = http(b->rpc_port(), "/bans");
    const auto remaining = bans["result"]["bans"][0]["remaining_seconds"].get<std::int64_t>();
    EXPECT_GT(remaining, 3500);
    EXPECT_LE(remaining, 3600);
    // A dial from the banned host is refused at accept.
    ASSERT_EQ(http(a.rpc_port(), "/dial_peers", json{{"peers", {b->p2p_address()}}})["http_status"], 200);
    std::this_thread::sleep_for(700ms);
    EXPECT_EQ(peer_count(b->rpc_port()), 0u);
    EXPECT_EQ(peer_count(a.rpc_port()), 0u);

    // The ban survives a restart (it is saved with the address book).
    b->stop();
    b.reset();
    EXPECT_TRUE(fs::exists(b_config.resolve(b_config.bitcoin.addr_book_file)));
    b = std::make_unique<BitcoinNode>(config("b", b_port));
    b->start();
    EXPECT_EQ(banned(b->rpc_port()), std::vector<std::string>{"127.0.0.1"});

    // Unban lifts it: a dial from a gets through again.
    const auto unban = http(b->rpc_port(), "/unban", json{{"ip", "127.0.0.1"}});
    ASSERT_EQ(unban["http_status"], 200) << unban.dump();
    EXPECT_TRUE(banned(b->rpc_port()).empty());
    EXPECT_EQ(http(b->rpc_port(), "/unban", json{{"ip", "127.0.0.1"}})["http_status"], 400);
    ASSERT_EQ(http(a.rpc_port(), "/dial_peers", json{{"peers", {b->p2p_address()}}})["http_status"], 200);
    EXPECT_TRUE(eventually([&] { return peer_count(b->rpc_port()) >= 1; }));

    // Disconnect by the id /net_info shows; an unknown id and an address are refused.
    const auto id = http(b->rpc_port(), "/net_info")["result"]["peers"][0]["id"].get<std::string>();
    EXPECT_EQ(http(b->rpc_port(), "/disconnect", json{{"id", "00000000000000ff"}})["http_status"], 400);
    EXPECT_EQ(http(b->rpc_port(), "/disconnect", json{{"id", "127.0.0.1:1"}})["http_status"], 400);
    EXPECT_EQ(http(b->rpc_port(), "/disconnect", json{{"id", id}})["http_status"], 200);
    EXPECT_TRUE(eventually([&] {
        const auto peers = http(b->rpc_port(), "/net_info")["result"]["peers"];
        for (const auto& p : peers) {
            if (p["id"] == id) return false;
        }
        return true;
    }));
    a.stop();
    b->stop();
}

TEST_F(BitcoinNodeTest, CorruptAddressBookIsSetAsideAndTheNodeStarts) {
    auto c = config("c");
    const auto book = c.resolve(c.bitcoin.addr_book_file);
    fs::create_directories(book.parent_path());
    std::ofstream(book) << "{ this is not json";
    BitcoinNode node(c);
    node.start();
    EXPECT_EQ(node.address_book_size(), 0u);
    bool set_aside = false;
    for (const auto& entry : fs::directory_iterator(book.parent_path())) {
        if (entry.path() != book &&
            entry.path().filename().string().find("bitcoin_addrbook") != std::string::npos)
            set_aside = true;
    }
    EXPECT_TRUE(set_aside);
    node.stop();
    // Saved at stop: a readable book now.
    BitcoinNode again(c);
    EXPECT_EQ(again.address_book_size(), 0u);
}

TEST_F(BitcoinNodeTest, MetricsCountPeersAndMessagesByCommand) {
    auto b_config = config("b");
    b_config.instrumentation.prometheus = true;
    b_config.instrumentation.prometheus_listen_addr = "127.0.0.1:0";
    BitcoinNode b(b_config);
    b.start();
    auto a_config = config("a");
    a_config.bitcoin.connect = b.p2p_address();
    BitcoinNode a(a_config);
    a.start();
    ASSERT_TRUE(eventually([&] { return peer_count(b.rpc_port()) == 1; }));
    httplib::Client client("127.0.0.1", b.metrics_port());
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_NE(res->body.find("peerlink_bitcoin_peers{direction=\"inbound\"} 1"), std::string::npos)
        << res->body;
    EXPECT_NE(res->body.find("peerlink_bitcoin_messages_received_total{command=\"version\"} 1"),
              std::string::npos);
    EXPECT_NE(res->body.find("peerlink_bitcoin_messages_sent_total{command=\"verack\"} 1"),
              std::string::npos);
    EXPECT_NE(res->body.find("peerlink_bitcoin_discouraged_total 0"), std::string::npos);
    EXPECT_NE(res->body.find("peerlink_addrbook_addresses{table=\"new\"}"), std::string::npos);
    // connect = only these peers: the status says so.
    EXPECT_EQ(http(a.rpc_port(), "/status")["result"]["connect_only"], true);
    a.stop();
    b.stop();
}

TEST(BitcoinNodeOptions, FromConfig) {
    Config c;
    c.profile = "bitcoin";
    c.network = "mainnet";
    std::vector<bitcoin::Endpoint> permanent;
    auto o = bitcoin_node_options(c, permanent);
    EXPECT_EQ(o.network, &bitcoin::mainnet());
    EXPECT_EQ(o.listen_port, 8333);  // empty laddr: the network's port on every interface
    EXPECT_EQ(o.listen_host, "0.0.0.0");
    EXPECT_TRUE(o.dial_from_book);
    EXPECT_TRUE(o.book.strict);
    EXPECT_TRUE(permanent.empty());
    c.network = "signet";
    c.bitcoin.listen = false;
    c.bitcoin.add_peers = "1.2.3.4:38333, [2001:db8::1]:38333";
    o = bitcoin_node_options(c, permanent);
    EXPECT_EQ(o.network, &bitcoin::signet());
    EXPECT_FALSE(o.listen_port);
    EXPECT_EQ(permanent.size(), 2u);
    EXPECT_TRUE(o.dial_from_book);
    c.bitcoin.connect = "5.6.7.8:38333";
    o = bitcoin_node_options(c, permanent);
    EXPECT_FALSE(o.dial_from_book);
    EXPECT_EQ(permanent.size(), 3u);
    c.bitcoin.connect = "not-an-endpoint";
    EXPECT_THROW(bitcoin_node_options(c, permanent), ConfigError);
    c.bitcoin.connect.clear();
    c.network = "testnet3";
    o = bitcoin_node_options(c, permanent);
    EXPECT_EQ(o.network, &bitcoin::testnet3());
    c.network = "regtest";
    o = bitcoin_node_options(c, permanent);
    EXPECT_FALSE(o.book.strict);
}

// ---- the peerlink binary -------------------------------------------------------------------------

#ifdef PEERLINK_BIN
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

int run(const std::vector<std::string>& args, const fs::path& log) {
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        std::vector<std::string> copy = args;
        std::vector<char*> argv{const_cast<char*>(PEERLINK_BIN)};
        for (auto& a : copy)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(PEERLINK_BIN, argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST_F(BitcoinNodeTest, CliStartWithTheBitcoinProfileAnswersStatus) {
    const fs::path home = dir / "home";
    const fs::path log = dir / "cli.log";
    ASSERT_EQ(run({"init", "--home", home.string(), "--profile", "bitcoin"}, log), 0) << read_file(log);
    const std::uint16_t p2p = free_port();
    const std::uint16_t rpc = free_port();
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        std::vector<std::string> args{"start",
                                      "--home",
                                      home.string(),
                                      "--profile",
                                      "bitcoin",
                                      "--network",
                                      "regtest",
                                      "--bitcoin.laddr",
                                      "tcp://127.0.0.1:" + std::to_string(p2p),
                                      "--bitcoin.dns_seeds",
                                      "false",
                                      "--bitcoin.fixed_seeds",
                                      "false",
                                      "--rpc.laddr",
                                      "tcp://127.0.0.1:" + std::to_string(rpc)};
        std::vector<char*> argv{const_cast<char*>(PEERLINK_BIN)};
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(PEERLINK_BIN, argv.data());
        _exit(127);
    }
    json status;
    const bool up = eventually([&] {
        status = http(rpc, "/status");
        return status["http_status"] == 200;
    });
    EXPECT_TRUE(up) << read_file(log);
    if (up) {
        EXPECT_EQ(status["result"]["node_info"]["profile"], "bitcoin");
        EXPECT_EQ(status["result"]["node_info"]["network"], "regtest");
        EXPECT_EQ(status["result"]["listen_address"], "127.0.0.1:" + std::to_string(p2p));
    }
    kill(pid, SIGTERM);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << read_file(log);
    // Stopping saved the Bitcoin address book.
    EXPECT_TRUE(fs::exists(home / "data" / "bitcoin_addrbook.json")) << read_file(log);
}
#endif

}  // namespace
}  // namespace peerlink::node
