// The node's configuration: CometBFT's config.toml key names and defaults for [p2p], plus [rpc],
// [instrumentation] and [gossip]. Parsed from TOML and from `--section.key` command-line flags
// through one table of keys, which also writes the documented default file.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace peerlink::node {

/// Bad configuration: the message names the file (or flag), the key and the reason.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct P2PConfig {
    std::string laddr = "tcp://0.0.0.0:26656";
    std::string external_address;
    std::string seeds;             // comma-separated id@host:port
    std::string persistent_peers;  // comma-separated id@host:port
    std::string unconditional_peer_ids;
    std::string private_peer_ids;
    std::uint64_t max_num_inbound_peers = 40;
    std::uint64_t max_num_outbound_peers = 10;
    /// Total cap on connected peers (inbound + outbound); 0 = only the two limits above.
    std::uint64_t max_connections = 0;
    std::chrono::milliseconds persistent_peers_max_dial_period{0};
    std::chrono::milliseconds flush_throttle_timeout{100};
    std::uint64_t max_packet_msg_payload_size = 1024;
    std::uint64_t send_rate = 5'120'000;
    std::uint64_t recv_rate = 5'120'000;
    bool pex = true;
    bool seed_mode = false;
    std::string addr_book_file = "config/addrbook.json";
    bool addr_book_strict = true;
    bool allow_duplicate_ip = false;
    std::chrono::milliseconds handshake_timeout{20'000};
    std::chrono::milliseconds dial_timeout{3'000};
};

struct RpcConfig {
    std::string laddr = "tcp://127.0.0.1:26657";
    bool unsafe = false;
};

struct InstrumentationConfig {
    bool prometheus = false;
    std::string prometheus_listen_addr = ":26660";
};

struct GossipConfig {
    bool enabled = true;
    std::uint64_t max_message_size = 64 * 1024;
};

/// `[devp2p]`: the go-ethereum-compatible profile (`profile = "devp2p"`); geth's flag names where
/// they exist (maxpeers, maxpendpeers, bootnodes, netrestrict, nodiscover).
struct Devp2pConfig {
    /// RLPx listener; discv4 uses UDP on the same port (geth's 30303).
    std::string laddr = "tcp://0.0.0.0:30303";
    /// The node's secp256k1 key as 64 hex digits (geth's nodekey file); created when missing.
    std::string node_key_file = "config/devp2p_nodekey";
    std::uint64_t max_peers = 50;
    std::uint64_t max_pending_peers = 50;
    /// One in dial_ratio of max_peers is dialled; the rest is left for inbound (geth DialRatio 3).
    std::uint64_t dial_ratio = 3;
    std::string bootnodes;      // comma-separated enode URLs (discovery bootstrap)
    std::string static_nodes;   // comma-separated enode URLs, always redialled
    std::string trusted_nodes;  // comma-separated enode URLs, admitted over max_peers
    std::string net_restrict;   // comma-separated CIDRs; empty allows every address
    bool no_dial = false;
    bool discovery = true;
    /// discv4's database of seen nodes (SQLite); relative to the home directory.
    std::string node_db = "data/devp2p_nodes.db";
    /// The IP we advertise in discv4 and our ENR (geth --nat extip:IP); empty: the listen address.
    std::string external_ip;
};

/// `[bitcoin]`: the Bitcoin profile (`profile = "bitcoin"`; the top-level `network` names the
/// Bitcoin network); btcd's option names where they exist.
struct BitcoinConfig {
    /// Listener; empty: every interface on the network's default port.
    std::string laddr;
    bool listen = true;
    std::string connect;    // comma-separated host:port: dial only these (btcd --connect)
    std::string add_peers;  // comma-separated host:port: permanent peers (btcd --addpeer)
    std::uint64_t max_outbound = 8;
    std::uint64_t max_inbound = 117;
    /// Service bits we advertise; 0 by default: a relay that serves no blocks claims none.
    std::uint64_t services = 0;
    std::string user_agent = "/peerlink:0.1.0/";
    bool dns_seeds = true;
    bool fixed_seeds = true;
    std::string addr_book_file = "data/bitcoin_addrbook.json";
    std::chrono::milliseconds ban_duration{24 * 60 * 60 * 1000};
};

struct Config {
    /// The node's home directory; relative file keys are resolved against it. Not a TOML key.
    std::filesystem::path home;
    /// Which wire protocol the node speaks: "cometbft", "devp2p" or "bitcoin".
    std::string profile = "cometbft";
    std::string moniker = "peerlink";
    /// CometBFT's chain ID: peers on another network are refused at the NodeInfo handshake. In
    /// the bitcoin profile: mainnet, testnet3, signet or regtest.
    std::string network = "peerlink-testnet";
    std::string node_key_file = "config/node_key.json";
    std::string log_level = "info";
    P2PConfig p2p;
    RpcConfig rpc;
    InstrumentationConfig instrumentation;
    GossipConfig gossip;
    Devp2pConfig devp2p;
    BitcoinConfig bitcoin;

    /// `relative` resolved against home unless it is absolute.
    [[nodiscard]] std::filesystem::path resolve(const std::string& relative) const;
    /// Checks every cross-key rule (addresses, peer strings, ranges); throws ConfigError.
    void validate(std::string_view origin) const;
};

/// One key of the table: `section.key`, its documentation, and how it reads and prints.
struct ConfigKey {
    enum class Kind { string, integer, boolean, duration };
    std::string_view section;  // "" for top-level keys
    std::string_view name;
    std::string_view doc;
    Kind kind;
    /// The value as TOML text ("\"tcp://...\"", "40", "true").
    std::string (*print)(const Config&);
    /// Sets the key from text given on the command line; throws ConfigError(reason only).
    void (*set_text)(Config&, std::string_view);
};
/// Every key, in the order the default file lists them.
const std::vector<ConfigKey>& config_keys();

/// Reads `home/config/config.toml` over the defaults; unknown keys, wrong types and bad values throw
/// ConfigError naming the file, key and reason.
Config load_config(const std::filesystem::path& home);
/// Parses TOML text (`origin` names it in errors) over the defaults.
Config parse_config(std::string_view toml_text, std::string_view origin);
/// Sets `section.key` from command-line text (a flag); throws ConfigError naming the flag.
void set_config_key(Config& config, std::string_view dotted_key, std::string_view text);
/// The whole file, every key with its documentation and current value.
std::string render_config(const Config& config);

/// Go-style durations as config.toml uses them: "100ms", "3s", "1h30m", "0s".
std::chrono::milliseconds parse_duration(std::string_view text);  // throws ConfigError(reason)
std::string format_duration(std::chrono::milliseconds duration);

/// "tcp://host:port" (or "host:port", ":port") split into host and port; throws ConfigError(reason).
struct ListenAddress {
    std::string host;
    std::uint16_t port = 0;
};
ListenAddress parse_listen_address(std::string_view text, std::string_view default_host = "0.0.0.0");

/// Splits a comma-separated list, trimming spaces and dropping empty entries.
std::vector<std::string> split_list(std::string_view text);

}  // namespace peerlink::node
