// The Bitcoin-profile node (see bitcoin_node.hpp).
#include "node/bitcoin_node.hpp"

#include <charconv>
#include <future>
#include <stdexcept>

#include "addrbook/netgroup.hpp"
#include "base/log.hpp"
#include "crypto/crypto.hpp"
#include "node/node_services.hpp"

namespace peerlink::node {
namespace {

using namespace std::chrono_literals;
/// How often the address book is written (CometBFT and btcd both dump theirs every 2 minutes).
constexpr auto k_save_period = 2min;

spdlog::logger& log() {
    return base::log::get(base::log::Category::bitcoin);
}

std::uint64_t random_u64() {
    std::uint64_t value = 0;
    crypto::random_bytes({reinterpret_cast<std::uint8_t*>(&value), sizeof value});
    return value;
}

std::vector<bitcoin::Endpoint> parse_endpoints(const std::string& key, const std::string& list) {
    std::vector<bitcoin::Endpoint> out;
    for (const auto& entry : split_list(list)) {
        auto endpoint = bitcoin::Endpoint::parse(entry);
        if (!endpoint) {
            throw ConfigError("bitcoin." + key + ": '" + entry + "' is not host:port (or [v6]:port)");
        }
        out.push_back(std::move(*endpoint));
    }
    return out;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

ApiError invalid(std::string reason) {
    return ApiError{ApiError::Kind::invalid_params, std::move(reason)};
}

}  // namespace

std::string bitcoin_peer_id(std::uint64_t id) {
    return fmt::format("{:016x}", id);
}

bitcoin::NodeOptions bitcoin_node_options(const Config& config, std::vector<bitcoin::Endpoint>& permanent) {
    const auto& c = config.bitcoin;
    const std::string network_name = config.network == "mainnet" ? "main" : config.network;
    const auto network = bitcoin::network_by_name(network_name);
    if (!network) throw ConfigError("network: not a Bitcoin network: '" + config.network + "'");
    bitcoin::NodeOptions o;
    o.network = *network;
    if (c.listen) {
        if (c.laddr.empty()) {
            o.listen_host = "0.0.0.0";
            o.listen_port = o.network->default_port;
        } else {
            const auto listen = parse_listen_address(c.laddr);
            o.listen_host = listen.host;
            o.listen_port = listen.port;
        }
    }
    o.target_outbound = static_cast<std::size_t>(c.max_outbound);
    o.max_inbound = static_cast<std::size_t>(c.max_inbound);
    o.services = c.services;
    if (c.user_agent.size() > bitcoin::k_max_user_agent)
        throw ConfigError("bitcoin.user_agent: longer than 256 bytes (MAX_SUBVERSION_LENGTH)");
    o.user_agent = c.user_agent;
    if (c.ban_duration.count() <= 0) throw ConfigError("bitcoin.ban_duration: must be positive");
    o.discourage_for = c.ban_duration;
    // Regtest runs on one host or a private network: let the book keep local and private addresses.
    o.book.strict = o.network != &bitcoin::regtest();
    const auto connect = parse_endpoints("connect", c.connect);
    const auto add = parse_endpoints("add_peers", c.add_peers);
    permanent = connect;
    permanent.insert(permanent.end(), add.begin(), add.end());
    // btcd --connect: only these peers; no book dials and therefore no seeding either.
    o.dial_from_book = connect.empty();
    o.seeds.dns_seeds = c.dns_seeds;
    o.seeds.fixed_seeds = c.fixed_seeds;
    return o;
}

BitcoinNode::BitcoinNode(Config config) : m_config(std::move(config)) {
    m_config.validate("configuration");
    if (m_config.profile != "bitcoin")
        throw ConfigError("profile: BitcoinNode needs profile = \"bitcoin\", got '" + m_config.profile + "'");
    if (m_config.log_level != "info") base::log::set_level_all(spdlog::level::from_str(m_config.log_level));
    m_options = bitcoin_node_options(m_config, m_permanent);
    crypto::init();
    m_book_path = m_config.resolve(m_config.bitcoin.addr_book_file);
    m_node = std::make_unique<bitcoin::Node>(m_io, m_options, random_u64());
    auto report =
        m_node->book().load(m_book_path, base::SteadyClock::now(), std::chrono::system_clock::now());
    if (!report.ok()) {
        log().warn("address book {}: {}; starting with an empty book", m_book_path.string(),
                   report.error().message());
    } else if (report->status == addrbook::LoadReport::Status::set_aside) {
        log().warn("address book {} was corrupt and has been set aside ({}); starting with an empty book",
                   m_book_path.string(), report->message);
    } else if (report->status == addrbook::LoadReport::Status::loaded) {
        log().info("{}", report->message);
    }
    for (const auto& endpoint : m_permanent)
        m_node->add_permanent(endpoint);
}

BitcoinNode::~BitcoinNode() {
    stop();
}

std::string BitcoinNode::p2p_address() const {
    if (!m_options.listen_port) return "";
    const std::string host = m_options.listen_host == "0.0.0.0" || m_options.listen_host == "::"
                                 ? "127.0.0.1"
                                 : m_options.listen_host;
    return bitcoin::Endpoint{host, m_p2p_port}.to_string();
}

void BitcoinNode::start() {
    if (m_started) return;
    if (auto started = m_node->start(); !started.ok()) {
        throw std::runtime_error(
            "bitcoin.laddr " + m_config.bitcoin.laddr + ": cannot listen on " + m_options.listen_host + ":" +
            std::to_string(m_options.listen_port.value_or(0)) + ": " + started.error().message());
    }
    m_p2p_port = m_node->listen_port();
    register_metrics();
    m_work.emplace(m_io.get_executor());
    m_save_timer = std::make_unique<asio::steady_timer>(m_io);
    schedule_save();
    m_thread = std::thread([this] { m_io.run(); });
    m_started = true;
    try {
        start_node_services(m_config, *this, m_metrics, m_api, m_metrics_server);
    } catch (...) {
        stop();
        throw;
    }
    log().info("bitcoin node on {} listening on {} ({} permanent peers{})", m_options.network->name,
               m_options.listen_port ? p2p_address() : std::string("nothing"), m_permanent.size(),
               m_options.dial_from_book ? "" : ", connect only");
}

void BitcoinNode::stop() {
    if (!m_started || m_stopped) return;
    m_stopped = true;
    if (m_api) m_api->stop();
    if (m_metrics_server) m_metrics_server->stop();
    std::promise<void> closed;
    asio::post(m_io, [this, &closed] {
        m_save_timer->cancel();
        m_node->stop();
        if (auto saved = save_book_now(); !saved.ok())
            log().warn("address book {}: not saved: {}", m_book_path.string(), saved.error().message());
        closed.set_value();
    });
    closed.get_future().wait();
    m_work.reset();
    asio::steady_timer grace(m_io, 200ms);  // let the last writes and closes go out
    grace.async_wait([this](std::error_code) { m_io.stop(); });
    m_thread.join();
    log().info("bitcoin node stopped");
}

template <typename Fn>
auto BitcoinNode::on_network(Fn fn) -> decltype(fn()) {
    return run_on_network(m_io, m_thread, !m_started || m_stopped, std::move(fn));
}

base::Result<void> BitcoinNode::save_book_now() {
    std::error_code ec;
    std::filesystem::create_directories(m_book_path.parent_path(), ec);
    return m_node->book().save(m_book_path, base::SteadyClock::now(), std::chrono::system_clock::now());
}

base::Result<void> BitcoinNode::save_book() {
    return on_network([this] { return save_book_now(); });
}

void BitcoinNode::schedule_save() {
    m_save_timer->expires_after(k_save_period);
    m_save_timer->async_wait([this](std::error_code ec) {
        if (ec) return;
        if (auto saved = save_book_now(); !saved.ok())
            log().warn("address book {}: not saved: {}", m_book_path.string(), saved.error().message());
        schedule_save();
    });
}

std::vector<bitcoin::PeerSummary> BitcoinNode::peers() {
    return on_network([this] { return m_node->peers(); });
}

std::size_t BitcoinNode::address_book_size() {
    return on_network([this] { return m_node->book().size(); });
}

std::size_t BitcoinNode::announce(const bitcoin::InvVect& item) {
    return on_network([&] { return m_node->announce(item); });
}

void BitcoinNode::register_metrics() {
    auto& peers =
        m_metrics.gauge("peerlink_bitcoin_peers", "Connected Bitcoin peers by direction.", {"direction"});
    auto& received = m_metrics.counter("peerlink_bitcoin_messages_received_total",
                                       "Bitcoin messages received, by command.", {"command"});
    auto& sent = m_metrics.counter("peerlink_bitcoin_messages_sent_total",
                                   "Bitcoin messages sent, by command.", {"command"});
    auto& discouraged = m_metrics.counter("peerlink_bitcoin_discouraged_total",
                                          "Peers discouraged (banned) for misbehaviour.");
    auto& handshakes =
        m_metrics.counter("peerlink_bitcoin_handshakes_total", "Completed version handshakes.");
    auto& book = m_metrics.gauge("peerlink_addrbook_addresses", "Address book entries by table.", {"table"});
    auto& bans = m_metrics.gauge("peerlink_addrbook_bans", "Bans in force.");
    m_metrics.add_collector([=, this, &peers, &received, &sent, &discouraged, &handshakes, &book, &bans] {
        struct Snapshot {
            std::size_t inbound = 0, outbound = 0, new_size = 0, old_size = 0, bans = 0;
            bitcoin::NodeStats stats;
            bitcoin::MessageCounts counts;
        };
        const Snapshot s = on_network([this] {
            Snapshot out;
            out.inbound = m_node->inbound_count();
            out.outbound = m_node->outbound_count();
            out.new_size = m_node->book().new_count();
            out.old_size = m_node->book().old_count();
            out.bans = m_node->book().bans(base::SteadyClock::now()).size();
            out.stats = m_node->stats();
            out.counts = m_node->message_counts();
            return out;
        });
        peers.with({"inbound"}).set(static_cast<double>(s.inbound));
        peers.with({"outbound"}).set(static_cast<double>(s.outbound));
        book.with({"new"}).set(static_cast<double>(s.new_size));
        book.with({"old"}).set(static_cast<double>(s.old_size));
        bans.get().set(static_cast<double>(s.bans));
        discouraged.get().set(s.stats.discouraged);
        handshakes.get().set(s.stats.handshakes);
        for (std::size_t i = 0; i < s.counts.received.size(); ++i) {
            const std::string label(bitcoin::message_label(i));
            received.with({label}).set(s.counts.received[i]);
            sent.with({label}).set(s.counts.sent[i]);
        }
    });
}

// ---- HTTP API ------------------------------------------------------------------------------------

nlohmann::json BitcoinNode::status() {
    return on_network([this] {
        const auto stats = m_node->stats();
        const auto& book = m_node->book();
        return nlohmann::json{
            {"node_info",
             {{"profile", "bitcoin"},
              {"network", m_config.network},
              {"user_agent", m_options.user_agent},
              {"protocol_version", bitcoin::PeerOptions{}.protocol_version},
              {"services", m_options.services},
              {"listen_addr", p2p_address()}}},
            {"listen_address", p2p_address()},
            {"peers", {{"inbound", m_node->inbound_count()}, {"outbound", m_node->outbound_count()}}},
            {"address_book",
             {{"size", book.size()},
              {"new", book.new_count()},
              {"old", book.old_count()},
              {"bans", book.bans(base::SteadyClock::now()).size()}}},
            {"stats",
             {{"handshakes", stats.handshakes},
              {"discouraged", stats.discouraged},
              {"addresses_processed", stats.addresses_processed},
              {"addresses_rate_limited", stats.addresses_rate_limited},
              {"inventory_announced", stats.inventory_announced},
              {"seeded_from_dns", stats.seeded_from_dns},
              {"seeded_from_fixed", stats.seeded_from_fixed}}},
            {"connect_only", !m_options.dial_from_book}};
    });
}

nlohmann::json BitcoinNode::net_info() {
    return on_network([this] {
        nlohmann::json peers = nlohmann::json::array();
        for (const auto& p : m_node->peers()) {
            nlohmann::json rtt = nullptr;
            if (p.rtt) rtt = std::chrono::duration<double, std::milli>(*p.rtt).count();
            peers.push_back({{"id", bitcoin_peer_id(p.id)},
                             {"address", p.address.to_string()},
                             {"inbound", p.direction == bitcoin::Direction::inbound},
                             {"is_outbound", p.direction == bitcoin::Direction::outbound},
                             {"permanent", p.permanent},
                             {"version", p.remote.version},
                             {"user_agent", p.remote.user_agent},
                             {"services", p.remote.services},
                             {"start_height", p.remote.start_height},
                             {"relay", p.remote.relay},
                             {"addrv2", p.remote.wants_addrv2},
                             {"ping_rtt_ms", rtt},
                             {"connected_since", unix_seconds(p.connected_since)}});
        }
        nlohmann::json listeners = nlohmann::json::array();
        if (m_options.listen_port)
            listeners.push_back(m_options.listen_host + ":" + std::to_string(m_p2p_port));
        return nlohmann::json{{"listening", m_options.listen_port.has_value()},
                              {"listeners", listeners},
                              {"n_peers", std::to_string(peers.size())},
                              {"peers", peers}};
    });
}

nlohmann::json BitcoinNode::list_bans() {
    return on_network([this] {
        const auto now = base::SteadyClock::now();
        const auto wall = std::chrono::system_clock::now();
        nlohmann::json out = nlohmann::json::array();
        for (const auto& [key, until] : m_node->book().bans(now)) {
            const auto remaining = std::chrono::duration_cast<std::chrono::seconds>(until - now);
            out.push_back({{"banned", key},
                           {"remaining_seconds", remaining.count()},
                           {"until_unix", unix_seconds(wall) + remaining.count()}});
        }
        return nlohmann::json{{"bans", out}};
    });
}

std::optional<ApiError> BitcoinNode::dial_peers(const std::vector<std::string>& peers, bool persistent) {
    std::vector<bitcoin::Endpoint> parsed;
    for (const auto& text : peers) {
        if (text.find('@') != std::string::npos)
            return invalid("'" + text + "': Bitcoin peers have no node IDs; give host:port");
        auto endpoint = bitcoin::Endpoint::parse(text);
        if (!endpoint) return invalid("'" + text + "' is not host:port (or [v6]:port)");
        parsed.push_back(std::move(*endpoint));
    }
    on_network([&] {
        for (auto& endpoint : parsed) {
            if (persistent)
                m_node->add_permanent(endpoint);
            else
                m_node->dial_once(endpoint);
        }
    });
    return std::nullopt;
}

std::optional<ApiError> BitcoinNode::dial_seeds(const std::vector<std::string>& seeds) {
    // A Bitcoin seed is an ordinary peer: its addr answer to our getaddr fills the book.
    return dial_peers(seeds, false);
}

std::optional<ApiError> BitcoinNode::ban_id(const std::string& id, std::chrono::seconds) {
    return invalid("Bitcoin peers have no node IDs, so '" + id + "' cannot be banned; ban by ip instead");
}

std::optional<ApiError> BitcoinNode::unban_id(const std::string& id) {
    return invalid("Bitcoin peers have no node IDs, so '" + id + "' cannot be unbanned; unban by ip instead");
}

std::optional<ApiError> BitcoinNode::ban_ip(const std::string& ip, std::chrono::seconds duration) {
    if (duration.count() <= 0) return invalid("duration must be positive");
    const auto closed = on_network([&] {
        m_node->book().ban(ip, base::SteadyClock::now(), duration);
        const std::size_t n = m_node->disconnect_ip(ip);
        if (auto saved = save_book_now(); !saved.ok())
            log().warn("address book {}: not saved: {}", m_book_path.string(), saved.error().message());
        return n;
    });
    log().info("banned {} for {} s; {} connection(s) closed", ip, duration.count(), closed);
    return std::nullopt;
}

std::optional<ApiError> BitcoinNode::unban_ip(const std::string& ip) {
    const bool found = on_network([&] {
        const bool removed = m_node->book().unban(ip);
        if (removed) {
            if (auto saved = save_book_now(); !saved.ok())
                log().warn("address book {}: not saved: {}", m_book_path.string(), saved.error().message());
        }
        return removed;
    });
    if (!found) return invalid("no ban for " + ip);
    return std::nullopt;
}

std::optional<ApiError> BitcoinNode::disconnect(const std::string& id) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value, 16);
    if (id.empty() || id.size() > 16 || ec != std::errc{} || end != id.data() + id.size())
        return invalid("id must be a peer id from /net_info (16 hex digits); Bitcoin peers have no node IDs");
    const bool found = on_network([&] { return m_node->disconnect_id(value); });
    if (!found) return invalid("no peer with id " + id);
    return std::nullopt;
}

}  // namespace peerlink::node
