#include "profiles/cometbft/host.hpp"

#include <asio/experimental/as_tuple.hpp>

#include "base/log.hpp"
#include "profiles/cometbft/secure_mconnection.hpp"
#include "transport/delimited_exchange.hpp"

namespace peerlink::cometbft {

namespace {

constexpr auto k_tuple = asio::experimental::as_tuple(asio::use_awaitable);

auto& logger() {
    return base::log::get(base::log::Category::cometbft);
}

}  // namespace

struct Host::Pending {
    std::shared_ptr<transport::Connection> connection;
    peer::Direction direction = peer::Direction::inbound;
    std::optional<peer::PeerAddress> dialed;
    std::string ip;
    std::uint16_t port = 0;
    bool holds_inbound_slot = false;  // admit_connection counted it as a pending handshake
    bool rejected = false;            // a handshake_rejected event was already published
    peer::PeerPtr peer;               // set once added to the router
};

Host::Host(asio::io_context& io, HostOptions options, NodeKey key, router::Router& router,
           connmgr::ConnManager& connmgr)
    : m_io(io),
      m_options(std::move(options)),
      m_key(std::move(key)),
      m_router(router),
      m_connmgr(connmgr),
      m_acceptor(io),
      m_dial_wake(io) {}

Host::~Host() {
    stop();
    *m_alive = false;
}

base::Result<void> Host::start() {
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

    m_info.node_id = m_key.id().to_hex();
    m_info.listen_addr = !m_options.external_address.empty()
                             ? m_options.external_address
                             : "tcp://" + m_options.listen_host + ":" + std::to_string(m_listen_port);
    m_info.network = m_options.network;
    m_info.version = m_options.version;
    m_info.channels = m_router.channel_ids();
    m_info.moniker = m_options.moniker;
    m_info.tx_index = "off";
    if (auto valid = validate(m_info); !valid) return valid;

    asio::co_spawn(m_io, accept_loop(m_alive), asio::detached);
    asio::co_spawn(m_io, dial_loop(m_alive), asio::detached);
    return {};
}

void Host::stop() {
    if (m_stopped) return;
    m_stopped = true;
    std::error_code ignored;
    m_acceptor.close(ignored);
    m_dial_wake.cancel();
    const auto connections = m_connections;
    for (const auto& c : connections)
        c->close(make_error_code(router::Errc::router_stopped));
}

void Host::wake_dialer() {
    m_dial_wake.cancel();
}

asio::awaitable<void> Host::accept_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        auto [ec, socket] = co_await m_acceptor.async_accept(k_tuple);
        if (!*alive || m_stopped || ec == asio::error::operation_aborted) co_return;
        if (ec) continue;  // e.g. EMFILE: try the next one
        std::error_code remote_ec;
        const auto remote = socket.remote_endpoint(remote_ec);
        if (remote_ec) continue;
        const std::string ip = remote.address().to_string();
        if (auto admitted = m_connmgr.admit_connection(ip, base::SteadyClock::now()); !admitted) {
            logger().debug("refused inbound connection from {}: {}", ip, admitted.error().message());
            m_router.publish({.kind = router::EventKind::handshake_rejected,
                              .time = base::SteadyClock::now(),
                              .id = {},
                              .address = ip + ":" + std::to_string(remote.port()),
                              .direction = peer::Direction::inbound,
                              .reason = admitted.error()});
            continue;  // the socket closes as it goes out of scope
        }
        if (m_options.conn_filters.empty()) {
            start_handshake(std::move(socket), peer::Direction::inbound, std::nullopt);
            continue;
        }
        auto held = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
        run_filters(m_options.conn_filters, ip,
                    [this, held, ip, port = remote.port()](std::error_code reason) {
                        if (m_stopped) return;
                        if (!reason)
                            return start_handshake(std::move(*held), peer::Direction::inbound, std::nullopt);
                        m_connmgr.on_inbound_handshake_finished();
                        m_router.publish({.kind = router::EventKind::handshake_rejected,
                                          .time = base::SteadyClock::now(),
                                          .id = {},
                                          .address = ip + ":" + std::to_string(port),
                                          .direction = peer::Direction::inbound,
                                          .reason = reason});
                    });
    }
}

template <typename Arg, typename Filter>
void Host::run_filters(const std::vector<Filter>& filters, const Arg& arg,
                       std::function<void(std::error_code)> decide) {
    struct State {
        std::size_t waiting;
        bool decided = false;
        std::function<void(std::error_code)> decide;
        asio::steady_timer timer;
    };
    auto state =
        std::make_shared<State>(State{filters.size(), false, std::move(decide), asio::steady_timer(m_io)});
    const auto finish = [state](std::error_code reason) {
        if (state->decided) return;
        if (reason || --state->waiting == 0) {
            state->decided = true;
            state->timer.cancel();
            state->decide(reason);
        }
    };
    state->timer.expires_after(m_options.filter_timeout);
    state->timer.async_wait([finish, alive = m_alive](std::error_code ec) {
        if (!ec && *alive) finish(make_error_code(HostErrc::filter_timeout));
    });
    for (const auto& filter : filters) {
        // Filters may answer from any thread; the decision is made on the network thread.
        filter(arg, [io = &m_io, finish, alive = m_alive](std::error_code reason) {
            asio::post(*io, [finish, reason, alive] {
                if (*alive) finish(reason);
            });
        });
    }
}

asio::awaitable<void> Host::dial_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        auto plan = m_connmgr.poll(base::SteadyClock::now());
        for (auto& address : plan.dial_now)
            asio::co_spawn(m_io, dial(std::move(address), alive), asio::detached);
        for (const auto& address : plan.gave_up) {
            logger().info("giving up on persistent peer {}", address.to_string());
        }
        m_dial_wake.expires_at(plan.wake_at);
        co_await m_dial_wake.async_wait(k_tuple);
        if (!*alive) co_return;
    }
}

asio::awaitable<void> Host::dial(peer::PeerAddress address, std::shared_ptr<bool> alive) {
    if (!*alive) co_return;
    std::error_code ec;
    asio::ip::tcp::endpoint endpoint;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (!ec) {
        endpoint = {ip, address.port};
    } else {
        asio::ip::tcp::resolver resolver(m_io);
        auto [resolve_ec, results] =
            co_await resolver.async_resolve(address.host, std::to_string(address.port), k_tuple);
        ec = resolve_ec;
        if (!ec && !results.empty()) endpoint = results.begin()->endpoint();
        if (!ec && results.empty()) ec = asio::error::host_not_found;
    }
    base::Result<asio::ip::tcp::socket> socket =
        base::fail(ec ? ec : std::make_error_code(std::errc::invalid_argument));
    if (!ec) socket = co_await transport::dial(endpoint, m_connmgr.options().dial_timeout);
    if (!*alive || m_stopped) co_return;
    if (!socket) {
        logger().debug("dial {} failed: {}", address.to_string(), socket.error().message());
        m_connmgr.on_dial_failed(address, base::SteadyClock::now());
        m_router.publish({.kind = router::EventKind::dial_failed,
                          .time = base::SteadyClock::now(),
                          .id = address.id,
                          .address = address.to_string(),
                          .direction = peer::Direction::outbound,
                          .reason = socket.error()});
        wake_dialer();
        co_return;
    }
    start_handshake(std::move(*socket), peer::Direction::outbound, std::move(address));
}

void Host::start_handshake(asio::ip::tcp::socket socket, peer::Direction direction,
                           std::optional<peer::PeerAddress> dialed) {
    auto pending = std::make_shared<Pending>();
    pending->direction = direction;
    pending->dialed = std::move(dialed);
    pending->holds_inbound_slot = direction == peer::Direction::inbound;
    std::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    pending->ip = ec ? std::string() : remote.address().to_string();
    pending->port = ec ? 0 : remote.port();

    transport::Connection::Callbacks callbacks;
    callbacks.on_established = [this, weak = std::weak_ptr<Pending>(pending)](transport::Connection& c) {
        auto p = weak.lock();
        if (!p) return;
        // CometBFT gives the NodeInfo exchange its own handshake_timeout.
        c.set_deadline(base::SteadyClock::now() + m_options.handshake_timeout,
                       make_error_code(HostErrc::node_info_timeout));
        c.attach(std::make_unique<transport::DelimitedExchange>(encode(m_info), k_max_node_info_size,
                                                                [this, weak](base::ByteView message) {
                                                                    if (auto locked = weak.lock())
                                                                        on_node_info(locked, message);
                                                                }));
    };
    callbacks.on_closed = [this, pending](transport::Connection&, std::error_code reason) {
        on_closed(pending, reason);
    };
    transport::ConnectionOptions options;
    options.handshake_timeout = m_options.handshake_timeout;
    pending->connection =
        start_secret_connection(std::move(socket), m_key.key, options, std::move(callbacks));
    m_connections.insert(pending->connection);
}

void Host::on_node_info(const std::shared_ptr<Pending>& pending, base::ByteView message) {
    transport::Connection& connection = *pending->connection;
    const ConnectionFacts facts{.direction = pending->direction,
                                .dialed = pending->dialed,
                                .authenticated_key = remote_public_key(connection),
                                .ip = pending->ip,
                                .port = pending->port};
    auto checked = check_peer(m_info, m_key.id(), facts, message, m_connmgr);
    if (!checked) return reject(pending, checked.error());
    if (m_options.peer_filters.empty()) return add_peer(pending, std::move(*checked));
    // The peer may already speak MConnection; hold its bytes in the socket (not in the NodeInfo
    // session's leftover buffer) until the filters decide.
    connection.pause_reading(true);
    run_filters(
        m_options.peer_filters, checked->info, [this, pending, info = checked->info](std::error_code reason) {
            if (!pending->connection) return;  // closed while the filters ran
            if (reason == HostErrc::filter_timeout) return reject(pending, reason);
            if (reason) {
                logger().debug("peer filter refused {}: {}", info.id.to_hex(), reason.message());
                return reject(pending, make_error_code(HostErrc::filter_rejected));
            }
            // Admission again: another connection to this node may have come up meanwhile.
            CheckedPeer again{.info = info, .replaces_existing = false};
            if (auto admitted = m_connmgr.admit_peer(info.id, info.remote_ip, info.direction); !admitted) {
                const auto existing = m_connmgr.direction_of(info.id);
                if (admitted.error() != connmgr::Errc::already_connected || !existing ||
                    !replaces_existing(m_key.id(), info.id, *existing, info.direction)) {
                    return reject(pending, admitted.error());
                }
                again.replaces_existing = true;
            }
            pending->connection->pause_reading(false);
            add_peer(pending, std::move(again));
        });
}

void Host::add_peer(const std::shared_ptr<Pending>& pending, CheckedPeer checked) {
    if (checked.replaces_existing) {
        // Closing runs on_closed at once: the router and the connection manager forget it.
        if (auto existing = m_router.find(checked.info.id)) {
            existing->close(make_error_code(HostErrc::duplicate_replaced));
        }
    }
    peer::PeerInfo info = std::move(checked.info);
    transport::Connection& connection = *pending->connection;
    const peer::NodeId authenticated = info.id;
    connection.clear_deadline();
    if (pending->holds_inbound_slot) {
        pending->holds_inbound_slot = false;
        m_connmgr.on_inbound_handshake_finished();
    }
    auto weak_peer = std::make_shared<std::weak_ptr<peer::Peer>>();
    mux::MConnection& mc =
        attach_mconnection(connection, m_options.mux, m_router.channels(),
                           [this, weak_peer](mux::ChannelId channel, base::ByteView bytes) {
                               if (auto p = weak_peer->lock()) m_router.on_message(p, channel, bytes);
                           });
    auto peer = std::make_shared<peer::Peer>(std::move(info), pending->connection, mc, m_router.channels(),
                                             m_io.get_executor());
    *weak_peer = peer;
    pending->peer = peer;
    m_connmgr.on_peer_up(authenticated, pending->ip, pending->direction, base::SteadyClock::now());
    m_router.add_peer(peer);
}

void Host::reject(const std::shared_ptr<Pending>& pending, std::error_code reason) {
    logger().debug("rejected {} peer {}:{}: {}",
                   pending->direction == peer::Direction::inbound ? "inbound" : "outbound", pending->ip,
                   pending->port, reason.message());
    pending->rejected = true;
    m_router.publish({.kind = router::EventKind::handshake_rejected,
                      .time = base::SteadyClock::now(),
                      .id = pending->dialed ? pending->dialed->id : peer::NodeId{},
                      .address = pending->ip + ":" + std::to_string(pending->port),
                      .direction = pending->direction,
                      .reason = reason});
    pending->connection->close(reason);
}

void Host::on_closed(const std::shared_ptr<Pending>& pending, std::error_code reason) {
    const auto now = base::SteadyClock::now();
    if (pending->peer) {
        m_router.remove_peer(pending->peer, reason);
        m_connmgr.on_peer_down(pending->peer->id(), now);
    } else {
        if (pending->holds_inbound_slot) {
            pending->holds_inbound_slot = false;
            m_connmgr.on_inbound_handshake_finished();
        }
        if (pending->dialed) m_connmgr.on_dial_failed(*pending->dialed, now);
        if (!pending->rejected && !m_stopped) {
            m_router.publish({.kind = router::EventKind::handshake_rejected,
                              .time = now,
                              .id = pending->dialed ? pending->dialed->id : peer::NodeId{},
                              .address = pending->ip + ":" + std::to_string(pending->port),
                              .direction = pending->direction,
                              .reason = reason});
        }
    }
    m_connections.erase(pending->connection);
    pending->connection.reset();  // breaks the cycle connection -> callbacks -> pending
    if (!m_stopped) wake_dialer();
}

}  // namespace peerlink::cometbft
