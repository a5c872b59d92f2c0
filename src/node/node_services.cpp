#include "node/node_services.hpp"

#include <stdexcept>

namespace peerlink::node {

void start_node_services(const Config& config, ApiBackend& backend, metrics::Registry& registry,
                         std::unique_ptr<HttpApi>& api,
                         std::unique_ptr<metrics::MetricsServer>& metrics_server) {
    if (!config.rpc.laddr.empty()) {
        const auto rpc = parse_listen_address(config.rpc.laddr, "127.0.0.1");
        api = std::make_unique<HttpApi>(
            HttpApiOptions{.host = rpc.host, .port = rpc.port, .unsafe = config.rpc.unsafe}, backend);
        if (auto ok = api->start(); !ok.ok())
            throw std::runtime_error("rpc.laddr " + config.rpc.laddr + ": " + ok.error().message());
    }
    if (config.instrumentation.prometheus) {
        const auto at = parse_listen_address(config.instrumentation.prometheus_listen_addr, "127.0.0.1");
        metrics_server =
            std::make_unique<metrics::MetricsServer>(metrics::ServerOptions{at.host, at.port}, registry);
        if (auto ok = metrics_server->start(); !ok.ok()) {
            throw std::runtime_error("instrumentation.prometheus_listen_addr " +
                                     config.instrumentation.prometheus_listen_addr + ": " +
                                     ok.error().message());
        }
    }
}

}  // namespace peerlink::node
