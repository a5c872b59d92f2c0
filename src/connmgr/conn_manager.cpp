#include "connmgr/conn_manager.hpp"

#include <algorithm>
#include <stdexcept>

namespace peerlink::connmgr {

namespace {

// Self endpoints come from failed dials, which a peer can provoke by advertising our address under
// many names; the list stays small and forgets the oldest.
constexpr std::size_t k_max_self_endpoints = 64;
// The dial history normally holds a window's worth of dials; this bounds it if dials churn fast.
constexpr std::size_t k_max_dial_history = 16384;

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::too_many_inbound:
            return "too many inbound peers";
        case Errc::too_many_outbound:
            return "too many outbound peers";
        case Errc::too_many_pending:
            return "too many handshakes in progress";
        case Errc::ip_throttled:
            return "too many inbound attempts from this IP";
        case Errc::ip_not_allowed:
            return "IP is outside the allowed networks";
        case Errc::duplicate_ip:
            return "a peer with this IP is already connected";
        case Errc::already_connected:
            return "a peer with this node ID is already connected";
        case Errc::self:
            return "connection to self";
        case Errc::bad_ip:
            return "not an IP address";
        case Errc::too_many_connections:
            return "max_connections reached";
    }
    return "unknown connmgr error";
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("connmgr", describe);
    return category;
}

ConnManager::ConnManager(Options options, AddressSource& source, base::Random& random, peer::NodeId self)
    : m_options(std::move(options)),
      m_source(source),
      m_random(random),
      m_self(self),
      m_throttle(m_options.max_inbound_attempts_per_ip, m_options.inbound_attempt_window,
                 m_options.max_tracked_ips) {
    for (const auto& text : m_options.allow_cidrs) {
        auto cidr = Cidr::parse(text);
        if (!cidr) throw std::invalid_argument("connmgr: bad allow_cidrs entry: " + text);
        m_allow.push_back(*cidr);
    }
    if (m_options.throttle_exempt_lan) {
        // go-ethereum p2p/netutil IsLAN: loopback plus the private and link-local blocks.
        for (const char* text : {"127.0.0.0/8", "0.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                 "::1/128", "fe80::/10", "fc00::/7"})
            m_lan.push_back(*Cidr::parse(text));
    }
}

bool ConnManager::is_lan(const IpAddress& ip) const {
    return std::any_of(m_lan.begin(), m_lan.end(), [&](const Cidr& c) { return c.contains(ip); });
}

std::optional<base::TimePoint> ConnManager::static_due(const Redial& redial, base::TimePoint now) const {
    if (!redial.is_static || m_options.static_redial_interval <= base::Duration::zero()) return std::nullopt;
    if (!redial.last_dial) return now;
    return std::max(now, *redial.last_dial + m_options.static_redial_interval);
}

void ConnManager::add_persistent(peer::PeerAddress address) {
    add_redial(std::move(address), false);
}

void ConnManager::add_static(peer::PeerAddress address) {
    add_redial(std::move(address), true);
}

void ConnManager::add_redial(peer::PeerAddress address, bool is_static) {
    const peer::NodeId id = address.id;
    Redial& redial = m_redials[id];
    redial.address = std::move(address);
    redial.is_static = is_static;
    redial.failures = 0;
    // Due at the first poll; poll skips it while the ID is connected or being dialled.
    redial.due = m_peers.contains(id) ? std::nullopt : std::optional(base::TimePoint::min());
}

void ConnManager::add_unconditional(const peer::NodeId& id) {
    m_unconditional.insert(id);
}

void ConnManager::add_trusted(const peer::NodeId& id) {
    m_trusted.insert(id);
}

bool ConnManager::allowed(const IpAddress& ip) const {
    return m_allow.empty() ||
           std::any_of(m_allow.begin(), m_allow.end(), [&](const Cidr& c) { return c.contains(ip); });
}

bool ConnManager::is_self_endpoint(const peer::PeerAddress& address) const {
    return std::any_of(m_self_endpoints.begin(), m_self_endpoints.end(),
                       [&](const auto& e) { return e.first == address.host && e.second == address.port; });
}

bool ConnManager::dialable(const peer::PeerAddress& address) const {
    if (address.id == m_self || is_self_endpoint(address)) return false;
    if (m_allow.empty()) return true;
    const auto ip = IpAddress::parse(address.host);
    return !ip || allowed(*ip);
}

bool ConnManager::usable_for_fill(const peer::PeerAddress& address) const {
    // Persistent and static IDs are dialled on their own schedule only.
    return !m_peers.contains(address.id) && !m_dialing.contains(address.id) &&
           !m_redials.contains(address.id) && !m_history.contains(address.to_string()) && dialable(address);
}

bool ConnManager::exempt_from_limits(const peer::NodeId& id) const {
    return m_unconditional.contains(id) || m_trusted.contains(id);
}

base::Result<void> ConnManager::admit_connection(std::string_view ip, base::TimePoint now) {
    const auto parsed = IpAddress::parse(ip);
    if (!parsed) return base::fail(Errc::bad_ip);
    if (!allowed(*parsed)) return base::fail(Errc::ip_not_allowed);
    // Checked before the throttle so that a refusal here does not use up the IP's attempts.
    if (pending_handshakes() >= m_options.max_pending_handshakes) return base::fail(Errc::too_many_pending);
    if (m_options.inbound_limit_at_accept && m_inbound + m_inbound_pending >= m_options.max_inbound)
        return base::fail(Errc::too_many_inbound);
    if (!is_lan(*parsed) && !m_throttle.try_attempt(*parsed, now)) return base::fail(Errc::ip_throttled);
    ++m_inbound_pending;
    return {};
}

void ConnManager::on_inbound_handshake_finished() {
    if (m_inbound_pending > 0) --m_inbound_pending;
}

base::Result<void> ConnManager::admit_peer(const peer::NodeId& id, std::string_view ip,
                                           peer::Direction direction) const {
    const auto parsed = IpAddress::parse(ip);
    if (!parsed) return base::fail(Errc::bad_ip);
    if (id == m_self) return base::fail(Errc::self);
    if (m_peers.contains(id)) return base::fail(Errc::already_connected);
    if (!allowed(*parsed)) return base::fail(Errc::ip_not_allowed);
    if (direction == peer::Direction::inbound) {
        if (m_inbound >= m_options.max_inbound && !exempt_from_limits(id)) {
            return base::fail(Errc::too_many_inbound);
        }
    } else if (m_outbound >= m_options.max_outbound && !exempt_from_limits(id) && !m_redials.contains(id) &&
               !m_one_shot_dialing.contains(id)) {
        return base::fail(Errc::too_many_outbound);
    }
    if (m_options.max_connections != 0 && m_inbound + m_outbound >= m_options.max_connections &&
        !exempt_from_limits(id) && !m_redials.contains(id)) {
        return base::fail(Errc::too_many_connections);
    }
    if (!m_options.allow_duplicate_ip && m_peers_per_ip.contains(*parsed))
        return base::fail(Errc::duplicate_ip);
    return {};
}

void ConnManager::on_peer_up(const peer::NodeId& id, std::string_view ip, peer::Direction direction,
                             base::TimePoint now) {
    std::optional<peer::PeerAddress> dialed;
    if (direction == peer::Direction::outbound) {
        if (const auto d = m_dialing.find(id); d != m_dialing.end()) {
            dialed = d->second;
            m_dialing.erase(d);
            m_one_shot_dialing.erase(id);
        }
    }
    if (const auto old = m_peers.find(id); old != m_peers.end()) remove_peer(old);  // a driver bug
    const auto parsed = IpAddress::parse(ip);
    m_peers.emplace(id, Peer{parsed, direction, dialed});
    if (dialed) m_source.on_connected(*dialed, now);
    if (parsed) ++m_peers_per_ip[*parsed];
    ++(direction == peer::Direction::inbound ? m_inbound : m_outbound);
    if (auto r = m_redials.find(id); r != m_redials.end()) {
        r->second.failures = 0;
        r->second.due.reset();
    }
}

void ConnManager::on_peer_down(const peer::NodeId& id, base::TimePoint now) {
    const auto found = m_peers.find(id);
    if (found == m_peers.end()) return;
    remove_peer(found);
    // CometBFT's reconnectToPeer dials at once, then sleeps after each failure.
    if (auto r = m_redials.find(id); r != m_redials.end()) {
        r->second.failures = 0;
        if (const auto due = static_due(r->second, now)) {
            r->second.due = *due;
        } else if (m_options.redial_linear_step > base::Duration::zero()) {
            schedule_redial(r->second, now);  // btcd's connmgr waits one step after a drop too
        } else {
            r->second.due = now;
        }
    }
}

void ConnManager::remove_peer(std::unordered_map<peer::NodeId, Peer>::iterator found) {
    const Peer& gone = found->second;
    if (gone.dialed) m_source.on_disconnected(*gone.dialed);
    if (gone.ip) {
        const auto count = m_peers_per_ip.find(*gone.ip);
        if (--count->second == 0) m_peers_per_ip.erase(count);
    }
    --(gone.direction == peer::Direction::inbound ? m_inbound : m_outbound);
    m_peers.erase(found);
}

void ConnManager::on_dial_failed(const peer::PeerAddress& address, base::TimePoint now) {
    const auto dial = m_dialing.find(address.id);
    if (dial == m_dialing.end() || dial->second != address) return;
    m_dialing.erase(dial);
    m_one_shot_dialing.erase(address.id);
    // Persistent and static peers follow their own schedule and are never given up, so the
    // source (an address book would mark them bad after repeated failures) is not told.
    if (!m_redials.contains(address.id)) m_source.on_dial_failed(address, now);
    const auto r = m_redials.find(address.id);
    // A dial that lost to an inbound connection from the same node is not a failure to reach it.
    if (r == m_redials.end() || r->second.address != address || m_peers.contains(address.id)) return;
    schedule_redial(r->second, now);
}

void ConnManager::schedule_redial(Redial& redial, base::TimePoint now) {
    ++redial.failures;
    if (const auto due = static_due(redial, now)) {
        redial.due = *due;
        return;
    }
    const RedialPolicy policy{
        .jitter = m_options.redial_jitter,
        .max_period = m_options.persistent_max_dial_period,
        .never_give_up = redial.is_static || m_options.persistent_max_dial_period > base::Duration::zero() ||
                         m_options.redial_linear_step > base::Duration::zero(),
        .linear_step = m_options.redial_linear_step,
    };
    if (const auto wait = redial_delay(redial.failures, policy, m_random)) {
        redial.due = now + *wait;
    } else {
        redial.due.reset();
        m_gave_up.push_back(redial.address);
    }
}

void ConnManager::on_self_address(const peer::PeerAddress& address) {
    if (!is_self_endpoint(address)) {
        if (m_self_endpoints.size() >= k_max_self_endpoints) m_self_endpoints.pop_front();
        m_self_endpoints.emplace_back(address.host, address.port);
    }
    if (const auto dial = m_dialing.find(address.id); dial != m_dialing.end() && dial->second == address) {
        m_dialing.erase(dial);
        m_one_shot_dialing.erase(address.id);
    }
    for (auto& [id, redial] : m_redials) {
        if (is_self_endpoint(redial.address)) redial.due.reset();
    }
}

void ConnManager::expire_history(base::TimePoint now) {
    while (!m_history_order.empty() &&
           (m_history_order.front().first <= now || m_history_order.size() > k_max_dial_history)) {
        const auto& [expiry, key] = m_history_order.front();
        if (const auto h = m_history.find(key); h != m_history.end() && h->second == expiry)
            m_history.erase(h);
        m_history_order.pop_front();
    }
}

void ConnManager::remember_dialled(const peer::PeerAddress& address, base::TimePoint now) {
    if (m_options.dial_history <= base::Duration::zero()) return;
    const base::TimePoint expiry = now + m_options.dial_history;
    auto key = address.to_string();
    m_history[key] = expiry;
    m_history_order.emplace_back(expiry, std::move(key));
}

ConnManager::DialPlan ConnManager::poll(base::TimePoint now) {
    DialPlan plan;
    plan.gave_up = std::exchange(m_gave_up, {});
    expire_history(now);

    for (auto& [id, redial] : m_redials) {
        if (!redial.due || m_dialing.contains(id)) continue;
        if (m_peers.contains(id) || !dialable(redial.address)) {
            redial.due.reset();
            continue;
        }
        if (*redial.due > now) {
            plan.wake_at = std::min(plan.wake_at, *redial.due);
            continue;
        }
        redial.due.reset();
        redial.last_dial = now;
        m_dialing.emplace(id, redial.address);
        m_source.on_dial_started(redial.address, now);
        plan.dial_now.push_back(redial.address);
    }

    while (!m_one_shot_queue.empty() && pending_handshakes() < m_options.max_pending_handshakes) {
        peer::PeerAddress address = std::move(m_one_shot_queue.front());
        m_one_shot_queue.pop_front();
        if (m_peers.contains(address.id) || m_dialing.contains(address.id) || !dialable(address)) continue;
        m_dialing.emplace(address.id, address);
        m_one_shot_dialing.insert(address.id);
        m_source.on_dial_started(address, now);
        plan.dial_now.push_back(std::move(address));
    }

    const std::size_t busy = m_outbound + m_dialing.size() - m_one_shot_dialing.size();
    const std::size_t slots = m_options.max_outbound > busy ? m_options.max_outbound - busy : 0;
    const std::size_t pending = pending_handshakes();
    const std::size_t room =
        m_options.max_pending_handshakes > pending ? m_options.max_pending_handshakes - pending : 0;
    std::size_t wanted = std::min(slots, room);
    if (wanted == 0) return plan;

    const AddressSource::Usable usable = [this](const peer::PeerAddress& a) { return usable_for_fill(a); };
    for (auto& address : m_source.pick_addresses(wanted, now, usable)) {
        // The source may ignore `usable` or repeat an ID; check again as the dialling set grows.
        if (wanted == 0) break;
        if (!usable_for_fill(address)) continue;
        remember_dialled(address, now);
        m_dialing.emplace(address.id, address);
        m_source.on_dial_started(address, now);
        plan.dial_now.push_back(std::move(address));
        --wanted;
    }
    // Slots left empty: an address in the dial history may become usable when it expires.
    if (wanted > 0 && !m_history_order.empty())
        plan.wake_at = std::min(plan.wake_at, m_history_order.front().first);
    return plan;
}

bool ConnManager::dial_once(peer::PeerAddress address) {
    if (!dialable(address) || m_peers.contains(address.id) || m_dialing.contains(address.id)) return false;
    if (m_one_shot_queue.size() >= m_options.max_queued_one_shot) return false;
    for (const auto& queued : m_one_shot_queue) {
        if (queued.id == address.id) return false;
    }
    m_one_shot_queue.push_back(std::move(address));
    return true;
}

std::vector<peer::NodeId> ConnManager::peers(peer::Direction direction) const {
    std::vector<peer::NodeId> out;
    for (const auto& [id, p] : m_peers) {
        if (p.direction == direction) out.push_back(id);
    }
    return out;
}

std::vector<peer::PeerAddress> ConnManager::dialing() const {
    std::vector<peer::PeerAddress> out;
    out.reserve(m_dialing.size());
    for (const auto& [id, address] : m_dialing)
        out.push_back(address);
    return out;
}

}  // namespace peerlink::connmgr
