#include "base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <array>

namespace peerlink::base::log {

namespace {
constexpr std::array<std::string_view, static_cast<std::size_t>(Category::count)> k_names = {
    "base",     "crypto", "codec",     "transport", "mux",    "peer",    "router", "connmgr",
    "cometbft", "bench",  "discovery", "node",      "devp2p", "bitcoin", "gossip"};

struct Registry {
    Registry() {
        auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        for (std::size_t i = 0; i < k_names.size(); ++i) {
            loggers[i] = std::make_shared<spdlog::logger>(std::string(k_names[i]), sink);
            loggers[i]->set_level(spdlog::level::info);
        }
    }
    std::array<std::shared_ptr<spdlog::logger>, k_names.size()> loggers;
};

Registry& registry() {
    static Registry r;
    return r;
}
}  // namespace

spdlog::logger& get(Category c) {
    return *registry().loggers[static_cast<std::size_t>(c)];
}
void set_level(Category c, spdlog::level::level_enum level) {
    get(c).set_level(level);
}
void set_level_all(spdlog::level::level_enum level) {
    for (auto& l : registry().loggers)
        l->set_level(level);
}
std::string_view name(Category c) {
    return k_names[static_cast<std::size_t>(c)];
}

}  // namespace peerlink::base::log
