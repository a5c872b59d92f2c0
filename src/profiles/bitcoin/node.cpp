// A small Bitcoin P2P node on Asio (see node.hpp).
#include "profiles/bitcoin/node.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <charconv>

#include "addrbook/netgroup.hpp"
#include "base/log.hpp"
#include "crypto/crypto.hpp"
#include "transport/connection.hpp"

namespace peerlink::bitcoin {
namespace {
constexpr auto k_tuple = asio::experimental::as_tuple(asio::use_awaitable);

addrbook::SipKey fresh_key() {
    std::array<std::uint8_t, 16> bytes{};
    crypto::random_bytes(bytes);
    return addrbook::SipKey::from_bytes(bytes);
}

Endpoint endpoint_of(const asio::ip::tcp::endpoint& e) {
    auto address = e.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    return Endpoint{address.to_string(), e.port()};
}

/// Disconnect reasons that are the peer's fault, as Core's Misbehaving() sees them: messages that
/// do not decode (which covers addr/addrv2 above 1000 entries). Timeouts and a wrong network are not.
bool is_misbehaviour(std::error_code reason) {
    return reason == make_error_code(Errc::malformed_message) ||
           reason == make_error_code(Errc::too_many_entries);
}

peer::PeerAddress to_peer_address(const Endpoint& endpoint) {
    return {endpoint_id(endpoint.host, endpoint.port), endpoint.host, endpoint.port};
}

/// btcd's connmgr and Core's connection rules, as the shared manager's options.
connmgr::Options connmgr_options(const NodeOptions& o) {
    return connmgr::Options{
        .max_inbound = o.max_inbound,
        // btcd --connect: no slots, so the book is never asked; permanent peers are still dialled.
        .max_outbound = o.dial_from_book ? o.target_outbound : 0,
        .max_pending_handshakes = o.max_pending_handshakes,
        .max_inbound_attempts_per_ip = o.max_inbound_attempts_per_ip,
        // Core keeps an inbound and an outbound connection to one host, and a one-host test
        // network has every peer on one IP.
        .allow_duplicate_ip = true,
        .dial_timeout = o.dial_timeout,
        // Core's ThreadOpenConnections: no address is tried again within 30 s of its last try.
        .dial_history = std::chrono::seconds(30),
        .redial_jitter = base::Duration::zero(),
        .persistent_max_dial_period = o.retry_max,
        .redial_linear_step = o.retry_step,
        .inbound_limit_at_accept = true,
    };
}

/// The address book as Core's ThreadOpenConnections draws from it: ID-less entries, strictly one
/// outbound peer per netgroup (dials in flight included), no per-address backoff beyond the
/// manager's 30 s history, and never marked bad (a failing address ages out of the book).
connmgr::BookSourceOptions book_source_options(bool strict,
                                               std::function<std::vector<peer::PeerAddress>()> dialing) {
    return connmgr::BookSourceOptions{
        .max_attempts = 0,
        .backoff = false,
        .derive_id = [](const std::string& host, std::uint16_t port) { return endpoint_id(host, port); },
        .group_key = [strict](const peer::PeerAddress& a) { return outbound_group(a.host, a.port, strict); },
        .group_fallback = false,
        .dialing = std::move(dialing),
    };
}
}  // namespace

std::string Endpoint::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (host.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
        return std::nullopt;
    return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

Node::Node(asio::io_context& io, NodeOptions options, std::uint64_t seed)
    : m_io(io),
      m_options(std::move(options)),
      m_random(seed),
      m_book(m_options.book, fresh_key()),
      // The lambdas run from m_connmgr.poll() only, after construction.
      m_source(
          m_book, m_random, [this] { return m_connmgr.outbound_count(); },
          book_source_options(m_options.book.strict, [this] { return m_connmgr.dialing(); })),
      m_connmgr(connmgr_options(m_options), m_source, m_random, self_id()),
      m_acceptor(io),
      m_wake(io),
      m_trickle_wake(io),
      m_schedule(m_options.trickle),
      m_seeder(m_options.seeds, !m_options.network->dns_seeds.empty(),
               !m_options.network->fixed_seeds.empty(), base::SteadyClock::now()) {}

Node::~Node() {
    *m_alive = false;
    stop();
}

PeerOptions Node::peer_options() const {
    PeerOptions o;
    o.magic = m_options.network->magic;
    o.services = m_options.services;
    o.user_agent = m_options.user_agent;
    o.negotiation_timeout = m_options.negotiation_timeout;
    o.ping_interval = m_options.ping_interval;
    return o;
}

base::Result<void> Node::start() {
    m_stopped = false;
    if (m_options.listen_port) {
        std::error_code ec;
        const auto address = asio::ip::make_address(m_options.listen_host, ec);
        if (ec) return base::fail(ec);
        const asio::ip::tcp::endpoint endpoint(address, *m_options.listen_port);
        m_acceptor.open(endpoint.protocol(), ec);
        if (!ec) m_acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
        if (!ec) m_acceptor.bind(endpoint, ec);
        if (!ec) m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) return base::fail(ec);
        m_listen_port = m_acceptor.local_endpoint().port();
        m_book.add_our_address({"", m_options.listen_host, m_listen_port});
        m_connmgr.on_self_address(to_peer_address({m_options.listen_host, m_listen_port}));
        asio::co_spawn(m_io, accept_loop(m_alive), asio::detached);
    }
    asio::co_spawn(m_io, maintain_loop(m_alive), asio::detached);
    asio::co_spawn(m_io, trickle_loop(m_alive), asio::detached);
    return {};
}

void Node::stop() {
    if (m_stopped) return;
    m_stopped = true;
    std::error_code ignored;
    m_acceptor.close(ignored);
    m_wake.cancel();
    m_trickle_wake.cancel();
    auto peers = m_peers;  // close() calls back into m_peers
    for (auto& [key, peer] : peers)
        peer.connection->close(asio::error::operation_aborted, "node stopping");
}

void Node::add_permanent(Endpoint endpoint) {
    auto address = to_peer_address(endpoint);
    m_permanent[address.id] = std::move(endpoint);
    m_connmgr.add_persistent(std::move(address));  // due at the next poll
    m_wake.cancel();
}

void Node::dial_once(Endpoint endpoint) {
    if (m_stopped) return;
    auto address = to_peer_address(endpoint);
    if (m_connmgr.is_connected(address.id) || m_connmgr.is_dialing(address.id) ||
        m_one_shot.contains(address.id)) {
        post_dial_failed(std::move(endpoint), make_error_code(connmgr::Errc::already_connected));
        return;
    }
    if (!m_connmgr.dial_once(address)) {
        post_dial_failed(std::move(endpoint), make_error_code(connmgr::Errc::too_many_pending));
        return;
    }
    m_one_shot[address.id] = OneShot{std::move(endpoint)};
    m_wake.cancel();
}

void Node::post_dial_failed(Endpoint endpoint, std::error_code reason) {
    asio::post(m_io, [this, alive = m_alive, endpoint = std::move(endpoint), reason] {
        if (*alive && on_dial_failed) on_dial_failed(endpoint, reason);
    });
}

asio::awaitable<void> Node::accept_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        auto [ec, socket] = co_await m_acceptor.async_accept(k_tuple);
        if (!*alive || m_stopped) co_return;
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            continue;
        }
        std::error_code endpoint_error;
        const auto remote = socket.remote_endpoint(endpoint_error);
        if (endpoint_error) continue;
        const Endpoint address = endpoint_of(remote);
        const auto now = base::SteadyClock::now();
        std::error_code ignored;
        // Bans first: a banned host takes no pending slot and uses up no attempts.
        if (m_book.is_banned(address.host, now)) {
            socket.close(ignored);
            continue;
        }
        if (auto admitted = m_connmgr.admit_connection(address.host, now); !admitted) {
            base::log::get(base::log::Category::bitcoin)
                .debug("refusing inbound {}: {}", address.to_string(), admitted.error().message());
            socket.close(ignored);
            continue;
        }
        socket.set_option(asio::ip::tcp::no_delay(true), endpoint_error);
        add_connection(std::move(socket), Direction::inbound, address, DialKind::once, std::nullopt);
    }
}

asio::awaitable<void> Node::maintain_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        const auto now = base::SteadyClock::now();
        const auto wake = maintain(now);
        // The tick also seeds and picks up what the book learnt from addr messages.
        m_wake.expires_at(std::min(wake, now + m_options.fill_interval));
        co_await m_wake.async_wait(k_tuple);
    }
}

asio::awaitable<void> Node::dial(peer::PeerAddress address, DialKind kind, std::shared_ptr<bool> alive) {
    auto executor = co_await asio::this_coro::executor;
    std::error_code ec;
    std::vector<asio::ip::tcp::endpoint> endpoints;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (!ec) {
        endpoints.emplace_back(ip, address.port);
    } else {
        asio::ip::tcp::resolver resolver(executor);
        auto [resolve_error, results] =
            co_await resolver.async_resolve(address.host, std::to_string(address.port), k_tuple);
        if (!*alive) co_return;
        ec = resolve_error;
        for (const auto& r : results)
            endpoints.push_back(r.endpoint());
    }
    for (const auto& endpoint : endpoints) {
        auto socket = co_await transport::dial(endpoint, m_options.dial_timeout);
        if (!*alive) co_return;
        if (socket && !m_stopped) {
            Endpoint remote{address.host, address.port};
            add_connection(std::move(*socket), Direction::outbound, std::move(remote), kind,
                           std::move(address));
            co_return;
        }
        if (!socket) ec = socket.error();
    }
    if (!ec) ec = asio::error::host_not_found;
    m_connmgr.on_dial_failed(address, base::SteadyClock::now());
    end_one_shot(address.id);
    if (!m_stopped) m_wake.cancel();
    if (on_dial_failed) on_dial_failed(Endpoint{address.host, address.port}, ec);
}

base::TimePoint Node::maintain(base::TimePoint now) {
    if (m_stopped) return base::TimePoint::max();
    if (m_options.dial_from_book) seed(now);
    auto plan = m_connmgr.poll(now);
    for (auto& address : plan.dial_now)
        start_dial(std::move(address), now);
    // poll() drops a queued one-shot whose endpoint got connected or dialled first: answer it.
    for (auto it = m_one_shot.begin(); it != m_one_shot.end();) {
        const auto& [id, shot] = *it;
        if (shot.started || m_connmgr.is_dialing(id) || m_connmgr.is_queued_one_shot(id)) {
            ++it;
            continue;
        }
        post_dial_failed(shot.endpoint, make_error_code(connmgr::Errc::already_connected));
        it = m_one_shot.erase(it);
    }
    return plan.wake_at;  // plan.gave_up stays empty: permanent peers are never given up
}

Node::DialKind Node::kind_of(const peer::NodeId& id) const {
    if (m_permanent.contains(id)) return DialKind::permanent;
    return m_one_shot.contains(id) ? DialKind::once : DialKind::book;
}

void Node::start_dial(peer::PeerAddress address, base::TimePoint now) {
    const DialKind kind = kind_of(address.id);
    // Any dial to the ID of a pending dial_once answers it: also the permanent redial that
    // started first and made poll() drop the one-shot.
    if (auto shot = m_one_shot.find(address.id); shot != m_one_shot.end()) shot->second.started = true;
    // discourage() spares permanent peers, so a ban on one was set by the operator (or earned by
    // another connection from its host): it holds the peer off, a failed attempt on its schedule.
    if (kind == DialKind::permanent && m_book.is_banned(address.host, now)) {
        m_connmgr.on_dial_failed(address, now);
        if (m_one_shot.contains(address.id)) {
            post_dial_failed({address.host, address.port}, make_error_code(addrbook::Errc::banned));
            end_one_shot(address.id);
        }
        return;
    }
    asio::co_spawn(m_io, dial(std::move(address), kind, m_alive), asio::detached);
}

void Node::end_one_shot(const peer::NodeId& id) {
    if (auto shot = m_one_shot.find(id); shot != m_one_shot.end() && shot->second.started)
        m_one_shot.erase(shot);
}

void Node::seed(base::TimePoint now) {
    const auto& network = *m_options.network;
    switch (m_seeder.poll(now, m_book.size())) {
        case Seeder::Step::none:
            break;
        case Seeder::Step::query_dns:
            for (const auto& name : network.dns_seeds) {
                const std::string host(name);
                auto done = [this, alive = m_alive, host,
                             port = network.default_port](std::vector<std::string> ips) {
                    if (!*alive || m_stopped) return;
                    const auto at = base::SteadyClock::now();
                    std::size_t added = 0;
                    for (const auto& ip : ips)
                        added += m_book.add_address({"", ip, port}, "seed", at);
                    m_stats.seeded_from_dns += added;
                    base::log::get(base::log::Category::bitcoin)
                        .info("DNS seed {} gave {} addresses ({} new)", host, ips.size(), added);
                    if (added != 0) m_wake.cancel();
                };
                if (m_resolver)
                    m_resolver(host, std::move(done));
                else
                    resolve_with_system(host, std::move(done));
            }
            break;
        case Seeder::Step::add_fixed: {
            std::size_t added = 0;
            for (const auto& entry : network.fixed_seeds) {
                if (const auto endpoint = Endpoint::parse(entry))
                    added += m_book.add_address({"", endpoint->host, endpoint->port}, "seed", now);
            }
            m_stats.seeded_from_fixed += added;
            base::log::get(base::log::Category::bitcoin)
                .info("address book empty; added {} fixed seed addresses", added);
            break;
        }
    }
}

void Node::resolve_with_system(const std::string& host, std::function<void(std::vector<std::string>)> done) {
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(m_io);
    resolver->async_resolve(host, std::to_string(m_options.network->default_port),
                            [resolver, done = std::move(done)](
                                std::error_code ec, const asio::ip::tcp::resolver::results_type& results) {
                                std::vector<std::string> ips;
                                if (!ec) {
                                    for (const auto& r : results)
                                        ips.push_back(endpoint_of(r.endpoint()).host);
                                }
                                done(std::move(ips));
                            });
}

void Node::add_connection(asio::ip::tcp::socket socket, Direction direction, Endpoint address, DialKind kind,
                          std::optional<peer::PeerAddress> dialed) {
    Connection::Callbacks callbacks;
    callbacks.on_handshake = [this](Connection& c, const RemoteInfo& info) { on_handshake(c, info); };
    callbacks.on_message = [this](Connection& c, Message&& m) { on_message(c, std::move(m)); };
    callbacks.on_closed = [this, alive = m_alive](Connection& c, std::error_code reason,
                                                  const std::string& text) {
        if (*alive) on_closed(c, reason, text);
    };
    auto connection = std::make_shared<Connection>(std::move(socket), peer_options(), direction, m_nonces,
                                                   m_random, m_options.connection, std::move(callbacks));
    Peer peer;
    peer.id = m_next_peer_id++;
    peer.connection = connection;
    peer.node_id = dialed ? dialed->id : endpoint_id(address.host, address.port, EndpointRole::inbound);
    peer.dialed = std::move(dialed);
    peer.address = std::move(address);
    peer.permanent = kind == DialKind::permanent;
    peer.holds_inbound_slot = direction == Direction::inbound;
    m_peers.emplace(connection.get(), std::move(peer));
    connection->start();
}

void Node::on_handshake(Connection& connection, const RemoteInfo& info) {
    auto found = m_peers.find(&connection);
    if (found == m_peers.end()) return;
    Peer& peer = found->second;
    const auto now = now_from_clocks();
    if (peer.holds_inbound_slot) {
        peer.holds_inbound_slot = false;
        m_connmgr.on_inbound_handshake_finished();
    }
    // The socket's IP, never a name as a dialled host may be.
    const auto remote_ip = endpoint_of(connection.remote_endpoint()).host;
    if (auto admitted = m_connmgr.admit_peer(peer.node_id, remote_ip, connection.direction()); !admitted) {
        connection.close(admitted.error(), "refused: " + admitted.error().message());
        return;  // on_closed ran and erased `peer`
    }
    m_connmgr.on_peer_up(peer.node_id, remote_ip, connection.direction(), now.steady);
    if (peer.dialed) end_one_shot(peer.node_id);  // answered by on_connection below
    peer.established = true;
    peer.connected_since = std::chrono::system_clock::now();
    peer.trickle.emplace(m_options.trickle, connection.direction(),
                         m_schedule.next(connection.direction(), now.steady, m_random));
    ++m_stats.handshakes;
    peer.relay.emplace(m_options.relay, connection.direction(), peer.address.host, now.steady);
    std::optional<NetAddr> own;
    if (m_options.advertise_self && m_listen_port != 0) {
        std::error_code ec;
        const auto listen = asio::ip::make_address(m_options.listen_host, ec);
        const auto ip = addrbook::IpAddress::parse(m_options.listen_host);
        if (!ec && ip && !listen.is_unspecified()) {
            own = NetAddr{m_options.services, ip->bytes(), m_listen_port};
        } else if (info.addr_recv.port != 0) {
            own = NetAddr{m_options.services, info.addr_recv.ip, m_listen_port};  // how the peer sees us
        }
    }
    for (auto& message : peer.relay->on_handshake(own, now.unix_seconds)) {
        if (auto* addr = std::get_if<Addr>(&message)) {
            if (!send_addresses(peer, std::move(*addr))) return;
        } else if (!connection.send(message)) {
            return;
        }
    }
    if (on_connection) on_connection(summary(peer));
}

void Node::on_message(Connection& connection, Message&& message) {
    auto found = m_peers.find(&connection);
    if (found == m_peers.end() || !found->second.relay) return;
    Peer& peer = found->second;
    const auto now = now_from_clocks();
    auto outcome = peer.relay->on_message(message, now.steady, now.unix_seconds, m_book, m_random);
    if (outcome.misbehaviour) {
        discourage(peer, *outcome.misbehaviour);
        return;
    }
    for (auto& reply : outcome.replies) {
        if (auto* addr = std::get_if<Addr>(&reply)) {
            if (!send_addresses(peer, std::move(*addr))) return;
        } else if (!connection.send(reply)) {
            return;
        }
    }
    if (!outcome.relay.empty()) relay_addresses(connection, outcome.relay);
    if (!outcome.learned.empty() && on_addresses) on_addresses(summary(peer), outcome.learned);
    if (const auto* inv = std::get_if<Inv>(&message); inv && peer.trickle) {
        // btcd handleInvMsg: what a peer announces is known to it and never announced back.
        for (const auto& item : inv->items)
            peer.trickle->mark_known(item);
        if (on_inventory) on_inventory(summary(peer), inv->items);
    }
    // Everything else a relay node does not serve (sendcmpct, getblocks, inv, ...) is ignored.
}

void Node::relay_addresses(const Connection& from, const std::vector<TimedNetAddr>& entries) {
    // Core's RelayAddress: two peers other than the source, each sent only what it does not know.
    std::vector<Peer*> candidates;
    for (auto& [key, peer] : m_peers) {
        if (peer.established && peer.relay && key != &from) candidates.push_back(&peer);
    }
    for (std::size_t i = 0; i < 2 && !candidates.empty(); ++i) {
        const auto pick = static_cast<std::size_t>(m_random.uniform(candidates.size()));
        Peer& target = *candidates[pick];
        candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(pick));
        auto unknown = target.relay->filter_unknown(entries);
        if (!unknown.empty()) send_addresses(target, Addr{std::move(unknown)});
    }
}

bool Node::send_addresses(Peer& peer, Addr addresses) {
    if (peer.connection->state().remote().wants_addrv2) return peer.connection->send(to_addrv2(addresses));
    return peer.connection->send(addresses);
}

std::size_t Node::announce(const InvVect& item) {
    std::size_t queued = 0;
    for (auto& [key, peer] : m_peers) {
        if (peer.established && peer.trickle && peer.trickle->queue(item)) ++queued;
    }
    m_stats.inventory_announced += queued;
    if (queued != 0) m_trickle_wake.cancel();
    return queued;
}

asio::awaitable<void> Node::trickle_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        const auto now = base::SteadyClock::now();
        flush_inventory(now);
        auto next = base::TimePoint::max();
        for (const auto& [key, peer] : m_peers) {
            if (peer.trickle) next = std::min(next, peer.trickle->next_deadline());
        }
        // Nothing queued: sleep until announce() wakes us.
        m_trickle_wake.expires_at(next == base::TimePoint::max() ? now + std::chrono::hours(1) : next);
        co_await m_trickle_wake.async_wait(k_tuple);
    }
}

void Node::flush_inventory(base::TimePoint now) {
    std::vector<std::pair<std::shared_ptr<Connection>, std::vector<Inv>>> due;
    for (auto& [key, peer] : m_peers) {
        if (!peer.trickle || !peer.established) continue;
        auto messages = peer.trickle->poll(now, m_schedule, m_random);
        if (!messages.empty()) due.emplace_back(peer.connection, std::move(messages));
    }
    // Sending may close a connection (queue bound), which erases it from m_peers: send afterwards.
    for (auto& [connection, messages] : due) {
        for (const auto& inv : messages) {
            if (!connection->send(inv)) break;
        }
    }
}

void Node::discourage(Peer& peer, const std::string& why) {
    // Core never punishes a manual connection; neither do we.
    if (!peer.permanent) {
        m_book.ban(peer.address.host, base::SteadyClock::now(), m_options.discourage_for);
        ++m_stats.discouraged;
    }
    peer.connection->close(make_error_code(Errc::too_many_entries), "misbehaving: " + why);
}

void Node::on_closed(Connection& connection, std::error_code reason, const std::string& text) {
    auto found = m_peers.find(&connection);
    if (found == m_peers.end()) return;
    Peer peer = std::move(found->second);
    m_peers.erase(found);
    const auto now = base::SteadyClock::now();
    m_counts_closed += connection.state().counts();
    if (peer.relay) {
        m_processed_closed += peer.relay->processed();
        m_rate_limited_closed += peer.relay->rate_limited();
    }
    if (is_misbehaviour(reason) && !peer.permanent && !m_book.is_banned(peer.address.host, now)) {
        m_book.ban(peer.address.host, now, m_options.discourage_for);
        ++m_stats.discouraged;
    }
    // The manager first: a callback below may dial this endpoint again (a crawler does).
    if (peer.holds_inbound_slot) m_connmgr.on_inbound_handshake_finished();
    if (peer.established) {
        m_connmgr.on_peer_down(peer.node_id, now);  // a permanent peer is redialled after one step
    } else if (peer.dialed) {
        if (reason == make_error_code(Errc::self_connection)) {
            m_connmgr.on_self_address(*peer.dialed);
            m_book.add_our_address({"", peer.address.host, peer.address.port});
        } else {
            m_connmgr.on_dial_failed(*peer.dialed, now);
        }
    }
    if (peer.dialed) end_one_shot(peer.node_id);
    // The nonce check caught the inbound half of a dial to ourselves: end the outbound half too,
    // and never dial that address again (it is one of ours, e.g. learnt from a peer's addr).
    if (reason == make_error_code(Errc::self_connection) && connection.direction() == Direction::inbound) {
        for (auto& [key, other] : m_peers) {
            if (other.dialed && other.connection->local_endpoint() == connection.remote_endpoint()) {
                auto outbound = other.connection;  // close() erases the entry
                outbound->close(reason, "connected to ourselves");
                break;
            }
        }
    }
    if (peer.established && on_disconnection) on_disconnection(summary(peer), reason, text);
    if (!peer.established && connection.direction() == Direction::outbound && on_dial_failed)
        on_dial_failed(peer.address, reason);
    if (!m_stopped) m_wake.cancel();
}

PeerSummary Node::summary(const Peer& peer) const {
    PeerSummary out;
    out.id = peer.id;
    out.address = peer.address;
    out.direction = peer.connection->direction();
    out.remote = peer.connection->state().remote();
    out.rtt = peer.connection->state().last_rtt();
    out.permanent = peer.permanent;
    out.connected_since = peer.connected_since;
    return out;
}

std::vector<PeerSummary> Node::peers() const {
    std::vector<PeerSummary> out;
    for (const auto& [key, peer] : m_peers) {
        if (peer.established) out.push_back(summary(peer));
    }
    return out;
}

std::size_t Node::outbound_count() const {
    std::size_t n = 0;
    for (const auto& [key, peer] : m_peers)
        n += peer.established && peer.connection->direction() == Direction::outbound;
    return n;
}

std::size_t Node::inbound_count() const {
    std::size_t n = 0;
    for (const auto& [key, peer] : m_peers)
        n += peer.connection->direction() == Direction::inbound;
    return n;
}

NodeStats Node::stats() const {
    NodeStats s = m_stats;
    s.addresses_processed = m_processed_closed;
    s.addresses_rate_limited = m_rate_limited_closed;
    for (const auto& [key, peer] : m_peers) {
        if (!peer.relay) continue;
        s.addresses_processed += peer.relay->processed();
        s.addresses_rate_limited += peer.relay->rate_limited();
    }
    return s;
}

void Node::disconnect(const Endpoint& remote) {
    std::vector<std::shared_ptr<Connection>> matching;
    for (auto& [key, peer] : m_peers) {
        if (peer.address == remote) matching.push_back(peer.connection);
    }
    for (auto& c : matching)
        c->close(asio::error::operation_aborted, "closed locally");
}

bool Node::disconnect_id(std::uint64_t id) {
    for (auto& [key, peer] : m_peers) {
        if (peer.id != id) continue;
        auto connection = peer.connection;  // close() erases the entry
        connection->close(asio::error::operation_aborted, "closed locally");
        return true;
    }
    return false;
}

std::size_t Node::disconnect_ip(std::string_view ip) {
    const auto wanted = addrbook::IpAddress::parse(ip);
    if (!wanted) return 0;
    std::vector<std::shared_ptr<Connection>> matching;
    for (auto& [key, peer] : m_peers) {
        if (addrbook::IpAddress::parse(peer.address.host) == wanted) matching.push_back(peer.connection);
    }
    for (auto& c : matching)
        c->close(asio::error::operation_aborted, "banned");
    return matching.size();
}

MessageCounts Node::message_counts() const {
    MessageCounts total = m_counts_closed;
    for (const auto& [key, peer] : m_peers)
        total += peer.connection->state().counts();
    return total;
}

bool Node::send_to(const Endpoint& remote, const Message& message) {
    for (auto& [key, peer] : m_peers) {
        if (peer.established && peer.address == remote) return peer.connection->send(message);
    }
    return false;
}

}  // namespace peerlink::bitcoin
