// discv4 on Asio UDP (geth p2p/discover UDPv4 + Table loops, v1.12): drives the sans-I/O Discv4 core
// with a socket and a timer, persists nodes in the node database, refreshes the table and runs lookups.
// Network thread only (the io_context's thread); callbacks run on it as well.
#pragma once
#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "addrbook/netgroup.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/discv4.hpp"
#include "profiles/devp2p/enode.hpp"
#include "profiles/devp2p/enr.hpp"

namespace peerlink::devp2p {

class NodeDb;

struct Discv4ServiceOptions {
    std::string listen_host = "0.0.0.0";
    std::uint16_t listen_port = 0;  // 0: any free port
    /// The address we advertise (Ping's from, our ENR, self()); default: the bound address, or
    /// 127.0.0.1 when bound to the unspecified address.
    std::optional<addrbook::IpAddress> external_ip;
    std::uint16_t tcp_port = 0;  // the advertised RLPx port
    std::vector<Enode> bootnodes;
    /// CIDRs ("10.0.0.0/8", "2001:db8::/32"); when non-empty, packets from and nodes outside them are
    /// ignored (geth's netrestrict).
    std::vector<std::string> net_restrict;
    /// SQLite node database; empty: in-memory only (nothing survives a restart).
    std::filesystem::path node_db;
    /// geth refreshInterval: random-target lookups this often (and at once when the table is empty).
    base::Duration refresh_interval = std::chrono::minutes(30);
    /// geth seedCount / seedMaxAge: nodes taken from the database on start.
    std::size_t seed_count = 30;
    std::chrono::seconds seed_max_age = std::chrono::hours(5 * 24);
    /// Bound on user requests (ping/lookup/resolve) waiting for an answer; more fail at once.
    std::size_t max_requests = 256;
    /// Protocol options; `self` is filled in by start() from the bound socket and the fields above.
    discv4::Options protocol;
};

/// Why datagrams were dropped, for statistics (the reason is also logged at debug level).
enum class Discv4Drop : std::uint8_t {
    malformed,     // decode failed: size, hash, signature, type or RLP
    expired,       // the packet's expiration lies in the past
    unsolicited,   // a reply matching none of our requests, or from ourselves
    unknown_node,  // FindNode / ENRRequest without an endpoint proof
    net_restrict,  // the sender is outside net_restrict
    other,
    count
};
std::string_view to_string(Discv4Drop reason);

struct Discv4Stats {
    std::uint64_t packets_in = 0;
    std::uint64_t packets_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t send_errors = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(Discv4Drop::count)> dropped{};
    [[nodiscard]] std::uint64_t dropped_total() const;
};

class Discv4Service {
public:
    Discv4Service(asio::io_context& io, crypto::secp256k1::KeyPair key, Discv4ServiceOptions options);
    ~Discv4Service();
    Discv4Service(const Discv4Service&) = delete;
    Discv4Service& operator=(const Discv4Service&) = delete;

    /// Binds UDP, opens the node database, pings the bootnodes, seeds the table from the database and
    /// starts the refresh loop (a self lookup first, as geth's doRefresh).
    base::Result<void> start();
    /// Closes the socket, flushes the database; pending requests complete with failure.
    void stop();
    [[nodiscard]] bool running() const { return m_running; }

    [[nodiscard]] std::uint16_t local_port() const;
    [[nodiscard]] Enode self() const;
    [[nodiscard]] const enr::Record& record() const;

    /// Up to n random live table nodes (geth ReadRandomNodes), for the dialer.
    std::vector<Enode> random_nodes(std::size_t n);
    /// Every node in the table (not the replacements).
    [[nodiscard]] std::vector<Enode> table_nodes() const;
    /// Called when a node enters the table verified by a pong (at most once per table stay).
    std::function<void(const Enode&)> on_node_added;
    /// Called for every node a Neighbors answer names to us (unverified; crawlers collect these).
    std::function<void(const Enode&)> on_node_seen;

    /// Pings `node`; done(true, rtt) on its Pong, done(false, nullopt) on timeout or when stopped.
    void ping(const Enode& node,
              std::function<void(bool ok, std::optional<std::chrono::milliseconds> rtt)> done);
    /// Iterative lookup for target's neighbours; done gets the closest nodes found (maybe none).
    void lookup(const crypto::secp256k1::PublicKey& target, std::function<void(std::vector<Enode>)> done);
    /// The node's current record via ENRRequest (bonding first when needed); nullopt on failure.
    void request_enr(const Enode& node, std::function<void(std::optional<enr::Record>)> done);
    /// geth Resolve: the latest endpoint via ENRRequest (newer seq wins), else a lookup for its ID;
    /// nullopt when neither finds it.
    void resolve(const Enode& node, std::function<void(std::optional<Enode>)> done);

    [[nodiscard]] std::size_t table_size() const;
    [[nodiscard]] const Discv4Stats& stats() const { return m_stats; }
    /// The record we last got from a node (ENRResponse), if any; for crawlers.
    [[nodiscard]] std::optional<enr::Record> known_record(const crypto::secp256k1::PublicKey& id) const;

private:
    struct Cidr {
        addrbook::IpAddress net;
        unsigned bits = 0;
    };
    struct WaitingLookup {
        crypto::secp256k1::PublicKey target{};
        std::function<void(std::vector<Enode>)> done;
    };

    [[nodiscard]] std::uint64_t now_unix() const;
    [[nodiscard]] bool allowed(const addrbook::IpAddress& ip) const;
    void receive();
    void on_datagram(std::size_t size);
    /// After every input: send the core's datagrams, handle its events, run finished callbacks, re-arm.
    void after();
    void flush_outgoing();
    void process_events();
    void arm_timer();
    void on_timer();
    void load_seeds();
    void refresh();
    void refresh_step(int step);
    void start_waiting_lookups();
    void schedule_refresh(base::Duration delay);
    void schedule_db_commit();
    void flush_db();
    void complete_all();
    [[nodiscard]] bool requests_full() const;

    asio::io_context& m_io;
    crypto::secp256k1::KeyPair m_key;
    Discv4ServiceOptions m_options;
    std::vector<Cidr> m_restrict;
    base::Random m_random;
    asio::ip::udp::socket m_socket;
    asio::steady_timer m_timer;
    asio::steady_timer m_refresh_timer;
    asio::steady_timer m_db_timer;
    asio::ip::udp::endpoint m_sender;
    std::array<std::uint8_t, discv4::k_max_packet_size> m_buffer{};
    std::unique_ptr<discv4::Discv4> m_core;
    std::unique_ptr<NodeDb> m_db;
    std::map<std::uint64_t, std::function<void(bool, std::optional<std::chrono::milliseconds>)>> m_pings;
    std::map<std::uint64_t, std::function<void(std::vector<Enode>)>> m_lookups;
    std::deque<WaitingLookup> m_waiting;  // beyond the core's max_lookups
    std::map<std::uint64_t, std::function<void(std::optional<enr::Record>)>> m_enr_requests;
    std::map<crypto::secp256k1::PublicKey, enr::Record> m_records;  // bounded (10000)
    std::set<discovery::KadId> m_announced;                         // on_node_added fired for these
    bool m_refreshing = false;
    bool m_running = false;
    bool m_in_after = false;
    bool m_again = false;
    bool m_timer_armed = false;
    base::TimePoint m_armed_for{};
    base::TimePoint m_last_refresh{};
    base::TimePoint m_next_expire{};
    Discv4Stats m_stats;
    /// Shared with the completion handlers so they notice the service is gone.
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace peerlink::devp2p
