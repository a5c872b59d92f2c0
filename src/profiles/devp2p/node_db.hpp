// geth's discovery node database (p2p/enode/nodedb.go, v1.12) on SQLite: per node its endpoint, the last
// Ping from it and Pong to us, FindNode failures and its latest ENR; seeds for the table on restart.
// Writes are batched in one transaction committed by commit(). A corrupt file is set aside, not fatal.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "addrbook/netgroup.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/enr.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace peerlink::devp2p {

enum class NodeDbErrc {
    open_failed = 1,  // the file cannot be opened or created, even after setting a corrupt one aside
    query_failed,     // an SQLite statement failed (disk full, I/O error)
};
PEERLINK_DECLARE_ERRC(NodeDbErrc)

struct NodeDbEntry {
    crypto::secp256k1::PublicKey key{};
    addrbook::IpAddress ip;
    std::uint16_t udp_port = 0;
    std::uint16_t tcp_port = 0;
    std::uint64_t last_ping = 0;  // Unix seconds of the last Ping from the node; 0: never
    std::uint64_t last_pong = 0;  // Unix seconds of the last Pong from the node; 0: never
    std::uint32_t find_fails = 0;
    std::optional<enr::Record> record;
};

struct NodeDbOptions {
    /// geth dbNodeExpiration: nodes without a Pong (or, never ponged, a Ping) for this long are deleted.
    std::chrono::seconds node_expiration = std::chrono::hours(24);
    /// Bound on the rows; beyond it the least recently heard-from nodes go first.
    std::size_t max_nodes = 100'000;
};

class NodeDb {
public:
    /// Opens or creates the database at `path` (empty: in memory). A file that is not a readable node
    /// database is renamed to `<path>.corrupt-<now_unix>` and a fresh one is created. Expires old
    /// nodes once (geth expires at start and every hour; call expire() for the latter).
    static base::Result<std::unique_ptr<NodeDb>> open(const std::filesystem::path& path,
                                                      std::uint64_t now_unix, NodeDbOptions options = {});
    ~NodeDb();
    NodeDb(const NodeDb&) = delete;
    NodeDb& operator=(const NodeDb&) = delete;

    /// The node's Pong arrived at `when`: its endpoint is stored (a new IP resets the other fields).
    base::Result<void> record_pong(const crypto::secp256k1::PublicKey& key, const addrbook::IpAddress& ip,
                                   std::uint16_t udp_port, std::uint16_t tcp_port, std::uint64_t when);
    /// We answered the node's Ping at `when`.
    base::Result<void> record_ping(const crypto::secp256k1::PublicKey& key, const addrbook::IpAddress& ip,
                                   std::uint16_t udp_port, std::uint16_t tcp_port, std::uint64_t when);
    /// A FindNode to the node timed out (capped at 1000).
    base::Result<void> record_find_failure(const crypto::secp256k1::PublicKey& key);
    /// The node answered a FindNode: one failure is forgiven (geth decrements, it does not reset).
    base::Result<void> record_find_success(const crypto::secp256k1::PublicKey& key);
    /// Stores the node's record unless a newer one (higher seq) is stored; the node must be known.
    base::Result<void> store_record(const enr::Record& record);

    [[nodiscard]] std::optional<NodeDbEntry> get(const crypto::secp256k1::PublicKey& key) const;
    /// geth QuerySeeds: up to n random distinct nodes whose last Pong is within max_age of now_unix.
    [[nodiscard]] std::vector<NodeDbEntry> query_seeds(std::size_t n, std::chrono::seconds max_age,
                                                       std::uint64_t now_unix) const;
    /// Deletes expired nodes and enforces max_nodes; returns how many went.
    std::size_t expire(std::uint64_t now_unix);
    [[nodiscard]] std::size_t size() const;

    /// Commits the current batch of writes and starts the next one. Cheap when nothing changed.
    base::Result<void> commit();
    [[nodiscard]] bool dirty() const { return m_dirty; }
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
    NodeDb(sqlite3* db, std::filesystem::path path, NodeDbOptions options);
    base::Result<void> exec(const char* sql);
    base::Result<void> upsert(const crypto::secp256k1::PublicKey& key, const addrbook::IpAddress& ip,
                              std::uint16_t udp_port, std::uint16_t tcp_port, std::uint64_t ping,
                              std::uint64_t pong);
    [[nodiscard]] std::optional<NodeDbEntry> read_row(sqlite3_stmt* stmt) const;
    std::size_t enforce_cap();

    sqlite3* m_db = nullptr;
    std::filesystem::path m_path;
    NodeDbOptions m_options;
    bool m_dirty = false;
    bool m_in_transaction = false;
    /// Upserts since the row cap was last checked: a flood of new nodes cannot outgrow it between
    /// the driver's expire() calls.
    std::size_t m_upserts = 0;
};

}  // namespace peerlink::devp2p

PEERLINK_ERROR_ENUM_TRAIT(peerlink::devp2p::NodeDbErrc)
