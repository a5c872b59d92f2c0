// A small devp2p server on Asio (go-ethereum's p2p.Server in miniature): listens and dials, runs
// RLPx (RlpxChannel over transport::Connection), the Hello exchange under one deadline with the
// ECIES handshake, Ping/Pong, the read deadline, Disconnect reasons both ways, and the matched
// subprotocols, each sending and receiving codes relative to its offset (geth's Protocol.Run).
// Its policies (MaxPeers, MaxPendingPeers, DialRatio, static and trusted nodes, NetRestrict,
// NoDial, the inbound throttle and the dial history) are those of geth v1.12's p2p.Server and dial
// scheduler, enforced by the shared connmgr::ConnManager the server drives.
// Network thread only (the io_context's thread). Peers are shared_ptr; a closed peer's sends fail.
#pragma once
#include <asio.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "connmgr/conn_manager.hpp"
#include "profiles/devp2p/base_protocol.hpp"
#include "profiles/devp2p/enode.hpp"
#include "profiles/devp2p/rlpx_frame.hpp"
#include "transport/connection.hpp"

namespace peerlink::devp2p {

enum class ServerErrc {
    handshake_timeout = 1,  // the ECIES handshake and Hello exchange took longer than allowed
    too_many_peers,         // the peer or pending-handshake limit is reached
    send_queue_full,        // a send would exceed the per-peer output bound
    peer_closed,            // a send on a peer that is gone or disconnecting
    code_out_of_range,      // a send with a code outside the protocol's length
    not_matched,            // a send on a protocol the peer does not run with us
    server_stopped,         // the server is stopping
    self_dial,              // the enode is our own
};
PEERLINK_DECLARE_ERRC(ServerErrc)

/// Close reasons carrying a devp2p Disconnect reason: the one the peer sent us, or the one we
/// sent. The value is the raw reason byte; message() is go-ethereum's text for it.
const std::error_category& remote_disconnect_category();
const std::error_category& local_disconnect_category();
std::error_code remote_disconnect(std::uint8_t reason);
std::error_code local_disconnect(DisconnectReason reason);
/// The Disconnect reason byte of a code made by remote_disconnect()/local_disconnect().
std::optional<std::uint8_t> disconnect_reason(std::error_code code);

class Peer;
using PeerPtr = std::shared_ptr<Peer>;

/// A subprotocol the server runs (go-ethereum's p2p.Protocol): codes are relative to the offset
/// the capability matching gives it; Peer::send takes relative codes as well.
struct ServerProtocol {
    std::string name;
    std::uint64_t version = 0;
    std::uint64_t length = 0;  // number of message codes
    /// The peer matched this protocol and finished the Hello exchange.
    std::function<void(const PeerPtr&)> on_start;
    /// A message for this protocol; an error disconnects the peer with subprotocol_error.
    std::function<base::Result<void>(const PeerPtr&, std::uint64_t code, base::ByteView payload)> on_message;
    /// The peer is gone (`reason` says why; see remote_disconnect()/local_disconnect()).
    std::function<void(const PeerPtr&, std::error_code reason)> on_stop;
};

struct ServerOptions {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 0;  // 0: any free port
    bool listen = true;
    std::string client_id = "peerlink/0.1";
    /// Covers the ECIES handshake and the Hello exchange together.
    base::Duration handshake_timeout = std::chrono::seconds(5);
    base::Duration ping_interval = std::chrono::seconds(15);
    /// Disconnect(read_timeout) when nothing arrives for this long.
    base::Duration read_timeout = std::chrono::seconds(30);
    base::Duration dial_timeout = std::chrono::seconds(5);
    std::size_t max_peers = 50;
    std::size_t max_pending = 16;  // connections still in the handshake
    /// Frame and (decompressed) message bound for reads and writes.
    std::size_t max_message_size = k_max_message_size;
    /// Bytes a peer may have queued for sending; sends beyond it fail with send_queue_full.
    std::size_t max_queued_bytes = 8 * 1024 * 1024;
    std::vector<ServerProtocol> protocols;
    /// geth disconnects a peer sharing no protocol (useless_peer); diagnostic tools (rlpx ping)
    /// keep it to read its Hello.
    bool require_shared_protocol = true;

    // ---- policies (geth p2p.Config), enforced through connmgr::ConnManager ----
    // max_peers is geth's MaxPeers (trusted nodes excepted) and max_pending its MaxPendingPeers
    // (inbound handshakes plus dials in flight).
    /// geth DialRatio: the scheduler dials at most max_peers / dial_ratio peers and inbound peers
    /// take the rest; 0 means geth's default 3.
    std::size_t dial_ratio = 3;
    /// geth NoDial: the scheduler dials nobody but the static nodes.
    bool no_dial = false;
    /// geth StaticNodes: dialled at start and redialled whenever they drop, never given up.
    std::vector<Enode> static_nodes;
    /// geth TrustedNodes: admitted over max_peers and the dial ratio, inbound or outbound.
    std::vector<secp::PublicKey> trusted_nodes;
    /// geth NetRestrict: CIDRs; connections from and dials to other addresses are refused.
    /// A malformed entry makes the constructor throw std::invalid_argument.
    std::vector<std::string> net_restrict;
    /// geth inboundThrottleTime: one inbound attempt per IP within this; 0 disables the throttle.
    base::Duration inbound_throttle = std::chrono::seconds(30);
    /// geth exempts LAN and loopback addresses from the throttle; false throttles them too.
    bool throttle_exempt_lan = true;
    /// geth dialHistoryExpiration: an address is not redialled within this of its last dial, static
    /// nodes included (30 s + 5 s).
    base::Duration dial_history = std::chrono::seconds(35);
    /// Where dynamic dials come from (geth: the discovery iterator); nullptr: static nodes and
    /// dial() only. Must outlive the server.
    connmgr::AddressSource* address_source = nullptr;
};

/// The Disconnect reason geth sends for a connmgr refusal (too_many_peers, already_connected,
/// self_connection, useless_peer for an address outside NetRestrict).
DisconnectReason disconnect_reason_for(std::error_code connmgr_refusal);
/// connmgr's form of a devp2p node: the 64-byte public key as NodeId, its IP and TCP port.
peer::PeerAddress to_peer_address(const Enode& node);
/// Back again; nullopt when the ID is not 64 bytes or the host is not an IP literal.
std::optional<Enode> to_enode(const peer::PeerAddress& address);

class Server;

class Peer : public std::enable_shared_from_this<Peer> {
public:
    [[nodiscard]] const secp::PublicKey& id() const { return m_id; }
    [[nodiscard]] const Hello& hello() const { return m_remote_hello; }
    [[nodiscard]] const std::vector<MatchedProtocol>& matched() const { return m_matched; }
    [[nodiscard]] bool inbound() const { return m_inbound; }
    [[nodiscard]] bool connected() const;
    [[nodiscard]] std::string remote_address() const { return m_remote_address; }
    /// The remote IP alone (no port).
    [[nodiscard]] std::string remote_ip() const { return m_remote_ip; }
    /// When the Hello exchange completed.
    [[nodiscard]] base::TimePoint connected_at() const { return m_connected_at; }
    /// The reason the peer gave in its Disconnect, if it sent one.
    [[nodiscard]] std::optional<std::uint8_t> remote_reason() const { return m_remote_reason; }
    /// Pongs received (tests).
    [[nodiscard]] std::uint64_t pongs() const { return m_pongs; }

    /// Sends `code` (relative to the protocol's offset) of the matched protocol `name`.
    base::Result<void> send(std::string_view name, std::uint64_t code, base::ByteView payload);
    /// Sends a Ping now (the server also pings every ping_interval).
    base::Result<void> ping();
    /// Sends Disconnect(reason) and closes once it is written (2 s at most).
    void disconnect(DisconnectReason reason);

private:
    friend class Server;
    friend class PeerSession;
    Peer(Server& server, bool inbound) : m_server(&server), m_inbound(inbound) {}

    base::Result<void> queue(std::uint64_t wire_code, base::ByteView payload);
    void part(DisconnectReason reason, base::Duration flush_limit);
    base::Result<void> on_message(std::uint64_t code, base::ByteView payload, base::TimePoint now);
    base::Result<void> on_hello(base::ByteView payload);

    Server* m_server;
    bool m_inbound;
    bool m_holds_inbound_slot = false;             // admit_connection counted it as pending
    std::optional<peer::PeerAddress> m_scheduled;  // a dial the ConnManager planned
    bool m_direct = false;                         // a dial() request, outside the dial slots
    base::TimePoint m_connected_at{};
    std::weak_ptr<transport::Connection> m_connection;
    std::string m_remote_address;
    std::string m_remote_ip;
    secp::PublicKey m_id{};
    Hello m_remote_hello;
    bool m_active = false;         // Hello exchange done
    bool m_disconnecting = false;  // our Disconnect is queued: ignore further input
    std::vector<MatchedProtocol> m_matched;
    std::deque<base::Bytes> m_out;  // internal records (rlpx_channel.hpp)
    std::size_t m_queued_bytes = 0;
    base::TimePoint m_last_receive{};
    base::TimePoint m_next_ping{};
    std::optional<std::uint8_t> m_remote_reason;
    std::uint64_t m_pongs = 0;
};

class Server {
public:
    struct Callbacks {
        /// After Hello and capability matching, before the protocols' on_start.
        std::function<void(const PeerPtr&)> on_peer_added;
        std::function<void(const PeerPtr&, std::error_code reason)> on_peer_removed;
        /// A connection that failed before becoming a peer (handshake, Hello, no shared protocol).
        std::function<void(const std::string& address, std::error_code reason)> on_handshake_failed;
        /// Optional (bans): false refuses an accepted socket from `ip` before any handshake.
        std::function<bool(const std::string& ip)> allow_inbound;
        /// Optional (bans): false disconnects a peer after its Hello with Disconnect(requested).
        std::function<bool(const PeerPtr&)> allow_peer;
    };

    Server(asio::io_context& io, secp::KeyPair key, ServerOptions options, Callbacks callbacks = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds the listener (if options.listen), starts accepting and starts the dial scheduler.
    base::Result<void> start();
    /// Parts politely, as geth does: closes the listener, stops dialling, sends Disconnect(quitting)
    /// to every peer and closes each once that is written (1 s at most); handshakes in progress
    /// close at once. Run the io_context until connection_count() is 0 (bounded by that second)
    /// before destroying the server; the destructor closes whatever is left at once.
    void stop();
    /// Dials `node` now, outside the scheduler's dial slots (still bounded by max_peers and
    /// max_pending); completion is reported through the callbacks.
    void dial(const Enode& node);
    /// Adds a static node at run time (geth AddPeer): dialled at once, redialled after each drop.
    void add_static(const Enode& node);
    /// Adds a trusted node at run time (geth AddTrustedPeer).
    void add_trusted(const secp::PublicKey& id);
    /// The address source learnt something: poll the scheduler now.
    void wake_dialer();

    [[nodiscard]] std::uint16_t listen_port() const { return m_listen_port; }
    [[nodiscard]] const secp::KeyPair& key() const { return m_key; }
    [[nodiscard]] const ServerOptions& options() const { return m_options; }
    [[nodiscard]] std::size_t peer_count() const { return m_peers.size(); }
    /// Connections of any state (handshakes included).
    [[nodiscard]] std::size_t connection_count() const { return m_connections.size(); }
    [[nodiscard]] PeerPtr find_peer(const secp::PublicKey& id) const;
    [[nodiscard]] std::vector<PeerPtr> peers() const;
    [[nodiscard]] const connmgr::ConnManager& conn_manager() const { return *m_connmgr; }
    [[nodiscard]] Hello our_hello() const;
    /// Test hook: runs an established RLPx connection's channel before the Hello goes out.
    std::function<void(transport::Connection&)> on_established_for_test;

private:
    friend class Peer;
    friend class PeerSession;

    asio::awaitable<void> accept_loop(std::shared_ptr<bool> alive);
    asio::awaitable<void> dial_loop(std::shared_ptr<bool> alive);
    /// `scheduled`: the ConnManager planned this dial (else it is a direct dial()).
    asio::awaitable<void> dial_task(Enode node, std::optional<peer::PeerAddress> scheduled,
                                    std::shared_ptr<bool> alive);
    void start_connection(asio::ip::tcp::socket socket, const std::optional<secp::PublicKey>& dialed,
                          std::optional<peer::PeerAddress> scheduled, bool holds_inbound_slot);
    void release_inbound_slot(Peer& peer);
    /// Hello checked: admits the peer (or disconnects it with a reason).
    base::Result<void> on_hello_done(const PeerPtr& peer);
    void on_closed(const PeerPtr& peer, transport::Connection& connection, std::error_code reason);

    asio::io_context& m_io;
    secp::KeyPair m_key;
    ServerOptions m_options;
    Callbacks m_callbacks;
    asio::ip::tcp::acceptor m_acceptor;
    std::uint16_t m_listen_port = 0;
    bool m_stopped = false;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
    std::size_t m_dialing = 0;  // direct dials still connecting
    base::Random m_random;
    connmgr::FixedAddressSource m_no_source;
    std::unique_ptr<connmgr::ConnManager> m_connmgr;
    asio::steady_timer m_dial_wake;
    std::map<std::shared_ptr<transport::Connection>, PeerPtr> m_connections;
    std::map<secp::PublicKey, PeerPtr> m_peers;
};

}  // namespace peerlink::devp2p

PEERLINK_ERROR_ENUM_TRAIT(peerlink::devp2p::ServerErrc)
