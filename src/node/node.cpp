#include "node/node.hpp"

#include <future>
#include <set>
#include <stdexcept>

#include "base/log.hpp"
#include "connmgr/ip_address.hpp"
#include "crypto/crypto.hpp"
#include "node/node_services.hpp"

namespace peerlink::node {
namespace {

using namespace std::chrono_literals;
constexpr std::size_t k_max_gossip_log = 100'000;
constexpr auto k_pump_period = 250ms;

enum class Errc { banned = 1 };
const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::banned:
            return "banned";
    }
    return "unknown node error";
}
const std::error_category& node_category() {
    static const base::MessageCategory category("peerlink.node", describe);
    return category;
}
std::error_code make_error(Errc e) {
    return {static_cast<int>(e), node_category()};
}

spdlog::logger& log() {
    return base::log::get(base::log::Category::node);
}

std::uint64_t random_u64() {
    std::uint64_t value = 0;
    crypto::random_bytes({reinterpret_cast<std::uint8_t*>(&value), sizeof value});
    return value;
}

cometbft::NodeKey load_key(const Config& config) {
    crypto::init();
    const auto path = config.resolve(config.node_key_file);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    auto key = cometbft::load_or_create_node_key(path);
    if (!key.ok()) throw std::runtime_error(path.string() + ": " + key.error().message());
    return *key;
}

connmgr::Options connmgr_options(const Config& c) {
    connmgr::Options o;
    o.max_inbound = c.p2p.max_num_inbound_peers;
    o.max_outbound = c.p2p.max_num_outbound_peers;
    o.max_connections = c.p2p.max_connections;
    o.allow_duplicate_ip = c.p2p.allow_duplicate_ip;
    o.dial_timeout = c.p2p.dial_timeout;
    o.persistent_max_dial_period = c.p2p.persistent_peers_max_dial_period;
    // A one-host network puts every node behind one IP: the per-IP throttle would stall it.
    if (c.p2p.allow_duplicate_ip) o.max_inbound_attempts_per_ip = 0;
    return o;
}

std::vector<peer::PeerAddress> parse_peers(const std::string& list) {
    std::vector<peer::PeerAddress> out;
    for (const auto& entry : split_list(list)) {
        auto parsed = peer::PeerAddress::parse(entry);
        if (parsed.ok()) out.push_back(std::move(*parsed));  // validated with the config
    }
    return out;
}

std::string hex(base::ByteView bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::int64_t unix_ns_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Node::Node(Config config)
    : m_config(std::move(config)),
      m_key(load_key(m_config)),
      m_random(random_u64()),
      m_book(addrbook::Options{.strict = m_config.p2p.addr_book_strict},
             addrbook::SipKey{random_u64(), random_u64()}),
      m_source(m_book, m_random, [this] { return m_connmgr.outbound_count(); }),
      m_connmgr(connmgr_options(m_config), m_source, m_random, m_key.id()),
      m_router(m_io, {}) {
    m_config.validate("configuration");
    if (m_config.log_level != "info") {
        base::log::set_level_all(spdlog::level::from_str(m_config.log_level));
    }
    const auto book_path = m_config.resolve(m_config.p2p.addr_book_file);
    if (m_config.p2p.pex) {
        auto report = m_book.load(book_path, base::SteadyClock::now(), std::chrono::system_clock::now());
        if (!report.ok()) {
            log().warn("address book {}: {}; starting with an empty book", book_path.string(),
                       report.error().message());
        } else if (report->status == addrbook::LoadReport::Status::set_aside) {
            log().warn("{}", report->message);
        } else if (report->status == addrbook::LoadReport::Status::loaded) {
            log().info("{}", report->message);
        }
    }
    for (auto& p : parse_peers(m_config.p2p.persistent_peers))
        m_connmgr.add_persistent(std::move(p));
    for (const auto& id : split_list(m_config.p2p.unconditional_peer_ids)) {
        if (auto parsed = peer::NodeId::from_hex(id)) m_connmgr.add_unconditional(*parsed);
    }
    for (const auto& id : split_list(m_config.p2p.private_peer_ids))
        m_book.add_private_id(id);
    m_seeds = parse_peers(m_config.p2p.seeds);

    if (m_config.p2p.pex) {
        discovery::PexReactorOptions pex;
        pex.pex.seed_mode = m_config.p2p.seed_mode;
        pex.seeds = m_seeds;
        pex.book_file = book_path;
        m_pex = std::make_shared<discovery::PexReactor>(
            pex, m_book,
            [this] {
                if (m_host) m_host->wake_dialer();
            },
            random_u64(), [this](const peer::PeerAddress& a) { return m_connmgr.dial_once(a); });
        m_router.add_reactor("pex", m_pex);
    } else {
        for (const auto& s : m_seeds)
            (void)m_connmgr.dial_once(s);
    }
    if (m_config.gossip.enabled) {
        gossip::ReactorOptions options;
        options.core.max_message_size = m_config.gossip.max_message_size;
        m_gossip = std::make_shared<gossip::GossipReactor>(
            options, [this](const gossip::MessageId& id, const base::SharedBytes&, const peer::NodeId& from) {
                record_gossip(id, from);
            });
        m_router.add_reactor("gossip", m_gossip);
    }
}

Node::~Node() {
    stop();
}

void Node::add_reactor(std::string name, std::shared_ptr<router::Reactor> reactor) {
    if (m_started) throw std::logic_error("add_reactor after start");
    m_router.add_reactor(std::move(name), std::move(reactor));
}

std::string Node::p2p_address() const {
    auto listen = parse_listen_address(m_config.p2p.laddr);
    std::string host = listen.host == "0.0.0.0" || listen.host == "::" ? "127.0.0.1" : listen.host;
    if (!m_config.p2p.external_address.empty()) {
        const auto external = parse_listen_address(m_config.p2p.external_address);
        return m_key.id().to_hex() + "@" + external.host + ":" + std::to_string(external.port);
    }
    return m_key.id().to_hex() + "@" + host + ":" + std::to_string(m_p2p_port);
}

void Node::start() {
    if (m_started) return;
    const auto listen = parse_listen_address(m_config.p2p.laddr);
    cometbft::HostOptions host;
    host.listen_host = listen.host;
    host.listen_port = listen.port;
    if (!m_config.p2p.external_address.empty()) {
        const auto external = parse_listen_address(m_config.p2p.external_address);
        host.external_address = "tcp://" + external.host + ":" + std::to_string(external.port);
    }
    host.network = m_config.network;
    host.moniker = m_config.moniker;
    host.handshake_timeout = m_config.p2p.handshake_timeout;
    host.mux.max_packet_msg_payload_size = m_config.p2p.max_packet_msg_payload_size;
    host.mux.flush_throttle = m_config.p2p.flush_throttle_timeout;
    host.mux.send_rate = m_config.p2p.send_rate;
    host.mux.recv_rate = m_config.p2p.recv_rate;
    // Bans (PEX misbehaviour, /ban) keep a peer out in both directions.
    host.conn_filters.push_back([this](const std::string& ip, cometbft::FilterDone done) {
        done(m_book.is_banned(ip, base::SteadyClock::now()) ? make_error(Errc::banned) : std::error_code{});
    });
    host.peer_filters.push_back([this](const peer::PeerInfo& info, cometbft::FilterDone done) {
        const auto now = base::SteadyClock::now();
        const bool banned = m_book.is_banned(info.id.to_hex(), now) || m_book.is_banned(info.remote_ip, now);
        done(banned ? make_error(Errc::banned) : std::error_code{});
    });
    m_router.start();
    m_host = std::make_unique<cometbft::Host>(m_io, host, m_key, m_router, m_connmgr);
    if (auto started = m_host->start(); !started.ok()) {
        m_router.stop();
        throw std::runtime_error("p2p.laddr " + m_config.p2p.laddr +
                                 ": cannot listen: " + started.error().message());
    }
    m_p2p_port = m_host->listen_port();
    const auto self = parse_listen_address(p2p_address().substr(p2p_address().find('@') + 1));
    m_book.add_our_address({.id = m_key.id().to_hex(), .ip = self.host, .port = self.port});

    register_metrics();
    m_work.emplace(m_io.get_executor());
    m_pump_timer = std::make_unique<asio::steady_timer>(m_io);
    asio::post(m_io, [this] { pump_events(); });
    m_thread = std::thread([this] { m_io.run(); });
    m_started = true;

    try {
        start_node_services(m_config, *this, m_metrics, m_api, m_metrics_server);
    } catch (...) {
        stop();
        throw;
    }
    log().info("node {} listening on {}:{} (network {})", m_key.id().to_hex(), listen.host, m_p2p_port,
               m_config.network);
}

void Node::stop() {
    if (!m_started || m_stopped) return;
    m_stopped = true;
    if (m_api) m_api->stop();
    if (m_metrics_server) m_metrics_server->stop();
    std::promise<void> closed;
    asio::post(m_io, [this, &closed] {
        m_pump_timer->cancel();
        m_host->stop();
        if (m_pex) m_pex->save_book(/*wait=*/true);
        closed.set_value();
    });
    closed.get_future().wait();
    // Let the close frames and the last writes go out, then end the loop.
    m_work.reset();
    asio::steady_timer grace(m_io, 200ms);
    grace.async_wait([this](std::error_code) { m_io.stop(); });
    m_thread.join();
    m_router.stop();
    log().info("node {} stopped", m_key.id().to_hex());
}

template <typename Fn>
auto Node::on_network(Fn fn) -> decltype(fn()) {
    return run_on_network(m_io, m_thread, !m_started || m_stopped, std::move(fn));
}

void Node::pump_events() {
    // Network thread: router events -> metrics and the public queue; peer stats snapshots, so the
    // traffic of a peer that leaves still counts (up to one pump period of it may be missed).
    for (auto& event : m_router.events().poll()) {
        switch (event.kind) {
            case router::EventKind::peer_up:
            case router::EventKind::peer_down:
                break;
            case router::EventKind::handshake_rejected:
                m_metrics
                    .counter("peerlink_router_handshake_failures_total", "Handshakes that failed, by reason.",
                             {"reason"})
                    .with({event.reason.message()})
                    .inc();
                break;
            case router::EventKind::dial_failed:
                m_metrics.counter("peerlink_connmgr_dials_total", "Dials by outcome.", {"outcome"})
                    .with({"failed"})
                    .inc();
                break;
        }
        if (event.kind == router::EventKind::peer_up && event.direction == peer::Direction::outbound) {
            m_metrics.counter("peerlink_connmgr_dials_total", "Dials by outcome.", {"outcome"})
                .with({"connected"})
                .inc();
        }
        m_events.push(std::move(event));
    }
    // The snapshots follow the peer set itself, not peer_up/peer_down events (the event queue is
    // bounded and may drop them), so they hold one entry per connected peer: a peer gone since the
    // last pump has its last counters folded into the departed totals.
    const auto peers = m_router.peers();
    std::set<peer::NodeId> current;
    for (const auto& p : *peers)
        current.insert(p->id());
    for (auto it = m_last_stats.begin(); it != m_last_stats.end();) {
        if (current.contains(it->first)) {
            ++it;
            continue;
        }
        for (const auto& ch : it->second.channels) {
            auto& d = m_departed[ch.id];
            d.id = ch.id;
            d.bytes_sent += ch.bytes_sent;
            d.bytes_received += ch.bytes_received;
            d.messages_sent += ch.messages_sent;
            d.messages_received += ch.messages_received;
        }
        m_rates.erase(it->first);
        it = m_last_stats.erase(it);
    }
    const double period = std::chrono::duration<double>(k_pump_period).count();
    const auto now = base::SteadyClock::now();
    for (const auto& p : *peers) {
        auto stats = p->stats();
        auto& last = m_last_stats[p->id()];
        auto& rate = m_rates.try_emplace(p->id(), Rates{.since = now}).first->second;
        rate.send =
            static_cast<double>(stats.bytes_sent - std::min(stats.bytes_sent, last.bytes_sent)) / period;
        rate.recv =
            static_cast<double>(stats.bytes_received - std::min(stats.bytes_received, last.bytes_received)) /
            period;
        last = std::move(stats);
    }
    m_pump_timer->expires_after(k_pump_period);
    m_pump_timer->async_wait([this](std::error_code ec) {
        if (!ec) pump_events();
    });
}

void Node::register_metrics() {
    auto& peers = m_metrics.gauge("peerlink_router_peers", "Connected peers by direction.", {"direction"});
    auto& sent = m_metrics.counter("peerlink_mux_sent_bytes_total", "Bytes sent per channel.", {"channel"});
    auto& received =
        m_metrics.counter("peerlink_mux_received_bytes_total", "Bytes received per channel.", {"channel"});
    auto& sent_msgs =
        m_metrics.counter("peerlink_mux_sent_messages_total", "Messages sent per channel.", {"channel"});
    auto& received_msgs = m_metrics.counter("peerlink_mux_received_messages_total",
                                            "Messages received per channel.", {"channel"});
    auto& queue =
        m_metrics.gauge("peerlink_mux_send_queue_messages",
                        "Messages waiting in send queues, summed over peers, per channel.", {"channel"});
    auto& book = m_metrics.gauge("peerlink_addrbook_addresses", "Address book entries by table.", {"table"});
    auto& bans = m_metrics.gauge("peerlink_addrbook_bans", "Bans in force.");
    auto& gossip_counts =
        m_metrics.counter("peerlink_gossip_messages_total", "Gossip messages by event.", {"event"});
    (void)m_metrics.counter("peerlink_connmgr_dials_total", "Dials by outcome.", {"outcome"});
    (void)m_metrics.counter("peerlink_router_handshake_failures_total", "Handshakes that failed, by reason.",
                            {"reason"});
    m_metrics.add_collector([=, this, &peers, &sent, &received, &sent_msgs, &received_msgs, &queue, &book,
                             &bans, &gossip_counts] {
        struct Snapshot {
            std::size_t inbound = 0, outbound = 0, new_size = 0, old_size = 0, bans = 0;
            std::map<mux::ChannelId, mux::ChannelStats> channels;
        };
        const Snapshot s = on_network([this] {
            Snapshot out;
            out.inbound = m_connmgr.inbound_count();
            out.outbound = m_connmgr.outbound_count();
            out.new_size = m_book.new_count();
            out.old_size = m_book.old_count();
            out.bans = m_book.ban_count();
            out.channels = m_departed;
            for (const auto& p : *m_router.peers()) {
                for (const auto& ch : p->stats().channels) {
                    auto& c = out.channels[ch.id];
                    c.id = ch.id;
                    c.bytes_sent += ch.bytes_sent;
                    c.bytes_received += ch.bytes_received;
                    c.messages_sent += ch.messages_sent;
                    c.messages_received += ch.messages_received;
                    c.send_queue_size += ch.send_queue_size;
                }
            }
            return out;
        });
        peers.with({"inbound"}).set(static_cast<double>(s.inbound));
        peers.with({"outbound"}).set(static_cast<double>(s.outbound));
        book.with({"new"}).set(static_cast<double>(s.new_size));
        book.with({"old"}).set(static_cast<double>(s.old_size));
        bans.get().set(static_cast<double>(s.bans));
        for (const auto& [id, ch] : s.channels) {
            const std::string label = fmt::format("0x{:02x}", id);
            sent.with({label}).set(ch.bytes_sent);
            received.with({label}).set(ch.bytes_received);
            sent_msgs.with({label}).set(ch.messages_sent);
            received_msgs.with({label}).set(ch.messages_received);
            queue.with({label}).set(static_cast<double>(ch.send_queue_size));
        }
        if (m_gossip) {
            const auto g = m_gossip->stats();
            gossip_counts.with({"published"}).set(g.published);
            gossip_counts.with({"delivered"}).set(g.delivered);
            gossip_counts.with({"duplicate"}).set(g.duplicates);
            gossip_counts.with({"relayed"}).set(g.relayed);
            gossip_counts.with({"dropped"}).set(g.dropped);
            gossip_counts.with({"rejected"}).set(g.rejected);
        }
    });
}

void Node::record_gossip(const gossip::MessageId& id, const peer::NodeId& from) {
    std::lock_guard lock(m_gossip_mutex);
    if (m_gossip_log.size() >= k_max_gossip_log) m_gossip_log.pop_front();
    m_gossip_log.push_back({hex(id), unix_ns_now(), from.to_hex()});
}

std::vector<GossipDelivery> Node::gossip_deliveries() const {
    std::lock_guard lock(m_gossip_mutex);
    return {m_gossip_log.begin(), m_gossip_log.end()};
}

base::Result<gossip::MessageId> Node::publish(base::SharedBytes payload) {
    if (!m_gossip) return base::fail(std::make_error_code(std::errc::operation_not_supported));
    return m_gossip->publish(std::move(payload));
}

std::vector<PeerStatus> Node::peers() {
    return on_network([this] {
        std::vector<PeerStatus> out;
        for (const auto& p : *m_router.peers())
            out.push_back({p->info(), p->stats(), {}});
        return out;
    });
}

std::size_t Node::address_book_size() {
    return on_network([this] { return m_book.size(); });
}

// ---- HTTP API ------------------------------------------------------------------------------------

namespace {

nlohmann::json node_info_json(const cometbft::NodeInfo& info) {
    return {{"protocol_version",
             {{"p2p", std::to_string(info.protocol_version.p2p)},
              {"block", std::to_string(info.protocol_version.block)},
              {"app", std::to_string(info.protocol_version.app)}}},
            {"id", info.node_id},
            {"listen_addr", info.listen_addr},
            {"network", info.network},
            {"version", info.version},
            {"channels", hex(info.channels)},
            {"moniker", info.moniker},
            {"other", {{"tx_index", info.tx_index}, {"rpc_address", info.rpc_address}}}};
}

}  // namespace

std::size_t Node::known_nodes() const {
    // Network thread. A node is known when the book holds an address for it or it is connected: a
    // connected peer whose address lost a bucket collision is still known.
    std::set<std::string> known;
    m_book.for_each_address([&](const addrbook::NetAddress& a) {
        if (!a.id.empty()) known.insert(a.id);
    });
    for (const auto& p : *m_router.peers())
        known.insert(p->id().to_hex());
    known.erase(m_key.id().to_hex());
    return known.size();
}

nlohmann::json Node::status() {
    return on_network([this] {
        std::uint64_t sent = 0, received = 0;
        for (const auto& [id, ch] : m_departed) {
            sent += ch.bytes_sent;
            received += ch.bytes_received;
        }
        for (const auto& p : *m_router.peers()) {
            for (const auto& ch : p->stats().channels) {
                sent += ch.bytes_sent;
                received += ch.bytes_received;
            }
        }
        return nlohmann::json{
            {"node_info", node_info_json(m_host->node_info())},
            {"traffic", {{"bytes_sent", sent}, {"bytes_received", received}}},
            {"listen_address", p2p_address()},
            {"peers", {{"inbound", m_connmgr.inbound_count()}, {"outbound", m_connmgr.outbound_count()}}},
            {"address_book",
             {{"size", m_book.size()}, {"new", m_book.new_count()}, {"old", m_book.old_count()}}},
            {"known_nodes", known_nodes()},
            {"seed_mode", m_config.p2p.seed_mode}};
    });
}

nlohmann::json Node::net_info() {
    return on_network([this] {
        nlohmann::json peers = nlohmann::json::array();
        for (const auto& p : *m_router.peers()) {
            const auto& info = p->info();
            const auto stats = p->stats();
            const auto now = base::SteadyClock::now();
            const auto rate = m_rates.find(info.id);
            const double seconds =
                rate == m_rates.end() ? 0.0 : std::chrono::duration<double>(now - rate->second.since).count();
            const auto avg = [&](std::uint64_t bytes) {
                return std::to_string(
                    seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(bytes) / seconds) : 0);
            };
            const auto cur = [&](bool send) {
                if (rate == m_rates.end()) return std::string("0");
                return std::to_string(
                    static_cast<std::uint64_t>(send ? rate->second.send : rate->second.recv));
            };
            nlohmann::json channels = nlohmann::json::array();
            for (const auto& ch : stats.channels) {
                channels.push_back({{"ID", ch.id},
                                    {"SendQueueSize", std::to_string(ch.send_queue_size)},
                                    {"RecentlySent", std::to_string(ch.recently_sent)},
                                    {"MessagesSent", std::to_string(ch.messages_sent)},
                                    {"MessagesReceived", std::to_string(ch.messages_received)}});
            }
            peers.push_back({{"node_info",
                              {{"id", info.id.to_hex()},
                               {"listen_addr", info.listen_addr},
                               {"network", info.network},
                               {"version", info.version},
                               {"channels", hex(info.channels)},
                               {"moniker", info.moniker}}},
                             {"is_outbound", info.direction == peer::Direction::outbound},
                             {"remote_ip", info.remote_ip},
                             {"connection_status",
                              {{"Duration", std::to_string(static_cast<std::int64_t>(seconds * 1e9))},
                               {"SendMonitor",
                                {{"Bytes", std::to_string(stats.bytes_sent)},
                                 {"AvgRate", avg(stats.bytes_sent)},
                                 {"CurRate", cur(true)}}},
                               {"RecvMonitor",
                                {{"Bytes", std::to_string(stats.bytes_received)},
                                 {"AvgRate", avg(stats.bytes_received)},
                                 {"CurRate", cur(false)}}},
                               {"Channels", channels}}}});
        }
        return nlohmann::json{{"listening", true},
                              {"listeners", {"Listener(@" + m_config.p2p.laddr + ")"}},
                              {"n_peers", std::to_string(peers.size())},
                              {"peers", peers}};
    });
}

nlohmann::json Node::list_bans() {
    return on_network([this] {
        const auto now = base::SteadyClock::now();
        nlohmann::json out = nlohmann::json::array();
        for (const auto& [key, until] : m_book.bans(now)) {
            out.push_back({{"banned", key},
                           {"remaining_seconds",
                            std::chrono::duration_cast<std::chrono::seconds>(until - now).count()}});
        }
        return nlohmann::json{{"bans", out}};
    });
}

nlohmann::json Node::gossip_info() {
    nlohmann::json deliveries = nlohmann::json::array();
    for (const auto& d : gossip_deliveries())
        deliveries.push_back({{"id", d.id_hex}, {"unix_ns", d.unix_ns}, {"from", d.from}});
    nlohmann::json stats = nlohmann::json::object();
    if (m_gossip) {
        const auto g = m_gossip->stats();
        stats = {{"published", g.published}, {"delivered", g.delivered}, {"duplicates", g.duplicates},
                 {"relayed", g.relayed},     {"dropped", g.dropped},     {"rejected", g.rejected}};
    }
    return {{"stats", stats}, {"deliveries", deliveries}};
}

std::variant<nlohmann::json, ApiError> Node::gossip_publish(const std::vector<std::uint8_t>& data) {
    const std::int64_t at = unix_ns_now();
    auto id = publish(base::SharedBytes(base::Bytes(data.begin(), data.end())));
    if (!id.ok()) return ApiError{ApiError::Kind::invalid_params, id.error().message()};
    return nlohmann::json{{"id", hex(*id)}, {"unix_ns", at}};
}

std::optional<ApiError> Node::dial_peers(const std::vector<std::string>& peers, bool persistent) {
    std::vector<peer::PeerAddress> parsed;
    for (const auto& text : peers) {
        auto address = peer::PeerAddress::parse(text);
        if (!address.ok()) return ApiError{ApiError::Kind::invalid_params, "bad peer address '" + text + "'"};
        parsed.push_back(std::move(*address));
    }
    on_network([&] {
        for (auto& address : parsed) {
            if (persistent)
                m_connmgr.add_persistent(address);
            else
                (void)m_connmgr.dial_once(address);
        }
        m_host->wake_dialer();
    });
    return std::nullopt;
}

std::optional<ApiError> Node::dial_seeds(const std::vector<std::string>& seeds) {
    return dial_peers(seeds, false);
}

std::optional<ApiError> Node::ban_id(const std::string& id, std::chrono::seconds duration) {
    const auto parsed = peer::NodeId::from_hex(id);
    if (!parsed || id.size() != 40)
        return ApiError{ApiError::Kind::invalid_params, "node id must be 40 hex digits"};
    on_network([&] {
        m_book.ban(id, base::SteadyClock::now(), duration);
        if (auto p = m_router.find(*parsed)) m_router.stop_peer_for_error(p, make_error(Errc::banned));
    });
    return std::nullopt;
}

std::optional<ApiError> Node::ban_ip(const std::string& ip, std::chrono::seconds duration) {
    on_network([&] {
        m_book.ban(ip, base::SteadyClock::now(), duration);
        const auto canonical = connmgr::IpAddress::parse(ip);
        for (const auto& p : *m_router.peers()) {
            if (canonical && connmgr::IpAddress::parse(p->info().remote_ip) == canonical)
                m_router.stop_peer_for_error(p, make_error(Errc::banned));
        }
    });
    return std::nullopt;
}

std::optional<ApiError> Node::unban_id(const std::string& id) {
    const bool found = on_network([&] { return m_book.unban(id); });
    if (!found) return ApiError{ApiError::Kind::invalid_params, "no ban for " + id};
    return std::nullopt;
}

std::optional<ApiError> Node::unban_ip(const std::string& ip) {
    return unban_id(ip);
}

std::optional<ApiError> Node::disconnect(const std::string& id) {
    const auto parsed = peer::NodeId::from_hex(id);
    if (!parsed) return ApiError{ApiError::Kind::invalid_params, "node id must be hex"};
    const bool found = on_network([&] {
        auto p = m_router.find(*parsed);
        if (p) m_router.stop_peer_gracefully(p);
        return p != nullptr;
    });
    if (!found) return ApiError{ApiError::Kind::invalid_params, "not connected to " + id};
    return std::nullopt;
}

}  // namespace peerlink::node
