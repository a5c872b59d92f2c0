// discv4 protocol logic: endpoint proofs, reply matching, answers, revalidation and lookups (geth v4_udp.go).
#include "profiles/devp2p/discv4.hpp"

#include <algorithm>
#include <stdexcept>

#include "crypto/keccak.hpp"

namespace peerlink::devp2p::discv4 {

namespace secp = crypto::secp256k1;
using discovery::KadId;
using discovery::KadNode;
using discovery::KadTable;

namespace {

bool is_unspecified(const addrbook::IpAddress& ip) {
    if (ip.is_v4()) return ip.v4_value() == 0;
    return ip == addrbook::IpAddress();
}

bool is_loopback(const addrbook::IpAddress& ip) {
    if (ip.is_v4()) return (ip.v4_value() >> 24) == 127;
    return ip == addrbook::IpAddress::v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
}

bool is_multicast_or_broadcast(const addrbook::IpAddress& ip) {
    if (ip.is_v4()) return (ip.v4_value() >> 28) == 0xe || ip.v4_value() == 0xffffffffu;
    return ip.bytes()[0] == 0xff;
}

/// geth's netutil.CheckRelayIP, without its list of special-purpose ranges: whether a node at `addr`
/// may be named to `sender` (no LAN or loopback addresses to outsiders).
bool may_relay(const addrbook::IpAddress& sender, const addrbook::IpAddress& addr) {
    if (is_unspecified(addr) || is_multicast_or_broadcast(addr)) return false;
    if (is_loopback(addr) && !is_loopback(sender)) return false;
    if (discovery::is_lan(addr) && !discovery::is_lan(sender)) return false;
    return true;
}

PublicKey key_of(const KadNode& node) {
    PublicKey key{};
    if (node.key.size() == key.size()) std::copy(node.key.begin(), node.key.end(), key.begin());
    return key;
}

KadNode make_node(const PublicKey& key, const addrbook::IpAddress& ip, std::uint16_t udp, std::uint16_t tcp) {
    return KadNode{.id = node_id(key),
                   .key = base::Bytes(key.begin(), key.end()),
                   .ip = ip,
                   .udp_port = udp,
                   .tcp_port = tcp};
}

UdpAddress address_of(const KadNode& node) {
    return UdpAddress{node.ip, node.udp_port};
}

PublicKey checked_public_key(const secp::SecretKey& key) {
    auto pk = secp::public_key_of(key);
    if (!pk.ok()) throw std::invalid_argument("discv4: invalid node key");
    return *pk;
}

enr::Record checked_record(const secp::SecretKey& key, const Options& options) {
    auto record = enr::Record::sign_endpoint(key, options.enr_seq, options.self.ip, options.self.tcp_port,
                                             options.self.udp_port);
    if (!record.ok()) throw std::invalid_argument("discv4: cannot sign our ENR: " + record.error().message());
    return std::move(*record);
}

}  // namespace

KadId node_id(const PublicKey& key) {
    return crypto::keccak256(key);
}

Discv4::Discv4(const secp::SecretKey& key, Options options, base::Random& random, base::TimePoint now)
    : m_key(key),
      m_public_key(checked_public_key(key)),
      m_options(std::move(options)),
      m_record(checked_record(key, m_options)),
      m_table(node_id(m_public_key), m_options.table, random) {
    m_next_revalidation = now + m_table.next_revalidate_delay();
}

std::vector<Datagram> Discv4::take_outgoing() {
    return std::exchange(m_outgoing, {});
}

std::vector<Event> Discv4::take_events() {
    return std::exchange(m_events, {});
}

void Discv4::emit(Event::Kind kind, const KadNode& node) {
    Event e;
    e.kind = kind;
    e.node = node;
    m_events.push_back(std::move(e));
}

void Discv4::fail_requests(const Pending& p) {
    for (const auto request : p.requests) {
        Event e;
        e.kind = p.purpose == Purpose::enr ? Event::Kind::enr_done : Event::Kind::ping_done;
        e.node = p.node;
        e.request = request;
        m_events.push_back(std::move(e));
    }
}

KadTable::AddResult Discv4::add_seed(const KadNode& node, base::TimePoint now) {
    if (node.key.size() != 64 || node.id != node_id(key_of(node))) return KadTable::AddResult::rejected;
    return m_table.add_seen(node, now);
}

void Discv4::restore_bond(const KadId& id, const addrbook::IpAddress& ip,
                          std::optional<base::TimePoint> last_pong, std::optional<base::TimePoint> last_ping,
                          base::TimePoint now) {
    const auto live = [&](const std::optional<base::TimePoint>& t) {
        return t && *t <= now && now - *t < m_options.bond_expiration;
    };
    if (!live(last_pong) && !live(last_ping)) return;
    Bond* bond = bond_of(id, ip, now);
    if (live(last_pong) && (!bond->last_pong || *bond->last_pong < *last_pong)) bond->last_pong = last_pong;
    if (live(last_ping) && (!bond->last_ping || *bond->last_ping < *last_ping)) bond->last_ping = last_ping;
}

void Discv4::send(const Message& message, const UdpAddress& to, Hash* hash) {
    auto encoded = encode(message, m_key);
    if (!encoded.ok()) return;  // only Neighbors above 12 nodes can fail, and we split those
    if (hash != nullptr) *hash = encoded->hash;
    m_outgoing.push_back(Datagram{to, std::move(encoded->bytes)});
}

// ---- bonds ----

bool Discv4::has_proof(const KadId& id, const addrbook::IpAddress& ip, base::TimePoint now) const {
    auto it = m_bonds.find(id);
    return it != m_bonds.end() && it->second.ip == ip && it->second.last_pong &&
           now - *it->second.last_pong < m_options.bond_expiration;
}

Discv4::Bond* Discv4::bond_of(const KadId& id, const addrbook::IpAddress& ip, base::TimePoint now) {
    auto it = m_bonds.find(id);
    if (it != m_bonds.end()) {
        // Proofs are per endpoint (geth keys its database by ID and IP).
        if (!(it->second.ip == ip)) it->second = Bond{ip, std::nullopt, std::nullopt};
        return &it->second;
    }
    if (m_bonds.size() >= m_options.max_bonds) {
        const auto stale = [&](const std::optional<base::TimePoint>& t) {
            return !t || now - *t >= m_options.bond_expiration;
        };
        std::erase_if(m_bonds, [&](const auto& kv) {
            return stale(kv.second.last_pong) && stale(kv.second.last_ping);
        });
    }
    if (m_bonds.size() >= m_options.max_bonds) {
        // Still full of live bonds: the one least recently heard from makes room.
        const auto last = [](const Bond& b) {
            return std::max(b.last_pong.value_or(base::TimePoint{}), b.last_ping.value_or(base::TimePoint{}));
        };
        auto oldest = std::min_element(m_bonds.begin(), m_bonds.end(), [&](const auto& a, const auto& b) {
            return last(a.second) < last(b.second);
        });
        m_bonds.erase(oldest);
    }
    return &m_bonds.emplace(id, Bond{ip, std::nullopt, std::nullopt}).first->second;
}

// ---- requests ----

bool Discv4::send_ping(const KadNode& node, Purpose purpose, base::TimePoint now, std::uint64_t now_unix,
                       std::uint64_t request) {
    auto already = std::find_if(m_pending.begin(), m_pending.end(), [&](const Pending& p) {
        return p.purpose == purpose && p.node.id == node.id && p.node.ip == node.ip;
    });
    if (already != m_pending.end()) {
        // One Ping answers every request for the node; the bound on requests per Ping is max_pending.
        if (request != 0) {
            if (already->requests.size() >= m_options.max_pending) return false;
            already->requests.push_back(request);
        }
        return true;
    }
    if (m_pending.size() >= m_options.max_pending) return false;
    Pending p;
    p.purpose = purpose;
    p.node = node;
    p.deadline = now + m_options.response_timeout;
    p.sent_at = now;
    if (request != 0) p.requests.push_back(request);
    send(Ping{.version = 4,
              .from = m_options.self,
              .to = Endpoint{node.ip, node.udp_port, 0},
              .expiration = expiration(now_unix),
              .enr_seq = m_record.seq()},
         address_of(node), &p.ping_hash);
    m_pending.push_back(std::move(p));
    return true;
}

void Discv4::ping(const PublicKey& key, const UdpAddress& to, base::TimePoint now, std::uint64_t now_unix) {
    (void)send_ping(make_node(key, to.ip, to.port, to.port), Purpose::bond, now, now_unix);
}

std::uint64_t Discv4::ping_request(const PublicKey& key, const UdpAddress& to, base::TimePoint now,
                                   std::uint64_t now_unix, std::uint16_t tcp_port) {
    const std::uint64_t request = m_next_request++;
    const KadNode node = make_node(key, to.ip, to.port, tcp_port != 0 ? tcp_port : to.port);
    if (!send_ping(node, Purpose::bond, now, now_unix, request)) return 0;
    return request;
}

bool Discv4::they_know_us(const KadNode& node, base::TimePoint now) const {
    auto it = m_bonds.find(node.id);
    return it != m_bonds.end() && it->second.ip == node.ip && it->second.last_ping &&
           now - *it->second.last_ping < m_options.bond_expiration;
}

std::uint64_t Discv4::request_enr(const PublicKey& key, const UdpAddress& to, base::TimePoint now,
                                  std::uint64_t now_unix, std::uint16_t tcp_port) {
    if (m_pending.size() + m_delayed.size() >= m_options.max_pending) return 0;
    const KadNode node = make_node(key, to.ip, to.port, tcp_port != 0 ? tcp_port : to.port);
    const std::uint64_t request = m_next_request++;
    if (they_know_us(node, now)) {
        if (!send_enr_request(node, request, now, now_unix)) return 0;
        return request;
    }
    // geth's ensureBond, as for FindNode: they answer ENRRequests only from nodes they checked.
    if (!send_ping(node, Purpose::bond, now, now_unix)) return 0;
    m_delayed.push_back(DelayedFind{node, 0, now + m_options.response_timeout, request});
    return request;
}

bool Discv4::send_enr_request(const KadNode& node, std::uint64_t request, base::TimePoint now,
                              std::uint64_t now_unix) {
    if (m_pending.size() >= m_options.max_pending) return false;
    Pending p;
    p.purpose = Purpose::enr;
    p.node = node;
    p.deadline = now + m_options.response_timeout;
    p.sent_at = now;
    p.requests.push_back(request);
    send(EnrRequest{.expiration = expiration(now_unix)}, address_of(node), &p.ping_hash);
    m_pending.push_back(std::move(p));
    return true;
}

void Discv4::send_delayed(const DelayedFind& d, base::TimePoint now, std::uint64_t now_unix) {
    if (d.enr_request != 0) {
        if (!send_enr_request(d.node, d.enr_request, now, now_unix)) {
            Pending failed;
            failed.purpose = Purpose::enr;
            failed.node = d.node;
            failed.requests.push_back(d.enr_request);
            fail_requests(failed);
        }
        return;
    }
    auto it = m_lookups.find(d.lookup);
    if (it == m_lookups.end()) return;
    if (!send_find_node(d.node, d.lookup, now, now_unix)) {
        (void)it->second.lookup.on_failure(d.node.id);
        advance_lookup(d.lookup, now, now_unix);
    }
}

bool Discv4::send_find_node(const KadNode& node, std::uint64_t lookup, base::TimePoint now,
                            std::uint64_t now_unix) {
    if (m_pending.size() >= m_options.max_pending) return false;
    auto it = m_lookups.find(lookup);
    if (it == m_lookups.end()) return false;
    Pending p;
    p.purpose = Purpose::find_node;
    p.node = node;
    p.deadline = now + m_options.response_timeout;
    p.lookup = lookup;
    send(FindNode{.target = it->second.target, .expiration = expiration(now_unix)}, address_of(node));
    m_pending.push_back(std::move(p));
    return true;
}

void Discv4::query(const KadNode& node, std::uint64_t lookup, base::TimePoint now, std::uint64_t now_unix) {
    if (they_know_us(node, now)) {
        if (!send_find_node(node, lookup, now, now_unix)) m_lookups.at(lookup).lookup.on_failure(node.id);
        return;
    }
    // geth's ensureBond: ping first; they ping back to check us, and once we answered, FindNode goes out
    // (or after respTimeout, as geth sleeps that long).
    if (!send_ping(node, Purpose::bond, now, now_unix)) {
        m_lookups.at(lookup).lookup.on_failure(node.id);
        return;
    }
    m_delayed.push_back(DelayedFind{node, lookup, now + m_options.response_timeout, 0});
}

void Discv4::advance_lookup(std::uint64_t id, base::TimePoint now, std::uint64_t now_unix) {
    for (;;) {
        auto it = m_lookups.find(id);
        if (it == m_lookups.end()) return;
        const auto queries = it->second.lookup.next_queries();
        if (queries.empty()) return;
        for (const auto& q : queries)
            query(q, id, now, now_unix);
    }
}

void Discv4::finish_find_node(Pending& p, base::TimePoint now, std::uint64_t now_unix) {
    for (const auto& n : p.received) {
        emit(Event::Kind::seen, n);
        (void)m_table.add_seen(n, now);
    }
    emit(p.answered ? Event::Kind::find_answered : Event::Kind::find_failed, p.node);
    auto it = m_lookups.find(p.lookup);
    if (it == m_lookups.end()) return;
    if (p.answered)
        (void)it->second.lookup.on_response(p.node.id, p.received);
    else
        (void)it->second.lookup.on_failure(p.node.id);
    advance_lookup(p.lookup, now, now_unix);
}

std::optional<std::uint64_t> Discv4::start_lookup(const PublicKey& target, base::TimePoint now,
                                                  std::uint64_t now_unix) {
    if (m_lookups.size() >= m_options.max_lookups) return std::nullopt;
    const KadId target_id = node_id(target);
    const auto seeds = m_table.closest(target_id, discovery::kad::k_bucket_size);
    const std::uint64_t id = m_next_lookup++;
    m_lookups.emplace(
        id, LookupState{discovery::KadLookup(self_id(), target_id, seeds, m_options.lookup), target});
    advance_lookup(id, now, now_unix);
    return id;
}

bool Discv4::lookup_done(std::uint64_t id) const {
    auto it = m_lookups.find(id);
    return it != m_lookups.end() && it->second.lookup.done();
}

std::optional<std::vector<KadNode>> Discv4::take_lookup_result(std::uint64_t id) {
    auto it = m_lookups.find(id);
    if (it == m_lookups.end() || !it->second.lookup.done()) return std::nullopt;
    auto result = it->second.lookup.result();
    m_lookups.erase(it);
    return result;
}

// ---- timers ----

void Discv4::tick(base::TimePoint now, std::uint64_t now_unix) {
    std::vector<Pending> due;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (it->deadline <= now) {
            due.push_back(std::move(*it));
            it = m_pending.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& p : due) {
        switch (p.purpose) {
            case Purpose::bond:
                fail_requests(p);  // not proven: not added
                break;
            case Purpose::enr:
                fail_requests(p);
                break;
            case Purpose::revalidate:
                (void)m_table.revalidation_failed(p.node.id, now);
                break;
            case Purpose::find_node:
                finish_find_node(p, now, now_unix);
                break;
        }
    }

    std::vector<DelayedFind> ready;
    std::erase_if(m_delayed, [&](const DelayedFind& d) {
        if (d.send_at > now) return false;
        ready.push_back(d);
        return true;
    });
    for (const auto& d : ready)
        send_delayed(d, now, now_unix);

    if (now >= m_next_revalidation) {
        m_next_revalidation = now + m_table.next_revalidate_delay();
        if (auto node = m_table.node_to_revalidate())
            (void)send_ping(*node, Purpose::revalidate, now, now_unix);
    }
}

base::TimePoint Discv4::next_wakeup() const {
    base::TimePoint t = m_next_revalidation;
    for (const auto& p : m_pending)
        t = std::min(t, p.deadline);
    for (const auto& d : m_delayed)
        t = std::min(t, d.send_at);
    return t;
}

// ---- packets ----

base::Result<void> Discv4::handle_packet(base::ByteView datagram, const UdpAddress& from, base::TimePoint now,
                                         std::uint64_t now_unix) {
    auto packet = decode(datagram);
    PEERLINK_TRY(packet);
    if (node_id(packet->sender) == self_id()) return base::fail(Errc::unsolicited);
    if (is_expired(packet->message, now_unix)) return base::fail(Errc::expired);
    const Packet& p = *packet;
    return std::visit(
        [&](const auto& m) -> base::Result<void> {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Ping>)
                return on_ping(p, m, from, now, now_unix);
            else if constexpr (std::is_same_v<T, Pong>)
                return on_pong(p, m, from, now);
            else if constexpr (std::is_same_v<T, FindNode>)
                return on_find_node(p, m, from, now, now_unix);
            else if constexpr (std::is_same_v<T, Neighbors>)
                return on_neighbors(p, m, from, now, now_unix);
            else if constexpr (std::is_same_v<T, EnrRequest>)
                return on_enr_request(p, from, now);
            else
                return on_enr_response(p, m, from, now);
        },
        p.message);
}

base::Result<void> Discv4::on_ping(const Packet& packet, const Ping& ping, const UdpAddress& from,
                                   base::TimePoint now, std::uint64_t now_unix) {
    // The reply goes to the UDP source and names it, whatever the packet's from-endpoint claims; only
    // the TCP port is taken from the packet (geth handlePing).
    send(Pong{.to = Endpoint{from.ip, from.port, ping.from.tcp_port},
              .ping_hash = packet.hash,
              .expiration = expiration(now_unix),
              .enr_seq = m_record.seq()},
         from);
    const KadNode node = make_node(packet.sender, from.ip, from.port, ping.from.tcp_port);
    const bool proven = has_proof(node.id, from.ip, now);
    bond_of(node.id, from.ip, now)->last_ping = now;
    emit(Event::Kind::pinged_by, node);
    if (proven) {
        if (m_table.add_verified(node, now) == KadTable::AddResult::added) emit(Event::Kind::added, node);
    } else
        (void)send_ping(node, Purpose::bond, now, now_unix);

    // FindNodes that waited for them to check us can go now.
    std::vector<DelayedFind> ready;
    std::erase_if(m_delayed, [&](const DelayedFind& d) {
        if (d.node.id != node.id) return false;
        ready.push_back(d);
        return true;
    });
    for (const auto& d : ready)
        send_delayed(d, now, now_unix);
    return {};
}

base::Result<void> Discv4::on_pong(const Packet& packet, const Pong& pong, const UdpAddress& from,
                                   base::TimePoint now) {
    const KadId id = node_id(packet.sender);
    auto it = std::find_if(m_pending.begin(), m_pending.end(), [&](const Pending& p) {
        return (p.purpose == Purpose::bond || p.purpose == Purpose::revalidate) && p.node.id == id &&
               p.node.ip == from.ip && p.ping_hash == pong.ping_hash;
    });
    if (it == m_pending.end()) return base::fail(Errc::unsolicited);
    const Pending p = std::move(*it);
    m_pending.erase(it);
    bond_of(id, from.ip, now)->last_pong = now;
    Event proven;
    proven.kind = Event::Kind::pong;
    proven.node = p.node;
    proven.enr_seq = pong.enr_seq;
    m_events.push_back(std::move(proven));
    if (p.purpose == Purpose::bond) {
        if (m_table.add_verified(p.node, now) == KadTable::AddResult::added) emit(Event::Kind::added, p.node);
    } else {
        m_table.revalidation_succeeded(p.node);
    }
    for (const auto request : p.requests) {
        Event e;
        e.kind = Event::Kind::ping_done;
        e.node = p.node;
        e.request = request;
        e.ok = true;
        e.rtt = now - p.sent_at;
        m_events.push_back(std::move(e));
    }
    return {};
}

base::Result<void> Discv4::on_find_node(const Packet& packet, const FindNode& find, const UdpAddress& from,
                                        base::TimePoint now, std::uint64_t now_unix) {
    // Endpoint proof: without a recent pong from them, answering would let them aim our Neighbors
    // packets at someone else's address (traffic amplification).
    if (!has_proof(node_id(packet.sender), from.ip, now)) return base::fail(Errc::unknown_node);
    const auto closest = m_table.closest(node_id(find.target), discovery::kad::k_bucket_size, true);
    Neighbors batch{.nodes = {}, .expiration = expiration(now_unix)};
    bool sent = false;
    for (const auto& n : closest) {
        if (n.key.size() != 64 || !may_relay(from.ip, n.ip)) continue;
        batch.nodes.push_back(NeighborNode{Endpoint{n.ip, n.udp_port, n.tcp_port}, key_of(n)});
        if (batch.nodes.size() == k_max_neighbors) {
            send(batch, from);
            batch.nodes.clear();
            sent = true;
        }
    }
    if (!batch.nodes.empty() || !sent) send(batch, from);
    return {};
}

base::Result<void> Discv4::on_neighbors(const Packet& packet, const Neighbors& neighbors,
                                        const UdpAddress& from, base::TimePoint now, std::uint64_t now_unix) {
    const KadId id = node_id(packet.sender);
    const auto matches = [&](const Pending& p) {
        return p.purpose == Purpose::find_node && p.node.id == id && p.node.ip == from.ip;
    };
    if (std::none_of(m_pending.begin(), m_pending.end(), matches)) return base::fail(Errc::unsolicited);
    std::vector<KadNode> nodes;
    for (const auto& n : neighbors.nodes) {
        // geth's nodeFromRPC: no privileged ports, no relayed LAN/loopback addresses, a valid key.
        if (n.endpoint.udp_port <= 1024 || !may_relay(from.ip, n.endpoint.ip)) continue;
        if (m_options.ip_allowed && !m_options.ip_allowed(n.endpoint.ip)) continue;
        if (!secp::validate_public_key(n.id).ok()) continue;
        if (node_id(n.id) == self_id()) continue;  // they name us back: nothing to learn
        nodes.push_back(make_node(n.id, n.endpoint.ip, n.endpoint.udp_port, n.endpoint.tcp_port));
    }
    // As geth's reply loop, the answer goes to every FindNode pending at that node: two lookups may ask
    // the same node at once, and a Neighbors packet does not say which target it answers.
    std::vector<Pending> complete;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (!matches(*it)) {
            ++it;
            continue;
        }
        it->answered = true;
        for (const auto& n : nodes) {
            if (it->received.size() >= discovery::kad::k_bucket_size) break;
            it->received.push_back(n);
        }
        // geth's findnode collects until 16 nodes came; fewer end at the reply deadline.
        if (it->received.size() >= discovery::kad::k_bucket_size) {
            complete.push_back(std::move(*it));
            it = m_pending.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& p : complete)
        finish_find_node(p, now, now_unix);
    return {};
}

base::Result<void> Discv4::on_enr_request(const Packet& packet, const UdpAddress& from, base::TimePoint now) {
    if (!has_proof(node_id(packet.sender), from.ip, now)) return base::fail(Errc::unknown_node);
    send(EnrResponse{.request_hash = packet.hash, .record = m_record}, from);
    return {};
}

base::Result<void> Discv4::on_enr_response(const Packet& packet, const EnrResponse& response,
                                           const UdpAddress& from, base::TimePoint now) {
    (void)now;
    const KadId id = node_id(packet.sender);
    auto it = std::find_if(m_pending.begin(), m_pending.end(), [&](const Pending& p) {
        return p.purpose == Purpose::enr && p.node.id == id && p.node.ip == from.ip &&
               p.ping_hash == response.request_hash;
    });
    if (it == m_pending.end()) return base::fail(Errc::unsolicited);
    const Pending p = std::move(*it);
    m_pending.erase(it);
    // geth RequestENR: a record of another node is an error (the packet itself is signed by the sender).
    const bool valid = response.record.node_id() == id;
    for (const auto request : p.requests) {
        Event e;
        e.kind = Event::Kind::enr_done;
        e.node = p.node;
        e.request = request;
        e.ok = valid;
        if (valid) e.record = response.record;
        m_events.push_back(std::move(e));
    }
    if (!valid) return base::fail(Errc::malformed);
    return {};
}

}  // namespace peerlink::devp2p::discv4
