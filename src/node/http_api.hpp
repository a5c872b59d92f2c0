// The node's HTTP JSON API, shaped like CometBFT's RPC over HTTP: GET /status, /net_info, /bans
// and, only with `[rpc] unsafe = true`, POST /dial_peers, /dial_seeds, /ban, /unban, /disconnect.
// Requests are parsed and validated here; the node answers through the narrow ApiBackend.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/http_server.hpp"

namespace peerlink::node {

/// Why a backend refused a request: the caller's fault (400, JSON-RPC -32602 Invalid params) or ours
/// (500, -32603 Internal error). `reason` is shown to the caller.
struct ApiError {
    enum class Kind { invalid_params, internal };
    Kind kind = Kind::invalid_params;
    std::string reason;
};

/// What the API needs from a node. Every method is called on an HTTP worker thread, several at
/// once: the implementation makes them thread-safe (e.g. by posting to the network thread and
/// waiting). A method returns nullopt when the request was carried out (or started: dials are
/// asynchronous). Exceptions thrown from here are answered as 500 Internal error.
class ApiBackend {
public:
    ApiBackend() = default;
    ApiBackend(const ApiBackend&) = delete;
    ApiBackend& operator=(const ApiBackend&) = delete;

    /// CometBFT /status: node_info, sync_info, validator_info (as much as applies).
    virtual nlohmann::json status() = 0;
    /// CometBFT /net_info: listening, listeners, n_peers, peers[].
    virtual nlohmann::json net_info() = 0;
    virtual nlohmann::json list_bans() = 0;
    /// `peers` are id@host:port strings, unparsed (the backend knows its profile's ID size).
    virtual std::optional<ApiError> dial_peers(const std::vector<std::string>& peers, bool persistent) = 0;
    virtual std::optional<ApiError> dial_seeds(const std::vector<std::string>& seeds) = 0;
    /// `id` is hex (checked here); its length is for the backend to check.
    virtual std::optional<ApiError> ban_id(const std::string& id, std::chrono::seconds duration) = 0;
    /// `ip` is a valid IPv4 or IPv6 address (checked here).
    virtual std::optional<ApiError> ban_ip(const std::string& ip, std::chrono::seconds duration) = 0;
    virtual std::optional<ApiError> unban_id(const std::string& id) = 0;
    virtual std::optional<ApiError> unban_ip(const std::string& ip) = 0;
    virtual std::optional<ApiError> disconnect(const std::string& id) = 0;
    /// GET /gossip: the gossip reactor's counters and its log of first receipts (the testnet's
    /// propagation figures come from it). Default: gossip not available.
    virtual nlohmann::json gossip_info() { return nlohmann::json::object(); }
    /// POST /gossip/publish (unsafe): floods `data`; the result holds the message ID and the
    /// publish time. Default: not available.
    virtual std::variant<nlohmann::json, ApiError> gossip_publish(const std::vector<std::uint8_t>& data) {
        (void)data;
        return ApiError{ApiError::Kind::invalid_params, "this node runs no gossip reactor"};
    }

protected:
    ~ApiBackend() = default;
};

struct HttpApiOptions {
    /// Loopback by default: the control routes must not be reachable from the network by accident.
    std::string host = "127.0.0.1";
    std::uint16_t port = 26657;  // CometBFT's RPC port; 0: ephemeral
    /// `[rpc] unsafe`: enables the POST control routes (403 otherwise).
    bool unsafe = false;
    std::size_t threads = 2;
    std::size_t max_body_bytes = 64 * 1024;
};

/// Bans without a duration last this long (CometBFT and btcd: 24 h).
constexpr std::chrono::seconds k_default_ban_duration = std::chrono::hours(24);

class HttpApi {
public:
    /// `backend` outlives this object (stop() or the destructor joins every HTTP thread).
    HttpApi(HttpApiOptions options, ApiBackend& backend);
    ~HttpApi();
    HttpApi(const HttpApi&) = delete;
    HttpApi& operator=(const HttpApi&) = delete;

    /// Binds host:port and serves; fails with HttpErrc::bind_failed.
    base::Result<void> start();
    void stop();
    /// The bound port (the ephemeral one when options.port was 0).
    [[nodiscard]] std::uint16_t port() const { return m_server.port(); }

private:
    void register_routes();

    HttpApiOptions m_options;
    ApiBackend& m_backend;
    HttpServer m_server;
};

/// A Go time.ParseDuration string ("24h", "1h30m", "1.5s", "300ms"; units ns us µs ms s m h) in
/// nanoseconds; nullopt when malformed or beyond Go's range (about 292 years).
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

/// The JSON-RPC style envelopes the API answers with (id -1: an HTTP GET/POST, not a JSON-RPC call).
nlohmann::json rpc_result(nlohmann::json result);
nlohmann::json rpc_error(int code, std::string_view message, std::string_view data);

}  // namespace peerlink::node
