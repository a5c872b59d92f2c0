// What every profile's node serves besides its peer-to-peer port: the HTTP JSON API ([rpc]) and
// the Prometheus endpoint ([instrumentation]), started from the same configuration keys.
#pragma once
#include <asio.hpp>
#include <future>
#include <memory>
#include <thread>
#include <type_traits>

#include "node/config.hpp"
#include "node/http_api.hpp"
#include "node/metrics.hpp"

namespace peerlink::node {

/// Starts the API (unless rpc.laddr is empty) and the metrics endpoint (when enabled) into `api`
/// and `metrics_server`. Throws std::runtime_error naming the key when an address cannot be bound;
/// what was started before the failure stays in the out-parameters for the caller's stop().
void start_node_services(const Config& config, ApiBackend& backend, metrics::Registry& registry,
                         std::unique_ptr<HttpApi>& api,
                         std::unique_ptr<metrics::MetricsServer>& metrics_server);

/// Runs `fn` on the node's network thread and waits for its result (or exception): how each
/// node facade's public methods stay thread-safe. Runs it in place when `direct` (the node is not
/// running) or when called from the network thread itself.
template <typename Fn>
auto run_on_network(asio::io_context& io, const std::thread& network, bool direct, Fn fn) -> decltype(fn()) {
    using R = decltype(fn());
    if (direct || std::this_thread::get_id() == network.get_id()) return fn();
    std::promise<R> promise;
    asio::post(io, [&] {
        try {
            if constexpr (std::is_void_v<R>) {
                fn();
                promise.set_value();
            } else {
                promise.set_value(fn());
            }
        } catch (...) {
            promise.set_exception(std::current_exception());
        }
    });
    return promise.get_future().get();
}

}  // namespace peerlink::node
