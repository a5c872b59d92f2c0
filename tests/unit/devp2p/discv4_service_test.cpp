// Discv4Service on 127.0.0.1 UDP: lookups through a bootnode, ping RTTs, resolve, restarts seeded from
// the node database, and drops (expired, unbonded FindNode, spoofed from-endpoint, netrestrict) on the
// wire, counted with their reason.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <memory>
#include <set>

#include "crypto/crypto.hpp"
#include "profiles/devp2p/discv4_packet.hpp"
#include "profiles/devp2p/discv4_service.hpp"

namespace peerlink::devp2p {
namespace {

namespace secp = crypto::secp256k1;
namespace fs = std::filesystem;

std::uint64_t unix_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

/// Runs the loop until `pred` holds or `timeout` passes; returns pred().
template <typename Pred>
bool run_until(asio::io_context& io, Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred() && std::chrono::steady_clock::now() < deadline)
        io.run_for(std::chrono::milliseconds(10));
    return pred();
}

Discv4ServiceOptions local_options(std::vector<Enode> bootnodes = {}) {
    Discv4ServiceOptions o;
    o.listen_host = "127.0.0.1";
    o.tcp_port = 30303;
    o.bootnodes = std::move(bootnodes);
    o.protocol.response_timeout = std::chrono::milliseconds(300);
    return o;
}

class Discv4ServiceTest : public ::testing::Test {
protected:
    Discv4Service& add(Discv4ServiceOptions options, std::optional<secp::KeyPair> key = std::nullopt) {
        m_services.push_back(
            std::make_unique<Discv4Service>(m_io, key.value_or(secp::generate()), std::move(options)));
        auto result = m_services.back()->start();
        EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message());
        return *m_services.back();
    }
    void TearDown() override {
        m_services.clear();
        m_io.run_for(std::chrono::milliseconds(10));
    }
    fs::path temp_dir() {
        std::array<std::uint8_t, 8> r{};
        crypto::random_bytes(r);
        auto dir = fs::temp_directory_path() / ("peerlink-discv4-" + base::to_hex(r));
        fs::create_directories(dir);
        m_dirs.push_back(dir);
        return dir;
    }
    ~Discv4ServiceTest() override {
        std::error_code ec;
        for (const auto& d : m_dirs)
            fs::remove_all(d, ec);
    }

    asio::io_context m_io;
    asio::executor_work_guard<asio::io_context::executor_type> m_work = asio::make_work_guard(m_io);
    std::vector<std::unique_ptr<Discv4Service>> m_services;
    std::vector<fs::path> m_dirs;
};

std::set<secp::PublicKey> ids(const std::vector<Enode>& nodes) {
    std::set<secp::PublicKey> out;
    for (const auto& n : nodes)
        out.insert(n.id);
    return out;
}

TEST_F(Discv4ServiceTest, NodeKnowingOnlyTheBootnodeLearnsTheOthersByLookup) {
    auto& boot = add(local_options());
    std::vector<Discv4Service*> members;
    for (int i = 0; i < 4; ++i)
        members.push_back(&add(local_options({boot.self()})));
    ASSERT_TRUE(run_until(m_io, [&] { return boot.table_size() >= 4; }));

    std::vector<Enode> added;
    auto& late = add(local_options({boot.self()}));
    late.on_node_added = [&](const Enode& n) { added.push_back(n); };
    std::optional<std::vector<Enode>> found;
    secp::PublicKey target{};
    crypto::random_bytes(target);
    late.lookup(target, [&](std::vector<Enode> nodes) { found = std::move(nodes); });
    ASSERT_TRUE(run_until(m_io, [&] { return found.has_value(); }));
    const auto got = ids(*found);
    for (auto* m : members)
        EXPECT_TRUE(got.contains(m->self().id));
    EXPECT_TRUE(got.contains(boot.self().id));
    // The table fills as the lookup bonds with the nodes it found.
    EXPECT_TRUE(run_until(m_io, [&] { return late.table_size() >= 5; }));
    EXPECT_FALSE(added.empty());
    for (const auto& n : late.random_nodes(3)) {
        EXPECT_EQ(n.ip, "127.0.0.1");
        EXPECT_NE(n.udp_port, 0);
    }
    EXPECT_EQ(late.random_nodes(100).size(), late.table_size());
    EXPECT_GT(late.stats().packets_in, 0u);
    EXPECT_GT(late.stats().packets_out, 0u);
}

TEST_F(Discv4ServiceTest, PingReportsRttAndTimeout) {
    auto& a = add(local_options());
    auto& b = add(local_options());
    std::optional<std::pair<bool, std::optional<std::chrono::milliseconds>>> result;
    a.ping(b.self(), [&](bool ok, std::optional<std::chrono::milliseconds> rtt) { result.emplace(ok, rtt); });
    ASSERT_TRUE(run_until(m_io, [&] { return result.has_value(); }));
    EXPECT_TRUE(result->first);
    ASSERT_TRUE(result->second.has_value());
    EXPECT_LT(result->second->count(), 300);
    EXPECT_TRUE(run_until(m_io, [&] { return a.table_size() == 1 && b.table_size() == 1; }));

    // Nobody listens on a closed socket's port: the ping times out.
    Enode dead = b.self();
    dead.id = secp::generate().public_key;
    {
        asio::ip::udp::socket s(m_io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        dead.udp_port = s.local_endpoint().port();
    }
    result.reset();
    const auto started = std::chrono::steady_clock::now();
    a.ping(dead, [&](bool ok, std::optional<std::chrono::milliseconds> rtt) { result.emplace(ok, rtt); });
    ASSERT_TRUE(run_until(m_io, [&] { return result.has_value(); }));
    EXPECT_FALSE(result->first);
    EXPECT_FALSE(result->second.has_value());
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(250));
}

TEST_F(Discv4ServiceTest, ResolveAsksTheNodeAndFallsBackToALookup) {
    auto& boot = add(local_options());
    auto& a = add(local_options({boot.self()}));
    auto& b = add(local_options({boot.self()}));
    ASSERT_TRUE(run_until(m_io, [&] { return boot.table_size() >= 2; }));

    std::optional<std::optional<enr::Record>> record;
    a.request_enr(b.self(), [&](std::optional<enr::Record> r) { record = std::move(r); });
    ASSERT_TRUE(run_until(m_io, [&] { return record.has_value(); }));
    ASSERT_TRUE(record->has_value());
    EXPECT_EQ((*record)->public_key(), b.self().id);
    EXPECT_EQ(**record, b.record());

    std::optional<std::optional<Enode>> resolved;
    a.resolve(b.self(), [&](std::optional<Enode> e) { resolved = std::move(e); });
    ASSERT_TRUE(run_until(m_io, [&] { return resolved.has_value(); }));
    ASSERT_TRUE(resolved->has_value());
    EXPECT_EQ(**resolved, b.self());

    // A stale endpoint: the ENRRequest goes nowhere, the lookup through the bootnode finds b.
    Enode stale = b.self();
    {
        asio::ip::udp::socket s(m_io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        stale.udp_port = s.local_endpoint().port();
    }
    resolved.reset();
    a.resolve(stale, [&](std::optional<Enode> e) { resolved = std::move(e); });
    ASSERT_TRUE(run_until(m_io, [&] { return resolved.has_value(); }));
    ASSERT_TRUE(resolved->has_value());
    EXPECT_EQ((*resolved)->udp_port, b.local_port());
    EXPECT_EQ((*resolved)->id, b.self().id);

    // An ID nobody has: nothing.
    Enode nobody = stale;
    nobody.id = secp::generate().public_key;
    resolved.reset();
    a.resolve(nobody, [&](std::optional<Enode> e) { resolved = std::move(e); });
    ASSERT_TRUE(run_until(m_io, [&] { return resolved.has_value(); }));
    EXPECT_FALSE(resolved->has_value());
}

TEST_F(Discv4ServiceTest, RestartReseedsTheTableFromTheNodeDatabase) {
    auto& boot = add(local_options());
    for (int i = 0; i < 3; ++i)
        add(local_options({boot.self()}));
    const auto dir = temp_dir();
    const auto key = secp::generate();
    auto options = local_options({boot.self()});
    options.node_db = dir / "nodes.db";
    std::set<secp::PublicKey> known;
    {
        Discv4Service first(m_io, key, options);
        ASSERT_TRUE(first.start().ok());
        std::optional<std::vector<Enode>> found;
        first.lookup(key.public_key, [&](std::vector<Enode> n) { found = std::move(n); });
        ASSERT_TRUE(run_until(m_io, [&] { return found.has_value() && first.table_size() >= 4; }));
        known = ids(first.table_nodes());
        first.stop();  // commits the batch
    }
    ASSERT_TRUE(fs::exists(dir / "nodes.db"));

    options.bootnodes.clear();
    std::set<secp::PublicKey> added;
    auto second = std::make_unique<Discv4Service>(m_io, key, options);
    second->on_node_added = [&](const Enode& n) { added.insert(n.id); };
    ASSERT_TRUE(second->start().ok());
    // Seeds enter the table unverified at once. Their stored endpoint proofs (geth keeps them in
    // its database too) let a lookup ask them straight away, and it finds the nodes again.
    EXPECT_GE(second->table_size(), 3u);
    std::optional<std::vector<Enode>> again;
    second->lookup(secp::generate().public_key, [&](std::vector<Enode> n) { again = std::move(n); });
    ASSERT_TRUE(run_until(m_io, [&] { return again.has_value(); }));
    EXPECT_GE(again->size(), 3u);
    for (const auto& n : *again)
        EXPECT_TRUE(known.contains(n.id));
    for (const auto& id : added)  // nodes verified since (revalidation) are known ones too
        EXPECT_TRUE(known.contains(id));
    second.reset();
}

/// A raw UDP socket speaking discv4 at a service.
struct RawPeer {
    RawPeer(asio::io_context& io)
        : socket(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
    void send(const discv4::Message& m, std::uint16_t port) {
        auto encoded = discv4::encode(m, key.secret_key);
        ASSERT_TRUE(encoded.ok());
        last_hash = encoded->hash;
        socket.send_to(asio::buffer(encoded->bytes),
                       asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }
    /// Packets that arrived so far (non-blocking).
    std::vector<discv4::Packet> drain() {
        std::vector<discv4::Packet> out;
        socket.non_blocking(true);
        std::array<std::uint8_t, 1280> buf{};
        for (;;) {
            std::error_code ec;
            asio::ip::udp::endpoint from;
            const auto n = socket.receive_from(asio::buffer(buf), from, 0, ec);
            if (ec) break;
            if (auto p = discv4::decode(base::ByteView(buf.data(), n)); p.ok()) out.push_back(std::move(*p));
        }
        return out;
    }
    std::uint16_t port() const { return socket.local_endpoint().port(); }

    secp::KeyPair key = secp::generate();
    asio::ip::udp::socket socket;
    discv4::Hash last_hash{};
};

TEST_F(Discv4ServiceTest, DropsAreCountedWithTheirReason) {
    auto& svc = add(local_options());
    RawPeer raw(m_io);
    const auto port = svc.local_port();
    const auto lo = *addrbook::IpAddress::parse("127.0.0.1");
    const auto count = [&](Discv4Drop d) { return svc.stats().dropped[static_cast<std::size_t>(d)]; };

    // Expired Ping: no answer.
    raw.send(discv4::Ping{.version = 4,
                          .from = {lo, raw.port(), 0},
                          .to = {lo, port, 0},
                          .expiration = unix_now() - 1,
                          .enr_seq = {}},
             port);
    ASSERT_TRUE(run_until(m_io, [&] { return count(Discv4Drop::expired) == 1; }));
    // FindNode without a bond: no Neighbors.
    raw.send(discv4::FindNode{.target = raw.key.public_key, .expiration = unix_now() + 20}, port);
    ASSERT_TRUE(run_until(m_io, [&] { return count(Discv4Drop::unknown_node) == 1; }));
    // A Pong nobody asked for, and garbage.
    raw.send(
        discv4::Pong{
            .to = {lo, raw.port(), 0}, .ping_hash = {}, .expiration = unix_now() + 20, .enr_seq = {}},
        port);
    ASSERT_TRUE(run_until(m_io, [&] { return count(Discv4Drop::unsolicited) == 1; }));
    const std::array<std::uint8_t, 200> junk{1, 2, 3};
    raw.socket.send_to(asio::buffer(junk),
                       asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ASSERT_TRUE(run_until(m_io, [&] { return count(Discv4Drop::malformed) == 1; }));
    m_io.run_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(raw.drain().empty());
    EXPECT_EQ(svc.stats().dropped_total(), 4u);

    // A Ping whose from-endpoint names another host: the Pong goes to the UDP source and names it.
    raw.send(discv4::Ping{.version = 4,
                          .from = {*addrbook::IpAddress::parse("10.9.9.9"), 40404, 40405},
                          .to = {lo, port, 0},
                          .expiration = unix_now() + 20,
                          .enr_seq = {}},
             port);
    const auto ping_hash = raw.last_hash;
    std::vector<discv4::Packet> got;
    ASSERT_TRUE(run_until(m_io, [&] {
        for (auto& p : raw.drain())
            got.push_back(std::move(p));
        return got.size() >= 2;  // our Pong and its own Ping to bond
    }));
    bool saw_pong = false;
    for (const auto& p : got)
        if (const auto* pong = std::get_if<discv4::Pong>(&p.message)) {
            saw_pong = true;
            EXPECT_EQ(pong->ping_hash, ping_hash);
            EXPECT_EQ(pong->to.ip, lo);
            EXPECT_EQ(pong->to.udp_port, raw.port());
        }
    EXPECT_TRUE(saw_pong);
    EXPECT_EQ(svc.table_size(), 0u);  // not bonded: we never answered its Ping
}

TEST_F(Discv4ServiceTest, NetRestrictDropsOutsiders) {
    auto options = local_options();
    options.net_restrict = {"10.0.0.0/8"};
    auto& svc = add(options);
    auto& other = add(local_options());
    std::optional<bool> ok;
    other.ping(svc.self(), [&](bool r, std::optional<std::chrono::milliseconds>) { ok = r; });
    ASSERT_TRUE(run_until(m_io, [&] { return ok.has_value(); }));
    EXPECT_FALSE(*ok);
    EXPECT_EQ(svc.stats().dropped[static_cast<std::size_t>(Discv4Drop::net_restrict)], 1u);

    auto bad = local_options();
    bad.net_restrict = {"10.0.0.0/33"};
    Discv4Service broken(m_io, secp::generate(), bad);
    EXPECT_FALSE(broken.start().ok());
}

}  // namespace
}  // namespace peerlink::devp2p
