#include "sim/node.hpp"

#include "transport/errc.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string_view>

#include "crypto/crypto.hpp"
#include "profiles/cometbft/peer_checks.hpp"
#include "profiles/cometbft/secret_connection.hpp"
#include "sim/reason.hpp"
#include "transport/delimited_exchange.hpp"

namespace peerlink::sim {

namespace {

const char* direction_name(peer::Direction d) {
    return d == peer::Direction::inbound ? "inbound" : "outbound";
}

template <std::size_t N>
std::array<std::uint8_t, N> draw_bytes(base::Random& random) {
    std::array<std::uint8_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) {
        if (i % 8 == 0) {
            const std::uint64_t word = random.next_u64();
            for (std::size_t j = 0; j < 8 && i + j < N; ++j)
                out[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
        }
    }
    return out;
}

cometbft::NodeKey key_from(base::Random& random) {
    const auto seed = draw_bytes<32>(random);
    return cometbft::NodeKey{crypto::ed25519_from_seed(seed)};
}

/// Our dialled address for an outbound peer (the sim's peers report their remote address as the
/// socket's), otherwise discovery::dialable_address, as the reactor does.
addrbook::NetAddress dial_address(const peer::PeerInfo& info,
                                  const std::optional<peer::PeerAddress>& dialed) {
    if (info.direction == peer::Direction::outbound && dialed)
        return connmgr::BookAddressSource::to_book(*dialed);
    return discovery::dialable_address(info);
}

}  // namespace

// transport::Connection's state plus host.cpp's Pending, for one connection.
struct Node::Conn {
    SocketId socket = 0;
    peer::Direction direction = peer::Direction::inbound;
    std::optional<peer::PeerAddress> dialed;
    std::string ip;
    std::uint16_t port = 0;
    bool holds_inbound_slot = false;  // admit_connection counted it as a pending handshake
    bool rejected = false;            // check_peer said no; the close is not a handshake failure
    bool closed = false;
    bool close_after_flush = false;  // PEX disconnect_gracefully: close once the output is written

    std::unique_ptr<cometbft::SecretConnection> secure;
    std::unique_ptr<transport::Session> session;
    std::unique_ptr<transport::Session> next_session;  // attached from inside a session callback
    bool in_session = false;
    bool in_writer = false;
    std::optional<peer::PeerInfo> peer;  // set once the peer is up

    base::Buffer inbox;        // arrived and not yet read: the socket's receive buffer
    base::Buffer read_buffer;  // read and not yet opened
    base::Buffer plain_in;
    base::Buffer plain_out;
    base::Buffer sealed_out;

    std::error_code deadline_error;
    std::uint64_t deadline_generation = 0;
    std::uint64_t writer_generation = 0;
    std::optional<base::TimePoint> writer_at;  // the writer's pending wake-up, if any
    std::uint64_t reader_generation = 0;
};

Node::Node(EventLoop& loop, Network& network, std::string name, NodeOptions options, std::uint64_t seed)
    : m_loop(loop), m_network(network), m_name(std::move(name)), m_options(std::move(options)) {
    base::Random derive(seed);
    m_key = key_from(derive);
    m_jitter_seed = derive.next_u64();
    m_jitter_random.reseed(m_jitter_seed);
    m_key_random.reseed(derive.next_u64());
    // Drawn after the streams above, so nodes without pex see the same keys and jitter as before.
    m_book_random.reseed(derive.next_u64());
    m_pex_random.reseed(derive.next_u64());
    const std::uint64_t k0 = derive.next_u64();
    const std::uint64_t k1 = derive.next_u64();
    m_ip = m_network.add_host(*this, m_name, m_key.id());
    if (m_options.pex) {
        m_options.channels.insert(m_options.channels.begin(),
                                  {.id = discovery::k_pex_channel,
                                   .priority = 1,
                                   .send_queue_capacity = 10,
                                   .recv_message_capacity = discovery::k_pex_recv_message_capacity,
                                   .recv_buffer_capacity = 4096});
        m_book.emplace(m_options.addrbook, addrbook::SipKey{.k0 = k0, .k1 = k1});
        m_book->add_our_address(connmgr::BookAddressSource::to_book(address()));
    }

    m_info.node_id = m_key.id().to_hex();
    m_info.listen_addr = "tcp://" + m_ip + ":" + std::to_string(k_listen_port);
    m_info.network = m_options.network;
    m_info.version = m_options.version;
    for (const auto& channel : m_options.channels)
        m_info.channels.push_back(channel.id);
    m_info.moniker = m_name;
    m_info.tx_index = "off";
    if (auto valid = cometbft::validate(m_info); !valid)
        throw std::invalid_argument("sim: bad node options for " + m_name + ": " + valid.error().message());
    start();
}

Node::~Node() = default;

peer::PeerAddress Node::address() const {
    return {.id = m_key.id(), .host = m_ip, .port = k_listen_port};
}

template <typename F>
void Node::turn(F&& work) {
    ++m_depth;
    work();
    if (--m_depth == 0) std::erase_if(m_conns, [](const auto& entry) { return entry.second->closed; });
}

Node::Conn* Node::find(SocketId socket) {
    const auto found = m_conns.find(socket);
    return found == m_conns.end() ? nullptr : found->second.get();
}

void Node::record(const std::string& what) {
    m_loop.record(m_name, what);
}

// ---- lifecycle ----

void Node::start() {
    m_running = true;
    ++m_epoch;
    if (m_options.pex) {
        m_book_source.emplace(*m_book, m_book_random,
                              [this] { return m_connmgr ? m_connmgr->outbound_count() : std::size_t{0}; });
        m_pex.emplace(discovery::PexOptions{.min_request_interval = m_options.ensure_peers_period / 3,
                                            .seed_mode = m_options.seed_mode,
                                            .ban_duration = std::chrono::hours(24)},
                      *m_book, m_pex_random);
        m_connmgr.emplace(m_options.connmgr, *m_book_source, m_jitter_random, id());
    } else {
        m_source.emplace(m_addresses);
        m_connmgr.emplace(m_options.connmgr, *m_source, m_jitter_random, id());
    }
    for (const auto& address : m_persistent)
        m_connmgr->add_persistent(address);
    m_network.set_listening(m_ip, true);
    wake_dialer();
    if (m_options.pex) schedule_ensure_peers(m_loop.now());
}

void Node::stop() {
    if (m_depth > 0) throw std::logic_error("sim: Node::stop from inside the node's own handling");
    if (!m_running) return;
    record("stop");
    m_running = false;
    ++m_epoch;
    m_network.set_listening(m_ip, false);
    m_network.reset_host(m_ip);
    m_conns.clear();
    m_dials.clear();
    m_dialer_at.reset();
    m_connmgr.reset();
    m_source.reset();
    m_pex.reset();
    m_book_source.reset();
}

void Node::restart() {
    if (m_running) return;
    record("restart");
    start();
}

void Node::add_persistent(const peer::PeerAddress& address) {
    m_persistent.push_back(address);
    if (!m_running) return;
    m_connmgr->add_persistent(address);
    wake_dialer();
}

void Node::add_address(const peer::PeerAddress& address) {
    if (m_options.pex) {
        m_book->add_address(connmgr::BookAddressSource::to_book(address), "config", m_loop.now());
        wake_dialer();
        return;
    }
    m_addresses.push_back(address);
    if (!m_running) return;
    m_source->add(address);
    wake_dialer();
}

bool Node::send(const peer::NodeId& peer, mux::ChannelId channel, base::Bytes bytes) {
    bool queued = false;
    turn([&] {
        for (auto& [socket, c] : m_conns) {
            if (c->closed || !c->peer || c->peer->id != peer) continue;
            auto* mc = dynamic_cast<mux::MConnection*>(c->session.get());
            if (mc == nullptr || !mc->try_send(channel, base::SharedBytes(std::move(bytes)))) return;
            queued = true;
            wake(*c);  // as peer::Peer does after queueing: the writer polls the MConnection
            return;
        }
    });
    return queued;
}

bool Node::is_connected(const peer::NodeId& peer) const {
    return m_running && m_connmgr->is_connected(peer);
}

std::vector<peer::NodeId> Node::peers() const {
    std::vector<peer::NodeId> out;
    if (!m_running) return out;
    out = m_connmgr->peers(peer::Direction::inbound);
    const auto outbound = m_connmgr->peers(peer::Direction::outbound);
    out.insert(out.end(), outbound.begin(), outbound.end());
    std::sort(out.begin(), out.end());
    return out;
}

// ---- the dial loop: Host::dial_loop polls the ConnManager at its wake_at and when woken ----

void Node::wake_dialer() {
    if (m_running) schedule_dialer(m_loop.now());
}

void Node::schedule_dialer(base::TimePoint at) {
    // Like the loop's timer: the latest expiry replaces the previous one, except that a pending
    // earlier run stays (a wake-up is never lost; poll() tolerates an early call).
    if (m_dialer_at && *m_dialer_at <= at) return;
    const std::uint64_t generation = ++m_dialer_generation;
    if (at == base::TimePoint::max()) {
        m_dialer_at.reset();
        return;
    }
    m_dialer_at = at;
    m_loop.schedule(at, [this, epoch = m_epoch, generation] {
        if (epoch != m_epoch || generation != m_dialer_generation) return;
        m_dialer_at.reset();
        turn([&] { run_dialer(); });
    });
}

void Node::run_dialer() {
    auto plan = m_connmgr->poll(m_loop.now());
    for (const auto& address : plan.dial_now)
        dial(address);
    for (const auto& address : plan.gave_up)
        record("gave_up " + m_network.name_of(address.id));
    schedule_dialer(plan.wake_at);
}

void Node::dial(const peer::PeerAddress& address) {
    record("dial " + m_network.name_of(address.id));
    const SocketId socket = m_network.dial(m_ip, address.host, address.port, m_options.connmgr.dial_timeout);
    m_dials.emplace(socket, address);
}

void Node::on_dial_failed(SocketId socket, std::error_code reason) {
    turn([&] {
        const auto found = m_dials.find(socket);
        if (found == m_dials.end()) return;
        const peer::PeerAddress address = found->second;
        m_dials.erase(found);
        record("dial_failed " + m_network.name_of(address.id) + " " + reason_name(reason));
        m_connmgr->on_dial_failed(address, m_loop.now());
        wake_dialer();
    });
}

void Node::on_connected(SocketId socket) {
    turn([&] {
        const auto found = m_dials.find(socket);
        if (found == m_dials.end()) return;
        peer::PeerAddress address = found->second;
        m_dials.erase(found);
        std::string host = address.host;
        const std::uint16_t port = address.port;
        start_connection(socket, peer::Direction::outbound, std::move(address), std::move(host), port);
    });
}

void Node::on_accepted(SocketId socket, const std::string& remote_ip, std::uint16_t remote_port) {
    turn([&] {
        if (auto admitted = m_connmgr->admit_connection(remote_ip, m_loop.now()); !admitted) {
            record("refused " + m_network.name_of_ip(remote_ip) + " " + reason_name(admitted.error()));
            m_network.close(socket);
            return;
        }
        start_connection(socket, peer::Direction::inbound, std::nullopt, remote_ip, remote_port);
    });
}

// ---- one connection ----

void Node::start_connection(SocketId socket, peer::Direction direction,
                            std::optional<peer::PeerAddress> dialed, std::string ip, std::uint16_t port) {
    auto owned = std::make_unique<Conn>();
    Conn& c = *owned;
    c.socket = socket;
    c.direction = direction;
    c.dialed = std::move(dialed);
    c.ip = std::move(ip);
    c.port = port;
    c.holds_inbound_slot = direction == peer::Direction::inbound;
    // A fixed ephemeral key from the node's seeded stream keeps the run reproducible.
    const auto ephemeral = crypto::x25519_from_secret(draw_bytes<32>(m_key_random));
    c.secure = std::make_unique<cometbft::SecretConnection>(m_key.key, ephemeral);
    m_conns.emplace(socket, std::move(owned));

    set_deadline(c, m_loop.now() + m_options.handshake_timeout,
                 make_error_code(cometbft::Errc::handshake_timeout));
    c.secure->start_handshake(c.sealed_out);
    write_sealed(c);
}

void Node::on_data(SocketId socket, base::ByteView bytes) {
    turn([&] {
        Conn* c = find(socket);
        if (c == nullptr || c->closed) return;
        c->inbox.append(bytes);
        read(*c);
    });
}

void Node::on_closed(SocketId socket, std::error_code reason) {
    turn([&] {
        if (Conn* c = find(socket); c != nullptr) close(*c, reason);
    });
}

void Node::read(Conn& c) {
    if (!c.secure->established()) {
        // Connection::run_handshake: everything read goes to the handshake.
        c.read_buffer.append(c.inbox.data());
        c.inbox.clear();
        auto consumed = c.secure->handshake(c.read_buffer.data(), c.sealed_out);
        if (!consumed) return close(c, consumed.error());
        c.read_buffer.consume(*consumed);
        write_sealed(c);
        if (!c.secure->established()) return;
        on_established(c);
        if (c.closed) return;
        if (!c.session) return close(c, make_error_code(transport::Errc::no_session));
        // co_spawn (Asio >= 1.21) runs the writer inline up to its first suspension, so our
        // NodeInfo is out before records that came with the end of the handshake are delivered.
        run_writer(c);
        if (c.closed) return;
        // Records that arrived together with the end of the handshake.
        if (auto delivered = deliver(c); !delivered) return close(c, delivered.error());
    }
    // Connection::run_reader: read no more than the session's allowance.
    while (!c.closed && !c.inbox.empty()) {
        const auto allowance = c.session->receive_allowance(m_loop.now());
        if (allowance.bytes == 0) return schedule_reader(c, allowance.retry_at);
        std::size_t want = c.inbox.size();
        if (allowance.bytes != SIZE_MAX) {
            const double sealed = std::ceil(static_cast<double>(allowance.bytes) * c.secure->expansion());
            want = std::clamp(static_cast<std::size_t>(sealed), std::size_t{1}, want);
        }
        c.read_buffer.append(c.inbox.data().first(want));
        c.inbox.consume(want);
        if (auto delivered = deliver(c); !delivered) return close(c, delivered.error());
    }
}

void Node::on_established(Conn& c) {
    clear_deadline(c);
    // Host's on_established: CometBFT gives the NodeInfo exchange its own handshake_timeout.
    set_deadline(c, m_loop.now() + m_options.handshake_timeout,
                 make_error_code(cometbft::HostErrc::node_info_timeout));
    attach(c, std::make_unique<transport::DelimitedExchange>(
                  cometbft::encode(m_info), cometbft::k_max_node_info_size,
                  [this, socket = c.socket](base::ByteView message) {
                      if (Conn* p = find(socket); p != nullptr && !p->closed) on_node_info(*p, message);
                  }));
}

base::Result<void> Node::deliver(Conn& c) {
    auto consumed = c.secure->open(c.read_buffer.data(), c.plain_in);
    if (!consumed) return base::Failure{consumed.error()};
    c.read_buffer.consume(*consumed);
    if (c.plain_in.empty()) return {};
    c.in_session = true;
    auto received = c.session->on_receive(c.plain_in.data(), m_loop.now());
    c.in_session = false;
    c.plain_in.clear();
    if (!received) return received;
    if (c.next_session) PEERLINK_TRY(switch_session(c));
    if (!c.closed && c.session->has_pending_output()) wake(c);
    return {};
}

void Node::attach(Conn& c, std::unique_ptr<transport::Session> session) {
    if (c.in_session) {
        c.next_session = std::move(session);
    } else {
        c.session = std::move(session);
    }
}

base::Result<void> Node::switch_session(Conn& c) {
    while (c.next_session && !c.closed) {
        std::unique_ptr<transport::Session> old = std::exchange(c.session, std::move(c.next_session));
        const base::ByteView rest = old->leftover();
        if (!rest.empty()) {
            c.in_session = true;
            auto received = c.session->on_receive(rest, m_loop.now());
            c.in_session = false;
            if (!received) return received;
        }
    }
    wake(c);
    return {};
}

void Node::write_sealed(Conn& c) {
    if (c.sealed_out.empty()) return;
    m_network.write(c.socket, c.sealed_out.data());
    c.sealed_out.clear();
}

void Node::run_writer(Conn& c) {
    // Connection::run_writer, one wake-up's worth: poll until there is nothing to flush.
    c.in_writer = true;
    while (!c.closed) {
        c.in_session = true;
        auto polled = c.session->poll(c.plain_out, m_loop.now());
        c.in_session = false;
        if (!polled) {
            close(c, polled.error());
            break;
        }
        if (c.next_session) {
            if (auto switched = switch_session(c); !switched) {
                close(c, switched.error());
                break;
            }
            if (!polled->flush) continue;  // let the new session add its output first
        }
        if (polled->flush && !c.plain_out.empty()) {
            if (auto sealed = c.secure->seal(c.plain_out.data(), c.sealed_out); !sealed) {
                close(c, sealed.error());
                break;
            }
            c.plain_out.clear();
            write_sealed(c);
            continue;
        }
        c.in_writer = false;
        if (c.close_after_flush && c.plain_out.empty() && !c.session->has_pending_output()) {
            close(c, make_error_code(transport::Errc::closed_locally));
            return;
        }
        schedule_writer(c, polled->wake_at);
        return;
    }
    c.in_writer = false;
}

void Node::wake(Conn& c) {
    // Connection::wake: a writer in the middle of its loop polls again anyway.
    if (!c.in_writer && !c.closed && c.session) schedule_writer(c, m_loop.now());
}

void Node::schedule_writer(Conn& c, base::TimePoint at) {
    if (c.writer_at && *c.writer_at == at) return;
    const std::uint64_t generation = ++c.writer_generation;
    c.writer_at.reset();
    if (at == base::TimePoint::max()) return;
    c.writer_at = at;
    m_loop.schedule(at, [this, socket = c.socket, generation] {
        turn([&] {
            Conn* p = find(socket);
            if (p == nullptr || p->closed || p->writer_generation != generation) return;
            p->writer_at.reset();
            run_writer(*p);
        });
    });
}

void Node::schedule_reader(Conn& c, base::TimePoint at) {
    const std::uint64_t generation = ++c.reader_generation;
    if (at == base::TimePoint::max()) return;
    m_loop.schedule(at, [this, socket = c.socket, generation] {
        turn([&] {
            Conn* p = find(socket);
            if (p != nullptr && !p->closed && p->reader_generation == generation) read(*p);
        });
    });
}

void Node::set_deadline(Conn& c, base::TimePoint at, std::error_code reason) {
    c.deadline_error = reason;
    const std::uint64_t generation = ++c.deadline_generation;
    m_loop.schedule(at, [this, socket = c.socket, generation] {
        turn([&] {
            Conn* p = find(socket);
            if (p != nullptr && !p->closed && p->deadline_generation == generation)
                close(*p, p->deadline_error);
        });
    });
}

void Node::clear_deadline(Conn& c) {
    ++c.deadline_generation;
}

void Node::on_node_info(Conn& c, base::ByteView message) {
    const cometbft::ConnectionFacts facts{.direction = c.direction,
                                          .dialed = c.dialed,
                                          .authenticated_key = *c.secure->remote_public_key(),
                                          .ip = c.ip,
                                          .port = c.port};
    auto checked = cometbft::check_peer(m_info, id(), facts, message, *m_connmgr);
    if (!checked) return reject(c, checked.error());
    const peer::NodeId authenticated = checked->info.id;
    if (checked->replaces_existing) {
        for (auto& [socket, other] : m_conns) {
            if (other.get() != &c && other->peer && other->peer->id == authenticated && !other->closed) {
                close(*other, make_error_code(cometbft::HostErrc::duplicate_replaced));
                break;
            }
        }
    }

    clear_deadline(c);
    if (c.holds_inbound_slot) {
        c.holds_inbound_slot = false;
        m_connmgr->on_inbound_handshake_finished();
    }
    attach(c, std::make_unique<mux::MConnection>(
                  m_options.mux, m_options.channels,
                  [this, socket = c.socket](mux::ChannelId channel, base::ByteView bytes) {
                      on_message(socket, channel, bytes);
                  },
                  m_loop.now()));
    c.peer = std::move(checked->info);
    m_connmgr->on_peer_up(authenticated, c.ip, c.direction, m_loop.now());
    record("peer_up " + m_network.name_of(authenticated) + " " + direction_name(c.direction));
    if (m_pex) {
        act(c.socket, m_pex->on_peer_up(authenticated, dial_address(*c.peer, c.dialed),
                                        c.direction == peer::Direction::outbound, m_loop.now()));
    }
}

void Node::on_message(SocketId socket, mux::ChannelId channel, base::ByteView bytes) {
    const Conn* c = find(socket);
    if (c == nullptr || !c->peer) return;
    if (m_pex && channel == discovery::k_pex_channel) return on_pex_message(*c, bytes);
    m_received.push_back({.at = m_loop.now(),
                          .from = c->peer->id,
                          .channel = channel,
                          .bytes = base::Bytes(bytes.begin(), bytes.end())});
    char channel_text[8];
    std::snprintf(channel_text, sizeof channel_text, "0x%02x", static_cast<unsigned>(channel));
    record("message " + m_network.name_of(c->peer->id) + " " + channel_text + " " +
           std::to_string(bytes.size()) + "B");
}

std::string Node::who(const Conn& c) const {
    if (c.peer) return m_network.name_of(c.peer->id);
    if (c.dialed) return m_network.name_of(c.dialed->id);
    return m_network.name_of_ip(c.ip);
}

void Node::reject(Conn& c, std::error_code reason) {
    record("rejected " + std::string(direction_name(c.direction)) + " " + who(c) + " " + reason_name(reason));
    c.rejected = true;
    close(c, reason);
}

void Node::close(Conn& c, std::error_code reason) {
    // Connection::close, then Host::on_closed.
    if (c.closed) return;
    c.closed = true;
    m_network.close(c.socket);
    ++c.deadline_generation;
    ++c.writer_generation;
    ++c.reader_generation;
    if (c.session) c.session->on_close();
    if (c.next_session) c.next_session->on_close();

    const base::TimePoint now = m_loop.now();
    if (c.peer) {
        record("peer_down " + who(c) + " " + reason_name(reason));
        m_connmgr->on_peer_down(c.peer->id, now);
        if (m_pex) m_pex->on_peer_down(c.peer->id);
    } else {
        if (c.holds_inbound_slot) {
            c.holds_inbound_slot = false;
            m_connmgr->on_inbound_handshake_finished();
        }
        if (c.dialed) m_connmgr->on_dial_failed(*c.dialed, now);
        if (!c.rejected) {
            record("handshake_failed " + std::string(direction_name(c.direction)) + " " + who(c) + " " +
                   reason_name(reason));
        }
    }
    wake_dialer();
}

// ---- discovery: discovery::PexReactor's work on sim events ----

Node::Conn* Node::find_peer(const peer::NodeId& id) {
    for (auto& [socket, c] : m_conns) {
        if (!c->closed && c->peer && c->peer->id == id) return c.get();
    }
    return nullptr;
}

void Node::on_pex_message(const Conn& c, base::ByteView bytes) {
    const std::size_t before = m_book->size();
    act(c.socket, m_pex->on_message(c.peer->id, dial_address(*c.peer, c.dialed), bytes, m_loop.now()));
    // New addresses: let the connection manager consider them now rather than at its next wake.
    if (m_book->size() > before) wake_dialer();
}

void Node::act(SocketId socket, std::vector<discovery::PexAction> actions) {
    if (actions.empty()) return;
    // The reactor posts to the network thread; here a later event at the same time keeps the
    // MConnection out of its own callbacks. Actions stay with the connection they were made for:
    // by ID they could reach a connection that replaced it, whose PEX state starts afresh (an
    // answer to a request sent there would be "unsolicited" and get us banned).
    m_loop.schedule(m_loop.now(), [this, socket, epoch = m_epoch, actions = std::move(actions)] {
        if (epoch != m_epoch) return;
        turn([&] {
            for (const auto& action : actions) {
                Conn* c = find(socket);
                if (c == nullptr || c->closed || !c->peer || c->peer->id != action.peer) continue;
                switch (action.kind) {
                    case discovery::PexAction::Kind::send:
                        if (auto* mc = dynamic_cast<mux::MConnection*>(c->session.get());
                            mc != nullptr &&
                            mc->try_send(discovery::k_pex_channel, base::SharedBytes(action.message))) {
                            wake(*c);
                        }
                        break;
                    case discovery::PexAction::Kind::disconnect_and_ban:
                        record("pex_ban " + who(*c) + " " + reason_name(action.reason));
                        close(*c, action.reason);
                        break;
                    case discovery::PexAction::Kind::disconnect_gracefully:
                        c->close_after_flush = true;
                        wake(*c);
                        break;
                }
            }
        });
    });
}

void Node::schedule_ensure_peers(base::TimePoint at) {
    m_loop.schedule(at, [this, epoch = m_epoch] {
        if (epoch != m_epoch) return;
        turn([&] { ensure_peers(); });
        // As the reactor: the period plus up to 3 s of jitter.
        const auto jitter = std::chrono::milliseconds(m_pex_random.uniform(3000));
        schedule_ensure_peers(m_loop.now() + m_options.ensure_peers_period + jitter);
    });
}

void Node::ensure_peers() {
    const auto connected = peers();
    if (m_book->needs_more_addresses() && !connected.empty()) {
        const peer::NodeId& chosen = connected[m_pex_random.uniform(connected.size())];
        if (const Conn* c = find_peer(chosen); c != nullptr) act(c->socket, m_pex->request_addresses(chosen));
    }
    // Nothing to dial and nobody to ask: the seeds go into the book, the dialler takes them there.
    if (connected.empty() && m_book->size() == 0 && !m_options.seeds.empty()) {
        record("dial_seeds");
        for (const auto& seed : m_options.seeds)
            m_book->add_address(connmgr::BookAddressSource::to_book(seed), "seed", m_loop.now());
        wake_dialer();
    }
}

}  // namespace peerlink::sim
