// A whole devp2p-profile node (`profile = "devp2p"`) assembled from a Config: the geth nodekey, the
// devp2p::Server with its policies, discv4 feeding the dial scheduler, a small demo capability
// (plk/1) so two peerlink nodes stay connected, bans, the HTTP API and the metrics export.
// The only thread-safe class here: public methods may be called from any thread and hop onto the
// network thread, which owns the server, the discovery service and the bans.
#pragma once
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connmgr/address_source.hpp"
#include "node/config.hpp"
#include "node/http_api.hpp"
#include "node/metrics.hpp"
#include "profiles/devp2p/discv4_service.hpp"
#include "profiles/devp2p/server.hpp"

namespace peerlink::node {

/// Timers the config file does not carry; production defaults (geth's), tests shorten them.
struct Devp2pNodeOptions {
    /// geth dialHistoryExpiration: no redial of an address (static nodes included) within this.
    base::Duration dial_history = std::chrono::seconds(35);
    /// geth inboundThrottleTime.
    base::Duration inbound_throttle = std::chrono::seconds(30);
    /// geth exempts LAN addresses from the inbound throttle.
    bool throttle_exempt_lan = true;
    /// discv4 refresh (random lookups) period; geth refreshInterval.
    base::Duration discovery_refresh = std::chrono::minutes(30);
    /// How often the dial scheduler is polled even when discovery reports nothing new.
    base::Duration dial_poll = std::chrono::seconds(1);
    base::Duration handshake_timeout = std::chrono::seconds(5);
    base::Duration dial_timeout = std::chrono::seconds(15);
};

/// The geth nodekey file: 64 hex digits (a trailing newline is accepted). Created (mode 0600,
/// atomically) when missing; a file that is not a valid key throws std::runtime_error naming it
/// and is left untouched.
crypto::secp256k1::KeyPair load_or_create_devp2p_key(const std::filesystem::path& path);

/// Feeds the dial scheduler from discovery (geth's dial iterator over the discovery table): nodes
/// just added to the table first, then random table nodes. Network thread only.
class DiscoveryAddressSource final : public connmgr::AddressSource {
public:
    void set_discovery(devp2p::Discv4Service* discovery) { m_discovery = discovery; }
    /// A node entered the table; bounded (the oldest are forgotten).
    void push(const devp2p::Enode& node);
    std::vector<peer::PeerAddress> pick_addresses(std::size_t n, base::TimePoint now,
                                                  const Usable& usable) override;

private:
    devp2p::Discv4Service* m_discovery = nullptr;
    std::deque<devp2p::Enode> m_fresh;
};

class Devp2pNode final : public ApiBackend {
public:
    /// Loads or creates the node key and the bans. Throws ConfigError for bad configuration (enode
    /// lists, CIDRs) and std::runtime_error for an unusable key file.
    explicit Devp2pNode(Config config, Devp2pNodeOptions options = {});
    ~Devp2pNode();
    Devp2pNode(const Devp2pNode&) = delete;
    Devp2pNode& operator=(const Devp2pNode&) = delete;

    /// Binds the RLPx listener, discv4 (UDP, same port), the API and the metrics endpoint and
    /// starts the network thread. Throws std::runtime_error naming what could not be bound.
    void start();
    /// Parts with every peer (Disconnect quitting, 1 s at most), stops discovery, saves the bans.
    /// Idempotent; the destructor calls it.
    void stop();

    [[nodiscard]] const crypto::secp256k1::PublicKey& id() const { return m_key.public_key; }
    [[nodiscard]] std::string id_hex() const;
    /// enode://<id>@<ip>:<port> with the advertised IP (external_ip, else the listen address, else
    /// 127.0.0.1 for a wildcard listener).
    [[nodiscard]] std::string enode() const;
    [[nodiscard]] std::uint16_t p2p_port() const { return m_p2p_port; }
    [[nodiscard]] std::uint16_t rpc_port() const { return m_api ? m_api->port() : 0; }
    [[nodiscard]] std::uint16_t metrics_port() const {
        return m_metrics_server ? m_metrics_server->port() : 0;
    }
    /// Any thread.
    [[nodiscard]] std::size_t peer_count();
    [[nodiscard]] std::vector<crypto::secp256k1::PublicKey> peer_ids();
    [[nodiscard]] std::size_t table_size();
    [[nodiscard]] metrics::Registry& metrics() { return m_metrics; }

    // ---- ApiBackend (HTTP worker threads) ----
    nlohmann::json status() override;
    nlohmann::json net_info() override;
    nlohmann::json list_bans() override;
    std::optional<ApiError> dial_peers(const std::vector<std::string>& peers, bool persistent) override;
    std::optional<ApiError> dial_seeds(const std::vector<std::string>& seeds) override;
    std::optional<ApiError> ban_id(const std::string& id, std::chrono::seconds duration) override;
    std::optional<ApiError> ban_ip(const std::string& ip, std::chrono::seconds duration) override;
    std::optional<ApiError> unban_id(const std::string& id) override;
    std::optional<ApiError> unban_ip(const std::string& ip) override;
    std::optional<ApiError> disconnect(const std::string& id) override;

private:
    using WallTime = std::chrono::system_clock::time_point;
    struct PeerExtra {
        std::string announced;  // the peer's plk/1 Announce text
        std::uint64_t echoes = 0;
    };

    template <typename Fn>
    auto on_network(Fn fn) -> decltype(fn());
    devp2p::ServerProtocol demo_protocol();
    devp2p::Server::Callbacks server_callbacks();
    void register_metrics();
    void schedule_poll();
    [[nodiscard]] bool is_banned(const std::string& key);
    void add_ban(const std::string& key, std::chrono::seconds duration);
    void load_bans();
    void save_bans();
    [[nodiscard]] std::string advertised_ip() const;

    Config m_config;
    Devp2pNodeOptions m_options;
    crypto::secp256k1::KeyPair m_key;
    asio::io_context m_io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> m_work;
    std::thread m_thread;
    DiscoveryAddressSource m_source;
    std::unique_ptr<devp2p::Server> m_server;
    std::unique_ptr<devp2p::Discv4Service> m_discovery;
    std::unique_ptr<asio::steady_timer> m_poll_timer;
    metrics::Registry m_metrics;
    std::unique_ptr<HttpApi> m_api;
    std::unique_ptr<metrics::MetricsServer> m_metrics_server;
    std::uint16_t m_p2p_port = 0;
    std::string m_listen_host;
    bool m_started = false;
    bool m_stopped = false;

    std::map<crypto::secp256k1::PublicKey, PeerExtra> m_extra;  // network thread; connected peers
    std::map<std::string, WallTime> m_bans;                     // network thread; id hex or IP -> until
    std::filesystem::path m_bans_file;
};

}  // namespace peerlink::node
