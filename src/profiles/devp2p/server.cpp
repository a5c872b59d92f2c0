#include "profiles/devp2p/server.hpp"

#include <asio/experimental/as_tuple.hpp>

#include "base/log.hpp"
#include "profiles/devp2p/rlpx_channel.hpp"

namespace peerlink::devp2p {

namespace {

constexpr auto k_tuple = asio::experimental::as_tuple(asio::use_awaitable);
// geth gives a Disconnect one second to be written; we allow a little more on a busy machine.
constexpr auto k_disconnect_flush_limit = std::chrono::seconds(2);
// Server::stop parts with every peer within this (geth's Stop waits on its peers' Disconnect writes).
constexpr auto k_quit_flush_limit = std::chrono::seconds(1);
// geth defaultDialRatio.
constexpr std::size_t k_default_dial_ratio = 3;
// A static redial never comes sooner than this, even with the dial history turned off.
constexpr auto k_min_static_redial = std::chrono::milliseconds(100);

auto& logger() {
    return base::log::get(base::log::Category::devp2p);
}

const char* describe(int value) {
    switch (static_cast<ServerErrc>(value)) {
        case ServerErrc::handshake_timeout:
            return "devp2p handshake (RLPx and Hello) timed out";
        case ServerErrc::too_many_peers:
            return "devp2p peer or pending-handshake limit reached";
        case ServerErrc::send_queue_full:
            return "devp2p peer send queue full";
        case ServerErrc::peer_closed:
            return "devp2p peer is disconnected";
        case ServerErrc::code_out_of_range:
            return "devp2p message code outside the protocol's length";
        case ServerErrc::not_matched:
            return "devp2p protocol not matched with this peer";
        case ServerErrc::server_stopped:
            return "devp2p server stopped";
        case ServerErrc::self_dial:
            return "devp2p dial of our own node id";
    }
    return "unknown devp2p server error";
}

// Reason 0 (requested) must not make a zero, i.e. non-error, error_code.
constexpr int k_reason_base = 0x100;

class DisconnectCategory final : public std::error_category {
public:
    DisconnectCategory(const char* name, const char* prefix) : m_name(name), m_prefix(prefix) {}
    const char* name() const noexcept override { return m_name; }
    std::string message(int value) const override {
        return std::string(m_prefix) +
               std::string(disconnect_reason_name(static_cast<std::uint8_t>(value - k_reason_base)));
    }

private:
    const char* m_name;
    const char* m_prefix;
};

peer::NodeId node_id_of(const secp::PublicKey& key) {
    return *peer::NodeId::from_bytes(base::ByteView(key));
}

// geth maxDialedConns / maxInboundConns, and the rest of p2p.Config, as connmgr options.
connmgr::Options policy_options(const ServerOptions& o) {
    connmgr::Options c;
    std::size_t dialed = 0;
    if (!o.no_dial && o.max_peers > 0) {
        dialed = o.max_peers / (o.dial_ratio == 0 ? k_default_dial_ratio : o.dial_ratio);
        if (dialed == 0) dialed = 1;
    }
    c.max_outbound = dialed;
    c.max_inbound = o.max_peers - std::min(dialed, o.max_peers);
    // 0 would mean "no cap" to connmgr; with max_peers 0 the two limits above are already 0.
    c.max_connections = o.max_peers;
    c.max_pending_handshakes = o.max_pending;
    c.max_inbound_attempts_per_ip = o.inbound_throttle > base::Duration::zero() ? 1 : 0;
    if (o.inbound_throttle > base::Duration::zero()) c.inbound_attempt_window = o.inbound_throttle;
    c.throttle_exempt_lan = o.throttle_exempt_lan;
    c.allow_duplicate_ip = true;  // geth has no per-IP peer limit
    c.allow_cidrs = o.net_restrict;
    c.dial_timeout = o.dial_timeout;
    c.dial_history = o.dial_history;
    c.redial_jitter = base::Duration::zero();
    c.static_redial_interval = std::max<base::Duration>(o.dial_history, k_min_static_redial);
    return c;
}

}  // namespace

DisconnectReason disconnect_reason_for(std::error_code refusal) {
    if (refusal.category() != connmgr::Errc_category()) return DisconnectReason::requested;
    switch (static_cast<connmgr::Errc>(refusal.value())) {
        case connmgr::Errc::too_many_inbound:
        case connmgr::Errc::too_many_outbound:
        case connmgr::Errc::too_many_pending:
        case connmgr::Errc::too_many_connections:
        case connmgr::Errc::duplicate_ip:
        case connmgr::Errc::ip_throttled:
            return DisconnectReason::too_many_peers;
        case connmgr::Errc::already_connected:
            return DisconnectReason::already_connected;
        case connmgr::Errc::self:
            return DisconnectReason::self_connection;
        case connmgr::Errc::ip_not_allowed:
        case connmgr::Errc::bad_ip:
            return DisconnectReason::useless_peer;
    }
    return DisconnectReason::requested;
}

peer::PeerAddress to_peer_address(const Enode& node) {
    return {node_id_of(node.id), node.ip, node.tcp_port};
}

std::optional<Enode> to_enode(const peer::PeerAddress& address) {
    const base::ByteView id = address.id.bytes();
    Enode node;
    if (id.size() != node.id.size()) return std::nullopt;
    std::error_code ec;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (ec) return std::nullopt;
    std::copy(id.begin(), id.end(), node.id.begin());
    node.ip = ip.to_string();
    node.ipv6 = ip.is_v6();
    node.tcp_port = address.port;
    node.udp_port = address.port;
    return node;
}

const std::error_category& ServerErrc_category() {
    static const base::MessageCategory category("devp2p-server", describe);
    return category;
}

const std::error_category& remote_disconnect_category() {
    static const DisconnectCategory category("devp2p-remote-disconnect", "peer disconnected: ");
    return category;
}

const std::error_category& local_disconnect_category() {
    static const DisconnectCategory category("devp2p-local-disconnect", "disconnected peer: ");
    return category;
}

std::error_code remote_disconnect(std::uint8_t reason) {
    return {k_reason_base + reason, remote_disconnect_category()};
}

std::optional<std::uint8_t> disconnect_reason(std::error_code code) {
    if (code.category() != remote_disconnect_category() && code.category() != local_disconnect_category())
        return std::nullopt;
    return static_cast<std::uint8_t>(code.value() - k_reason_base);
}

std::error_code local_disconnect(DisconnectReason reason) {
    return {k_reason_base + static_cast<int>(reason), local_disconnect_category()};
}

// ---- the session: records in and out of the RLPx channel ----------------------------------------

class PeerSession final : public transport::Session {
public:
    explicit PeerSession(PeerPtr peer) : m_peer(std::move(peer)) {}

    base::Result<void> on_receive(base::ByteView plaintext, base::TimePoint now) override {
        // The channel appends whole records; a partial one would only come from a driver that
        // split them, and is kept (bounded by the message limit) until it completes.
        base::ByteView in = plaintext;
        if (!m_partial.empty()) {
            m_partial.append(plaintext);
            in = m_partial.data();
        }
        std::size_t used = 0;
        while (auto record = peek_record(in.subspan(used))) {
            used += record->size;
            if (m_peer->m_disconnecting) continue;
            PEERLINK_TRY(m_peer->on_message(record->code, record->payload, now));
        }
        const base::ByteView rest = in.subspan(used);
        if (rest.size() > k_record_header_size + m_peer->m_server->m_options.max_message_size)
            return base::fail(Errc::message_too_large);
        if (m_partial.empty()) {
            m_partial.append(rest);
        } else {
            m_partial.consume(used);
        }
        return {};
    }

    base::Result<transport::PollResult> poll(base::Buffer& out, base::TimePoint now) override {
        Peer& peer = *m_peer;
        transport::PollResult result;
        if (peer.m_active && !peer.m_disconnecting) {
            const auto& options = peer.m_server->m_options;
            if (now >= peer.m_last_receive + options.read_timeout) {
                peer.disconnect(DisconnectReason::read_timeout);
            } else {
                if (now >= peer.m_next_ping) {
                    // A full queue skips this ping; the read deadline still catches a dead peer.
                    (void)peer.ping();
                    peer.m_next_ping = now + options.ping_interval;
                }
                result.wake_at = std::min(peer.m_next_ping, peer.m_last_receive + options.read_timeout);
            }
        }
        while (!peer.m_out.empty()) {
            out.append(peer.m_out.front());
            peer.m_queued_bytes -= peer.m_out.front().size();
            peer.m_out.pop_front();
        }
        result.flush = !out.empty();
        return result;
    }

    transport::ReceiveAllowance receive_allowance(base::TimePoint) override { return {}; }
    [[nodiscard]] bool has_pending_output() const override { return !m_peer->m_out.empty(); }

private:
    PeerPtr m_peer;
    base::Buffer m_partial;
};

// ---- Peer ---------------------------------------------------------------------------------------

bool Peer::connected() const {
    auto connection = m_connection.lock();
    return connection && !connection->closed() && m_active && !m_disconnecting;
}

base::Result<void> Peer::queue(std::uint64_t wire_code, base::ByteView payload) {
    auto connection = m_connection.lock();
    if (!connection || connection->closed() || m_disconnecting) return base::fail(ServerErrc::peer_closed);
    if (payload.size() > m_server->m_options.max_message_size) return base::fail(Errc::message_too_large);
    const std::size_t size = k_record_header_size + payload.size();
    if (size >
        m_server->m_options.max_queued_bytes - std::min(m_queued_bytes, m_server->m_options.max_queued_bytes))
        return base::fail(ServerErrc::send_queue_full);
    base::Buffer record(size);
    append_record(record, wire_code, payload);
    m_out.emplace_back(record.data().begin(), record.data().end());
    m_queued_bytes += size;
    connection->wake();
    return {};
}

base::Result<void> Peer::send(std::string_view name, std::uint64_t code, base::ByteView payload) {
    if (!m_active) return base::fail(ServerErrc::peer_closed);
    for (const auto& matched : m_matched) {
        if (matched.name != name) continue;
        if (code >= matched.length) return base::fail(ServerErrc::code_out_of_range);
        return queue(matched.offset + code, payload);
    }
    return base::fail(ServerErrc::not_matched);
}

base::Result<void> Peer::ping() {
    return queue(k_ping_code, encode_ping());
}

void Peer::disconnect(DisconnectReason reason) {
    part(reason, k_disconnect_flush_limit);
}

void Peer::part(DisconnectReason reason, base::Duration limit) {
    auto connection = m_connection.lock();
    if (!connection || connection->closed() || m_disconnecting) return;
    // The Disconnect goes out whatever the queue bound: it is the last message.
    base::Buffer record;
    const base::Bytes payload = encode_disconnect(reason);
    append_record(record, k_disconnect_code, payload);
    m_out.emplace_back(record.data().begin(), record.data().end());
    m_queued_bytes += record.size();
    m_disconnecting = true;
    connection->close_when_flushed(local_disconnect(reason), limit);
}

base::Result<void> Peer::on_message(std::uint64_t code, base::ByteView payload, base::TimePoint now) {
    m_last_receive = now;
    if (code == k_disconnect_code) {
        auto reason = decode_disconnect(payload);
        if (!reason) return base::Failure{reason.error()};
        m_remote_reason = *reason;
        return base::fail(remote_disconnect(*reason));
    }
    if (!m_active) {
        if (code == k_hello_code) return on_hello(payload);
        logger().debug("message {} before Hello from {}", code, m_remote_address);
        disconnect(DisconnectReason::protocol_error);
        return {};
    }
    switch (code) {
        case k_hello_code:
            disconnect(DisconnectReason::protocol_error);
            return {};
        case k_ping_code:
            if (auto sent = queue(k_pong_code, encode_pong()); !sent) {
                disconnect(DisconnectReason::network_error);
            }
            return {};
        case k_pong_code:
            ++m_pongs;
            return {};
        default:
            break;
    }
    if (code < k_base_protocol_length) return {};  // other base-protocol codes are ignored (geth)
    auto route = route_message(m_matched, code);
    if (!route) {
        logger().debug("message code {} outside every matched protocol from {}", code, m_remote_address);
        disconnect(DisconnectReason::protocol_error);
        return {};
    }
    const ServerProtocol& protocol = m_server->m_options.protocols[m_matched[route->protocol].local_index];
    if (protocol.on_message) {
        if (auto handled = protocol.on_message(shared_from_this(), route->code, payload); !handled) {
            logger().debug("protocol {} rejected message {} from {}: {}", protocol.name, route->code,
                           m_remote_address, handled.error().message());
            disconnect(DisconnectReason::subprotocol_error);
        }
    }
    return {};
}

base::Result<void> Peer::on_hello(base::ByteView payload) {
    auto hello = decode_hello(payload);
    if (!hello) {
        disconnect(hello.error() == make_error_code(Errc::invalid_identity)
                       ? DisconnectReason::invalid_identity
                       : DisconnectReason::protocol_error);
        return {};
    }
    if (!check_hello_identity(*hello, m_id)) {
        disconnect(DisconnectReason::unexpected_identity);
        return {};
    }
    m_remote_hello = std::move(*hello);
    if (auto admitted = m_server->on_hello_done(shared_from_this()); !admitted) return admitted;
    return {};
}

// ---- Server -------------------------------------------------------------------------------------

Server::Server(asio::io_context& io, secp::KeyPair key, ServerOptions options, Callbacks callbacks)
    : m_io(io),
      m_key(key),
      m_options(std::move(options)),
      m_callbacks(std::move(callbacks)),
      m_acceptor(io),
      m_dial_wake(io) {
    m_connmgr = std::make_unique<connmgr::ConnManager>(
        policy_options(m_options), m_options.address_source ? *m_options.address_source : m_no_source,
        m_random, node_id_of(m_key.public_key));
    for (const auto& node : m_options.static_nodes)
        m_connmgr->add_static(to_peer_address(node));
    for (const auto& id : m_options.trusted_nodes)
        m_connmgr->add_trusted(node_id_of(id));
}

Server::~Server() {
    stop();
    // Whatever is still flushing its Disconnect closes now: the callbacks reference this object.
    const auto connections = m_connections;
    for (const auto& [connection, peer] : connections)
        connection->close(make_error_code(ServerErrc::server_stopped));
    *m_alive = false;
}

Hello Server::our_hello() const {
    Hello hello;
    hello.protocol_version = k_base_protocol_version;
    hello.client_id = m_options.client_id;
    for (const auto& p : m_options.protocols)
        hello.capabilities.push_back({p.name, p.version});
    hello.listen_port = m_listen_port;
    hello.node_id = m_key.public_key;
    return hello;
}

base::Result<void> Server::start() {
    if (!m_options.listen) {
        asio::co_spawn(m_io, dial_loop(m_alive), asio::detached);
        return {};
    }
    std::error_code ec;
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(m_options.listen_host, ec),
                                           m_options.listen_port);
    if (ec) return base::fail(ec);
    m_acceptor.open(endpoint.protocol(), ec);
    if (!ec) m_acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) m_acceptor.bind(endpoint, ec);
    if (!ec) m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return base::fail(ec);
    m_listen_port = m_acceptor.local_endpoint().port();
    asio::co_spawn(m_io, accept_loop(m_alive), asio::detached);
    asio::co_spawn(m_io, dial_loop(m_alive), asio::detached);
    return {};
}

void Server::stop() {
    if (m_stopped) return;
    m_stopped = true;
    std::error_code ignored;
    m_acceptor.close(ignored);
    m_dial_wake.cancel();
    const auto connections = m_connections;
    for (const auto& [connection, peer] : connections) {
        if (peer->connected()) {
            peer->part(DisconnectReason::quitting, k_quit_flush_limit);
        } else if (!peer->m_disconnecting) {
            connection->close(make_error_code(ServerErrc::server_stopped));
        }
    }
}

void Server::add_static(const Enode& node) {
    m_connmgr->add_static(to_peer_address(node));
    wake_dialer();
}

void Server::add_trusted(const secp::PublicKey& id) {
    m_connmgr->add_trusted(node_id_of(id));
}

void Server::wake_dialer() {
    m_dial_wake.cancel();
}

std::vector<PeerPtr> Server::peers() const {
    std::vector<PeerPtr> out;
    out.reserve(m_peers.size());
    for (const auto& [id, peer] : m_peers)
        out.push_back(peer);
    return out;
}

void Server::release_inbound_slot(Peer& peer) {
    if (!peer.m_holds_inbound_slot) return;
    peer.m_holds_inbound_slot = false;
    m_connmgr->on_inbound_handshake_finished();
}

asio::awaitable<void> Server::dial_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        const base::TimePoint now = base::SteadyClock::now();
        auto plan = m_connmgr->poll(now);
        for (auto& address : plan.dial_now) {
            auto node = to_enode(address);
            if (!node) {
                m_connmgr->on_dial_failed(address, now);
                continue;
            }
            asio::co_spawn(m_io, dial_task(std::move(*node), std::move(address), alive), asio::detached);
        }
        m_dial_wake.expires_at(plan.wake_at);
        co_await m_dial_wake.async_wait(k_tuple);
        if (!*alive) co_return;
    }
}

PeerPtr Server::find_peer(const secp::PublicKey& id) const {
    auto it = m_peers.find(id);
    return it == m_peers.end() ? nullptr : it->second;
}

asio::awaitable<void> Server::accept_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        auto [ec, socket] = co_await m_acceptor.async_accept(k_tuple);
        if (!*alive || m_stopped || ec == asio::error::operation_aborted) co_return;
        if (ec) continue;
        std::error_code endpoint_ec;
        const auto remote = socket.remote_endpoint(endpoint_ec);
        if (endpoint_ec) continue;
        // geth checkInboundConn: NetRestrict and the throttle refuse before any handshake, and the
        // socket is just closed. The peer limits wait for the Hello (trusted nodes pass them).
        const std::string ip = remote.address().to_string();
        if (m_callbacks.allow_inbound && !m_callbacks.allow_inbound(ip)) {
            logger().debug("refusing inbound connection from {}: filtered", ip);
            continue;
        }
        if (auto admitted = m_connmgr->admit_connection(ip, base::SteadyClock::now()); !admitted) {
            logger().debug("refusing inbound connection from {}: {}", ip, admitted.error().message());
            if (m_callbacks.on_handshake_failed)
                m_callbacks.on_handshake_failed(ip + ":" + std::to_string(remote.port()), admitted.error());
            continue;  // the socket closes as it goes out of scope
        }
        start_connection(std::move(socket), std::nullopt, std::nullopt, true);
    }
}

void Server::dial(const Enode& node) {
    const std::string address = node.ip + ":" + std::to_string(node.tcp_port);
    const auto fail = [&](ServerErrc e) {
        if (m_callbacks.on_handshake_failed) m_callbacks.on_handshake_failed(address, make_error_code(e));
    };
    if (m_stopped) return fail(ServerErrc::server_stopped);
    if (node.id == m_key.public_key) return fail(ServerErrc::self_dial);
    if (!m_connmgr->ip_allowed(node.ip)) {
        if (m_callbacks.on_handshake_failed)
            m_callbacks.on_handshake_failed(address, make_error_code(connmgr::Errc::ip_not_allowed));
        return;
    }
    if (m_connections.size() - m_peers.size() + m_dialing + m_connmgr->dialing_count() >=
            m_options.max_pending ||
        m_peers.size() >= m_options.max_peers)
        return fail(ServerErrc::too_many_peers);
    ++m_dialing;
    asio::co_spawn(m_io, dial_task(node, std::nullopt, m_alive), asio::detached);
}

asio::awaitable<void> Server::dial_task(Enode node, std::optional<peer::PeerAddress> scheduled,
                                        std::shared_ptr<bool> alive) {
    const std::string address = node.ip + ":" + std::to_string(node.tcp_port);
    std::error_code ec;
    const auto ip = asio::ip::make_address(node.ip, ec);
    base::Result<asio::ip::tcp::socket> socket =
        base::fail(ec ? ec : std::make_error_code(std::errc::invalid_argument));
    if (!ec) socket = co_await transport::dial({ip, node.tcp_port}, m_options.dial_timeout);
    if (!*alive) co_return;
    if (!scheduled) --m_dialing;
    if (m_stopped) co_return;
    if (!socket) {
        logger().debug("dial {} failed: {}", address, socket.error().message());
        if (scheduled) {
            m_connmgr->on_dial_failed(*scheduled, base::SteadyClock::now());
            wake_dialer();
        }
        if (m_callbacks.on_handshake_failed) m_callbacks.on_handshake_failed(address, socket.error());
        co_return;
    }
    start_connection(std::move(*socket), node.id, std::move(scheduled), false);
}

void Server::start_connection(asio::ip::tcp::socket socket, const std::optional<secp::PublicKey>& dialed,
                              std::optional<peer::PeerAddress> scheduled, bool holds_inbound_slot) {
    FrameCodec::Options codec;
    codec.max_frame_size = std::min(m_options.max_message_size, k_max_frame_size);
    codec.max_message_size = m_options.max_message_size;
    std::unique_ptr<transport::SecureChannel> channel =
        dialed ? RlpxChannel::initiator(m_key, *dialed, codec) : RlpxChannel::recipient(m_key, codec);
    auto peer = PeerPtr(new Peer(*this, !dialed));
    peer->m_holds_inbound_slot = holds_inbound_slot;
    peer->m_direct = dialed && !scheduled;
    peer->m_scheduled = std::move(scheduled);
    const base::TimePoint deadline = base::SteadyClock::now() + m_options.handshake_timeout;
    transport::ConnectionOptions options;
    options.handshake_timeout = m_options.handshake_timeout;
    transport::Connection::Callbacks callbacks;
    callbacks.on_established = [this, peer, deadline](transport::Connection& connection) {
        // One deadline covers the ECIES handshake and the Hello exchange.
        connection.set_deadline(deadline, make_error_code(ServerErrc::handshake_timeout));
        peer->m_id = static_cast<RlpxChannel&>(connection.secure()).remote_id();
        if (on_established_for_test) on_established_for_test(connection);
        if (connection.closed()) return;
        const base::Bytes hello = encode_hello(our_hello());
        base::Buffer record;
        append_record(record, k_hello_code, hello);
        peer->m_out.emplace_back(record.data().begin(), record.data().end());
        peer->m_queued_bytes += record.size();
        connection.attach(std::make_unique<PeerSession>(peer));
    };
    callbacks.on_closed = [this, peer](transport::Connection& connection, std::error_code reason) {
        on_closed(peer, connection, reason);
    };
    auto connection = std::make_shared<transport::Connection>(std::move(socket), std::move(channel), options,
                                                              std::move(callbacks));
    peer->m_connection = connection;
    const auto& remote = connection->remote_endpoint();
    peer->m_remote_ip = remote.address().to_string();
    peer->m_remote_address = peer->m_remote_ip + ":" + std::to_string(remote.port());
    m_connections.emplace(connection, peer);
    connection->start(make_error_code(ServerErrc::handshake_timeout));
}

base::Result<void> Server::on_hello_done(const PeerPtr& peer) {
    // The handshake is over whatever the verdict: the pending slot goes back now.
    release_inbound_slot(*peer);
    // geth postHandshakeChecks: trusted nodes pass the limits; then already connected, self.
    const peer::NodeId node_id = node_id_of(peer->m_id);
    const auto direction = peer->m_inbound ? peer::Direction::inbound : peer::Direction::outbound;
    if (auto admitted = m_connmgr->admit_peer(node_id, peer->m_remote_ip, direction); !admitted) {
        // dial() is geth's manual dial: outside the dial slots, bounded by max_peers only.
        const bool direct_within_limit = admitted.error() == connmgr::Errc::too_many_outbound &&
                                         peer->m_direct && m_peers.size() < m_options.max_peers;
        if (!direct_within_limit) {
            logger().debug("refusing peer {}: {}", peer->m_remote_address, admitted.error().message());
            peer->disconnect(disconnect_reason_for(admitted.error()));
            return {};
        }
    }
    if (m_callbacks.allow_peer && !m_callbacks.allow_peer(peer)) {
        peer->disconnect(DisconnectReason::requested);
        return {};
    }
    std::vector<Protocol> ours;
    ours.reserve(m_options.protocols.size());
    for (const auto& p : m_options.protocols)
        ours.push_back({p.name, p.version, p.length});
    peer->m_matched = match_protocols(ours, peer->m_remote_hello.capabilities);
    if (peer->m_matched.empty() && m_options.require_shared_protocol) {
        peer->disconnect(DisconnectReason::useless_peer);
        return {};
    }
    auto connection = peer->m_connection.lock();
    if (!connection) return base::fail(ServerErrc::peer_closed);
    connection->clear_deadline();
    const base::TimePoint now = base::SteadyClock::now();
    peer->m_active = true;
    peer->m_last_receive = now;
    peer->m_next_ping = now + m_options.ping_interval;
    peer->m_connected_at = now;
    m_peers.emplace(peer->m_id, peer);
    m_connmgr->on_peer_up(node_id, peer->m_remote_ip, direction, now);
    logger().debug("devp2p peer {} ({}) added: {}", base::to_hex(base::ByteView(peer->m_id).first(8)),
                   peer->m_remote_address, peer->m_remote_hello.client_id);
    if (m_callbacks.on_peer_added) m_callbacks.on_peer_added(peer);
    for (const auto& matched : peer->m_matched) {
        const auto& protocol = m_options.protocols[matched.local_index];
        if (protocol.on_start && peer->connected()) protocol.on_start(peer);
    }
    connection->wake();
    return {};
}

void Server::on_closed(const PeerPtr& peer, transport::Connection& connection, std::error_code reason) {
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        if (it->first.get() == &connection) {
            m_connections.erase(it);
            break;
        }
    }
    release_inbound_slot(*peer);
    const base::TimePoint now = base::SteadyClock::now();
    auto it = m_peers.find(peer->m_id);
    if (peer->m_active && it != m_peers.end() && it->second == peer) {
        m_peers.erase(it);
        m_connmgr->on_peer_down(node_id_of(peer->m_id), now);
        if (!m_stopped) wake_dialer();
        for (const auto& matched : peer->m_matched) {
            const auto& protocol = m_options.protocols[matched.local_index];
            if (protocol.on_stop) protocol.on_stop(peer, reason);
        }
        if (m_callbacks.on_peer_removed) m_callbacks.on_peer_removed(peer, reason);
        return;
    }
    if (peer->m_scheduled) {
        m_connmgr->on_dial_failed(*peer->m_scheduled, now);
        if (!m_stopped) wake_dialer();
    }
    logger().debug("devp2p connection {} failed: {}", peer->m_remote_address, reason.message());
    if (m_callbacks.on_handshake_failed) m_callbacks.on_handshake_failed(peer->m_remote_address, reason);
}

}  // namespace peerlink::devp2p
