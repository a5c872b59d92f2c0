// `peerlink devp2p ...`: the devp2p profile's commands: key generation, enode URLs of a key and an
// RLPx ping (handshake + Hello against a node, then Disconnect(requested)).
#pragma once
#include <CLI/CLI.hpp>
#include <optional>

namespace peerlink::apps {

/// Adds the `devp2p` subcommand tree (`key generate`, `key to-enode`, `rlpx ping`) to `app`.
void add_devp2p_commands(CLI::App& app);
/// After app.parse: the exit code (0 ok, 1 error, 2 usage) when a devp2p command was given.
std::optional<int> run_devp2p_command();

}  // namespace peerlink::apps
