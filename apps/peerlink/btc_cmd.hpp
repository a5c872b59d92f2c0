// `peerlink btc ...`: the Bitcoin profile's commands, a network crawler (crawl) and an address
// relay node (node). add_btc_commands registers them; run_btc_command runs the one parsed.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>

namespace peerlink::apps {

/// Adds the `btc` subcommand and its `crawl` and `node` subcommands to `app`.
void add_btc_commands(CLI::App& app);
/// After app.parse: the exit code (0 ok, 1 error, 2 usage) when a btc command was given.
std::optional<int> run_btc_command();

}  // namespace peerlink::apps
