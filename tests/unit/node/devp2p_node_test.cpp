// node::Devp2pNode on loopback: three nodes find each other through discv4 from one bootnode and
// connect, /net_info lists the peers, a ban over the API disconnects and keeps the peer out, the
// geth nodekey persists across a restart, and a corrupt key file is refused untouched.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <unistd.h>

#include "base/file.hpp"
#include "node/devp2p_node.hpp"

namespace peerlink::node {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

std::filesystem::path temp_home(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("peerlink-devp2p-node-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

Config devp2p_config(const std::filesystem::path& home, const std::string& bootnodes = "") {
    Config c;
    c.home = home;
    c.profile = "devp2p";
    c.devp2p.laddr = "tcp://127.0.0.1:0";
    c.devp2p.bootnodes = bootnodes;
    c.devp2p.node_db = "";  // in memory
    c.rpc.laddr = "tcp://127.0.0.1:0";
    c.rpc.unsafe = true;
    c.instrumentation.prometheus = false;
    return c;
}

Devp2pNodeOptions fast() {
    Devp2pNodeOptions o;
    o.dial_history = 300ms;
    o.discovery_refresh = 500ms;
    o.dial_poll = 100ms;
    return o;
}

template <typename P>
bool eventually(P predicate, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (predicate()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return predicate();
}

json get(std::uint16_t port, const std::string& path) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5, 0);
    auto r = client.Get(path.c_str());
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body, nullptr, false)["result"];
}

int post(std::uint16_t port, const std::string& path, const json& body) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5, 0);
    auto r = client.Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r);
    return r ? r->status : 0;
}

bool has_peer(Devp2pNode& node, const crypto::secp256k1::PublicKey& id) {
    const auto ids = node.peer_ids();
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST(Devp2pNode, ThreeNodesConnectThroughDiscoveryAndBansHold) {
    const auto home1 = temp_home("boot");
    const auto home2 = temp_home("two");
    const auto home3 = temp_home("three");
    auto boot_config = devp2p_config(home1);
    boot_config.instrumentation.prometheus = true;
    boot_config.instrumentation.prometheus_listen_addr = "tcp://127.0.0.1:0";
    auto boot = std::make_unique<Devp2pNode>(boot_config, fast());
    boot->start();
    const std::string bootnode = boot->enode();
    Devp2pNode two(devp2p_config(home2, bootnode), fast());
    two.start();
    Devp2pNode three(devp2p_config(home3, bootnode), fast());
    three.start();

    // All three connect to each other, though two and three only know the bootnode.
    ASSERT_TRUE(eventually(
        [&] { return boot->peer_count() == 2 && two.peer_count() == 2 && three.peer_count() == 2; }, 15s))
        << boot->peer_count() << " " << two.peer_count() << " " << three.peer_count();
    EXPECT_GE(two.table_size(), 1u);

    // /net_info on the bootnode lists both, with their enode, client id and capabilities.
    const json info = get(boot->rpc_port(), "/net_info");
    ASSERT_EQ(info["n_peers"], "2");
    std::set<std::string> ids;
    for (const auto& p : info["peers"]) {
        ids.insert(p["node_id"].get<std::string>());
        EXPECT_EQ(p["client_id"], "peerlink/v0.1.0");
        EXPECT_EQ(p["caps"], json::array({"plk/1"}));
        EXPECT_EQ(p["enode"].get<std::string>().rfind(
                      "enode://" + p["node_id"].get<std::string>() + "@127.0.0.1:", 0),
                  0u);
    }
    EXPECT_EQ(ids, (std::set<std::string>{two.id_hex(), three.id_hex()}));
    // plk/1 ran: each peer announced its client id.
    EXPECT_TRUE(eventually(
        [&] {
            const json peers = get(boot->rpc_port(), "/net_info")["peers"];
            return std::all_of(peers.begin(), peers.end(),
                               [](const json& p) { return p["announced"] == "peerlink/v0.1.0"; });
        },
        3s));
    {
        httplib::Client client("127.0.0.1", boot->metrics_port());
        auto scraped = client.Get("/metrics");
        ASSERT_TRUE(scraped);
        EXPECT_NE(scraped->body.find("peerlink_devp2p_peers{direction=\"inbound\"}"), std::string::npos);
        EXPECT_NE(scraped->body.find("peerlink_devp2p_discovery_table_nodes"), std::string::npos);
        EXPECT_NE(scraped->body.find("peerlink_devp2p_bans 0"), std::string::npos) << scraped->body;
    }
    const json status = get(boot->rpc_port(), "/status");
    EXPECT_EQ(status["peers"]["inbound"].get<int>() + status["peers"]["outbound"].get<int>(), 2);
    EXPECT_GE(status["discovery"]["table_size"].get<int>(), 1);
    EXPECT_EQ(status["node_info"]["enode"], bootnode);

    // A ban through the API disconnects three and keeps it out while three keeps redialling.
    ASSERT_EQ(post(boot->rpc_port(), "/ban", {{"id", three.id_hex()}, {"duration", "1h"}}), 200);
    ASSERT_TRUE(eventually([&] { return !has_peer(*boot, three.id()); }, 3s));
    std::this_thread::sleep_for(1500ms);  // several dial-history periods
    EXPECT_FALSE(has_peer(*boot, three.id()));
    EXPECT_TRUE(has_peer(*boot, two.id()));
    const json bans = get(boot->rpc_port(), "/bans");
    ASSERT_EQ(bans["bans"].size(), 1u);
    EXPECT_EQ(bans["bans"][0]["banned"], three.id_hex());
    EXPECT_TRUE(std::filesystem::exists(home1 / "data" / "devp2p_bans.json"));

    // The key (and the ban) survive a restart.
    const auto id = boot->id();
    boot.reset();
    const auto key_file = home1 / "config" / "devp2p_nodekey";
    EXPECT_EQ(std::filesystem::status(key_file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    Devp2pNode again(devp2p_config(home1), fast());
    EXPECT_EQ(again.id(), id);
    again.start();
    EXPECT_EQ(get(again.rpc_port(), "/bans")["bans"].size(), 1u);
    for (const auto& h : {home1, home2, home3})
        std::filesystem::remove_all(h);
}

TEST(Devp2pNode, PersistentDialMakesAStaticNodeThatComesBackAfterDisconnect) {
    const auto home1 = temp_home("static-a");
    const auto home2 = temp_home("static-b");
    auto config1 = devp2p_config(home1);
    config1.devp2p.discovery = false;
    auto config2 = devp2p_config(home2);
    config2.devp2p.discovery = false;
    Devp2pNode a(config1, fast());
    a.start();
    Devp2pNode b(config2, fast());
    b.start();
    // Given b added as a static node of a through the API
    ASSERT_EQ(post(a.rpc_port(), "/dial_peers", {{"peers", {b.enode()}}, {"persistent", true}}), 200);
    ASSERT_TRUE(eventually([&] { return has_peer(a, b.id()) && has_peer(b, a.id()); }, 5s));
    // When a disconnects it
    ASSERT_EQ(post(a.rpc_port(), "/disconnect", {{"id", b.id_hex()}}), 200);
    ASSERT_TRUE(eventually([&] { return !has_peer(b, a.id()); }, 3s));
    // Then a dials it again once the dial history (300 ms) lets it
    EXPECT_TRUE(eventually([&] { return has_peer(a, b.id()) && has_peer(b, a.id()); }, 5s));
    // A malformed enode and an unknown peer are the caller's errors.
    EXPECT_EQ(post(a.rpc_port(), "/dial_peers", {{"peers", {"enode://zz@127.0.0.1:1"}}}), 400);
    EXPECT_EQ(post(a.rpc_port(), "/disconnect", {{"id", std::string(128, 'a')}}), 400);
    std::filesystem::remove_all(home1);
    std::filesystem::remove_all(home2);
}

TEST(Devp2pNode, CorruptKeyFileIsAnErrorNamingItAndIsKept) {
    const auto home = temp_home("corrupt");
    const auto key_file = home / "config" / "devp2p_nodekey";
    std::filesystem::create_directories(key_file.parent_path());
    {
        std::ofstream out(key_file);
        out << "not a key";
    }
    try {
        Devp2pNode node(devp2p_config(home), fast());
        FAIL() << "a corrupt key file was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(key_file.string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(*base::read_file(key_file, 100), "not a key");
    std::filesystem::remove_all(home);
}

TEST(Devp2pNode, KeyFileIsGethsHexFormat) {
    const auto home = temp_home("hex");
    const auto key_file = home / "k" / "nodekey";
    const auto created = load_or_create_devp2p_key(key_file);
    const auto text = base::read_file(key_file, 100);
    ASSERT_TRUE(text);
    EXPECT_EQ(text->size(), 64u);
    EXPECT_EQ(*text, base::to_hex(base::ByteView(created.secret_key)));
    // geth writes no newline, but a hand-edited file with one still loads.
    {
        std::ofstream out(key_file);
        out << *text << "\n";
    }
    EXPECT_EQ(load_or_create_devp2p_key(key_file).public_key, created.public_key);
    std::filesystem::remove_all(home);
}

TEST(Devp2pNode, BadEnodeListIsAConfigError) {
    const auto home = temp_home("badenode");
    auto config = devp2p_config(home);
    config.devp2p.static_nodes = "enode://nope@127.0.0.1:30303";
    EXPECT_THROW(Devp2pNode(config, fast()), ConfigError);
    std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace peerlink::node
