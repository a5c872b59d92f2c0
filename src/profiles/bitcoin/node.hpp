// A small Bitcoin P2P node on Asio: listens, keeps an outbound target drawn from the address book
// (one outbound peer per netgroup, seeded from DNS or fixed seeds), redials permanent peers on
// btcd's schedule (5 s x attempts, capped at 5 min), relays addresses (addrv2 to BIP155 peers),
// trickles inventory announcements and discourages misbehaving peers. Outbound slots, redials and
// inbound admission are the shared connmgr::ConnManager's, with Bitcoin's parameters.
// Network thread only.
#pragma once
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "addrbook/addr_book.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "connmgr/book_source.hpp"
#include "connmgr/conn_manager.hpp"
#include "profiles/bitcoin/address_relay.hpp"
#include "profiles/bitcoin/connection.hpp"
#include "profiles/bitcoin/inventory.hpp"
#include "profiles/bitcoin/network.hpp"
#include "profiles/bitcoin/outbound.hpp"
#include "profiles/bitcoin/peer_state.hpp"

namespace peerlink::bitcoin {

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    [[nodiscard]] std::string to_string() const;
    /// HOST:PORT or [V6]:PORT.
    static std::optional<Endpoint> parse(std::string_view text);
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct NodeOptions {
    const NetworkParams* network = &regtest();
    /// Not listening when nullopt; 0 picks a free port.
    std::optional<std::uint16_t> listen_port;
    std::string listen_host = "127.0.0.1";
    /// Outbound peers drawn from the address book (Core and btcd: 8).
    std::size_t target_outbound = 8;
    std::size_t max_inbound = 117;
    /// Inbound handshakes plus dials in flight; past it inbound sockets are refused and book dials
    /// wait, and one-shot dials queue (at most 256). Core has no such cap: keep it above a
    /// crawler's fan-out.
    std::size_t max_pending_handshakes = 128;
    /// Inbound attempts admitted per IP within 30 s; 0 = no limit (Core and btcd have none).
    std::size_t max_inbound_attempts_per_ip = 0;
    /// Advertised service bits (default none; NETWORK|WITNESS = 9 for peers such as bcoin).
    std::uint64_t services = 0;
    std::string user_agent = "/peerlink:0.1.0/";
    base::Duration negotiation_timeout = std::chrono::seconds(30);
    base::Duration ping_interval = std::chrono::minutes(2);
    base::Duration dial_timeout = std::chrono::seconds(5);
    /// btcd connmgr: retry after attempts x 5 s, at most 5 min.
    base::Duration retry_step = std::chrono::seconds(5);
    base::Duration retry_max = std::chrono::minutes(5);
    /// How often the outbound target is checked (redials wake the node at their own time).
    base::Duration fill_interval = std::chrono::seconds(1);
    /// Core's discouragement lasts as long as its rolling filter remembers; we ban for 24 h.
    base::Duration discourage_for = std::chrono::hours(24);
    /// Advertise our listen address to each peer after the handshake.
    bool advertise_self = true;
    /// False is btcd's --connect: only permanent peers are dialled; no book dials, no seeding.
    bool dial_from_book = true;
    /// DNS and fixed seeds (both off by default: a library user or a test opts in).
    SeedOptions seeds;
    TrickleOptions trickle;
    AddrRelayOptions relay;
    /// Bitcoin's table sizes: new 1024 x 64, tried 256 x 64; getaddr replies up to 1000.
    addrbook::Options book = [] {
        addrbook::Options o;
        o.new_bucket_count = 1024;
        o.old_bucket_count = 256;
        o.bucket_size = 64;
        o.selection_percent = 100;  // AddrRelay cuts the 23% itself
        o.selection_min = 0;
        o.selection_max = k_max_addr_entries;
        return o;
    }();
    ConnectionOptions connection;
};

struct PeerSummary {
    /// Unique per connection within this node, from 1 (Core's getpeerinfo "id").
    std::uint64_t id = 0;
    Endpoint address;  // the remote endpoint (for outbound peers: what we dialled)
    Direction direction = Direction::outbound;
    RemoteInfo remote;
    std::optional<base::Duration> rtt;
    bool permanent = false;
    /// When the handshake completed (wall clock).
    std::chrono::system_clock::time_point connected_since{};
};

struct NodeStats {
    std::size_t addresses_processed = 0;
    std::size_t addresses_rate_limited = 0;
    std::size_t discouraged = 0;
    std::size_t handshakes = 0;
    std::size_t inventory_announced = 0;  // items put in a peer's queue by announce()
    std::size_t seeded_from_dns = 0;      // addresses the DNS seeds gave that went into the book
    std::size_t seeded_from_fixed = 0;
};

class Node {
public:
    Node(asio::io_context& io, NodeOptions options, std::uint64_t seed);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    /// Binds the listener (if any) and starts the accept and maintenance loops.
    base::Result<void> start();
    /// Closes the listener and every connection.
    void stop();

    /// Kept connected; redialled after every failure or disconnect.
    void add_permanent(Endpoint endpoint);
    /// Dials once, outside the outbound target (a crawler's probe). Ends in exactly one of
    /// on_connection or on_dial_failed; an endpoint already connected or being dialled fails with
    /// connmgr::Errc::already_connected, and one refused by the manager (ours, or 256 dials
    /// already queued for a pending-handshake slot) with too_many_pending. Nothing on a stopped node.
    void dial_once(Endpoint endpoint);

    std::function<void(const PeerSummary&)> on_connection;
    std::function<void(const PeerSummary&, std::error_code, const std::string&)> on_disconnection;
    /// Addresses a peer told us (within its rate limit), after they went into the book.
    std::function<void(const PeerSummary&, const std::vector<addrbook::NetAddress>&)> on_addresses;
    /// A dial that did not reach an established peer (connect or handshake failed).
    std::function<void(const Endpoint&, std::error_code)> on_dial_failed;
    /// An inv from an established peer, after its items were recorded as known to that peer.
    std::function<void(const PeerSummary&, const std::vector<InvVect>&)> on_inventory;

    /// Resolves a DNS seed name to IP literals and calls `done` on the network thread (possibly
    /// with nothing). The default uses the system resolver (getaddrinfo on Asio's resolver thread).
    using Resolver =
        std::function<void(const std::string& host, std::function<void(std::vector<std::string>)> done)>;
    /// Before start(): replaces the resolver (tests must never reach public DNS).
    void set_resolver(Resolver resolver) { m_resolver = std::move(resolver); }

    /// Announces `item` to every established peer that does not know it: blocks at once,
    /// transactions trickled (Poisson intervals, batched inv). Returns how many peers queued it.
    std::size_t announce(const InvVect& item);

    [[nodiscard]] std::uint16_t listen_port() const { return m_listen_port; }
    [[nodiscard]] addrbook::AddrBook& book() { return m_book; }
    [[nodiscard]] std::vector<PeerSummary> peers() const;
    [[nodiscard]] std::size_t outbound_count() const;
    [[nodiscard]] std::size_t inbound_count() const;
    [[nodiscard]] NodeStats stats() const;
    /// Closes every connection to `remote`.
    void disconnect(const Endpoint& remote);
    /// Closes the connection with this PeerSummary::id; false when there is none.
    bool disconnect_id(std::uint64_t id);
    /// Closes every connection whose remote IP is `ip` (any spelling); returns how many.
    std::size_t disconnect_ip(std::string_view ip);
    /// Messages by type over every connection this node had.
    [[nodiscard]] MessageCounts message_counts() const;
    /// Sends to one established peer; false when none matches.
    bool send_to(const Endpoint& remote, const Message& message);

private:
    enum class DialKind { book, permanent, once };
    struct Peer {
        std::uint64_t id = 0;
        std::shared_ptr<Connection> connection;
        Endpoint address;
        /// The connection manager's ID (endpoint_id) and, outbound, the address it planned.
        peer::NodeId node_id;
        std::optional<peer::PeerAddress> dialed;
        std::optional<AddrRelay> relay;
        bool permanent = false;
        bool established = false;
        bool holds_inbound_slot = false;  // admitted by admit_connection, handshake not yet over
        std::chrono::system_clock::time_point connected_since{};
        std::optional<InvTrickle> trickle;
    };
    struct OneShot {
        Endpoint endpoint;
        bool started = false;  // a dial to its ID started (its outcome answers the request)
    };

    asio::awaitable<void> accept_loop(std::shared_ptr<bool> alive);
    asio::awaitable<void> maintain_loop(std::shared_ptr<bool> alive);
    asio::awaitable<void> dial(peer::PeerAddress address, DialKind kind, std::shared_ptr<bool> alive);
    asio::awaitable<void> trickle_loop(std::shared_ptr<bool> alive);
    void flush_inventory(base::TimePoint now);
    void seed(base::TimePoint now);
    void resolve_with_system(const std::string& host, std::function<void(std::vector<std::string>)> done);
    /// Sends addr as addrv2 to peers that asked for it (BIP155 sendaddrv2).
    bool send_addresses(Peer& peer, Addr addresses);
    /// Seeds, starts the dials the manager plans and answers one-shots it dropped; returns when
    /// the manager wants to be polled again.
    base::TimePoint maintain(base::TimePoint now);
    void start_dial(peer::PeerAddress address, base::TimePoint now);
    [[nodiscard]] DialKind kind_of(const peer::NodeId& id) const;
    /// Forgets the dial_once request for `id` once a dial for it has started and ended.
    void end_one_shot(const peer::NodeId& id);
    /// Calls on_dial_failed later, never inside the caller's own callback.
    void post_dial_failed(Endpoint endpoint, std::error_code reason);
    void add_connection(asio::ip::tcp::socket socket, Direction direction, Endpoint address, DialKind kind,
                        std::optional<peer::PeerAddress> dialed);
    void on_handshake(Connection& connection, const RemoteInfo& info);
    void on_message(Connection& connection, Message&& message);
    void on_closed(Connection& connection, std::error_code reason, const std::string& text);
    void discourage(Peer& peer, const std::string& why);
    void relay_addresses(const Connection& from, const std::vector<TimedNetAddr>& entries);
    [[nodiscard]] PeerSummary summary(const Peer& peer) const;
    PeerOptions peer_options() const;

    asio::io_context& m_io;
    NodeOptions m_options;
    base::Random m_random;
    addrbook::AddrBook m_book;
    connmgr::BookAddressSource m_source;  // uses m_book and m_random
    connmgr::ConnManager m_connmgr;       // uses m_source and m_random
    NonceSet m_nonces;
    asio::ip::tcp::acceptor m_acceptor;
    asio::steady_timer m_wake;
    asio::steady_timer m_trickle_wake;
    InvSchedule m_schedule;
    Seeder m_seeder;
    Resolver m_resolver;
    std::uint64_t m_next_peer_id = 1;
    MessageCounts m_counts_closed;  // of connections already gone
    std::uint16_t m_listen_port = 0;
    bool m_stopped = true;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
    std::map<const Connection*, Peer> m_peers;
    std::map<peer::NodeId, Endpoint> m_permanent;  // add_permanent, by endpoint_id
    std::map<peer::NodeId, OneShot> m_one_shot;    // dial_once requests not answered yet
    NodeStats m_stats;
    std::size_t m_processed_closed = 0;  // counters of connections already gone
    std::size_t m_rate_limited_closed = 0;
};

}  // namespace peerlink::bitcoin
