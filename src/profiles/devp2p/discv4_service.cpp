// The discv4 UDP driver: socket reads into a 1280-byte buffer, the core's timer, the refresh loop (geth
// doRefresh: seeds, a self lookup, three random lookups), node database batches and user requests.
#include "profiles/devp2p/discv4_service.hpp"

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <utility>

#include "base/log.hpp"
#include "crypto/crypto.hpp"
#include "profiles/devp2p/node_db.hpp"

namespace peerlink::devp2p {

namespace secp = crypto::secp256k1;
using discovery::KadNode;

namespace {

auto& logger() {
    return base::log::get(base::log::Category::devp2p);
}

constexpr base::Duration k_db_commit_interval = std::chrono::seconds(1);
constexpr base::Duration k_db_expire_interval = std::chrono::minutes(10);
/// A table that empties (every node failed revalidation) is refilled at most this often.
constexpr base::Duration k_empty_refresh_interval = std::chrono::seconds(10);
constexpr std::size_t k_max_records = 10'000;
constexpr std::uint32_t k_max_find_failures = 5;
/// geth doRefresh: after the self lookup, this many lookups for random targets.
constexpr int k_random_lookups = 3;

secp::PublicKey key_of(const KadNode& node) {
    secp::PublicKey key{};
    if (node.key.size() == key.size()) std::copy(node.key.begin(), node.key.end(), key.begin());
    return key;
}

Enode to_enode(const KadNode& node) {
    Enode e;
    e.id = key_of(node);
    e.ip = node.ip.to_string();
    e.ipv6 = !node.ip.is_v4();
    e.tcp_port = node.tcp_port;
    e.udp_port = node.udp_port;
    return e;
}

std::optional<KadNode> to_node(const Enode& e) {
    auto ip = addrbook::IpAddress::parse(e.ip);
    if (!ip) return std::nullopt;
    return KadNode{.id = discv4::node_id(e.id),
                   .key = base::Bytes(e.id.begin(), e.id.end()),
                   .ip = *ip,
                   .udp_port = e.udp_port,
                   .tcp_port = e.tcp_port};
}

/// The endpoint a record names, the fields it lacks taken from `fallback`.
Enode enode_from_record(const enr::Record& record, const Enode& fallback) {
    Enode e = fallback;
    e.id = record.public_key();
    if (auto ip = record.ip()) {
        e.ip = ip->to_string();
        e.ipv6 = !ip->is_v4();
    }
    if (auto tcp = record.tcp_port()) e.tcp_port = *tcp;
    if (auto udp = record.udp_port())
        e.udp_port = *udp;
    else if (record.tcp_port())
        e.udp_port = e.tcp_port;
    return e;
}

addrbook::IpAddress from_asio(const asio::ip::address& a) {
    if (a.is_v4()) return addrbook::IpAddress::v4(a.to_v4().to_uint());
    return addrbook::IpAddress::v6(a.to_v6().to_bytes());
}

asio::ip::address to_asio(const addrbook::IpAddress& ip) {
    if (ip.is_v4()) return asio::ip::address_v4(ip.v4_value());
    return asio::ip::address_v6(ip.bytes());
}

bool in_cidr(const addrbook::IpAddress& ip, const addrbook::IpAddress& net, unsigned bits) {
    if (ip.is_v4() != net.is_v4()) return false;
    const auto& a = ip.bytes();
    const auto& b = net.bytes();
    // IPv4 lives in the last 4 bytes (IPv4-mapped), so its prefix starts at bit 96.
    unsigned offset = ip.is_v4() ? 96 : 0;
    for (unsigned i = 0; i < bits; ++i) {
        const unsigned bit = offset + i;
        const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
        if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
    }
    return true;
}

std::uint64_t unix_now() {
    const auto t = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(t).count());
}

}  // namespace

std::string_view to_string(Discv4Drop reason) {
    switch (reason) {
        case Discv4Drop::malformed:
            return "malformed";
        case Discv4Drop::expired:
            return "expired";
        case Discv4Drop::unsolicited:
            return "unsolicited";
        case Discv4Drop::unknown_node:
            return "unknown_node";
        case Discv4Drop::net_restrict:
            return "net_restrict";
        case Discv4Drop::other:
        case Discv4Drop::count:
            break;
    }
    return "other";
}

std::uint64_t Discv4Stats::dropped_total() const {
    std::uint64_t total = 0;
    for (auto d : dropped)
        total += d;
    return total;
}

Discv4Service::Discv4Service(asio::io_context& io, secp::KeyPair key, Discv4ServiceOptions options)
    : m_io(io),
      m_key(key),
      m_options(std::move(options)),
      m_socket(io),
      m_timer(io),
      m_refresh_timer(io),
      m_db_timer(io) {}

Discv4Service::~Discv4Service() {
    stop();
}

std::uint64_t Discv4Service::now_unix() const {
    return unix_now();
}

bool Discv4Service::allowed(const addrbook::IpAddress& ip) const {
    if (m_restrict.empty()) return true;
    return std::any_of(m_restrict.begin(), m_restrict.end(),
                       [&](const Cidr& c) { return in_cidr(ip, c.net, c.bits); });
}

base::Result<void> Discv4Service::start() {
    if (m_running) return {};
    m_restrict.clear();
    for (const auto& text : m_options.net_restrict) {
        const auto slash = text.find('/');
        auto net = addrbook::IpAddress::parse(text.substr(0, slash));
        unsigned bits = 0;
        bool good = net.has_value() && slash != std::string::npos && slash + 1 < text.size() &&
                    text.size() - slash <= 4;
        for (std::size_t i = slash + 1; good && i < text.size(); ++i) {
            good = text[i] >= '0' && text[i] <= '9';
            bits = bits * 10 + static_cast<unsigned>(text[i] - '0');
        }
        if (!good || bits > (net->is_v4() ? 32u : 128u)) {
            logger().error("discv4: bad net_restrict entry '{}' (want CIDR like 10.0.0.0/8)", text);
            return base::fail(std::make_error_code(std::errc::invalid_argument));
        }
        m_restrict.push_back(Cidr{*net, bits});
    }

    std::error_code ec;
    const auto address = asio::ip::make_address(m_options.listen_host, ec);
    if (ec) return base::fail(ec);
    const asio::ip::udp::endpoint listen(address, m_options.listen_port);
    m_socket.open(listen.protocol(), ec);
    if (ec) return base::fail(ec);
    m_socket.bind(listen, ec);
    if (!ec) m_socket.non_blocking(true, ec);
    if (ec) {
        std::error_code ignored;
        m_socket.close(ignored);
        return base::fail(ec);
    }

    addrbook::IpAddress self_ip = m_options.external_ip.value_or(from_asio(address));
    if (self_ip == addrbook::IpAddress() || (self_ip.is_v4() && self_ip.v4_value() == 0))
        self_ip = addrbook::IpAddress::v4(0x7f000001);  // bound to any: advertise loopback unless told
    auto protocol = m_options.protocol;
    protocol.self = discv4::Endpoint{self_ip, local_port(), m_options.tcp_port};
    if (!m_restrict.empty())
        protocol.ip_allowed = [this](const addrbook::IpAddress& ip) { return allowed(ip); };
    try {
        m_core = std::make_unique<discv4::Discv4>(m_key.secret_key, std::move(protocol), m_random,
                                                  base::SteadyClock::now());
    } catch (const std::invalid_argument& e) {
        logger().error("discv4: {}", e.what());
        std::error_code ignored;
        m_socket.close(ignored);
        return base::fail(std::make_error_code(std::errc::invalid_argument));
    }

    auto db = NodeDb::open(m_options.node_db, now_unix());
    if (!db.ok()) {
        std::error_code ignored;
        m_socket.close(ignored);
        m_core.reset();
        return base::fail(db.error());
    }
    m_db = std::move(*db);
    m_running = true;
    m_next_expire = base::SteadyClock::now() + k_db_expire_interval;
    logger().info("discv4 listening on {}:{} as {}", m_options.listen_host, local_port(),
                  format_enode(self()));

    receive();
    for (const auto& boot : m_options.bootnodes) {
        auto node = to_node(boot);
        if (!node) continue;
        m_core->ping_request(boot.id, discv4::UdpAddress{node->ip, node->udp_port}, base::SteadyClock::now(),
                             now_unix(), node->tcp_port);
    }
    refresh();
    schedule_db_commit();
    after();
    return {};
}

void Discv4Service::stop() {
    if (!m_running) return;
    m_running = false;
    std::error_code ec;
    m_socket.close(ec);
    m_timer.cancel();
    m_refresh_timer.cancel();
    m_db_timer.cancel();
    if (m_db && !m_db->commit().ok()) logger().warn("discv4: node database commit failed on stop");
    complete_all();
    m_db.reset();
}

void Discv4Service::complete_all() {
    // Callbacks may start new requests; those fail at once since we are no longer running.
    auto pings = std::exchange(m_pings, {});
    auto lookups = std::exchange(m_lookups, {});
    auto waiting = std::exchange(m_waiting, {});
    auto enrs = std::exchange(m_enr_requests, {});
    for (auto& [id, done] : pings)
        if (done) done(false, std::nullopt);
    for (auto& [id, done] : lookups)
        if (done) done({});
    for (auto& w : waiting)
        if (w.done) w.done({});
    for (auto& [id, done] : enrs)
        if (done) done(std::nullopt);
}

std::uint16_t Discv4Service::local_port() const {
    std::error_code ec;
    const auto ep = m_socket.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

Enode Discv4Service::self() const {
    Enode e;
    e.id = m_key.public_key;
    const auto ip = m_core ? m_core->record().ip() : std::nullopt;
    const addrbook::IpAddress self_ip = ip.value_or(addrbook::IpAddress::v4(0x7f000001));
    e.ip = self_ip.to_string();
    e.ipv6 = !self_ip.is_v4();
    e.tcp_port = m_options.tcp_port;
    e.udp_port = local_port();
    return e;
}

const enr::Record& Discv4Service::record() const {
    if (!m_core) throw std::logic_error("Discv4Service::record before start");
    return m_core->record();
}

std::size_t Discv4Service::table_size() const {
    return m_core ? m_core->table().size() : 0;
}

std::vector<Enode> Discv4Service::table_nodes() const {
    std::vector<Enode> out;
    if (!m_core) return out;
    for (const auto& n : m_core->table().nodes())
        out.push_back(to_enode(n));
    return out;
}

std::vector<Enode> Discv4Service::random_nodes(std::size_t n) {
    auto all = table_nodes();
    // Partial Fisher-Yates: the first n are a uniform sample.
    const std::size_t count = std::min(n, all.size());
    for (std::size_t i = 0; i < count; ++i) {
        const auto j = i + static_cast<std::size_t>(m_random.uniform(all.size() - i));
        std::swap(all[i], all[j]);
    }
    all.resize(count);
    return all;
}

std::optional<enr::Record> Discv4Service::known_record(const secp::PublicKey& id) const {
    auto it = m_records.find(id);
    if (it != m_records.end()) return it->second;
    if (m_db)
        if (auto e = m_db->get(id)) return e->record;
    return std::nullopt;
}

bool Discv4Service::requests_full() const {
    return m_pings.size() + m_lookups.size() + m_waiting.size() + m_enr_requests.size() >=
           m_options.max_requests;
}

// ---- user requests ----

void Discv4Service::ping(const Enode& node,
                         std::function<void(bool, std::optional<std::chrono::milliseconds>)> done) {
    auto fail = [&] {
        asio::post(m_io, [done = std::move(done)] {
            if (done) done(false, std::nullopt);
        });
    };
    auto n = to_node(node);
    if (!m_running || !n || requests_full()) return fail();
    const auto request = m_core->ping_request(node.id, discv4::UdpAddress{n->ip, n->udp_port},
                                              base::SteadyClock::now(), now_unix(), n->tcp_port);
    if (request == 0) return fail();
    m_pings.emplace(request, std::move(done));
    after();
}

void Discv4Service::request_enr(const Enode& node, std::function<void(std::optional<enr::Record>)> done) {
    auto n = to_node(node);
    if (!m_running || !n || requests_full()) {
        asio::post(m_io, [done = std::move(done)] {
            if (done) done(std::nullopt);
        });
        return;
    }
    const auto request = m_core->request_enr(node.id, discv4::UdpAddress{n->ip, n->udp_port},
                                             base::SteadyClock::now(), now_unix(), n->tcp_port);
    if (request == 0) {
        asio::post(m_io, [done = std::move(done)] {
            if (done) done(std::nullopt);
        });
        return;
    }
    m_enr_requests.emplace(request, std::move(done));
    after();
}

void Discv4Service::lookup(const secp::PublicKey& target, std::function<void(std::vector<Enode>)> done) {
    if (!m_running || requests_full()) {
        asio::post(m_io, [done = std::move(done)] {
            if (done) done({});
        });
        return;
    }
    m_waiting.push_back(WaitingLookup{target, std::move(done)});
    start_waiting_lookups();
    after();
}

void Discv4Service::start_waiting_lookups() {
    while (m_running && !m_waiting.empty()) {
        // geth: a lookup on an empty table first refreshes from the seeds and bootnodes.
        if (m_core->table().size() == 0) load_seeds();
        auto id = m_core->start_lookup(m_waiting.front().target, base::SteadyClock::now(), now_unix());
        if (!id) return;  // max_lookups running: started when one finishes
        m_lookups.emplace(*id, std::move(m_waiting.front().done));
        m_waiting.pop_front();
    }
}

void Discv4Service::resolve(const Enode& node, std::function<void(std::optional<Enode>)> done) {
    // geth Resolve: ask the node itself; failing that, look its ID up and ask the endpoint found.
    std::weak_ptr<bool> alive = m_alive;
    request_enr(node, [this, alive, node, done = std::move(done)](std::optional<enr::Record> record) mutable {
        if (alive.expired()) return;
        if (record && record->public_key() == node.id) return done(enode_from_record(*record, node));
        lookup(node.id, [this, alive, node, done = std::move(done)](std::vector<Enode> found) mutable {
            if (alive.expired()) return;
            auto it =
                std::find_if(found.begin(), found.end(), [&](const Enode& e) { return e.id == node.id; });
            if (it == found.end()) return done(std::nullopt);
            const Enode at = *it;
            if (at.ip == node.ip && at.udp_port == node.udp_port) return done(at);  // asked there already
            request_enr(at, [at, done = std::move(done)](std::optional<enr::Record> again) {
                done(again && again->public_key() == at.id ? enode_from_record(*again, at) : at);
            });
        });
    });
}

// ---- refresh ----

void Discv4Service::load_seeds() {
    const auto now = base::SteadyClock::now();
    std::size_t seeded = 0;
    if (m_db)
        for (const auto& e : m_db->query_seeds(m_options.seed_count, m_options.seed_max_age, now_unix())) {
            if (!allowed(e.ip)) continue;
            const KadNode node{.id = discv4::node_id(e.key),
                               .key = base::Bytes(e.key.begin(), e.key.end()),
                               .ip = e.ip,
                               .udp_port = e.udp_port,
                               .tcp_port = e.tcp_port};
            if (m_core->add_seed(node, now) == discovery::KadTable::AddResult::added) ++seeded;
            // The stored proofs, on the steady clock (a time ahead of ours is ignored).
            const std::uint64_t unix_now = now_unix();
            const auto steady = [&](std::uint64_t unix_time) -> std::optional<base::TimePoint> {
                if (unix_time == 0 || unix_time > unix_now) return std::nullopt;
                return now - std::chrono::seconds(unix_now - unix_time);
            };
            m_core->restore_bond(node.id, e.ip, steady(e.last_pong), steady(e.last_ping), now);
        }
    for (const auto& boot : m_options.bootnodes)
        if (auto node = to_node(boot)) (void)m_core->add_seed(*node, now);
    logger().debug("discv4: seeded {} nodes from the database, {} bootnodes", seeded,
                   m_options.bootnodes.size());
}

void Discv4Service::refresh() {
    if (!m_running || m_refreshing) return;
    m_refreshing = true;
    m_last_refresh = base::SteadyClock::now();
    load_seeds();
    refresh_step(0);
}

void Discv4Service::refresh_step(int step) {
    if (!m_running) {
        m_refreshing = false;
        return;
    }
    if (step > k_random_lookups) {
        m_refreshing = false;
        logger().debug("discv4: refresh done, {} nodes in the table", table_size());
        schedule_refresh(m_options.refresh_interval);
        return;
    }
    secp::PublicKey target = m_key.public_key;  // step 0: self lookup
    if (step > 0) crypto::random_bytes(target);
    std::weak_ptr<bool> alive = m_alive;
    auto next = [this, alive, step](std::vector<Enode>) {
        if (alive.expired()) return;
        refresh_step(step + 1);
    };
    // Refresh lookups bypass max_requests so that user requests cannot starve the table.
    m_waiting.push_back(WaitingLookup{target, std::move(next)});
    start_waiting_lookups();
    after();
}

void Discv4Service::schedule_refresh(base::Duration delay) {
    m_refresh_timer.expires_after(delay);
    std::weak_ptr<bool> alive = m_alive;
    m_refresh_timer.async_wait([this, alive](const std::error_code& ec) {
        if (ec || alive.expired() || !m_running) return;
        refresh();
    });
}

void Discv4Service::schedule_db_commit() {
    m_db_timer.expires_after(k_db_commit_interval);
    std::weak_ptr<bool> alive = m_alive;
    m_db_timer.async_wait([this, alive](const std::error_code& ec) {
        if (ec || alive.expired() || !m_running) return;
        flush_db();
        schedule_db_commit();
    });
}

void Discv4Service::flush_db() {
    if (!m_db) return;
    const auto now = base::SteadyClock::now();
    if (now >= m_next_expire) {
        m_next_expire = now + k_db_expire_interval;
        if (const auto n = m_db->expire(now_unix()); n > 0)
            logger().debug("discv4: expired {} database nodes", n);
    }
    if (m_db->dirty() && !m_db->commit().ok()) logger().warn("discv4: node database commit failed");
}

// ---- I/O ----

void Discv4Service::receive() {
    std::weak_ptr<bool> alive = m_alive;
    m_socket.async_receive_from(asio::buffer(m_buffer), m_sender,
                                [this, alive](const std::error_code& ec, std::size_t size) {
                                    if (alive.expired() || !m_running) return;
                                    if (ec) {
                                        if (ec == asio::error::operation_aborted) return;
                                        // ICMP errors (connection refused) surface here on Linux: not fatal.
                                        logger().debug("discv4: receive error: {}", ec.message());
                                    } else {
                                        on_datagram(size);
                                    }
                                    if (m_running) receive();
                                });
}

void Discv4Service::on_datagram(std::size_t size) {
    ++m_stats.packets_in;
    m_stats.bytes_in += size;
    const discv4::UdpAddress from{from_asio(m_sender.address()), m_sender.port()};
    auto drop = [&](Discv4Drop reason, std::string_view detail) {
        ++m_stats.dropped[static_cast<std::size_t>(reason)];
        logger().debug("discv4: dropped {} bytes from {}:{}: {} ({})", size, from.ip.to_string(), from.port,
                       to_string(reason), detail);
    };
    if (!allowed(from.ip)) return drop(Discv4Drop::net_restrict, "sender outside net_restrict");
    auto result = m_core->handle_packet(base::ByteView(m_buffer.data(), size), from, base::SteadyClock::now(),
                                        now_unix());
    if (!result.ok()) {
        const auto ec = result.error();
        Discv4Drop reason = Discv4Drop::other;
        if (ec == discv4::Errc::expired)
            reason = Discv4Drop::expired;
        else if (ec == discv4::Errc::unsolicited)
            reason = Discv4Drop::unsolicited;
        else if (ec == discv4::Errc::unknown_node)
            reason = Discv4Drop::unknown_node;
        else if (ec.category() == discv4::Errc_category())
            reason = Discv4Drop::malformed;
        drop(reason, ec.message());
    }
    after();
}

void Discv4Service::flush_outgoing() {
    if (!m_core) return;
    for (auto& d : m_core->take_outgoing()) {
        if (!m_running) continue;
        std::error_code ec;
        // Non-blocking: a full socket buffer drops the datagram (UDP may lose it anyway).
        m_socket.send_to(asio::buffer(d.bytes), asio::ip::udp::endpoint(to_asio(d.to.ip), d.to.port), 0, ec);
        if (ec) {
            ++m_stats.send_errors;
            logger().debug("discv4: send to {}:{} failed: {}", d.to.ip.to_string(), d.to.port, ec.message());
            continue;
        }
        ++m_stats.packets_out;
        m_stats.bytes_out += d.bytes.size();
    }
}

void Discv4Service::after() {
    // Callbacks may call back into us; the outermost call loops until nothing is left.
    if (m_in_after) {
        m_again = true;
        return;
    }
    m_in_after = true;
    do {
        m_again = false;
        flush_outgoing();
        process_events();
        flush_outgoing();
    } while (m_again);
    m_in_after = false;
    arm_timer();
}

void Discv4Service::process_events() {
    if (!m_core) return;
    std::vector<std::function<void()>> calls;
    const auto unix = now_unix();
    for (auto& e : m_core->take_events()) {
        const auto key = key_of(e.node);
        switch (e.kind) {
            case discv4::Event::Kind::pong:
                if (m_db) (void)m_db->record_pong(key, e.node.ip, e.node.udp_port, e.node.tcp_port, unix);
                [[fallthrough]];
            case discv4::Event::Kind::added:
                if (m_core->table().contains(e.node.id) && m_announced.insert(e.node.id).second &&
                    on_node_added)
                    calls.push_back([this, n = to_enode(e.node)] {
                        if (on_node_added) on_node_added(n);
                    });
                break;
            case discv4::Event::Kind::pinged_by:
                if (m_db) (void)m_db->record_ping(key, e.node.ip, e.node.udp_port, e.node.tcp_port, unix);
                break;
            case discv4::Event::Kind::find_failed:
                if (m_db) {
                    (void)m_db->record_find_failure(key);
                    // geth maxFindnodeFailures: a node that keeps failing FindNode leaves the table.
                    const auto entry = m_db->get(key);
                    if (entry && entry->find_fails >= k_max_find_failures && m_core->remove_node(e.node.id))
                        logger().debug("discv4: {} removed after {} FindNode failures", e.node.ip.to_string(),
                                       entry->find_fails);
                }
                break;
            case discv4::Event::Kind::find_answered:
                if (m_db) (void)m_db->record_find_success(key);
                break;
            case discv4::Event::Kind::seen:
                if (on_node_seen)
                    calls.push_back([this, n = to_enode(e.node)] {
                        if (on_node_seen) on_node_seen(n);
                    });
                break;
            case discv4::Event::Kind::ping_done: {
                auto it = m_pings.find(e.request);
                if (it == m_pings.end()) break;
                const auto rtt = std::chrono::duration_cast<std::chrono::milliseconds>(e.rtt);
                calls.push_back([done = std::move(it->second), ok = e.ok, rtt] {
                    if (done) done(ok, ok ? std::optional(rtt) : std::nullopt);
                });
                m_pings.erase(it);
                break;
            }
            case discv4::Event::Kind::enr_done: {
                if (e.ok && e.record) {
                    if (m_records.size() >= k_max_records && !m_records.contains(key))
                        m_records.erase(m_records.begin());
                    m_records.insert_or_assign(key, *e.record);
                    if (m_db) (void)m_db->store_record(*e.record);
                }
                auto it = m_enr_requests.find(e.request);
                if (it == m_enr_requests.end()) break;
                calls.push_back([done = std::move(it->second), record = e.ok ? e.record : std::nullopt] {
                    if (done) done(record);
                });
                m_enr_requests.erase(it);
                break;
            }
        }
    }
    if (m_announced.size() > 2 * discovery::kad::k_buckets * discovery::kad::k_bucket_size)
        std::erase_if(m_announced, [&](const discovery::KadId& id) { return !m_core->table().contains(id); });

    // Finished lookups.
    for (auto it = m_lookups.begin(); it != m_lookups.end();) {
        if (!m_core->lookup_done(it->first)) {
            ++it;
            continue;
        }
        auto result = m_core->take_lookup_result(it->first);
        std::vector<Enode> found;
        if (result)
            for (const auto& n : *result)
                found.push_back(to_enode(n));
        calls.push_back([done = std::move(it->second), found = std::move(found)]() mutable {
            if (done) done(std::move(found));
        });
        it = m_lookups.erase(it);
    }
    start_waiting_lookups();
    if (!calls.empty()) m_again = true;
    for (auto& call : calls)
        call();
}

void Discv4Service::arm_timer() {
    if (!m_running || !m_core) return;
    auto wake = m_core->next_wakeup();
    const auto now = base::SteadyClock::now();
    // The table emptied: refill it soon (geth refreshes whenever a lookup meets an empty table).
    if (m_core->table().size() == 0 && !m_refreshing)
        wake = std::min(wake, std::max(now, m_last_refresh + k_empty_refresh_interval));
    if (m_timer_armed && wake == m_armed_for) return;
    m_armed_for = wake;
    m_timer_armed = true;
    m_timer.expires_at(wake);
    std::weak_ptr<bool> alive = m_alive;
    m_timer.async_wait([this, alive](const std::error_code& ec) {
        if (ec || alive.expired()) return;
        m_timer_armed = false;
        on_timer();
    });
}

void Discv4Service::on_timer() {
    if (!m_running) return;
    const auto now = base::SteadyClock::now();
    m_core->tick(now, now_unix());
    if (m_core->table().size() == 0 && !m_refreshing && now >= m_last_refresh + k_empty_refresh_interval) {
        m_refresh_timer.cancel();
        refresh();
    }
    after();
}

}  // namespace peerlink::devp2p
