// A small Bitcoin P2P node on Asio (see node.hpp).
#include "profiles/bitcoin/node.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <charconv>
#include <set>

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
    m_permanent.push_back(Permanent{std::move(endpoint), 0, base::TimePoint{}, false});
    m_wake.cancel();
}

void Node::dial_once(Endpoint endpoint) {
    if (m_stopped) return;
    ++m_dialing[endpoint.to_string()];
    asio::co_spawn(m_io, dial(std::move(endpoint), DialKind::once, m_alive), asio::detached);
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
        if (m_book.is_banned(address.host, base::SteadyClock::now()) ||
            inbound_count() >= m_options.max_inbound) {
            std::error_code ignored;
            socket.close(ignored);
            continue;
        }
        socket.set_option(asio::ip::tcp::no_delay(true), endpoint_error);
        add_connection(std::move(socket), Direction::inbound, address, DialKind::once);
    }
}

asio::awaitable<void> Node::maintain_loop(std::shared_ptr<bool> alive) {
    while (*alive && !m_stopped) {
        maintain(base::SteadyClock::now());
        m_wake.expires_after(m_options.fill_interval);
        co_await m_wake.async_wait(k_tuple);
    }
}

asio::awaitable<void> Node::dial(Endpoint address, DialKind kind, std::shared_ptr<bool> alive) {
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
            dial_finished(address, kind, true);
            add_connection(std::move(*socket), Direction::outbound, address, kind);
            co_return;
        }
        if (!socket) ec = socket.error();
    }
    if (!ec) ec = asio::error::host_not_found;
    dial_finished(address, kind, false);
    if (on_dial_failed) on_dial_failed(address, ec);
}

void Node::dial_finished(const Endpoint& address, DialKind kind, bool connected) {
    const auto key = address.to_string();
    if (auto found = m_dialing.find(key); found != m_dialing.end() && --found->second == 0)
        m_dialing.erase(found);
    const auto now = base::SteadyClock::now();
    if (kind == DialKind::book) {
        --m_book_dials;
        if (const auto group = outbound_group({address.host, address.port}, m_options.book.strict)) {
            if (auto it = m_book_dial_groups.find(*group); it != m_book_dial_groups.end())
                m_book_dial_groups.erase(it);
        }
        if (connected) {
            m_book.mark_good({"", address.host, address.port}, now);
        }
    }
    if (kind == DialKind::permanent && !connected) {
        for (auto& p : m_permanent) {
            if (p.address != address) continue;
            p.active = false;
            ++p.attempts;
            p.due = now + std::min(m_options.retry_max, m_options.retry_step * p.attempts);
        }
    }
}

bool Node::busy(const Endpoint& address) const {
    if (m_dialing.contains(address.to_string())) return true;
    for (const auto& [key, peer] : m_peers) {
        if (peer.address == address) return true;
    }
    return false;
}

void Node::maintain(base::TimePoint now) {
    if (m_stopped) return;
    if (m_options.dial_from_book) seed(now);
    for (auto& p : m_permanent) {
        if (p.active || p.due > now || busy(p.address)) continue;
        // discourage() spares permanent peers, so a ban on this host was set by the operator (or
        // earned by another connection from it): it holds the peer off until it ends.
        if (m_book.is_banned(p.address.host, now)) continue;
        p.active = true;
        ++m_dialing[p.address.to_string()];
        asio::co_spawn(m_io, dial(p.address, DialKind::permanent, m_alive), asio::detached);
    }
    fill_outbound(now);
}

void Node::fill_outbound(base::TimePoint now) {
    if (!m_options.dial_from_book) return;
    const bool strict = m_options.book.strict;
    std::size_t outbound = m_book_dials;
    std::set<std::string> groups(m_book_dial_groups.begin(), m_book_dial_groups.end());
    for (const auto& [key, peer] : m_peers) {
        if (!peer.from_book) continue;
        ++outbound;
        if (const auto group = outbound_group({peer.address.host, peer.address.port}, strict))
            groups.insert(*group);
    }
    if (outbound >= m_options.target_outbound || m_book.size() == 0) return;
    // Core's ThreadOpenConnections: up to 100 draws per round, then one outbound peer per netgroup.
    const unsigned bias = addrbook::AddrBook::new_bias_for(outbound);
    std::vector<OutboundCandidate> candidates;
    std::set<std::string> drawn;
    for (int tries = 0; tries < 100; ++tries) {
        const auto picked = m_book.pick_address(bias, now, m_random);
        if (!picked) break;
        const Endpoint address{picked->ip, picked->port};
        if (!drawn.insert(address.to_string()).second) continue;
        if (busy(address) || m_book.is_banned(address.host, now)) continue;
        if (const auto info = m_book.find(*picked);
            info && info->last_attempt && now - *info->last_attempt < std::chrono::seconds(30))
            continue;  // Core does not retry an address within its last attempt window
        candidates.push_back({address.host, address.port});
    }
    for (const auto& chosen :
         choose_outbound(candidates, groups, m_options.target_outbound - outbound, strict)) {
        const Endpoint address{chosen.host, chosen.port};
        m_book.mark_attempt({"", chosen.host, chosen.port}, now);
        ++m_book_dials;
        if (const auto group = outbound_group(chosen, strict)) m_book_dial_groups.insert(*group);
        ++m_dialing[address.to_string()];
        asio::co_spawn(m_io, dial(address, DialKind::book, m_alive), asio::detached);
    }
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

void Node::add_connection(asio::ip::tcp::socket socket, Direction direction, Endpoint address,
                          DialKind kind) {
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
    peer.address = std::move(address);
    peer.permanent = kind == DialKind::permanent;
    peer.from_book = kind == DialKind::book;
    m_peers.emplace(connection.get(), std::move(peer));
    connection->start();
}

void Node::on_handshake(Connection& connection, const RemoteInfo& info) {
    auto found = m_peers.find(&connection);
    if (found == m_peers.end()) return;
    Peer& peer = found->second;
    const auto now = now_from_clocks();
    peer.established = true;
    peer.connected_since = std::chrono::system_clock::now();
    peer.trickle.emplace(m_options.trickle, connection.direction(),
                         m_schedule.next(connection.direction(), now.steady, m_random));
    ++m_stats.handshakes;
    if (peer.permanent) {
        for (auto& p : m_permanent) {
            if (p.address == peer.address) p.attempts = 0;  // btcd resets the schedule on success
        }
    }
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
    if (reason == make_error_code(Errc::self_connection) && connection.direction() == Direction::outbound) {
        m_book.add_our_address({"", peer.address.host, peer.address.port});
    }
    if (peer.permanent) {
        for (auto& p : m_permanent) {
            if (p.address != peer.address) continue;
            p.active = false;
            ++p.attempts;
            p.due = now + std::min(m_options.retry_max, m_options.retry_step * p.attempts);
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
