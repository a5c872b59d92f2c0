// spdlog loggers, one per category, so a user can turn up "mux" without drowning in "crypto".
// Anything a remote peer can trigger is logged at debug.
#pragma once
#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace peerlink::base::log {

enum class Category {
    base,
    crypto,
    codec,
    transport,
    mux,
    peer,
    router,
    connmgr,
    cometbft,
    bench,
    discovery,
    node,
    devp2p,
    bitcoin,
    gossip,
    count
};

/// The logger for `c`; created on first use, named after the category.
spdlog::logger& get(Category c);
void set_level(Category c, spdlog::level::level_enum level);
void set_level_all(spdlog::level::level_enum level);
std::string_view name(Category c);

}  // namespace peerlink::base::log
