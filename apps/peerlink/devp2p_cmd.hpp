// `peerlink devp2p ...`: the devp2p profile's commands: key generation, enode URLs of a key, an RLPx
// ping (handshake + Hello, then Disconnect(requested)) and discv4 ping / resolve / crawl over UDP.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>

namespace peerlink::apps {

/// Adds the `devp2p` subcommand tree (`key generate`, `key to-enode`, `rlpx ping`, `discv4 ping`,
/// `discv4 resolve`, `discv4 crawl`) to `app`.
void add_devp2p_commands(CLI::App& app);
/// After app.parse: the exit code (0 ok, 1 error, 2 usage) when a devp2p command was given.
std::optional<int> run_devp2p_command();

}  // namespace peerlink::apps
