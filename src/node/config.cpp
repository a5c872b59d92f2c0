#include "node/config.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "base/file.hpp"
#include "connmgr/ip_address.hpp"
#include "peer/node_id.hpp"
#include "profiles/devp2p/enode.hpp"

namespace peerlink::node {
namespace {

using Kind = ConfigKey::Kind;
constexpr std::size_t k_max_config_file_size = 1024 * 1024;

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::uint64_t parse_uint(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        throw ConfigError("must be a non-negative integer, got '" + std::string(text) + "'");
    return value;
}

bool parse_bool(std::string_view text) {
    if (text == "true") return true;
    if (text == "false") return false;
    throw ConfigError("must be true or false, got '" + std::string(text) + "'");
}

#define PEERLINK_STRING_KEY(section, field, doc)                                             \
    ConfigKey {                                                                              \
#section == std::string_view("top") ? "" : #section, #field, doc, Kind::string,            \
            [](const Config& c) { return quote(c.PEERLINK_FIELD(section, field)); },               \
            [](Config& c, std::string_view v) { c.PEERLINK_FIELD(section, field) = std::string(v); } \
    }
#define PEERLINK_UINT_KEY(section, field, doc)                                                              \
    ConfigKey {                                                                                             \
#section, #field, doc, Kind::integer,                                                                     \
            [](const Config& c) { return std::to_string(c.section.field); },                                      \
            [](Config& c, std::string_view v) { c.section.field = static_cast<decltype(c.section.field)>(parse_uint(v)); } \
    }
#define PEERLINK_BOOL_KEY(section, field, doc)                                         \
    ConfigKey {                                                                        \
#section, #field, doc, Kind::boolean,                                                \
            [](const Config& c) { return std::string(c.section.field ? "true" : "false"); }, \
            [](Config& c, std::string_view v) { c.section.field = parse_bool(v); } \
    }
#define PEERLINK_DURATION_KEY(section, field, doc)                                  \
    ConfigKey {                                                                     \
#section, #field, doc, Kind::duration,                                            \
            [](const Config& c) { return quote(format_duration(c.section.field)); },      \
            [](Config& c, std::string_view v) { c.section.field = parse_duration(v); } \
    }
#define PEERLINK_FIELD(section, field) PEERLINK_FIELD_##section(field)
#define PEERLINK_FIELD_top(field) field
#define PEERLINK_FIELD_p2p(field) p2p.field
#define PEERLINK_FIELD_rpc(field) rpc.field
#define PEERLINK_FIELD_instrumentation(field) instrumentation.field
#define PEERLINK_FIELD_devp2p(field) devp2p.field
#define PEERLINK_FIELD_bitcoin(field) bitcoin.field

const std::vector<ConfigKey> k_keys = {
    PEERLINK_STRING_KEY(top, profile,
                        "Wire protocol: cometbft (the [p2p] section), devp2p ([devp2p]) or bitcoin "
                        "([bitcoin])."),
    PEERLINK_STRING_KEY(top, moniker, "A name for this node, shown to peers in its NodeInfo."),
    PEERLINK_STRING_KEY(top, network,
                        "The network (CometBFT chain ID) this node belongs to; peers on another network are "
                        "refused during the handshake."),
    PEERLINK_STRING_KEY(top, node_key_file,
                        "The node's ed25519 key (CometBFT node_key.json); relative to the home directory."),
    PEERLINK_STRING_KEY(top, log_level, "Log level: trace, debug, info, warn, error or off."),

    PEERLINK_STRING_KEY(p2p, laddr, "Address to listen on for incoming peer connections."),
    PEERLINK_STRING_KEY(p2p, external_address,
                        "Address to advertise to peers for them to dial (host:port); empty: the listen "
                        "address."),
    PEERLINK_STRING_KEY(p2p, seeds, "Comma-separated seed nodes (id@host:port), asked for addresses."),
    PEERLINK_STRING_KEY(p2p, persistent_peers,
                        "Comma-separated nodes (id@host:port) to stay connected to, redialled with backoff."),
    PEERLINK_STRING_KEY(p2p, unconditional_peer_ids,
                        "Comma-separated node IDs admitted even when the peer limits are reached."),
    PEERLINK_STRING_KEY(p2p, private_peer_ids, "Comma-separated node IDs never gossiped to other peers."),
    PEERLINK_UINT_KEY(p2p, max_num_inbound_peers, "Maximum number of inbound peers."),
    PEERLINK_UINT_KEY(p2p, max_num_outbound_peers,
                      "Number of outbound peers to keep (persistent peers not counted against it)."),
    PEERLINK_UINT_KEY(p2p, max_connections,
                      "Cap on all connected peers, inbound and outbound together; 0 = no cap beyond the two "
                      "limits above."),
    PEERLINK_DURATION_KEY(p2p, persistent_peers_max_dial_period,
                          "Longest wait between dials of a persistent peer; 0s = the exponential schedule "
                          "(which gives up after about a day)."),
    PEERLINK_DURATION_KEY(p2p, flush_throttle_timeout,
                          "How long written packets may wait to be batched before they are flushed."),
    PEERLINK_UINT_KEY(p2p, max_packet_msg_payload_size,
                      "Largest packet payload in bytes; must match the network's setting."),
    PEERLINK_UINT_KEY(p2p, send_rate, "Rate at which packets may be sent, in bytes/second, per peer."),
    PEERLINK_UINT_KEY(p2p, recv_rate, "Rate at which packets may be received, in bytes/second, per peer."),
    PEERLINK_BOOL_KEY(p2p, pex, "Peer exchange: learn addresses from peers and share ours."),
    PEERLINK_BOOL_KEY(p2p, seed_mode,
                      "Seed mode: crawl the network, answer address requests and disconnect."),
    PEERLINK_STRING_KEY(p2p, addr_book_file, "The address book; relative to the home directory."),
    PEERLINK_BOOL_KEY(p2p, addr_book_strict,
                      "Accept only routable addresses; set false for private or local test networks."),
    PEERLINK_BOOL_KEY(p2p, allow_duplicate_ip, "Allow several peers from one IP address."),
    PEERLINK_DURATION_KEY(p2p, handshake_timeout, "Deadline of each handshake step."),
    PEERLINK_DURATION_KEY(p2p, dial_timeout, "Deadline of each TCP connect."),

    PEERLINK_STRING_KEY(rpc, laddr, "Address of the HTTP status and control API."),
    PEERLINK_BOOL_KEY(rpc, unsafe,
                      "Enable the control routes (dial_peers, dial_seeds, ban, unban, disconnect)."),

    PEERLINK_BOOL_KEY(instrumentation, prometheus, "Serve Prometheus metrics."),
    PEERLINK_STRING_KEY(instrumentation, prometheus_listen_addr,
                        "Address of the Prometheus metrics endpoint."),

    PEERLINK_STRING_KEY(devp2p, laddr, "RLPx listen address; discv4 uses UDP on the same port."),
    PEERLINK_STRING_KEY(
        devp2p, node_key_file,
        "The secp256k1 node key (64 hex digits, geth's nodekey); relative to the home directory."),
    PEERLINK_UINT_KEY(devp2p, max_peers, "Maximum number of peers (geth MaxPeers)."),
    PEERLINK_UINT_KEY(devp2p, max_pending_peers,
                      "Maximum number of handshakes in progress (geth MaxPendingPeers)."),
    PEERLINK_UINT_KEY(
        devp2p, dial_ratio,
        "One in dial_ratio of max_peers is dialled, the rest left to inbound (geth DialRatio)."),
    PEERLINK_STRING_KEY(devp2p, bootnodes, "Comma-separated enode URLs that bootstrap discovery."),
    PEERLINK_STRING_KEY(devp2p, static_nodes,
                        "Comma-separated enode URLs kept connected (always redialled)."),
    PEERLINK_STRING_KEY(devp2p, trusted_nodes, "Comma-separated enode URLs admitted over max_peers."),
    PEERLINK_STRING_KEY(devp2p, net_restrict,
                        "Comma-separated CIDRs: connect and discover only within them; empty allows all."),
    PEERLINK_BOOL_KEY(devp2p, no_dial, "Dial nobody (static nodes excepted); accept inbound only."),
    PEERLINK_BOOL_KEY(devp2p, discovery, "Run discv4 discovery on UDP (geth --nodiscover is false)."),
    PEERLINK_STRING_KEY(devp2p, node_db, "discv4's database of seen nodes; relative to the home directory."),
    PEERLINK_STRING_KEY(devp2p, external_ip,
                        "IP advertised in discv4 and the ENR (geth --nat extip); empty: the listen address."),

    PEERLINK_STRING_KEY(bitcoin, laddr,
                        "Listen address; empty: all interfaces on the network's default port."),
    PEERLINK_BOOL_KEY(bitcoin, listen, "Accept inbound connections."),
    PEERLINK_STRING_KEY(bitcoin, connect,
                        "Comma-separated host:port: connect only to these (btcd --connect)."),
    PEERLINK_STRING_KEY(bitcoin, add_peers,
                        "Comma-separated host:port: permanent peers, retried with backoff (btcd --addpeer)."),
    PEERLINK_UINT_KEY(bitcoin, max_outbound, "Target number of outbound peers (btcd: 8)."),
    PEERLINK_UINT_KEY(bitcoin, max_inbound, "Maximum number of inbound peers."),
    PEERLINK_UINT_KEY(bitcoin, services,
                      "Service bits we advertise (NETWORK = 1, WITNESS = 8); none by default."),
    PEERLINK_STRING_KEY(bitcoin, user_agent, "User agent sent in our version message (BIP 14 form)."),
    PEERLINK_BOOL_KEY(bitcoin, dns_seeds,
                      "Ask the network's DNS seeds for addresses when the book is empty."),
    PEERLINK_BOOL_KEY(bitcoin, fixed_seeds,
                      "Fall back to the network's fixed seed addresses when nothing else answers."),
    PEERLINK_STRING_KEY(bitcoin, addr_book_file,
                        "The address book (and bans) of this profile; relative to the home directory."),
    PEERLINK_DURATION_KEY(bitcoin, ban_duration, "How long a discouraged or banned peer stays banned."),

    ConfigKey{"gossip", "enabled", "Run the gossip reactor (channel 0x50).", Kind::boolean,
              [](const Config& c) { return std::string(c.gossip.enabled ? "true" : "false"); },
              [](Config& c, std::string_view v) { c.gossip.enabled = parse_bool(v); }},
    ConfigKey{"gossip", "max_message_size",
              "Largest gossip message in bytes; larger ones disconnect the sender.", Kind::integer,
              [](const Config& c) { return std::to_string(c.gossip.max_message_size); },
              [](Config& c, std::string_view v) { c.gossip.max_message_size = parse_uint(v); }},
};

#undef PEERLINK_STRING_KEY
#undef PEERLINK_UINT_KEY
#undef PEERLINK_BOOL_KEY
#undef PEERLINK_DURATION_KEY

const ConfigKey* find_key(std::string_view section, std::string_view name) {
    for (const auto& key : k_keys) {
        if (key.section == section && key.name == name) return &key;
    }
    return nullptr;
}

bool is_section(std::string_view name) {
    for (const auto& key : k_keys) {
        if (!key.section.empty() && key.section == name) return true;
    }
    return false;
}

std::string dotted(std::string_view section, std::string_view name) {
    return section.empty() ? std::string(name) : std::string(section) + "." + std::string(name);
}

std::string where(std::string_view origin, const toml::source_region& source) {
    const auto& begin = source.begin;
    if (!begin) return std::string(origin);
    return std::string(origin) + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column);
}

/// The TOML value as the text set_text takes, checking its TOML type against the key's kind.
std::string value_text(const ConfigKey& key, const toml::node& node) {
    switch (key.kind) {
        case Kind::string:
        case Kind::duration:
            if (const auto* v = node.as_string()) return v->get();
            throw ConfigError("must be a string");
        case Kind::integer:
            if (const auto* v = node.as_integer()) {
                if (v->get() < 0) throw ConfigError("must be a non-negative integer");
                return std::to_string(v->get());
            }
            throw ConfigError("must be an integer");
        case Kind::boolean:
            if (const auto* v = node.as_boolean()) return v->get() ? "true" : "false";
            throw ConfigError("must be true or false");
    }
    throw ConfigError("unsupported value");
}

void apply(Config& config, const ConfigKey& key, const toml::node& node, std::string_view origin) {
    try {
        key.set_text(config, value_text(key, node));
    } catch (const ConfigError& e) {
        throw ConfigError(where(origin, node.source()) + ": " + dotted(key.section, key.name) + ": " +
                          e.what());
    }
}

void check_peer_list(std::string_view origin, std::string_view key, const std::string& list) {
    for (const auto& entry : split_list(list)) {
        if (!peer::PeerAddress::parse(entry).ok()) {
            throw ConfigError(std::string(origin) + ": " + std::string(key) + ": bad peer address '" + entry +
                              "' (want <40 hex digit node id>@host:port)");
        }
    }
}

void check_id_list(std::string_view origin, std::string_view key, const std::string& list) {
    for (const auto& entry : split_list(list)) {
        if (!peer::NodeId::from_hex(entry) || entry.size() != 40) {
            throw ConfigError(std::string(origin) + ": " + std::string(key) + ": bad node id '" + entry +
                              "' (want 40 hex digits)");
        }
    }
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
    return k_keys;
}

std::filesystem::path Config::resolve(const std::string& relative) const {
    const std::filesystem::path p(relative);
    return p.is_absolute() ? p : home / p;
}

void Config::validate(std::string_view origin) const {
    const auto fail = [&](std::string_view key, const std::string& reason) {
        throw ConfigError(std::string(origin) + ": " + std::string(key) + ": " + reason);
    };
    const auto check_address = [&](std::string_view key, const std::string& text, bool allow_empty) {
        if (allow_empty && text.empty()) return;
        try {
            (void)parse_listen_address(text);
        } catch (const ConfigError& e) {
            fail(key, e.what());
        }
    };
    check_address("p2p.laddr", p2p.laddr, false);
    check_address("p2p.external_address", p2p.external_address, true);
    check_address("rpc.laddr", rpc.laddr, true);
    check_address("instrumentation.prometheus_listen_addr", instrumentation.prometheus_listen_addr, true);
    check_peer_list(origin, "p2p.seeds", p2p.seeds);
    check_peer_list(origin, "p2p.persistent_peers", p2p.persistent_peers);
    check_id_list(origin, "p2p.unconditional_peer_ids", p2p.unconditional_peer_ids);
    check_id_list(origin, "p2p.private_peer_ids", p2p.private_peer_ids);
    if (profile != "cometbft" && profile != "devp2p" && profile != "bitcoin")
        fail("profile", "must be cometbft, devp2p or bitcoin, got '" + profile + "'");
    if (profile == "bitcoin") {
        if (network != "mainnet" && network != "testnet3" && network != "signet" && network != "regtest")
            fail("network",
                 "the bitcoin profile needs mainnet, testnet3, signet or regtest, got '" + network + "'");
    } else if (network.empty() || network.size() > 50) {
        fail("network", "must be 1 to 50 characters (CometBFT's chain ID bound)");
    }
    check_address("devp2p.laddr", devp2p.laddr, false);
    check_address("bitcoin.laddr", bitcoin.laddr, true);
    if (devp2p.dial_ratio == 0) fail("devp2p.dial_ratio", "must be positive");
    if (devp2p.max_peers > 100'000) fail("devp2p.max_peers", "must be at most 100000");
    for (const auto& [key, list] : {std::pair{"devp2p.bootnodes", &devp2p.bootnodes},
                                    std::pair{"devp2p.static_nodes", &devp2p.static_nodes},
                                    std::pair{"devp2p.trusted_nodes", &devp2p.trusted_nodes}}) {
        for (const auto& entry : split_list(*list)) {
            if (auto node = peerlink::devp2p::parse_enode(entry); !node)
                fail(key, "'" + entry + "' is not an enode URL: " + node.error().message());
        }
    }
    for (const auto& cidr : split_list(devp2p.net_restrict)) {
        if (!peerlink::connmgr::Cidr::parse(cidr))
            fail("devp2p.net_restrict", "'" + cidr + "' is not a CIDR");
    }
    if (bitcoin.max_outbound > 10'000) fail("bitcoin.max_outbound", "must be at most 10000");
    if (bitcoin.max_inbound > 100'000) fail("bitcoin.max_inbound", "must be at most 100000");
    if (moniker.empty() || moniker.size() > 256) fail("moniker", "must be 1 to 256 characters");
    if (p2p.max_packet_msg_payload_size < 1 || p2p.max_packet_msg_payload_size > 1024 * 1024)
        fail("p2p.max_packet_msg_payload_size", "must be between 1 and 1048576");
    if (p2p.send_rate == 0) fail("p2p.send_rate", "must be positive");
    if (p2p.recv_rate == 0) fail("p2p.recv_rate", "must be positive");
    if (p2p.max_num_inbound_peers > 100'000) fail("p2p.max_num_inbound_peers", "must be at most 100000");
    if (p2p.max_num_outbound_peers > 10'000) fail("p2p.max_num_outbound_peers", "must be at most 10000");
    if (p2p.handshake_timeout.count() <= 0) fail("p2p.handshake_timeout", "must be positive");
    if (p2p.dial_timeout.count() <= 0) fail("p2p.dial_timeout", "must be positive");
    if (gossip.max_message_size < 1 || gossip.max_message_size > 16 * 1024 * 1024)
        fail("gossip.max_message_size", "must be between 1 and 16777216");
    static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "off"};
    if (std::find(std::begin(levels), std::end(levels), log_level) == std::end(levels))
        fail("log_level", "must be one of trace, debug, info, warn, error, off");
    if (p2p.seed_mode && !p2p.pex) fail("p2p.seed_mode", "seed mode needs pex = true");
}

Config parse_config(std::string_view toml_text, std::string_view origin) {
    Config config;
    toml::table table;
    try {
        table = toml::parse(toml_text, origin);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        throw ConfigError(std::string(origin) + ":" + std::to_string(begin.line) + ":" +
                          std::to_string(begin.column) + ": " + std::string(e.description()));
    }
    for (const auto& [name, node] : table) {
        if (const auto* section = node.as_table(); section && is_section(name.str())) {
            for (const auto& [inner, value] : *section) {
                const ConfigKey* key = find_key(name.str(), inner.str());
                if (!key) {
                    throw ConfigError(where(origin, inner.source()) + ": " + dotted(name.str(), inner.str()) +
                                      ": unknown key");
                }
                apply(config, *key, value, origin);
            }
            continue;
        }
        const ConfigKey* key = find_key("", name.str());
        if (!key) {
            throw ConfigError(where(origin, name.source()) + ": " + std::string(name.str()) +
                              (node.is_table() ? ": unknown section" : ": unknown key"));
        }
        apply(config, *key, node, origin);
    }
    config.validate(origin);
    return config;
}

Config load_config(const std::filesystem::path& home) {
    const auto path = home / "config" / "config.toml";
    auto text = base::read_file(path, k_max_config_file_size);
    if (!text.ok()) throw ConfigError(path.string() + ": cannot read: " + text.error().message());
    Config config = parse_config(*text, path.string());
    config.home = home;
    return config;
}

void set_config_key(Config& config, std::string_view dotted_key, std::string_view text) {
    const auto dot = dotted_key.find('.');
    const std::string_view section = dot == std::string_view::npos ? "" : dotted_key.substr(0, dot);
    const std::string_view name = dot == std::string_view::npos ? dotted_key : dotted_key.substr(dot + 1);
    const ConfigKey* key = find_key(section, name);
    if (!key) throw ConfigError("--" + std::string(dotted_key) + ": unknown key");
    try {
        key->set_text(config, text);
    } catch (const ConfigError& e) {
        throw ConfigError("--" + std::string(dotted_key) + ": " + e.what());
    }
}

std::string render_config(const Config& config) {
    std::ostringstream out;
    out << "# peerlink node configuration. Every key is listed with its documentation; the values\n"
           "# written by `peerlink init` are the defaults. Keys and defaults of [p2p] follow CometBFT.\n";
    std::string_view section = "-";
    for (const auto& key : k_keys) {
        if (key.section != section) {
            section = key.section;
            if (!section.empty())
                out << "\n[" << section << "]\n";
            else
                out << "\n";
        }
        out << "\n# " << key.doc << "\n" << key.name << " = " << key.print(config) << "\n";
    }
    return out.str();
}

std::chrono::milliseconds parse_duration(std::string_view text) {
    const std::string original(text);
    if (text.empty()) throw ConfigError("empty duration (want e.g. \"100ms\", \"3s\", \"1h30m\")");
    if (text == "0") return std::chrono::milliseconds(0);
    double total_ms = 0;
    while (!text.empty()) {
        std::size_t digits = 0;
        while (digits < text.size() && ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.'))
            ++digits;
        if (digits == 0) throw ConfigError("bad duration '" + original + "' (want e.g. \"100ms\", \"3s\")");
        double value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
        if (ec != std::errc{} || end != text.data() + digits)
            throw ConfigError("bad duration '" + original + "'");
        text.remove_prefix(digits);
        std::size_t unit_len = 0;
        while (unit_len < text.size() &&
               !((text[unit_len] >= '0' && text[unit_len] <= '9') || text[unit_len] == '.'))
            ++unit_len;
        const std::string_view unit = text.substr(0, unit_len);
        text.remove_prefix(unit_len);
        double scale = 0;
        if (unit == "ms")
            scale = 1;
        else if (unit == "s")
            scale = 1000;
        else if (unit == "m")
            scale = 60'000;
        else if (unit == "h")
            scale = 3'600'000;
        else if (unit == "us" || unit == "µs")
            scale = 0.001;
        else if (unit == "ns")
            scale = 0.000001;
        else
            throw ConfigError("bad duration unit in '" + original + "' (use ns, us, ms, s, m, h)");
        total_ms += value * scale;
    }
    if (total_ms > 1e13) throw ConfigError("duration '" + original + "' is too long");
    return std::chrono::milliseconds(static_cast<std::int64_t>(total_ms));
}

std::string format_duration(std::chrono::milliseconds duration) {
    auto ms = duration.count();
    if (ms == 0) return "0s";
    std::string out;
    if (ms % 1000 != 0) return std::to_string(ms) + "ms";
    auto s = ms / 1000;
    if (s >= 3600) {
        out += std::to_string(s / 3600) + "h";
        s %= 3600;
    }
    if (s >= 60) {
        out += std::to_string(s / 60) + "m";
        s %= 60;
    }
    if (s > 0) out += std::to_string(s) + "s";
    return out;
}

ListenAddress parse_listen_address(std::string_view text, std::string_view default_host) {
    const std::string original(text);
    if (text.starts_with("tcp://"))
        text.remove_prefix(6);
    else if (text.find("://") != std::string_view::npos)
        throw ConfigError("only tcp:// addresses are supported, got '" + original + "'");
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw ConfigError("missing port in '" + original + "'");
    std::string host(text.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = default_host;
    const auto port_text = text.substr(colon + 1);
    std::uint64_t port = 0;
    try {
        port = parse_uint(port_text);
    } catch (const ConfigError&) {
        throw ConfigError("bad port in '" + original + "'");
    }
    if (port > 65535) throw ConfigError("port out of range in '" + original + "'");
    return {std::move(host), static_cast<std::uint16_t>(port)};
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        auto item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace peerlink::node
