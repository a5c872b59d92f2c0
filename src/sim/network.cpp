#include "sim/network.hpp"

#include <algorithm>
#include <stdexcept>

#include "transport/connection.hpp"

namespace peerlink::sim {

Network::Network(EventLoop& loop, std::uint64_t seed, NetworkOptions options)
    : m_loop(loop), m_random(seed), m_options(options) {}

std::string Network::add_host(Host& host, std::string name, peer::NodeId id) {
    // 127.0.1.1 .. 127.0.1.254, then 127.0.2.1 and on.
    const std::size_t n = m_hosts.size();
    std::string ip = "127.0." + std::to_string(1 + n / 254) + "." + std::to_string(n % 254 + 1);
    m_hosts.push_back({.host = &host, .name = std::move(name), .ip = ip, .id = id, .listening = false});
    m_group.push_back(-1);
    return ip;
}

std::optional<std::size_t> Network::find_host(std::string_view ip) const {
    for (std::size_t i = 0; i < m_hosts.size(); ++i) {
        if (m_hosts[i].ip == ip) return i;
    }
    return std::nullopt;
}

void Network::set_listening(std::string_view ip, bool listening) {
    if (const auto h = find_host(ip)) m_hosts[*h].listening = listening;
}

Network::Socket* Network::find(SocketId id) {
    const auto found = m_sockets.find(id);
    return found == m_sockets.end() ? nullptr : &found->second;
}

base::Duration Network::latency(std::size_t a, std::size_t b) const {
    const auto found = m_latency.find(std::minmax(a, b));
    return found == m_latency.end() ? m_options.latency : found->second;
}

bool Network::blocked(std::size_t a, std::size_t b) const {
    return m_partitioned && m_group[a] != m_group[b];
}

void Network::set_latency(std::string_view ip_a, std::string_view ip_b, base::Duration d) {
    const auto a = find_host(ip_a);
    const auto b = find_host(ip_b);
    if (a && b) m_latency[std::minmax(*a, *b)] = d;
}

SocketId Network::dial(std::string_view from_ip, std::string_view host, std::uint16_t port,
                       base::Duration timeout) {
    const auto from = find_host(from_ip);
    if (!from) throw std::invalid_argument("sim: dial from unknown host " + std::string(from_ip));
    const SocketId id = m_next_socket++;
    m_sockets[id] =
        Socket{.host = *from, .peer = 0, .state = State::connecting, .last_arrival = {}, .held = {}};
    const base::TimePoint deadline = m_loop.now() + timeout;
    const auto target = find_host(host);
    // The loss draw comes first and only when loss is on, so turning it on does not shift the
    // random stream of runs without it.
    const bool lost = m_loss > 0 && m_random.uniform_real() < m_loss;
    if (lost || !target || port != k_listen_port || blocked(*from, *target)) {
        time_out_at(id, deadline);
        return id;
    }
    m_loop.schedule_after(latency(*from, *target),
                          [this, id, t = *target, deadline] { on_syn(id, t, deadline); });
    return id;
}

void Network::time_out_at(SocketId dialer, base::TimePoint deadline) {
    m_loop.schedule(deadline, [this, dialer] {
        const Socket* s = find(dialer);
        if (s != nullptr && s->state == State::connecting) fail_dial(dialer, transport::Errc::dial_timeout);
    });
}

void Network::fail_dial(SocketId dialer, std::error_code reason) {
    Socket* s = find(dialer);
    s->state = State::closed;
    Host* host = m_hosts[s->host].host;
    forget_if_done(dialer);
    host->on_dial_failed(dialer, reason);
}

void Network::on_syn(SocketId dialer, std::size_t target, base::TimePoint deadline) {
    Socket* s = find(dialer);
    if (s == nullptr || s->state != State::connecting) return;  // the dialler crashed meanwhile
    const base::Duration back = latency(s->host, target);
    if (blocked(s->host, target)) return time_out_at(dialer, deadline);
    if (!m_hosts[target].listening) {
        m_loop.schedule_after(back, [this, dialer] {
            const Socket* d = find(dialer);
            if (d != nullptr && d->state == State::connecting)
                fail_dial(dialer, std::make_error_code(std::errc::connection_refused));
        });
        return;
    }
    const SocketId listener = m_next_socket++;
    s->peer = listener;
    m_sockets[listener] =
        Socket{.host = target, .peer = dialer, .state = State::connecting, .last_arrival = {}, .held = {}};
    m_loop.schedule_after(back,
                          [this, dialer, listener, deadline] { establish(dialer, listener, deadline); });
}

void Network::establish(SocketId dialer, SocketId listener, base::TimePoint deadline) {
    Socket* d = find(dialer);
    Socket* l = find(listener);
    if (d == nullptr || d->state != State::connecting) {
        // The dialler crashed after its SYN: the listener side never completes.
        if (l != nullptr) {
            l->state = State::closed;
            forget_if_done(listener);
        }
        return;
    }
    if (l == nullptr || l->state != State::connecting) {  // the listener crashed after the SYN
        fail_dial(dialer, std::make_error_code(std::errc::connection_refused));
        return;
    }
    if (blocked(d->host, l->host)) {  // partitioned during the round trip: the SYN-ACK is lost
        l->state = State::closed;
        forget_if_done(listener);
        time_out_at(dialer, deadline);
        return;
    }
    d->state = State::open;
    l->state = State::open;
    const std::string dialer_ip = m_hosts[d->host].ip;
    const std::uint16_t port = m_next_port;
    m_next_port = m_next_port == 65535 ? 40000 : static_cast<std::uint16_t>(m_next_port + 1);
    const auto accept = [this, listener, listener_host = m_hosts[l->host].host, dialer_ip, port] {
        // The dialler may have closed it already; the listener then sees the close arrive later.
        if (const Socket* again = find(listener); again != nullptr && again->state == State::open)
            listener_host->on_accepted(listener, dialer_ip, port);
    };
    if (m_options.accept_at_ack) {
        // Scheduled before the dialler writes anything, so the accept runs before its first bytes.
        m_loop.schedule_after(latency(d->host, l->host), accept);
        m_hosts[d->host].host->on_connected(dialer);
        return;
    }
    m_hosts[d->host].host->on_connected(dialer);
    accept();
}

void Network::write(SocketId socket, base::ByteView bytes) {
    const Socket* s = find(socket);
    if (s == nullptr || s->state != State::open || bytes.empty()) return;
    send(socket, Segment{.bytes = base::Bytes(bytes.begin(), bytes.end()), .close = std::nullopt});
}

void Network::close(SocketId socket) {
    Socket* s = find(socket);
    if (s == nullptr || s->state == State::closed) return;
    const bool was_open = s->state == State::open;
    s->state = State::closed;
    if (was_open)
        send(socket, Segment{.bytes = {}, .close = make_error_code(transport::Errc::closed_by_peer)});
    forget_if_done(socket);
}

void Network::reset_host(std::string_view ip) {
    const auto h = find_host(ip);
    if (!h) return;
    std::vector<SocketId> mine;
    for (const auto& [id, s] : m_sockets) {
        if (s.host == *h && s.state != State::closed) mine.push_back(id);
    }
    for (const SocketId id : mine) {
        Socket& s = m_sockets.at(id);
        const bool was_open = s.state == State::open;
        s.state = State::closed;
        // Bytes it had not managed to send die with it; the reset still travels.
        s.held.clear();
        if (was_open)
            send(id, Segment{.bytes = {}, .close = std::make_error_code(std::errc::connection_reset)});
        forget_if_done(id);
    }
}

void Network::send(SocketId from, Segment segment) {
    Socket& s = m_sockets.at(from);
    const Socket* to = find(s.peer);
    if (to == nullptr) return;
    if (blocked(s.host, to->host) || !s.held.empty()) {
        // Only a hold partition gets here with a live link: a reset one closed it already.
        s.held.push_back(std::move(segment));
        return;
    }
    transmit(s, std::move(segment));
}

void Network::transmit(Socket& from, Segment segment) {
    const Socket& to = m_sockets.at(from.peer);
    const base::TimePoint arrival = std::max(m_loop.now() + latency(from.host, to.host), from.last_arrival);
    from.last_arrival = arrival;
    m_loop.schedule(arrival, [this, id = from.peer, seg = std::move(segment)] { arrive(id, seg); });
}

void Network::arrive(SocketId to, const Segment& segment) {
    Socket* s = find(to);
    if (s == nullptr || s->state != State::open) return;  // a closed socket drops what comes late
    Host* host = m_hosts[s->host].host;
    if (segment.close) {
        s->state = State::closed;
        forget_if_done(to);
        host->on_closed(to, *segment.close);
        return;
    }
    host->on_data(to, segment.bytes);
}

void Network::forget_if_done(SocketId id) {
    const Socket* s = find(id);
    if (s == nullptr || s->state != State::closed || !s->held.empty()) return;
    m_sockets.erase(id);
}

void Network::partition(const std::vector<std::vector<std::string>>& groups, PartitionMode mode) {
    std::fill(m_group.begin(), m_group.end(), -1);
    std::string text = "partition";
    for (std::size_t g = 0; g < groups.size(); ++g) {
        text += " {";
        for (const auto& ip : groups[g]) {
            if (const auto h = find_host(ip)) m_group[*h] = static_cast<int>(g);
            if (text.back() != '{') text += ',';
            text.append(name_of_ip(ip));
        }
        text += "}";
    }
    text += mode == PartitionMode::reset ? " reset" : " hold";
    m_loop.record("net", text);
    m_partitioned = true;
    m_mode = mode;
    if (mode != PartitionMode::reset) return;
    // Both ends learn of the reset now, each from an event of its own.
    std::vector<std::pair<SocketId, SocketId>> cut;
    for (const auto& [id, s] : m_sockets) {
        if (s.state == State::open && id < s.peer) {
            const Socket* p = find(s.peer);
            if (p != nullptr && p->state == State::open && blocked(s.host, p->host))
                cut.emplace_back(id, s.peer);
        }
    }
    for (const auto& [a, b] : cut) {
        for (const SocketId id : {a, b}) {
            Socket& s = m_sockets.at(id);
            s.state = State::closed;
            s.held.clear();
            Host* host = m_hosts[s.host].host;
            forget_if_done(id);
            m_loop.schedule(m_loop.now(), [host, id] {
                host->on_closed(id, std::make_error_code(std::errc::connection_reset));
            });
        }
    }
}

void Network::heal() {
    m_loop.record("net", "heal");
    m_partitioned = false;
    std::vector<SocketId> holding;
    for (const auto& [id, s] : m_sockets) {
        if (!s.held.empty()) holding.push_back(id);
    }
    for (const SocketId id : holding) {
        Socket& s = m_sockets.at(id);
        std::deque<Segment> held = std::exchange(s.held, {});
        if (find(s.peer) != nullptr) {
            for (auto& segment : held)
                transmit(s, std::move(segment));
        }
        forget_if_done(id);
    }
}

std::size_t Network::open_connections() const {
    std::size_t n = 0;
    for (const auto& [id, s] : m_sockets) {
        if (s.state != State::open || id > s.peer) continue;
        const auto other = m_sockets.find(s.peer);
        if (other != m_sockets.end() && other->second.state == State::open) ++n;
    }
    return n;
}

std::string Network::name_of_ip(std::string_view ip) const {
    const auto h = find_host(ip);
    return h ? m_hosts[*h].name : std::string(ip);
}

std::string Network::name_of(const peer::NodeId& id) const {
    for (const auto& h : m_hosts) {
        if (h.id == id) return h.name;
    }
    return id.to_hex().substr(0, 8);
}

}  // namespace peerlink::sim
