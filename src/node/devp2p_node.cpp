#include "node/devp2p_node.hpp"

#include <asio/experimental/as_tuple.hpp>

#include <algorithm>
#include <cctype>
#include <future>
#include <stdexcept>

#include "base/file.hpp"
#include "base/log.hpp"
#include "codec/rlp.hpp"
#include "connmgr/ip_address.hpp"
#include "crypto/crypto.hpp"
#include "node/node_services.hpp"

namespace peerlink::node {
namespace {

using namespace std::chrono_literals;
namespace secp = crypto::secp256k1;

constexpr std::size_t k_max_fresh_nodes = 256;
constexpr std::size_t k_max_bans = 10'000;
constexpr std::size_t k_max_bans_file = 4 * 1024 * 1024;
constexpr std::size_t k_max_announce = 256;
constexpr std::size_t k_max_echo = 1024;
// Server::stop gives each Disconnect 1 s; a little more before the loop is cut.
constexpr auto k_stop_grace = 1200ms;

// plk/1: a demo capability so two peerlink nodes have a protocol in common (geth drops a peer
// sharing none as useless). Payloads are one RLP string each.
constexpr std::string_view k_demo_name = "plk";
constexpr std::uint64_t k_demo_version = 1;
constexpr std::uint64_t k_announce = 0;    // our client description, sent once on start
constexpr std::uint64_t k_echo = 1;        // asks for an EchoReply with the same bytes
constexpr std::uint64_t k_echo_reply = 2;  // answers Echo
constexpr std::uint64_t k_demo_length = 3;

spdlog::logger& log() {
    return base::log::get(base::log::Category::node);
}

base::ByteView text_bytes(std::string_view text) {
    return {reinterpret_cast<const base::Byte*>(text.data()), text.size()};
}

std::vector<devp2p::Enode> parse_enodes(std::string_view key, const std::string& list) {
    std::vector<devp2p::Enode> out;
    for (const auto& entry : split_list(list)) {
        auto node = devp2p::parse_enode(entry);
        if (!node)
            throw ConfigError("devp2p." + std::string(key) + ": '" + entry + "': " + node.error().message());
        out.push_back(*node);
    }
    return out;
}

std::string canonical_ip(const std::string& ip) {
    std::error_code ec;
    auto address = asio::ip::make_address(ip, ec);
    if (ec) return ip;
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    return address.to_string();
}

nlohmann::json caps_json(const devp2p::Hello& hello) {
    nlohmann::json caps = nlohmann::json::array();
    for (const auto& cap : hello.capabilities)
        caps.push_back(cap.name + "/" + std::to_string(cap.version));
    return caps;
}

}  // namespace

secp::KeyPair load_or_create_devp2p_key(const std::filesystem::path& path) {
    crypto::init();
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        auto text = base::read_file(path, 1024);
        if (!text) throw std::runtime_error(path.string() + ": " + text.error().message());
        std::string hex = *text;
        while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' '))
            hex.pop_back();
        const auto bytes = base::from_hex(hex);
        secp::SecretKey secret{};
        if (hex.size() != 2 * secret.size() || !bytes)
            throw std::runtime_error(path.string() + ": not a devp2p node key (64 hex digits expected)");
        std::copy(bytes->begin(), bytes->end(), secret.begin());
        auto key = secp::key_pair_from_secret(secret);
        if (!key)
            throw std::runtime_error(path.string() + ": invalid secp256k1 key: " + key.error().message());
        return *key;
    }
    std::filesystem::create_directories(path.parent_path(), ec);
    const auto key = secp::generate();
    const std::string hex = base::to_hex(base::ByteView(key.secret_key));
    if (auto written = base::write_file_atomic(path, text_bytes(hex), 0600); !written)
        throw std::runtime_error(path.string() + ": cannot write the node key: " + written.error().message());
    return key;
}

// ---- discovery as an address source -------------------------------------------------------------

void DiscoveryAddressSource::push(const devp2p::Enode& node) {
    if (m_fresh.size() >= k_max_fresh_nodes) m_fresh.pop_front();
    m_fresh.push_back(node);
}

std::vector<peer::PeerAddress> DiscoveryAddressSource::pick_addresses(std::size_t n, base::TimePoint,
                                                                      const Usable& usable) {
    std::vector<peer::PeerAddress> out;
    const auto take = [&](const devp2p::Enode& node) {
        auto address = devp2p::to_peer_address(node);
        if (!usable(address)) return;
        if (std::any_of(out.begin(), out.end(), [&](const auto& a) { return a.id == address.id; })) return;
        out.push_back(std::move(address));
    };
    while (!m_fresh.empty() && out.size() < n) {
        take(m_fresh.front());
        m_fresh.pop_front();
    }
    if (m_discovery && out.size() < n) {
        // Ask for more than needed: some are connected or in the dial history already.
        for (const auto& node : m_discovery->random_nodes(2 * n + 8)) {
            if (out.size() >= n) break;
            take(node);
        }
    }
    return out;
}

// ---- the node -----------------------------------------------------------------------------------

Devp2pNode::Devp2pNode(Config config, Devp2pNodeOptions options)
    : m_config(std::move(config)), m_options(options) {
    m_config.validate("configuration");
    // Parse every list now, so a bad entry is a configuration error before anything starts.
    (void)parse_enodes("bootnodes", m_config.devp2p.bootnodes);
    (void)parse_enodes("static_nodes", m_config.devp2p.static_nodes);
    (void)parse_enodes("trusted_nodes", m_config.devp2p.trusted_nodes);
    for (const auto& cidr : split_list(m_config.devp2p.net_restrict)) {
        if (!connmgr::Cidr::parse(cidr))
            throw ConfigError("devp2p.net_restrict: '" + cidr + "' is not a CIDR");
    }
    if (m_config.log_level != "info") base::log::set_level_all(spdlog::level::from_str(m_config.log_level));
    m_key = load_or_create_devp2p_key(m_config.resolve(m_config.devp2p.node_key_file));
    m_bans_file = m_config.resolve("data/devp2p_bans.json");
    load_bans();
}

Devp2pNode::~Devp2pNode() {
    stop();
}

std::string Devp2pNode::id_hex() const {
    return base::to_hex(base::ByteView(m_key.public_key));
}

std::string Devp2pNode::advertised_ip() const {
    if (!m_config.devp2p.external_ip.empty()) return m_config.devp2p.external_ip;
    if (m_listen_host.empty() || m_listen_host == "0.0.0.0" || m_listen_host == "::") return "127.0.0.1";
    return m_listen_host;
}

std::string Devp2pNode::enode() const {
    devp2p::Enode self;
    self.id = m_key.public_key;
    self.ip = advertised_ip();
    self.ipv6 = self.ip.find(':') != std::string::npos;
    self.tcp_port = m_p2p_port;
    self.udp_port = m_p2p_port;
    return devp2p::format_enode(self);
}

devp2p::ServerProtocol Devp2pNode::demo_protocol() {
    devp2p::ServerProtocol p;
    p.name = std::string(k_demo_name);
    p.version = k_demo_version;
    p.length = k_demo_length;
    p.on_start = [this](const devp2p::PeerPtr& peer) {
        m_extra[peer->id()] = {};
        (void)peer->send(k_demo_name, k_announce,
                         codec::rlp::encode_bytes(text_bytes(m_server->options().client_id)));
        (void)peer->send(k_demo_name, k_echo, codec::rlp::encode_bytes(text_bytes("plk")));
    };
    p.on_message = [this](const devp2p::PeerPtr& peer, std::uint64_t code,
                          base::ByteView payload) -> base::Result<void> {
        auto decoded = codec::rlp::decode_item(payload);
        if (!decoded) return base::Failure{decoded.error()};
        const codec::rlp::Item item = *decoded;
        if (item.kind != codec::rlp::Kind::string)
            return base::fail(std::make_error_code(std::errc::bad_message));
        auto& extra = m_extra[peer->id()];
        switch (code) {
            case k_announce:
                if (item.payload.size() > k_max_announce)
                    return base::fail(std::make_error_code(std::errc::message_size));
                extra.announced.assign(item.payload.begin(), item.payload.end());
                return {};
            case k_echo:
                if (item.payload.size() > k_max_echo)
                    return base::fail(std::make_error_code(std::errc::message_size));
                return peer->send(k_demo_name, k_echo_reply, payload);
            case k_echo_reply:
                ++extra.echoes;
                return {};
            default:
                return base::fail(std::make_error_code(std::errc::bad_message));
        }
    };
    p.on_stop = [this](const devp2p::PeerPtr& peer, std::error_code) { m_extra.erase(peer->id()); };
    return p;
}

devp2p::Server::Callbacks Devp2pNode::server_callbacks() {
    devp2p::Server::Callbacks c;
    c.on_peer_added = [this](const devp2p::PeerPtr& peer) {
        if (!peer->inbound())
            m_metrics.counter("peerlink_devp2p_dials_total", "Dials by outcome.", {"outcome"})
                .with({"connected"})
                .inc();
    };
    c.on_handshake_failed = [this](const std::string&, std::error_code reason) {
        m_metrics
            .counter("peerlink_devp2p_handshake_failures_total",
                     "Connections that failed or were refused before becoming peers, by reason.", {"reason"})
            .with({reason.message()})
            .inc();
    };
    c.allow_inbound = [this](const std::string& ip) { return !is_banned(canonical_ip(ip)); };
    c.allow_peer = [this](const devp2p::PeerPtr& peer) {
        return !is_banned(base::to_hex(base::ByteView(peer->id()))) &&
               !is_banned(canonical_ip(peer->remote_ip()));
    };
    return c;
}

void Devp2pNode::start() {
    if (m_started) return;
    const auto listen = parse_listen_address(m_config.devp2p.laddr);
    m_listen_host = listen.host;
    devp2p::ServerOptions so;
    so.listen_host = listen.host;
    so.listen_port = listen.port;
    so.client_id = "peerlink/v0.1.0";
    so.handshake_timeout = m_options.handshake_timeout;
    so.dial_timeout = m_options.dial_timeout;
    so.max_peers = m_config.devp2p.max_peers;
    so.max_pending = m_config.devp2p.max_pending_peers;
    so.dial_ratio = m_config.devp2p.dial_ratio;
    so.no_dial = m_config.devp2p.no_dial;
    so.static_nodes = parse_enodes("static_nodes", m_config.devp2p.static_nodes);
    for (const auto& node : parse_enodes("trusted_nodes", m_config.devp2p.trusted_nodes))
        so.trusted_nodes.push_back(node.id);
    so.net_restrict = split_list(m_config.devp2p.net_restrict);
    so.inbound_throttle = m_options.inbound_throttle;
    so.throttle_exempt_lan = m_options.throttle_exempt_lan;
    so.dial_history = m_options.dial_history;
    so.address_source = &m_source;
    so.protocols = {demo_protocol()};
    m_server = std::make_unique<devp2p::Server>(m_io, m_key, std::move(so), server_callbacks());
    if (auto started = m_server->start(); !started) {
        throw std::runtime_error("devp2p.laddr " + m_config.devp2p.laddr +
                                 ": cannot listen: " + started.error().message());
    }
    m_p2p_port = m_server->listen_port();

    if (m_config.devp2p.discovery) {
        devp2p::Discv4ServiceOptions d;
        d.listen_host = listen.host;
        d.listen_port = m_p2p_port;  // geth: UDP on the TCP port
        d.tcp_port = m_p2p_port;
        if (!m_config.devp2p.external_ip.empty()) {
            d.external_ip = addrbook::IpAddress::parse(m_config.devp2p.external_ip);
            if (!d.external_ip) throw ConfigError("devp2p.external_ip: not an IP address");
        }
        d.bootnodes = parse_enodes("bootnodes", m_config.devp2p.bootnodes);
        d.net_restrict = split_list(m_config.devp2p.net_restrict);
        if (!m_config.devp2p.node_db.empty()) {
            d.node_db = m_config.resolve(m_config.devp2p.node_db);
            std::error_code ec;
            std::filesystem::create_directories(d.node_db.parent_path(), ec);
        }
        d.refresh_interval = m_options.discovery_refresh;
        m_discovery = std::make_unique<devp2p::Discv4Service>(m_io, m_key, std::move(d));
        m_discovery->on_node_added = [this](const devp2p::Enode& node) {
            m_source.push(node);
            if (m_server) m_server->wake_dialer();
        };
        if (auto started = m_discovery->start(); !started) {
            m_server.reset();
            throw std::runtime_error("devp2p discovery on UDP port " + std::to_string(m_p2p_port) + ": " +
                                     started.error().message());
        }
        m_source.set_discovery(m_discovery.get());
    }

    register_metrics();
    m_work.emplace(m_io.get_executor());
    m_poll_timer = std::make_unique<asio::steady_timer>(m_io);
    asio::post(m_io, [this] { schedule_poll(); });
    m_thread = std::thread([this] { m_io.run(); });
    m_started = true;

    try {
        start_node_services(m_config, *this, m_metrics, m_api, m_metrics_server);
    } catch (...) {
        stop();
        throw;
    }
    log().info("devp2p node {} listening on {}:{}", enode(), listen.host, m_p2p_port);
}

void Devp2pNode::schedule_poll() {
    // Network thread. Discovery wakes the dialer when a node enters the table; this catches the
    // random table nodes and expired dial history in between.
    if (m_stopped || !m_server) return;
    m_server->wake_dialer();
    m_poll_timer->expires_after(m_options.dial_poll);
    m_poll_timer->async_wait([this](std::error_code ec) {
        if (!ec) schedule_poll();
    });
}

void Devp2pNode::stop() {
    if (!m_started || m_stopped) return;
    m_stopped = true;
    if (m_api) m_api->stop();
    if (m_metrics_server) m_metrics_server->stop();
    std::promise<void> parted;
    asio::post(m_io, [this, &parted] {
        m_poll_timer->cancel();
        if (m_discovery) m_discovery->stop();
        m_server->stop();
        save_bans();
        // geth's Stop waits for its peers to go; each Disconnect has 1 s to be written.
        asio::co_spawn(
            m_io,
            [this, &parted]() -> asio::awaitable<void> {
                asio::steady_timer timer(m_io);
                const auto deadline = base::SteadyClock::now() + k_stop_grace;
                while (m_server->connection_count() > 0 && base::SteadyClock::now() < deadline) {
                    timer.expires_after(20ms);
                    co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
                }
                parted.set_value();
            },
            asio::detached);
    });
    parted.get_future().wait();
    m_work.reset();
    m_io.stop();
    m_thread.join();
    m_discovery.reset();
    m_server.reset();
    log().info("devp2p node {} stopped", id_hex());
}

template <typename Fn>
auto Devp2pNode::on_network(Fn fn) -> decltype(fn()) {
    return run_on_network(m_io, m_thread, !m_started || m_stopped, std::move(fn));
}

std::size_t Devp2pNode::peer_count() {
    return on_network([this] { return m_server ? m_server->peer_count() : 0; });
}

std::vector<secp::PublicKey> Devp2pNode::peer_ids() {
    return on_network([this] {
        std::vector<secp::PublicKey> out;
        if (m_server)
            for (const auto& p : m_server->peers())
                out.push_back(p->id());
        return out;
    });
}

std::size_t Devp2pNode::table_size() {
    return on_network([this] { return m_discovery ? m_discovery->table_size() : 0; });
}

void Devp2pNode::register_metrics() {
    auto& peers =
        m_metrics.gauge("peerlink_devp2p_peers", "Connected devp2p peers by direction.", {"direction"});
    auto& table = m_metrics.gauge("peerlink_devp2p_discovery_table_nodes", "Nodes in the discv4 table.");
    auto& bans = m_metrics.gauge("peerlink_devp2p_bans", "Bans in force.");
    (void)m_metrics.counter("peerlink_devp2p_dials_total", "Dials by outcome.", {"outcome"});
    (void)m_metrics.counter("peerlink_devp2p_handshake_failures_total",
                            "Connections that failed or were refused before becoming peers, by reason.",
                            {"reason"});
    m_metrics.add_collector([this, &peers, &table, &bans] {
        struct Snapshot {
            std::size_t inbound = 0, outbound = 0, table = 0, bans = 0;
        };
        const Snapshot s = on_network([this] {
            Snapshot out;
            if (m_server) {
                out.inbound = m_server->conn_manager().inbound_count();
                out.outbound = m_server->conn_manager().outbound_count();
            }
            out.table = m_discovery ? m_discovery->table_size() : 0;
            out.bans = m_bans.size();
            return out;
        });
        peers.with({"inbound"}).set(static_cast<double>(s.inbound));
        peers.with({"outbound"}).set(static_cast<double>(s.outbound));
        table.get().set(static_cast<double>(s.table));
        bans.get().set(static_cast<double>(s.bans));
    });
}

// ---- bans ---------------------------------------------------------------------------------------

bool Devp2pNode::is_banned(const std::string& key) {
    const auto found = m_bans.find(key);
    if (found == m_bans.end()) return false;
    if (found->second > std::chrono::system_clock::now()) return true;
    m_bans.erase(found);
    return false;
}

void Devp2pNode::add_ban(const std::string& key, std::chrono::seconds duration) {
    const auto now = std::chrono::system_clock::now();
    std::erase_if(m_bans, [&](const auto& b) { return b.second <= now; });
    if (m_bans.size() >= k_max_bans && !m_bans.contains(key)) {
        // Full: the ban ending soonest makes room.
        m_bans.erase(std::min_element(m_bans.begin(), m_bans.end(),
                                      [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
    m_bans[key] = now + duration;
    save_bans();
}

void Devp2pNode::load_bans() {
    std::error_code ec;
    if (!std::filesystem::exists(m_bans_file, ec)) return;
    auto text = base::read_file(m_bans_file, k_max_bans_file);
    if (!text) {
        log().warn("{}: {}; starting without bans", m_bans_file.string(), text.error().message());
        return;
    }
    const auto set_aside = [&](const std::string& why) {
        auto moved = base::set_aside(m_bans_file);
        log().warn("{}: {}; set aside as {}", m_bans_file.string(), why,
                   moved ? moved->string() : std::string("(could not move it)"));
        m_bans.clear();
    };
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("bans") || !json["bans"].is_array())
        return set_aside("not a bans file");
    const auto now = std::chrono::system_clock::now();
    for (const auto& entry : json["bans"]) {
        if (!entry.is_object() || !entry.contains("key") || !entry["key"].is_string() ||
            !entry.contains("until_unix") || !entry["until_unix"].is_number_integer())
            return set_aside("malformed entry");
        const WallTime until{std::chrono::seconds(entry["until_unix"].get<std::int64_t>())};
        if (until > now && m_bans.size() < k_max_bans) m_bans[entry["key"].get<std::string>()] = until;
    }
}

void Devp2pNode::save_bans() {
    // Network thread; the file is small (bounded by k_max_bans) and written rarely.
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [key, until] : m_bans) {
        list.push_back(
            {{"key", key},
             {"until_unix",
              std::chrono::duration_cast<std::chrono::seconds>(until.time_since_epoch()).count()}});
    }
    const std::string text = nlohmann::json{{"bans", list}}.dump(2) + "\n";
    std::error_code ec;
    std::filesystem::create_directories(m_bans_file.parent_path(), ec);
    if (auto written = base::write_file_atomic(m_bans_file, text_bytes(text), 0600); !written)
        log().warn("{}: cannot save bans: {}", m_bans_file.string(), written.error().message());
}

// ---- HTTP API -----------------------------------------------------------------------------------

nlohmann::json Devp2pNode::status() {
    return on_network([this] {
        nlohmann::json protocols = nlohmann::json::array();
        for (const auto& p : m_server->options().protocols)
            protocols.push_back(p.name + "/" + std::to_string(p.version));
        const auto& cm = m_server->conn_manager();
        return nlohmann::json{{"node_info",
                               {{"id", id_hex()},
                                {"enode", enode()},
                                {"client_id", m_server->options().client_id},
                                {"listen_addr", m_listen_host + ":" + std::to_string(m_p2p_port)},
                                {"protocols", protocols},
                                {"profile", "devp2p"}}},
                              {"listeners", nlohmann::json::array({"tcp://" + m_listen_host + ":" +
                                                                   std::to_string(m_p2p_port)})},
                              {"peers",
                               {{"inbound", cm.inbound_count()},
                                {"outbound", cm.outbound_count()},
                                {"max_peers", m_server->options().max_peers},
                                {"max_inbound", cm.options().max_inbound},
                                {"max_outbound", cm.options().max_outbound},
                                {"dialing", cm.dialing_count()}}},
                              {"discovery",
                               {{"enabled", m_discovery != nullptr},
                                {"udp_port", m_discovery ? m_discovery->local_port() : 0},
                                {"table_size", m_discovery ? m_discovery->table_size() : 0}}}};
    });
}

nlohmann::json Devp2pNode::net_info() {
    return on_network([this] {
        nlohmann::json peers = nlohmann::json::array();
        const auto now = base::SteadyClock::now();
        for (const auto& p : m_server->peers()) {
            devp2p::Enode node;
            node.id = p->id();
            node.ip = canonical_ip(p->remote_ip());
            node.ipv6 = node.ip.find(':') != std::string::npos;
            // An inbound peer's source port is not its listener: its Hello carries that.
            node.tcp_port = p->inbound() ? static_cast<std::uint16_t>(p->hello().listen_port)
                                         : static_cast<std::uint16_t>(std::stoul(p->remote_address().substr(
                                               p->remote_address().rfind(':') + 1)));
            node.udp_port = node.tcp_port;
            const auto extra = m_extra.find(p->id());
            peers.push_back(
                {{"node_id", base::to_hex(base::ByteView(p->id()))},
                 {"enode", devp2p::format_enode(node)},
                 {"client_id", p->hello().client_id},
                 {"caps", caps_json(p->hello())},
                 {"is_outbound", !p->inbound()},
                 {"remote_ip", node.ip},
                 {"remote_address", p->remote_address()},
                 {"duration_seconds",
                  std::chrono::duration_cast<std::chrono::seconds>(now - p->connected_at()).count()},
                 {"announced", extra == m_extra.end() ? "" : extra->second.announced}});
        }
        return nlohmann::json{{"listening", true},
                              {"listeners", nlohmann::json::array({"tcp://" + m_listen_host + ":" +
                                                                   std::to_string(m_p2p_port)})},
                              {"n_peers", std::to_string(peers.size())},
                              {"peers", peers}};
    });
}

nlohmann::json Devp2pNode::list_bans() {
    return on_network([this] {
        const auto now = std::chrono::system_clock::now();
        nlohmann::json out = nlohmann::json::array();
        for (const auto& [key, until] : m_bans) {
            if (until <= now) continue;
            out.push_back({{"banned", key},
                           {"remaining_seconds",
                            std::chrono::duration_cast<std::chrono::seconds>(until - now).count()}});
        }
        return nlohmann::json{{"bans", out}};
    });
}

std::optional<ApiError> Devp2pNode::dial_peers(const std::vector<std::string>& peers, bool persistent) {
    std::vector<devp2p::Enode> nodes;
    for (const auto& text : peers) {
        auto node = devp2p::parse_enode(text);
        if (!node)
            return ApiError{ApiError::Kind::invalid_params, "'" + text + "': " + node.error().message()};
        nodes.push_back(*node);
    }
    on_network([&] {
        for (const auto& node : nodes) {
            // geth admin.addPeer makes a static node; a one-off dial otherwise.
            if (persistent) {
                m_server->add_static(node);
            } else {
                m_server->dial(node);
            }
        }
    });
    return std::nullopt;
}

std::optional<ApiError> Devp2pNode::dial_seeds(const std::vector<std::string>& seeds) {
    // devp2p has no seed crawl over RLPx: seeds are discv4 bootnodes, pinged so they enter the table.
    std::vector<devp2p::Enode> nodes;
    for (const auto& text : seeds) {
        auto node = devp2p::parse_enode(text);
        if (!node)
            return ApiError{ApiError::Kind::invalid_params, "'" + text + "': " + node.error().message()};
        nodes.push_back(*node);
    }
    return on_network([&]() -> std::optional<ApiError> {
        if (!m_discovery)
            return ApiError{ApiError::Kind::invalid_params, "discovery is off (devp2p.discovery)"};
        for (const auto& node : nodes)
            m_discovery->ping(node, [](bool, std::optional<std::chrono::milliseconds>) {});
        return std::nullopt;
    });
}

std::optional<ApiError> Devp2pNode::ban_id(const std::string& id, std::chrono::seconds duration) {
    const auto bytes = base::from_hex(id);
    secp::PublicKey key{};
    if (!bytes || bytes->size() != key.size())
        return ApiError{ApiError::Kind::invalid_params, "a devp2p node id is 128 hex digits"};
    std::copy(bytes->begin(), bytes->end(), key.begin());
    on_network([&] {
        add_ban(base::to_hex(base::ByteView(key)), duration);
        if (auto p = m_server->find_peer(key)) p->disconnect(devp2p::DisconnectReason::requested);
    });
    return std::nullopt;
}

std::optional<ApiError> Devp2pNode::ban_ip(const std::string& ip, std::chrono::seconds duration) {
    const std::string canonical = canonical_ip(ip);
    on_network([&] {
        add_ban(canonical, duration);
        for (const auto& p : m_server->peers()) {
            if (canonical_ip(p->remote_ip()) == canonical) p->disconnect(devp2p::DisconnectReason::requested);
        }
    });
    return std::nullopt;
}

std::optional<ApiError> Devp2pNode::unban_id(const std::string& id) {
    std::string key = id;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (key.find(':') != std::string::npos || key.find('.') != std::string::npos) key = canonical_ip(id);
    const bool found = on_network([&] {
        const bool erased = m_bans.erase(key) > 0;
        if (erased) save_bans();
        return erased;
    });
    if (!found) return ApiError{ApiError::Kind::invalid_params, "no ban for " + id};
    return std::nullopt;
}

std::optional<ApiError> Devp2pNode::unban_ip(const std::string& ip) {
    return unban_id(ip);
}

std::optional<ApiError> Devp2pNode::disconnect(const std::string& id) {
    const auto bytes = base::from_hex(id);
    secp::PublicKey key{};
    if (!bytes || bytes->size() != key.size())
        return ApiError{ApiError::Kind::invalid_params, "a devp2p node id is 128 hex digits"};
    std::copy(bytes->begin(), bytes->end(), key.begin());
    const bool found = on_network([&] {
        auto p = m_server->find_peer(key);
        if (!p) return false;
        p->disconnect(devp2p::DisconnectReason::requested);
        return true;
    });
    if (!found) return ApiError{ApiError::Kind::invalid_params, "not connected to " + id};
    return std::nullopt;
}

}  // namespace peerlink::node
