// The real `peerlink` binary end to end: init, start, the HTTP API, SIGTERM, restart, config and
// usage errors, and the control routes, with nodes as separate processes on 127.0.0.1.
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

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

struct Output {
    int status = -1;
    std::string out;
};

/// Runs the binary to completion, stdout and stderr together.
Output run(std::vector<std::string> args) {
    const fs::path capture =
        fs::temp_directory_path() / ("peerlink-cli-" + std::to_string(::getpid()) + ".out");
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        std::vector<char*> argv{const_cast<char*>(PEERLINK_BIN)};
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(PEERLINK_BIN, argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(capture);
    std::stringstream text;
    text << in.rdbuf();
    fs::remove(capture);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), text.str()};
}

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

/// A `peerlink start` process; SIGKILLed if the test ends without stopping it.
struct Daemon {
    pid_t pid = -1;
    std::uint16_t p2p = 0;
    std::uint16_t rpc = 0;
    fs::path log;

    Daemon(const fs::path& home, std::vector<std::string> extra) : p2p(free_port()), rpc(free_port()) {
        log = home / "daemon.log";
        std::vector<std::string> args{"start",
                                      "--home",
                                      home.string(),
                                      "--p2p.laddr",
                                      "tcp://127.0.0.1:" + std::to_string(p2p),
                                      "--rpc.laddr",
                                      "tcp://127.0.0.1:" + std::to_string(rpc),
                                      "--p2p.addr_book_strict",
                                      "false",
                                      "--p2p.allow_duplicate_ip",
                                      "true"};
        args.insert(args.end(), extra.begin(), extra.end());
        pid = fork();
        if (pid == 0) {
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            std::vector<char*> argv{const_cast<char*>(PEERLINK_BIN)};
            for (auto& a : args)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(PEERLINK_BIN, argv.data());
            _exit(127);
        }
    }
    ~Daemon() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
    /// SIGTERM and the exit status.
    int stop() {
        kill(pid, SIGTERM);
        int status = 0;
        waitpid(pid, &status, 0);
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::optional<json> get(const std::string& path) const {
        httplib::Client client("127.0.0.1", rpc);
        client.set_connection_timeout(0, 200'000);
        auto res = client.Get(path.c_str());
        if (!res) return std::nullopt;
        auto body = json::parse(res->body, nullptr, false);
        if (body.is_discarded()) return std::nullopt;
        body["http_status"] = res->status;
        return body;
    }
    json post(const std::string& path, const json& request) const {
        httplib::Client client("127.0.0.1", rpc);
        auto res = client.Post(path.c_str(), request.dump(), "application/json");
        if (!res) return json{{"http_status", 0}};
        auto body = json::parse(res->body, nullptr, false);
        body["http_status"] = res->status;
        return body;
    }
};

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("peerlink-cli-test-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir;
};

TEST_F(CliTest, InitStartStatusSigtermRestartKeepsNodeIdAndAddressBook) {
    // Given two initialised homes
    const auto a_home = dir / "a";
    const auto b_home = dir / "b";
    auto init = run({"init", "--home", a_home.string(), "--moniker", "alice"});
    ASSERT_EQ(init.status, 0) << init.out;
    ASSERT_EQ(run({"init", "--home", b_home.string()}).status, 0);
    EXPECT_TRUE(fs::exists(a_home / "config" / "config.toml"));
    EXPECT_TRUE(fs::exists(a_home / "config" / "node_key.json"));
    const auto a_id = run({"show-node-id", "--home", a_home.string()});
    ASSERT_EQ(a_id.status, 0);
    const std::string id = a_id.out.substr(0, 40);
    EXPECT_NE(init.out.find(id), std::string::npos);
    // and init refuses to overwrite
    const auto again = run({"init", "--home", a_home.string()});
    EXPECT_EQ(again.status, 1);
    EXPECT_NE(again.out.find("already exists"), std::string::npos);

    // When A starts and B starts with A as its seed
    std::uint16_t a_p2p = 0;
    {
        Daemon a(a_home, {});
        a_p2p = a.p2p;
        ASSERT_TRUE(eventually([&] { return a.get("/status").has_value(); })) << a.log;
        Daemon b(b_home, {"--p2p.seeds", id + "@127.0.0.1:" + std::to_string(a.p2p)});
        // Then /status answers with A's identity and both see each other
        const auto status = a.get("/status");
        EXPECT_EQ((*status)["result"]["node_info"]["id"], id);
        EXPECT_EQ((*status)["result"]["node_info"]["moniker"], "alice");
        ASSERT_TRUE(eventually([&] {
            auto info = a.get("/net_info");
            return info && (*info)["result"]["n_peers"] == "1";
        }));
        // and /net_info shows the peer's connection status as CometBFT does
        const auto info = *a.get("/net_info");
        const auto& peer = info["result"]["peers"][0];
        EXPECT_FALSE(peer["is_outbound"].get<bool>());
        EXPECT_EQ(peer["remote_ip"], "127.0.0.1");
        EXPECT_TRUE(peer["connection_status"]["SendMonitor"].contains("AvgRate"));
        EXPECT_TRUE(peer["connection_status"]["RecvMonitor"].contains("CurRate"));
        bool has_pex_channel = false;
        for (const auto& ch : peer["connection_status"]["Channels"])
            has_pex_channel = has_pex_channel || (ch["ID"] == 0 && ch.contains("SendQueueSize"));
        EXPECT_TRUE(has_pex_channel) << info.dump();
        // and SIGTERM stops both cleanly, saving the address books
        EXPECT_EQ(b.stop(), 0);
        EXPECT_EQ(a.stop(), 0);
    }
    EXPECT_TRUE(fs::exists(a_home / "config" / "addrbook.json"));
    EXPECT_TRUE(fs::exists(b_home / "config" / "addrbook.json"));

    // When A restarts on the same port
    Daemon a(a_home, {});
    (void)a_p2p;
    ASSERT_TRUE(eventually([&] { return a.get("/status").has_value(); }));
    // Then it has the same node ID and still knows B
    const auto status = a.get("/status");
    EXPECT_EQ((*status)["result"]["node_info"]["id"], id);
    EXPECT_GE((*status)["result"]["address_book"]["size"].get<int>(), 1);
    EXPECT_EQ(a.stop(), 0);
}

TEST_F(CliTest, ConfigErrorsStopTheStartWithFileKeyAndReason) {
    const auto home = dir / "n";
    ASSERT_EQ(run({"init", "--home", home.string()}).status, 0);
    {
        std::ofstream out(home / "config" / "config.toml", std::ios::app);
        out << "bogus_key = 1\n";  // lands in the last section, [gossip]
    }
    auto bad_key = run({"start", "--home", home.string()});
    EXPECT_EQ(bad_key.status, 1);
    EXPECT_NE(bad_key.out.find("config.toml:"), std::string::npos) << bad_key.out;
    EXPECT_NE(bad_key.out.find(": gossip.bogus_key: unknown key"), std::string::npos) << bad_key.out;
    ASSERT_EQ(run({"init", "--home", (dir / "m").string()}).status, 0);
    auto bad_flag = run({"start", "--home", (dir / "m").string(), "--p2p.dial_timeout", "soon"});
    EXPECT_EQ(bad_flag.status, 1);
    EXPECT_NE(bad_flag.out.find("--p2p.dial_timeout: bad duration 'soon'"), std::string::npos)
        << bad_flag.out;
    auto bad_peer = run({"start", "--home", (dir / "m").string(), "--p2p.persistent_peers", "abc@1.2.3.4:5"});
    EXPECT_EQ(bad_peer.status, 1);
    EXPECT_NE(bad_peer.out.find("p2p.persistent_peers: bad peer address 'abc@1.2.3.4:5'"), std::string::npos)
        << bad_peer.out;
    auto no_home = run({"start"});
    EXPECT_EQ(no_home.status, 2);
    EXPECT_NE(no_home.out.find("--home is required"), std::string::npos) << no_home.out;
    EXPECT_EQ(run({"--help"}).status, 0);
}

TEST_F(CliTest, ControlRoutesDialBanUnbanAndDisconnectOnlyWhenUnsafe) {
    ASSERT_EQ(run({"init", "--home", (dir / "a").string()}).status, 0);
    ASSERT_EQ(run({"init", "--home", (dir / "b").string()}).status, 0);
    const std::string b_id = run({"show-node-id", "--home", (dir / "b").string()}).out.substr(0, 40);
    Daemon a(dir / "a", {"--rpc.unsafe", "true"});
    Daemon b(dir / "b", {});
    ASSERT_TRUE(eventually([&] { return a.get("/status") && b.get("/status"); }));
    const std::string b_address = b_id + "@127.0.0.1:" + std::to_string(b.p2p);

    // B's API is safe: control routes are refused
    EXPECT_EQ(b.post("/dial_peers", {{"peers", json::array()}, {"persistent", false}})["http_status"], 403);

    // dial_peers connects A to B
    auto dialed = a.post("/dial_peers", {{"peers", {b_address}}, {"persistent", false}});
    EXPECT_EQ(dialed["http_status"], 200) << dialed.dump();
    ASSERT_TRUE(eventually([&] { return (*a.get("/net_info"))["result"]["n_peers"] == "1"; }));
    // a bad peer string is a 400 with the reason
    auto bad = a.post("/dial_peers", {{"peers", {"nope"}}, {"persistent", false}});
    EXPECT_EQ(bad["http_status"], 400);

    // ban disconnects B and lists the ban; B cannot come back while banned
    EXPECT_EQ(a.post("/ban", {{"id", b_id}, {"duration", "1h"}})["http_status"], 200);
    ASSERT_TRUE(eventually([&] { return (*a.get("/net_info"))["result"]["n_peers"] == "0"; }));
    const auto bans = *a.get("/bans");
    EXPECT_NE(bans.dump().find(b_id), std::string::npos) << bans.dump();
    a.post("/dial_peers", {{"peers", {b_address}}, {"persistent", false}});
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ((*a.get("/net_info"))["result"]["n_peers"], "0");

    // unban lets it back; disconnect drops it again
    EXPECT_EQ(a.post("/unban", {{"id", b_id}})["http_status"], 200);
    a.post("/dial_peers", {{"peers", {b_address}}, {"persistent", false}});
    ASSERT_TRUE(eventually([&] { return (*a.get("/net_info"))["result"]["n_peers"] == "1"; }));
    EXPECT_EQ(a.post("/disconnect", {{"id", b_id}})["http_status"], 200);
    ASSERT_TRUE(eventually([&] { return (*a.get("/net_info"))["result"]["n_peers"] == "0"; }));
    EXPECT_EQ(a.stop(), 0);
    EXPECT_EQ(b.stop(), 0);
}

}  // namespace
