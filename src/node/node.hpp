// A whole CometBFT-profile node assembled from a Config: key, address book, connection manager,
// router with PEX and gossip reactors, the host (listener and dialer), the HTTP API and the
// metrics export, on one network thread. The only thread-safe class: every public method may be
// called from any thread and hops onto the network thread where the state lives.
#pragma once
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "addrbook/addr_book.hpp"
#include "connmgr/book_source.hpp"
#include "connmgr/conn_manager.hpp"
#include "discovery/pex_reactor.hpp"
#include "gossip/gossip_reactor.hpp"
#include "node/config.hpp"
#include "node/http_api.hpp"
#include "node/metrics.hpp"
#include "profiles/cometbft/host.hpp"
#include "router/router.hpp"

namespace peerlink::node {

/// One connected peer, as the peer list and /net_info show it.
struct PeerStatus {
    peer::PeerInfo info;
    mux::ConnectionStats stats;
    std::chrono::seconds connected_for{0};
};

/// A first receipt of a gossip message, kept (bounded) for the testnet's propagation figures.
struct GossipDelivery {
    std::string id_hex;
    std::int64_t unix_ns = 0;  // wall clock at receipt
    std::string from;          // node ID hex
};

class Node final : public ApiBackend {
public:
    /// Loads or creates the node key and loads the address book (a corrupt one is set aside).
    /// Throws ConfigError for bad configuration and std::runtime_error for an unusable key file.
    explicit Node(Config config);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    /// Before start(): an application reactor (channels must not clash with PEX 0x00 or gossip).
    void add_reactor(std::string name, std::shared_ptr<router::Reactor> reactor);
    /// Binds the P2P listener, the API and the metrics endpoint and starts the network thread.
    /// Throws std::runtime_error naming the address that could not be bound.
    void start();
    /// Graceful: stops dialling and accepting, closes every peer, saves the address book, stops
    /// the threads. Idempotent; the destructor calls it.
    void stop();

    [[nodiscard]] peer::NodeId id() const { return m_key.id(); }
    [[nodiscard]] const Config& config() const { return m_config; }
    [[nodiscard]] std::uint16_t p2p_port() const { return m_p2p_port; }
    [[nodiscard]] std::uint16_t rpc_port() const { return m_api ? m_api->port() : 0; }
    [[nodiscard]] std::uint16_t metrics_port() const {
        return m_metrics_server ? m_metrics_server->port() : 0;
    }
    /// id@host:port for other nodes' persistent_peers or seeds.
    [[nodiscard]] std::string p2p_address() const;

    /// Any thread.
    [[nodiscard]] std::vector<PeerStatus> peers();
    /// Peer events (up, down, rejected handshakes, failed dials), oldest first.
    std::vector<router::Event> poll_events(std::size_t max = SIZE_MAX) { return m_events.poll(max); }
    /// Publishes a gossip message to every peer; fails when gossip is off or it is too large.
    base::Result<gossip::MessageId> publish(base::SharedBytes payload);
    [[nodiscard]] std::vector<GossipDelivery> gossip_deliveries() const;
    [[nodiscard]] std::size_t address_book_size();

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
    nlohmann::json gossip_info() override;
    std::variant<nlohmann::json, ApiError> gossip_publish(const std::vector<std::uint8_t>& data) override;

private:
    /// Runs `fn` on the network thread and waits for its result (directly when not running).
    template <typename Fn>
    auto on_network(Fn fn) -> decltype(fn());
    void pump_events();
    void register_metrics();
    void record_gossip(const gossip::MessageId& id, const peer::NodeId& from);
    [[nodiscard]] std::size_t known_nodes() const;

    Config m_config;
    cometbft::NodeKey m_key;
    asio::io_context m_io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> m_work;
    std::thread m_thread;
    base::Random m_random;
    addrbook::AddrBook m_book;
    connmgr::BookAddressSource m_source;
    connmgr::ConnManager m_connmgr;
    router::Router m_router;
    std::shared_ptr<discovery::PexReactor> m_pex;
    std::shared_ptr<gossip::GossipReactor> m_gossip;
    std::unique_ptr<cometbft::Host> m_host;
    metrics::Registry m_metrics;
    std::unique_ptr<HttpApi> m_api;
    std::unique_ptr<metrics::MetricsServer> m_metrics_server;
    std::unique_ptr<asio::steady_timer> m_pump_timer;
    router::EventQueue m_events{4096};
    std::uint16_t m_p2p_port = 0;
    std::vector<peer::PeerAddress> m_seeds;
    bool m_started = false;
    bool m_stopped = false;

    // Totals of peers that have gone, so per-channel counters never go down (network thread).
    std::map<mux::ChannelId, mux::ChannelStats> m_departed;
    std::map<peer::NodeId, mux::ConnectionStats> m_last_stats;
    struct Rates {
        base::TimePoint since;
        double send = 0;  // bytes/s over the last pump period
        double recv = 0;
    };
    std::map<peer::NodeId, Rates> m_rates;  // network thread; one per connected peer, as m_last_stats

    mutable std::mutex m_gossip_mutex;
    std::deque<GossipDelivery> m_gossip_log;  // bounded by k_max_gossip_log
};

}  // namespace peerlink::node
