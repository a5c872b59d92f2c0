// What every profile's node serves besides its peer-to-peer port: the HTTP JSON API ([rpc]) and
// the Prometheus endpoint ([instrumentation]), started from the same configuration keys.
#pragma once
#include <memory>

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

}  // namespace peerlink::node
