// The Bitcoin-profile node assembled from a Config (`profile = "bitcoin"`): a bitcoin::Node on its
// own network thread, its address book and bans persisted in [bitcoin] addr_book_file, the HTTP API
// and the Prometheus metrics. Thread-safe: every public method hops onto the network thread.
#pragma once
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "node/config.hpp"
#include "node/http_api.hpp"
#include "node/metrics.hpp"
#include "profiles/bitcoin/node.hpp"

namespace peerlink::node {

/// bitcoin::NodeOptions from the [bitcoin] section and the top-level network; the permanent peers
/// (connect, else add_peers) go to `permanent`. Throws ConfigError naming the key.
bitcoin::NodeOptions bitcoin_node_options(const Config& config, std::vector<bitcoin::Endpoint>& permanent);

/// The /net_info and /disconnect form of a peer's connection id: 16 hex digits.
std::string bitcoin_peer_id(std::uint64_t id);

class BitcoinNode final : public ApiBackend {
public:
    /// Validates the configuration and loads the address book (a corrupt file is set aside with a
    /// warning naming where it went). Throws ConfigError for bad configuration.
    explicit BitcoinNode(Config config);
    ~BitcoinNode();
    BitcoinNode(const BitcoinNode&) = delete;
    BitcoinNode& operator=(const BitcoinNode&) = delete;

    /// Binds the P2P listener, the API and the metrics endpoint and starts the network thread.
    /// Throws std::runtime_error naming the address that could not be bound.
    void start();
    /// Closes every peer, saves the address book, stops the threads. Idempotent.
    void stop();

    [[nodiscard]] const Config& config() const { return m_config; }
    [[nodiscard]] std::uint16_t p2p_port() const { return m_p2p_port; }
    [[nodiscard]] std::uint16_t rpc_port() const { return m_api ? m_api->port() : 0; }
    [[nodiscard]] std::uint16_t metrics_port() const {
        return m_metrics_server ? m_metrics_server->port() : 0;
    }
    /// host:port other nodes can dial (127.0.0.1 when listening on every interface); empty when
    /// not listening.
    [[nodiscard]] std::string p2p_address() const;

    /// Any thread.
    [[nodiscard]] std::vector<bitcoin::PeerSummary> peers();
    [[nodiscard]] std::size_t address_book_size();
    /// Announces inventory to every peer (see bitcoin::Node::announce).
    std::size_t announce(const bitcoin::InvVect& item);
    /// Writes the address book and bans now (atomically); the node also does every 2 minutes.
    base::Result<void> save_book();

    // ---- ApiBackend (HTTP worker threads) ----
    nlohmann::json status() override;
    nlohmann::json net_info() override;
    nlohmann::json list_bans() override;
    /// host:port (or [v6]:port) strings; persistent ones become permanent peers.
    std::optional<ApiError> dial_peers(const std::vector<std::string>& peers, bool persistent) override;
    std::optional<ApiError> dial_seeds(const std::vector<std::string>& seeds) override;
    /// Bitcoin peers have no node IDs: invalid_params.
    std::optional<ApiError> ban_id(const std::string& id, std::chrono::seconds duration) override;
    /// Bans the IP (saved with the book) and closes every connection from or to it.
    std::optional<ApiError> ban_ip(const std::string& ip, std::chrono::seconds duration) override;
    std::optional<ApiError> unban_id(const std::string& id) override;
    std::optional<ApiError> unban_ip(const std::string& ip) override;
    /// `id` is a peer's connection id from /net_info (16 hex digits), not an address: the API
    /// accepts hex IDs only.
    std::optional<ApiError> disconnect(const std::string& id) override;

private:
    template <typename Fn>
    auto on_network(Fn fn) -> decltype(fn());
    base::Result<void> save_book_now();  // network thread
    void schedule_save();
    void register_metrics();

    Config m_config;
    std::vector<bitcoin::Endpoint> m_permanent;
    bitcoin::NodeOptions m_options;
    std::filesystem::path m_book_path;
    asio::io_context m_io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> m_work;
    std::thread m_thread;
    std::unique_ptr<bitcoin::Node> m_node;
    std::unique_ptr<asio::steady_timer> m_save_timer;
    metrics::Registry m_metrics;
    std::unique_ptr<HttpApi> m_api;
    std::unique_ptr<metrics::MetricsServer> m_metrics_server;
    std::uint16_t m_p2p_port = 0;
    bool m_started = false;
    bool m_stopped = false;
};

}  // namespace peerlink::node
