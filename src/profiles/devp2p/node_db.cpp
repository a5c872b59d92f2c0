// The node database on SQLite: schema, batched writes, seeds, expiry and setting corrupt files aside.
#include "profiles/devp2p/node_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <system_error>

#include "base/log.hpp"
#include "crypto/keccak.hpp"

namespace peerlink::devp2p {

namespace secp = crypto::secp256k1;

namespace {

const char* describe(int value) {
    switch (static_cast<NodeDbErrc>(value)) {
        case NodeDbErrc::open_failed:
            return "node database cannot be opened or created";
        case NodeDbErrc::query_failed:
            return "node database statement failed";
    }
    return "unknown node database error";
}

/// Bumped when the schema changes; a database of another version is emptied (geth does the same).
constexpr std::int64_t k_schema_version = 1;
constexpr std::int64_t k_max_find_fails = 1000;

const char* const k_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    id BLOB PRIMARY KEY,               -- keccak256(pubkey), 32 bytes
    pubkey BLOB NOT NULL,              -- 64 bytes, x || y
    ip BLOB NOT NULL,                  -- 4 (IPv4) or 16 bytes
    udp INTEGER NOT NULL,
    tcp INTEGER NOT NULL,
    last_ping INTEGER NOT NULL DEFAULT 0,
    last_pong INTEGER NOT NULL DEFAULT 0,
    find_fails INTEGER NOT NULL DEFAULT 0,
    enr_seq INTEGER,
    enr BLOB
);
CREATE INDEX IF NOT EXISTS nodes_last_pong ON nodes(last_pong);
)sql";

auto& logger() {
    return base::log::get(base::log::Category::devp2p);
}

/// A prepared statement, finalized on scope exit.
class Stmt {
public:
    Stmt(sqlite3* db, const char* sql) {
        if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) m_stmt = nullptr;
    }
    ~Stmt() { sqlite3_finalize(m_stmt); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    [[nodiscard]] bool ok() const { return m_stmt != nullptr; }
    sqlite3_stmt* get() const { return m_stmt; }
    void blob(int i, const void* data, std::size_t size) {
        sqlite3_bind_blob(m_stmt, i, data, static_cast<int>(size), SQLITE_TRANSIENT);
    }
    void integer(int i, std::int64_t v) { sqlite3_bind_int64(m_stmt, i, v); }

private:
    sqlite3_stmt* m_stmt = nullptr;
};

std::int64_t as_i64(std::uint64_t v) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v, static_cast<std::uint64_t>(INT64_MAX)));
}

base::Bytes ip_bytes(const addrbook::IpAddress& ip) {
    const auto& b = ip.bytes();
    if (ip.is_v4()) return base::Bytes(b.begin() + 12, b.end());
    return base::Bytes(b.begin(), b.end());
}

std::optional<addrbook::IpAddress> ip_from(const void* data, int size) {
    if (data == nullptr) return std::nullopt;
    const auto* p = static_cast<const std::uint8_t*>(data);
    if (size == 4)
        return addrbook::IpAddress::v4(std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 |
                                       std::uint32_t{p[2]} << 8 | std::uint32_t{p[3]});
    if (size == 16) {
        std::array<std::uint8_t, 16> a{};
        std::copy(p, p + 16, a.begin());
        return addrbook::IpAddress::v6(a);
    }
    return std::nullopt;
}

std::uint64_t column_u64(sqlite3_stmt* s, int i) {
    const auto v = sqlite3_column_int64(s, i);
    return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}

/// Opens and checks a database file; nullptr with a message when it is not usable.
sqlite3* try_open(const std::string& name, std::string& error) {
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(name.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        error = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return nullptr;
    }
    sqlite3_busy_timeout(db, 1000);
    // WAL and synchronous=NORMAL: a commit costs no fsync of the main file; losing the last batch on a
    // power cut is acceptable for a cache of the network.
    const char* setup = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;";
    char* message = nullptr;
    bool good = sqlite3_exec(db, setup, nullptr, nullptr, &message) == SQLITE_OK;
    if (good) {
        // quick_check reads every page: garbage that happens to pass the header check is caught here.
        Stmt check(db, "PRAGMA quick_check");
        good = check.ok() && sqlite3_step(check.get()) == SQLITE_ROW;
        if (good) {
            const auto* text = sqlite3_column_text(check.get(), 0);
            good = text != nullptr && std::string(reinterpret_cast<const char*>(text)) == "ok";
            if (!good) error = "integrity check failed";
        } else {
            error = sqlite3_errmsg(db);
        }
    } else {
        error = message != nullptr ? message : sqlite3_errmsg(db);
    }
    sqlite3_free(message);
    if (good && sqlite3_exec(db, k_schema, nullptr, nullptr, &message) != SQLITE_OK) {
        error = message != nullptr ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        good = false;
    }
    if (!good) {
        sqlite3_close(db);
        return nullptr;
    }
    return db;
}

}  // namespace

const std::error_category& NodeDbErrc_category() {
    static const base::MessageCategory category("devp2p.nodedb", describe);
    return category;
}

base::Result<std::unique_ptr<NodeDb>> NodeDb::open(const std::filesystem::path& path, std::uint64_t now_unix,
                                                   NodeDbOptions options) {
    const std::string name = path.empty() ? std::string(":memory:") : path.string();
    std::string error;
    sqlite3* db = try_open(name, error);
    if (db == nullptr && !path.empty()) {
        std::error_code ec;
        if (std::filesystem::exists(path, ec)) {
            auto aside = path;
            aside += ".corrupt-" + std::to_string(now_unix);
            std::filesystem::rename(path, aside, ec);
            if (ec) {
                logger().error("node database {}: unusable ({}) and cannot be moved aside: {}", name, error,
                               ec.message());
                return base::fail(NodeDbErrc::open_failed);
            }
            // The journal files belong to the corrupt file, not to the new one.
            for (const char* suffix : {"-wal", "-shm"}) {
                auto side = path;
                side += suffix;
                std::filesystem::remove(side, ec);
            }
            logger().warn("node database {} is corrupt ({}); moved it to {} and starting a fresh one", name,
                          error, aside.string());
            db = try_open(name, error);
        }
    }
    if (db == nullptr) {
        logger().error("node database {}: cannot open: {}", name, error);
        return base::fail(NodeDbErrc::open_failed);
    }
    std::unique_ptr<NodeDb> out(new NodeDb(db, path, options));

    // Schema version: a database of another version is emptied (geth ensureVersion).
    std::optional<std::int64_t> version;
    {
        Stmt s(db, "SELECT value FROM meta WHERE key = 'version'");
        if (!s.ok()) return base::fail(NodeDbErrc::query_failed);
        if (sqlite3_step(s.get()) == SQLITE_ROW) version = sqlite3_column_int64(s.get(), 0);
    }
    if (version != k_schema_version) {
        if (version)
            logger().info("node database {}: schema version {} replaced by {}", name, *version,
                          k_schema_version);
        PEERLINK_TRY(out->exec("DELETE FROM nodes"));
        Stmt s(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('version', ?1)");
        if (!s.ok()) return base::fail(NodeDbErrc::query_failed);
        s.integer(1, k_schema_version);
        if (sqlite3_step(s.get()) != SQLITE_DONE) return base::fail(NodeDbErrc::query_failed);
    }
    (void)out->expire(now_unix);
    PEERLINK_TRY(out->commit());
    return out;
}

NodeDb::NodeDb(sqlite3* db, std::filesystem::path path, NodeDbOptions options)
    : m_db(db), m_path(std::move(path)), m_options(options) {}

NodeDb::~NodeDb() {
    if (!commit().ok()) logger().warn("node database {}: last batch not written", m_path.string());
    sqlite3_close(m_db);
}

base::Result<void> NodeDb::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        logger().warn("node database {}: {}: {}", m_path.string(), sql,
                      message != nullptr ? message : sqlite3_errmsg(m_db));
        sqlite3_free(message);
        return base::fail(NodeDbErrc::query_failed);
    }
    return {};
}

base::Result<void> NodeDb::commit() {
    if (m_in_transaction) {
        PEERLINK_TRY(exec("COMMIT"));
        m_in_transaction = false;
    }
    m_dirty = false;
    return {};
}

base::Result<void> NodeDb::upsert(const secp::PublicKey& key, const addrbook::IpAddress& ip,
                                  std::uint16_t udp_port, std::uint16_t tcp_port, std::uint64_t ping,
                                  std::uint64_t pong) {
    if (!m_in_transaction) {
        PEERLINK_TRY(exec("BEGIN"));
        m_in_transaction = true;
    }
    // Proofs are per endpoint (geth keys them by ID and IP): a new IP starts over.
    Stmt s(m_db, R"sql(
INSERT INTO nodes(id, pubkey, ip, udp, tcp, last_ping, last_pong) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT(id) DO UPDATE SET
    last_ping = CASE WHEN nodes.ip = excluded.ip THEN max(nodes.last_ping, excluded.last_ping)
                     ELSE excluded.last_ping END,
    last_pong = CASE WHEN nodes.ip = excluded.ip THEN max(nodes.last_pong, excluded.last_pong)
                     ELSE excluded.last_pong END,
    find_fails = CASE WHEN nodes.ip = excluded.ip THEN nodes.find_fails ELSE 0 END,
    ip = excluded.ip, udp = excluded.udp, tcp = excluded.tcp)sql");
    if (!s.ok()) return base::fail(NodeDbErrc::query_failed);
    const auto id = crypto::keccak256(key);
    const auto ipb = ip_bytes(ip);
    s.blob(1, id.data(), id.size());
    s.blob(2, key.data(), key.size());
    s.blob(3, ipb.data(), ipb.size());
    s.integer(4, udp_port);
    s.integer(5, tcp_port);
    s.integer(6, as_i64(ping));
    s.integer(7, as_i64(pong));
    if (sqlite3_step(s.get()) != SQLITE_DONE) return base::fail(NodeDbErrc::query_failed);
    m_dirty = true;
    if (++m_upserts >= 1000) (void)enforce_cap();
    return {};
}

base::Result<void> NodeDb::record_pong(const secp::PublicKey& key, const addrbook::IpAddress& ip,
                                       std::uint16_t udp_port, std::uint16_t tcp_port, std::uint64_t when) {
    return upsert(key, ip, udp_port, tcp_port, 0, when);
}

base::Result<void> NodeDb::record_ping(const secp::PublicKey& key, const addrbook::IpAddress& ip,
                                       std::uint16_t udp_port, std::uint16_t tcp_port, std::uint64_t when) {
    return upsert(key, ip, udp_port, tcp_port, when, 0);
}

base::Result<void> NodeDb::record_find_failure(const secp::PublicKey& key) {
    if (!m_in_transaction) {
        PEERLINK_TRY(exec("BEGIN"));
        m_in_transaction = true;
    }
    Stmt s(m_db, "UPDATE nodes SET find_fails = min(find_fails + 1, ?2) WHERE id = ?1");
    if (!s.ok()) return base::fail(NodeDbErrc::query_failed);
    const auto id = crypto::keccak256(key);
    s.blob(1, id.data(), id.size());
    s.integer(2, k_max_find_fails);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return base::fail(NodeDbErrc::query_failed);
    m_dirty = true;
    return {};
}

base::Result<void> NodeDb::record_find_success(const secp::PublicKey& key) {
    if (!m_in_transaction) {
        PEERLINK_TRY(exec("BEGIN"));
        m_in_transaction = true;
    }
    Stmt s(m_db, "UPDATE nodes SET find_fails = find_fails - 1 WHERE id = ?1 AND find_fails > 0");
    if (!s.ok()) return base::fail(NodeDbErrc::query_failed);
    const auto id = crypto::keccak256(key);
    s.blob(1, id.data(), id.size());
    if (sqlite3_step(s.get()) != SQLITE_DONE) return base::fail(NodeDbErrc::query_failed);
    m_dirty = true;
    return {};
}

base::Result<void> NodeDb::store_record(const enr::Record& record) {
    if (!m_in_transaction) {
        PEERLINK_TRY(exec("BEGIN"));
        m_in_transaction = true;
    }
    Stmt s(m_db,
           "UPDATE nodes SET enr_seq = ?2, enr = ?3 WHERE id = ?1 AND (enr_seq IS NULL OR enr_seq <= ?2)");
    if (!s.ok()) return base::fail(NodeDbErrc::query_failed);
    const auto id = record.node_id();
    s.blob(1, id.data(), id.size());
    s.integer(2, as_i64(record.seq()));
    s.blob(3, record.encoded().data(), record.encoded().size());
    if (sqlite3_step(s.get()) != SQLITE_DONE) return base::fail(NodeDbErrc::query_failed);
    m_dirty = true;
    return {};
}

std::optional<NodeDbEntry> NodeDb::read_row(sqlite3_stmt* s) const {
    // Columns: pubkey, ip, udp, tcp, last_ping, last_pong, find_fails, enr. The file is ours, but it can
    // still have been edited or damaged: rows that do not check out are skipped.
    NodeDbEntry e;
    const void* pk = sqlite3_column_blob(s, 0);
    if (pk == nullptr || sqlite3_column_bytes(s, 0) != static_cast<int>(e.key.size())) return std::nullopt;
    std::copy_n(static_cast<const std::uint8_t*>(pk), e.key.size(), e.key.begin());
    auto ip = ip_from(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
    if (!ip) return std::nullopt;
    e.ip = *ip;
    const auto udp = sqlite3_column_int64(s, 2);
    const auto tcp = sqlite3_column_int64(s, 3);
    if (udp < 0 || udp > 65535 || tcp < 0 || tcp > 65535) return std::nullopt;
    e.udp_port = static_cast<std::uint16_t>(udp);
    e.tcp_port = static_cast<std::uint16_t>(tcp);
    e.last_ping = column_u64(s, 4);
    e.last_pong = column_u64(s, 5);
    e.find_fails = static_cast<std::uint32_t>(std::min<std::uint64_t>(column_u64(s, 6), k_max_find_fails));
    if (const void* r = sqlite3_column_blob(s, 7); r != nullptr) {
        const auto size = sqlite3_column_bytes(s, 7);
        if (size > 0 && static_cast<std::size_t>(size) <= enr::k_max_size) {
            auto record = enr::Record::decode(
                base::ByteView(static_cast<const std::uint8_t*>(r), static_cast<std::size_t>(size)));
            if (record.ok() && record->public_key() == e.key) e.record = std::move(*record);
        }
    }
    return e;
}

std::optional<NodeDbEntry> NodeDb::get(const secp::PublicKey& key) const {
    Stmt s(m_db,
           "SELECT pubkey, ip, udp, tcp, last_ping, last_pong, find_fails, enr FROM nodes WHERE id = ?1");
    if (!s.ok()) return std::nullopt;
    const auto id = crypto::keccak256(key);
    s.blob(1, id.data(), id.size());
    if (sqlite3_step(s.get()) != SQLITE_ROW) return std::nullopt;
    return read_row(s.get());
}

std::vector<NodeDbEntry> NodeDb::query_seeds(std::size_t n, std::chrono::seconds max_age,
                                             std::uint64_t now_unix) const {
    std::vector<NodeDbEntry> out;
    if (n == 0) return out;
    Stmt s(m_db,
           "SELECT pubkey, ip, udp, tcp, last_ping, last_pong, find_fails, enr FROM nodes "
           "WHERE last_pong > 0 AND last_pong >= ?1 ORDER BY random() LIMIT ?2");
    if (!s.ok()) return out;
    const auto age = static_cast<std::uint64_t>(std::max<std::int64_t>(max_age.count(), 0));
    s.integer(1, as_i64(now_unix > age ? now_unix - age : 0));
    s.integer(2, as_i64(n));
    while (sqlite3_step(s.get()) == SQLITE_ROW && out.size() < n)
        if (auto e = read_row(s.get())) out.push_back(std::move(*e));
    return out;
}

std::size_t NodeDb::expire(std::uint64_t now_unix) {
    if (!m_in_transaction) {
        if (!exec("BEGIN").ok()) return 0;
        m_in_transaction = true;
    }
    const auto ttl = static_cast<std::uint64_t>(m_options.node_expiration.count());
    const auto threshold = as_i64(now_unix > ttl ? now_unix - ttl : 0);
    std::size_t removed = 0;
    {
        // geth expireNodes deletes nodes whose last Pong is too old; a node that never answered is kept
        // there forever, here only as long as it keeps pinging us.
        Stmt s(m_db,
               "DELETE FROM nodes WHERE (last_pong > 0 AND last_pong < ?1) OR (last_pong = 0 AND last_ping < "
               "?1)");
        if (!s.ok()) return 0;
        s.integer(1, threshold);
        if (sqlite3_step(s.get()) == SQLITE_DONE) removed += static_cast<std::size_t>(sqlite3_changes(m_db));
    }
    removed += enforce_cap();
    if (removed > 0) m_dirty = true;
    return removed;
}

std::size_t NodeDb::enforce_cap() {
    m_upserts = 0;
    std::size_t removed = 0;
    const std::size_t rows = size();
    if (rows > m_options.max_nodes) {
        Stmt s(m_db,
               "DELETE FROM nodes WHERE id IN (SELECT id FROM nodes ORDER BY max(last_pong, last_ping) ASC "
               "LIMIT ?1)");
        if (s.ok()) {
            s.integer(1, as_i64(rows - m_options.max_nodes));
            if (sqlite3_step(s.get()) == SQLITE_DONE)
                removed += static_cast<std::size_t>(sqlite3_changes(m_db));
        }
    }
    if (removed > 0) m_dirty = true;
    return removed;
}

std::size_t NodeDb::size() const {
    Stmt s(m_db, "SELECT count(*) FROM nodes");
    if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return 0;
    return static_cast<std::size_t>(std::max<std::int64_t>(sqlite3_column_int64(s.get(), 0), 0));
}

}  // namespace peerlink::devp2p
