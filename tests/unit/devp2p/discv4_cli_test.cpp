// `peerlink devp2p discv4 ping | resolve | crawl` against Discv4Services running in this process.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <asio.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "crypto/crypto.hpp"
#include "profiles/devp2p/discv4_service.hpp"

#ifndef PEERLINK_BIN
#error "PEERLINK_BIN must name the peerlink executable"
#endif

namespace peerlink::devp2p {
namespace {

namespace secp = crypto::secp256k1;
namespace fs = std::filesystem;

struct Run {
    int status = -1;
    std::string out;
};

/// Runs the CLI with `args`, capturing stdout (stderr passes through).
Run run(const std::string& args) {
    Run r;
    const std::string command = std::string(PEERLINK_BIN) + " " + args;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return r;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr)
        r.out += buf.data();
    const int status = ::pclose(pipe);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

/// Services on their own io_context thread: a bootnode and members that know only it.
class Network {
public:
    explicit Network(std::size_t members) {
        auto add = [&](std::vector<Enode> boot) {
            Discv4ServiceOptions o;
            o.listen_host = "127.0.0.1";
            o.tcp_port = 30303;
            o.bootnodes = std::move(boot);
            o.protocol.response_timeout = std::chrono::milliseconds(300);
            m_services.push_back(std::make_unique<Discv4Service>(m_io, secp::generate(), o));
            EXPECT_TRUE(m_services.back()->start().ok());
            m_enodes.push_back(m_services.back()->self());
        };
        add({});
        for (std::size_t i = 0; i < members; ++i)
            add({m_enodes.front()});
        // Let the members bond with the bootnode before the CLI arrives.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (m_services.front()->table_size() < members && std::chrono::steady_clock::now() < deadline)
            m_io.run_for(std::chrono::milliseconds(10));
        m_thread = std::thread([this] { m_io.run(); });
    }
    ~Network() {
        asio::post(m_io, [this] {
            m_services.clear();
            m_work.reset();
            m_io.stop();
        });
        m_thread.join();
    }
    const std::vector<Enode>& enodes() const { return m_enodes; }

private:
    asio::io_context m_io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> m_work{
        asio::make_work_guard(m_io)};
    std::vector<std::unique_ptr<Discv4Service>> m_services;
    std::vector<Enode> m_enodes;
    std::thread m_thread;
};

TEST(Discv4Cli, PingPrintsTheRoundTripTime) {
    Network net(1);
    const auto r = run("devp2p discv4 ping '" + format_enode(net.enodes()[1]) + "' --timeout 3s");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("pong from"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("rtt "), std::string::npos) << r.out;

    Enode nobody = net.enodes()[1];
    nobody.id = secp::generate().public_key;
    {
        asio::io_context io;
        asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        nobody.udp_port = s.local_endpoint().port();
    }
    const auto silent = run("devp2p discv4 ping '" + format_enode(nobody) + "' --timeout 1s 2>/dev/null");
    EXPECT_EQ(silent.status, 1);
    EXPECT_EQ(run("devp2p discv4 ping not-an-enode 2>/dev/null").status, 2);
}

TEST(Discv4Cli, ResolvePrintsTheEnodeAndRecord) {
    Network net(1);
    const auto r = run("devp2p discv4 resolve '" + format_enode(net.enodes()[1]) + "' --timeout 5s");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(format_enode(net.enodes()[1])), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("enr:"), std::string::npos) << r.out;
}

TEST(Discv4Cli, CrawlFindsEveryNodeAndWritesJson) {
    Network net(3);
    std::array<std::uint8_t, 8> rnd{};
    crypto::random_bytes(rnd);
    const auto out = fs::temp_directory_path() / ("peerlink-crawl-" + base::to_hex(rnd) + ".json");
    const auto r = run("devp2p discv4 crawl --bootnodes '" + format_enode(net.enodes()[0]) +
                       "' --timeout 6s --out " + out.string());
    ASSERT_EQ(r.status, 0) << r.out;
    std::ifstream in(out);
    ASSERT_TRUE(in.good());
    const auto nodes = nlohmann::json::parse(in);
    std::error_code ec;
    fs::remove(out, ec);
    ASSERT_TRUE(nodes.is_array());
    std::set<std::string> ids;
    for (const auto& n : nodes) {
        ids.insert(n.at("id").get<std::string>());
        EXPECT_EQ(n.at("ip"), "127.0.0.1");
        EXPECT_GT(n.at("udp").get<int>(), 1024);
        EXPECT_LE(n.at("first_seen").get<std::uint64_t>(), n.at("last_seen").get<std::uint64_t>());
    }
    for (const auto& e : net.enodes())
        EXPECT_TRUE(ids.contains(base::to_hex(e.id))) << format_enode(e);
    // Every node here answers ENRRequests.
    for (const auto& n : nodes) {
        EXPECT_TRUE(n.contains("enr")) << n.dump();
        EXPECT_EQ(n.value("seq", 0), 1);
    }
}

}  // namespace
}  // namespace peerlink::devp2p
