// The discv4 protocol as a sans-I/O state machine over discovery::KadTable (geth p2p/discover/v4_udp.go,
// v1.12): ping/pong bonding with endpoint proof, reply matching with deadlines, Neighbors answers,
// ENR requests and answers, revalidation and iterative lookups. Datagrams in, datagrams and events out;
// no node database (the driver keeps one from the events).
// Network thread only; the caller passes the steady time and the Unix time (for packet expirations).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "discovery/kad_lookup.hpp"
#include "discovery/kad_table.hpp"
#include "profiles/devp2p/discv4_packet.hpp"
#include "profiles/devp2p/enr.hpp"

namespace peerlink::devp2p::discv4 {

struct UdpAddress {
    addrbook::IpAddress ip;
    std::uint16_t port = 0;
    friend bool operator==(const UdpAddress&, const UdpAddress&) = default;
};

struct Datagram {
    UdpAddress to;
    base::Bytes bytes;
};

struct Options {
    /// Our advertised endpoint (Ping's from, and our ENR).
    Endpoint self;
    std::uint64_t enr_seq = 1;
    /// geth respTimeout: how long a reply may take.
    base::Duration response_timeout = std::chrono::milliseconds(500);
    /// geth bondExpiration: a pong proves an endpoint for this long.
    base::Duration bond_expiration = std::chrono::hours(24);
    /// Expiration we put in our packets (geth expiration = 20 s).
    std::uint64_t packet_lifetime_s = 20;
    /// Bounds on what remote peers can make us remember.
    std::size_t max_pending = 512;
    std::size_t max_bonds = 10'000;
    std::size_t max_lookups = 8;
    discovery::KadTableOptions table{};
    discovery::KadLookupOptions lookup{};
    /// geth netrestrict: nodes named in Neighbors outside the allowed networks are ignored. Empty: all.
    std::function<bool(const addrbook::IpAddress&)> ip_allowed;
};

/// What happened inside the core, for the driver (node database, callbacks). Taken with take_events().
struct Event {
    enum class Kind : std::uint8_t {
        pong,           // `node` answered our Ping: its endpoint is proven (geth LastPongReceived)
        pinged_by,      // we answered a Ping from `node` (geth LastPingReceived)
        added,          // `node` entered the table verified
        find_failed,    // `node` did not answer a FindNode in time (geth FindFails)
        find_answered,  // `node` answered a FindNode
        seen,           // `node` was named in a Neighbors answer to us (not verified)
        ping_done,      // request `request` of ping_request(): ok, rtt
        enr_done,       // request `request` of request_enr(): ok, record
    };
    Kind kind = Kind::pong;
    discovery::KadNode node;
    std::uint64_t request = 0;
    bool ok = false;
    base::Duration rtt{};
    std::optional<std::uint64_t> enr_seq;  // pong: the seq the node advertises
    std::optional<enr::Record> record;     // enr_done
};

/// discv4 node ID: Keccak-256 of the 64-byte public key.
discovery::KadId node_id(const PublicKey& key);

class Discv4 {
public:
    Discv4(const crypto::secp256k1::SecretKey& key, Options options, base::Random& random,
           base::TimePoint now);

    [[nodiscard]] const discovery::KadId& self_id() const { return m_table.self(); }
    [[nodiscard]] const PublicKey& public_key() const { return m_public_key; }
    [[nodiscard]] const enr::Record& record() const { return m_record; }
    [[nodiscard]] const discovery::KadTable& table() const { return m_table; }

    /// One datagram from `from`. Errors say why it was dropped (for statistics); none is fatal.
    base::Result<void> handle_packet(base::ByteView datagram, const UdpAddress& from, base::TimePoint now,
                                     std::uint64_t now_unix);
    /// Pings a node (a bootstrap node, say); when it answers it joins the table as verified.
    void ping(const PublicKey& key, const UdpAddress& to, base::TimePoint now, std::uint64_t now_unix);
    /// ping() that reports its outcome as a ping_done event with the returned request ID (never 0);
    /// 0 when max_pending requests are outstanding.
    std::uint64_t ping_request(const PublicKey& key, const UdpAddress& to, base::TimePoint now,
                               std::uint64_t now_unix, std::uint16_t tcp_port = 0);
    /// geth RequestENR: an ENRRequest to the node (after a Ping when it may not know us), answered by an
    /// enr_done event; the record must be signed by `key`. 0 when max_pending requests are outstanding.
    std::uint64_t request_enr(const PublicKey& key, const UdpAddress& to, base::TimePoint now,
                              std::uint64_t now_unix, std::uint16_t tcp_port = 0);
    /// A node from elsewhere (bootnode, node database): added to the table unverified (geth
    /// addSeenNode), so that lookups can start from it.
    discovery::KadTable::AddResult add_seed(const discovery::KadNode& node, base::TimePoint now);
    /// Endpoint proofs remembered from an earlier run (geth keeps them in its node database):
    /// `last_pong` (they proved their endpoint to us) and `last_ping` (they hold our proof), each
    /// ignored when absent or older than bond_expiration. A restarted node can then answer and ask
    /// FindNode without pinging again.
    void restore_bond(const discovery::KadId& id, const addrbook::IpAddress& ip,
                      std::optional<base::TimePoint> last_pong, std::optional<base::TimePoint> last_ping,
                      base::TimePoint now);
    /// Removes a node from the table (geth: after maxFindnodeFailures); false if absent.
    bool remove_node(const discovery::KadId& id) { return m_table.remove(id); }
    /// Events since the last call.
    std::vector<Event> take_events();

    /// Fires reply deadlines, delayed FindNodes and revalidation; call at next_wakeup() or later.
    void tick(base::TimePoint now, std::uint64_t now_unix);
    [[nodiscard]] base::TimePoint next_wakeup() const;

    /// Starts a lookup for the node ID of `target` (geth encodes targets as public keys); nullopt when
    /// max_lookups are running.
    std::optional<std::uint64_t> start_lookup(const PublicKey& target, base::TimePoint now,
                                              std::uint64_t now_unix);
    [[nodiscard]] bool lookup_done(std::uint64_t id) const;
    /// The result of a finished lookup, closest first; the lookup is forgotten.
    std::optional<std::vector<discovery::KadNode>> take_lookup_result(std::uint64_t id);

    /// Datagrams produced since the last call.
    std::vector<Datagram> take_outgoing();

private:
    enum class Purpose : std::uint8_t { bond, revalidate, find_node, enr };
    struct Pending {
        Purpose purpose = Purpose::bond;
        discovery::KadNode node;  // whom we asked; bond/revalidate: the node to add or refresh
        Hash ping_hash{};         // Pong (ENRResponse) must echo it
        base::TimePoint sent_at{};
        std::vector<std::uint64_t> requests;  // bond: ping_request() IDs; enr: the request_enr() ID
        base::TimePoint deadline{};
        std::uint64_t lookup = 0;
        bool answered = false;  // find_node: at least one Neighbors packet came
        std::vector<discovery::KadNode> received;
    };
    struct DelayedFind {
        discovery::KadNode node;
        std::uint64_t lookup = 0;
        base::TimePoint send_at{};
        std::uint64_t enr_request = 0;  // non-zero: an ENRRequest, not a FindNode
    };
    struct LookupState {
        discovery::KadLookup lookup;
        PublicKey target{};  // FindNode carries the target as a public key
    };
    struct Bond {
        addrbook::IpAddress ip;
        std::optional<base::TimePoint> last_pong;  // they proved their endpoint to us
        std::optional<base::TimePoint> last_ping;  // we answered them, so they hold our proof
    };

    void send(const Message& message, const UdpAddress& to, Hash* hash = nullptr);
    bool send_ping(const discovery::KadNode& node, Purpose purpose, base::TimePoint now,
                   std::uint64_t now_unix, std::uint64_t request = 0);
    bool send_find_node(const discovery::KadNode& node, std::uint64_t lookup, base::TimePoint now,
                        std::uint64_t now_unix);
    void query(const discovery::KadNode& node, std::uint64_t lookup, base::TimePoint now,
               std::uint64_t now_unix);
    bool send_enr_request(const discovery::KadNode& node, std::uint64_t request, base::TimePoint now,
                          std::uint64_t now_unix);
    void send_delayed(const DelayedFind& d, base::TimePoint now, std::uint64_t now_unix);
    void emit(Event::Kind kind, const discovery::KadNode& node);
    void fail_requests(const Pending& p);
    void advance_lookup(std::uint64_t id, base::TimePoint now, std::uint64_t now_unix);
    void finish_find_node(Pending& p, base::TimePoint now, std::uint64_t now_unix);

    base::Result<void> on_ping(const Packet& packet, const Ping& ping, const UdpAddress& from,
                               base::TimePoint now, std::uint64_t now_unix);
    base::Result<void> on_pong(const Packet& packet, const Pong& pong, const UdpAddress& from,
                               base::TimePoint now);
    base::Result<void> on_find_node(const Packet& packet, const FindNode& find, const UdpAddress& from,
                                    base::TimePoint now, std::uint64_t now_unix);
    base::Result<void> on_neighbors(const Packet& packet, const Neighbors& neighbors, const UdpAddress& from,
                                    base::TimePoint now, std::uint64_t now_unix);
    base::Result<void> on_enr_request(const Packet& packet, const UdpAddress& from, base::TimePoint now);
    base::Result<void> on_enr_response(const Packet& packet, const EnrResponse& response,
                                       const UdpAddress& from, base::TimePoint now);
    [[nodiscard]] bool they_know_us(const discovery::KadNode& node, base::TimePoint now) const;

    [[nodiscard]] bool has_proof(const discovery::KadId& id, const addrbook::IpAddress& ip,
                                 base::TimePoint now) const;
    Bond* bond_of(const discovery::KadId& id, const addrbook::IpAddress& ip, base::TimePoint now);
    [[nodiscard]] std::uint64_t expiration(std::uint64_t now_unix) const {
        return now_unix + m_options.packet_lifetime_s;
    }

    crypto::secp256k1::SecretKey m_key;
    PublicKey m_public_key{};
    Options m_options;
    enr::Record m_record;
    discovery::KadTable m_table;
    std::vector<Pending> m_pending;
    std::vector<DelayedFind> m_delayed;
    std::map<discovery::KadId, Bond> m_bonds;
    std::map<std::uint64_t, LookupState> m_lookups;
    std::uint64_t m_next_lookup = 1;
    std::uint64_t m_next_request = 1;
    std::vector<Event> m_events;
    base::TimePoint m_next_revalidation{};
    std::vector<Datagram> m_outgoing;
};

}  // namespace peerlink::devp2p::discv4
