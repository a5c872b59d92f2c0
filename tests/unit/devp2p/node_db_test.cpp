// The discv4 node database: persistence across reopen, seeds by pong age, expiry, endpoint changes,
// and a corrupt file set aside for a fresh database.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "crypto/crypto.hpp"
#include "profiles/devp2p/node_db.hpp"

namespace peerlink::devp2p {
namespace {

namespace secp = crypto::secp256k1;
namespace fs = std::filesystem;

constexpr std::uint64_t k_now = 1'800'000'000;

addrbook::IpAddress ip(const char* text) {
    return *addrbook::IpAddress::parse(text);
}

class NodeDbTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::array<std::uint8_t, 8> r{};
        crypto::random_bytes(r);
        m_dir = fs::temp_directory_path() / ("peerlink-nodedb-" + base::to_hex(r));
        fs::create_directories(m_dir);
        m_path = m_dir / "nodes.db";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    std::unique_ptr<NodeDb> open(std::uint64_t now = k_now) {
        auto db = NodeDb::open(m_path, now);
        EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message());
        return db.ok() ? std::move(*db) : nullptr;
    }

    fs::path m_dir;
    fs::path m_path;
};

TEST_F(NodeDbTest, SurvivesCloseAndReopen) {
    const auto a = secp::generate();
    const auto b = secp::generate();
    auto record = enr::Record::sign_endpoint(a.secret_key, 7, ip("10.1.2.3"), 30303, 30301);
    ASSERT_TRUE(record.ok());
    {
        auto db = open();
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->record_pong(a.public_key, ip("10.1.2.3"), 30301, 30303, k_now - 10).ok());
        ASSERT_TRUE(db->record_ping(a.public_key, ip("10.1.2.3"), 30301, 30303, k_now - 5).ok());
        ASSERT_TRUE(db->record_find_failure(a.public_key).ok());
        ASSERT_TRUE(db->record_find_failure(a.public_key).ok());
        ASSERT_TRUE(db->store_record(*record).ok());
        ASSERT_TRUE(db->record_pong(b.public_key, ip("2001:db8::1"), 40000, 40001, k_now - 20).ok());
        EXPECT_TRUE(db->dirty());
        ASSERT_TRUE(db->commit().ok());
        // Left uncommitted: the destructor commits the last batch.
        ASSERT_TRUE(db->record_ping(b.public_key, ip("2001:db8::1"), 40000, 40001, k_now - 1).ok());
    }
    auto db = open();
    ASSERT_TRUE(db);
    EXPECT_EQ(db->size(), 2u);
    const auto ea = db->get(a.public_key);
    ASSERT_TRUE(ea);
    EXPECT_EQ(ea->ip, ip("10.1.2.3"));
    EXPECT_EQ(ea->udp_port, 30301);
    EXPECT_EQ(ea->tcp_port, 30303);
    EXPECT_EQ(ea->last_pong, k_now - 10);
    EXPECT_EQ(ea->last_ping, k_now - 5);
    EXPECT_EQ(ea->find_fails, 2u);
    // An answer forgives one failure, never below zero.
    ASSERT_TRUE(db->record_find_success(a.public_key).ok());
    EXPECT_EQ(db->get(a.public_key)->find_fails, 1u);
    ASSERT_TRUE(db->record_find_success(a.public_key).ok());
    ASSERT_TRUE(db->record_find_success(a.public_key).ok());
    EXPECT_EQ(db->get(a.public_key)->find_fails, 0u);
    ASSERT_TRUE(ea->record);
    EXPECT_EQ(*ea->record, *record);
    const auto eb = db->get(b.public_key);
    ASSERT_TRUE(eb);
    EXPECT_EQ(eb->ip, ip("2001:db8::1"));
    EXPECT_EQ(eb->last_pong, k_now - 20);
    EXPECT_EQ(eb->last_ping, k_now - 1);
    EXPECT_FALSE(eb->record);
    EXPECT_FALSE(db->get(secp::generate().public_key));
}

TEST_F(NodeDbTest, OlderRecordDoesNotReplaceNewer) {
    const auto a = secp::generate();
    auto db = open();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->record_pong(a.public_key, ip("10.0.0.1"), 30303, 30303, k_now).ok());
    auto newer = enr::Record::sign_endpoint(a.secret_key, 5, ip("10.0.0.1"), 30303, 30303);
    auto older = enr::Record::sign_endpoint(a.secret_key, 4, ip("10.0.0.9"), 30303, 30303);
    ASSERT_TRUE(newer.ok() && older.ok());
    ASSERT_TRUE(db->store_record(*newer).ok());
    ASSERT_TRUE(db->store_record(*older).ok());
    EXPECT_EQ(db->get(a.public_key)->record->seq(), 5u);
}

TEST_F(NodeDbTest, NewAddressStartsTheProofOver) {
    const auto a = secp::generate();
    auto db = open();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->record_pong(a.public_key, ip("10.0.0.1"), 30303, 30303, k_now - 100).ok());
    ASSERT_TRUE(db->record_find_failure(a.public_key).ok());
    ASSERT_TRUE(db->record_ping(a.public_key, ip("10.0.0.2"), 30304, 30305, k_now).ok());
    const auto e = db->get(a.public_key);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->ip, ip("10.0.0.2"));
    EXPECT_EQ(e->udp_port, 30304);
    EXPECT_EQ(e->last_pong, 0u);  // the pong proved the old address only
    EXPECT_EQ(e->last_ping, k_now);
    EXPECT_EQ(e->find_fails, 0u);
}

TEST_F(NodeDbTest, QuerySeedsTakesRecentlyPongedNodesOnly) {
    auto db = open();
    ASSERT_TRUE(db);
    std::set<secp::PublicKey> fresh;
    for (int i = 0; i < 8; ++i) {
        const auto k = secp::generate().public_key;
        fresh.insert(k);
        ASSERT_TRUE(db->record_pong(k, ip("10.0.0.1"), 30303, 30303, k_now - 3600).ok());
    }
    // Ponged 6 days ago but pinged us recently: kept by expiry's rules, but too old for a seed.
    const auto old = secp::generate().public_key;
    ASSERT_TRUE(db->record_pong(old, ip("10.0.0.2"), 30303, 30303, k_now - 6 * 24 * 3600).ok());
    const auto never = secp::generate().public_key;
    ASSERT_TRUE(db->record_ping(never, ip("10.0.0.3"), 30303, 30303, k_now).ok());

    const auto all = db->query_seeds(30, std::chrono::hours(5 * 24), k_now);
    ASSERT_EQ(all.size(), 8u);
    std::set<secp::PublicKey> got;
    for (const auto& e : all)
        got.insert(e.key);
    EXPECT_EQ(got, fresh);

    const auto some = db->query_seeds(3, std::chrono::hours(5 * 24), k_now);
    ASSERT_EQ(some.size(), 3u);
    EXPECT_NE(some[0].key, some[1].key);
    EXPECT_TRUE(db->query_seeds(0, std::chrono::hours(1), k_now).empty());
}

TEST_F(NodeDbTest, NodesNotSeenForADayExpire) {
    auto db = open();
    ASSERT_TRUE(db);
    const auto recent = secp::generate().public_key;
    const auto stale = secp::generate().public_key;
    const auto pinger = secp::generate().public_key;
    ASSERT_TRUE(db->record_pong(recent, ip("10.0.0.1"), 30303, 30303, k_now - 23 * 3600).ok());
    ASSERT_TRUE(db->record_pong(stale, ip("10.0.0.2"), 30303, 30303, k_now - 25 * 3600).ok());
    ASSERT_TRUE(db->record_ping(pinger, ip("10.0.0.3"), 30303, 30303, k_now - 25 * 3600).ok());
    EXPECT_EQ(db->expire(k_now), 2u);
    EXPECT_TRUE(db->get(recent));
    EXPECT_FALSE(db->get(stale));
    EXPECT_FALSE(db->get(pinger));
    ASSERT_TRUE(db->commit().ok());
    db.reset();
    // Reopening a day later expires at once (geth expires on open).
    db = open(k_now + 24 * 3600);
    ASSERT_TRUE(db);
    EXPECT_EQ(db->size(), 0u);
}

TEST_F(NodeDbTest, RowBoundDropsTheLeastRecentlySeen) {
    auto db =
        NodeDb::open(m_path, k_now, NodeDbOptions{.node_expiration = std::chrono::hours(24), .max_nodes = 3});
    ASSERT_TRUE(db.ok());
    std::vector<secp::PublicKey> keys;
    for (int i = 0; i < 5; ++i) {
        keys.push_back(secp::generate().public_key);
        ASSERT_TRUE((*db)
                        ->record_pong(keys.back(), ip("10.0.0.1"), 30303, 30303,
                                      k_now - 100 + static_cast<std::uint64_t>(i))
                        .ok());
    }
    EXPECT_EQ((*db)->expire(k_now), 2u);
    EXPECT_FALSE((*db)->get(keys[0]));
    EXPECT_FALSE((*db)->get(keys[1]));
    EXPECT_TRUE((*db)->get(keys[4]));
}

TEST_F(NodeDbTest, RowBoundHoldsDuringAFloodOfNewNodes) {
    auto db = NodeDb::open(m_path, k_now,
                           NodeDbOptions{.node_expiration = std::chrono::hours(24), .max_nodes = 10});
    ASSERT_TRUE(db.ok());
    for (std::uint32_t i = 0; i < 1000; ++i) {
        secp::PublicKey k{};
        k[0] = static_cast<std::uint8_t>(i >> 8);
        k[1] = static_cast<std::uint8_t>(i);
        ASSERT_TRUE((*db)->record_ping(k, ip("10.0.0.1"), 30303, 30303, k_now - 1000 + i).ok());
    }
    // Checked every 1000 writes, without waiting for expire().
    EXPECT_EQ((*db)->size(), 10u);
}

TEST_F(NodeDbTest, CorruptFileIsSetAsideAndAFreshDatabaseCreated) {
    {
        std::ofstream out(m_path, std::ios::binary);
        std::string garbage(8192, '\0');
        for (std::size_t i = 0; i < garbage.size(); ++i)
            garbage[i] = static_cast<char>((i * 131 + 7) & 0xff);
        out << garbage;
    }
    auto db = open(k_now);
    ASSERT_TRUE(db);
    EXPECT_EQ(db->size(), 0u);
    auto aside = m_path;
    aside += ".corrupt-" + std::to_string(k_now);
    EXPECT_TRUE(fs::exists(aside));
    EXPECT_EQ(fs::file_size(aside), 8192u);
    // The fresh database works and persists.
    const auto a = secp::generate().public_key;
    ASSERT_TRUE(db->record_pong(a, ip("10.0.0.1"), 30303, 30303, k_now).ok());
    db.reset();
    db = open(k_now);
    ASSERT_TRUE(db);
    EXPECT_TRUE(db->get(a));
}

TEST_F(NodeDbTest, TruncatedDatabaseIsSetAside) {
    {
        auto db = open();
        ASSERT_TRUE(db);
        for (int i = 0; i < 50; ++i)
            ASSERT_TRUE(
                db->record_pong(secp::generate().public_key, ip("10.0.0.1"), 30303, 30303, k_now).ok());
    }
    // Checkpointed into the main file on close; cut it in the middle of a page.
    const auto size = fs::file_size(m_path);
    ASSERT_GT(size, 4096u);
    fs::resize_file(m_path, size - 1000);
    {
        std::fstream f(m_path, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(100);
        f << std::string(200, '\x5a');  // the header's schema fields
    }
    auto db = open(k_now + 1);
    ASSERT_TRUE(db);
    EXPECT_EQ(db->size(), 0u);
    auto aside = m_path;
    aside += ".corrupt-" + std::to_string(k_now + 1);
    EXPECT_TRUE(fs::exists(aside));
}

TEST_F(NodeDbTest, InMemoryDatabaseWorks) {
    auto db = NodeDb::open({}, k_now);
    ASSERT_TRUE(db.ok());
    const auto a = secp::generate().public_key;
    ASSERT_TRUE((*db)->record_pong(a, ip("10.0.0.1"), 30303, 30303, k_now).ok());
    ASSERT_TRUE((*db)->commit().ok());
    EXPECT_EQ((*db)->query_seeds(5, std::chrono::hours(1), k_now).size(), 1u);
}

}  // namespace
}  // namespace peerlink::devp2p
