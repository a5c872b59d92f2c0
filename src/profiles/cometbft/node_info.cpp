#include "profiles/cometbft/node_info.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "base/buffer.hpp"
#include "base/log.hpp"
#include "codec/protobuf.hpp"

namespace peerlink::cometbft {

namespace {

const char* describe(int value) {
    switch (static_cast<NodeInfoErrc>(value)) {
        case NodeInfoErrc::malformed:
            return "node info is not a valid DefaultNodeInfo protobuf message";
        case NodeInfoErrc::bad_node_id:
            return "node info ID is not 40 hex digits";
        case NodeInfoErrc::bad_listen_addr:
            return "node info listen address is not [scheme://]host:port";
        case NodeInfoErrc::bad_version:
            return "node info version must be printable ASCII and not only spaces";
        case NodeInfoErrc::too_many_channels:
            return "node info lists more than 16 channels";
        case NodeInfoErrc::duplicate_channel:
            return "node info lists a channel twice";
        case NodeInfoErrc::bad_moniker:
            return "node info moniker must be non-empty printable ASCII and not only spaces";
        case NodeInfoErrc::bad_tx_index:
            return "node info tx_index must be \"on\", \"off\" or empty";
        case NodeInfoErrc::bad_rpc_address:
            return "node info RPC address must be printable ASCII and not only spaces";
        case NodeInfoErrc::incompatible_block_version:
            return "peer runs a different block protocol version";
        case NodeInfoErrc::wrong_network:
            return "peer is on a different network (chain ID)";
        case NodeInfoErrc::no_common_channels:
            return "peer has no channel in common with us";
    }
    return "unknown node info error";
}

auto& logger() {
    return base::log::get(base::log::Category::cometbft);
}

// Field numbers from proto/tendermint/p2p/types.proto.
constexpr std::uint32_t k_version_p2p = 1;  // ProtocolVersion
constexpr std::uint32_t k_version_block = 2;
constexpr std::uint32_t k_version_app = 3;
constexpr std::uint32_t k_info_protocol_version = 1;  // DefaultNodeInfo
constexpr std::uint32_t k_info_node_id = 2;
constexpr std::uint32_t k_info_listen_addr = 3;
constexpr std::uint32_t k_info_network = 4;
constexpr std::uint32_t k_info_version = 5;
constexpr std::uint32_t k_info_channels = 6;
constexpr std::uint32_t k_info_moniker = 7;
constexpr std::uint32_t k_info_other = 8;
constexpr std::uint32_t k_other_tx_index = 1;  // DefaultNodeInfoOther
constexpr std::uint32_t k_other_rpc_address = 2;

constexpr std::size_t k_node_id_hex_size = 40;  // p2p.IDByteLength (20) as hex

// ---- encoding ----------------------------------------------------------------------------------

std::size_t protocol_version_size(const ProtocolVersion& v) {
    std::size_t n = 0;
    if (v.p2p != 0) n += codec::varint_field_size(k_version_p2p, v.p2p);
    if (v.block != 0) n += codec::varint_field_size(k_version_block, v.block);
    if (v.app != 0) n += codec::varint_field_size(k_version_app, v.app);
    return n;
}

std::size_t other_size(const NodeInfo& info) {
    std::size_t n = 0;
    if (!info.tx_index.empty()) n += codec::bytes_field_size(k_other_tx_index, info.tx_index.size());
    if (!info.rpc_address.empty()) n += codec::bytes_field_size(k_other_rpc_address, info.rpc_address.size());
    return n;
}

void put_varint(codec::ProtoWriter& w, std::uint32_t number, std::uint64_t v) {
    if (v != 0) w.varint_field(number, v);
}

void put_bytes(codec::ProtoWriter& w, std::uint32_t number, base::ByteView v) {
    if (!v.empty()) w.bytes_field(number, v);
}

// ---- decoding ----------------------------------------------------------------------------------

/// Calls `on_field` for each field of `message`; stops at the first error of either.
template <typename OnField>
base::Result<void> for_each_field(base::ByteView message, OnField&& on_field) {
    codec::ProtoReader reader(message);
    for (;;) {
        auto field = reader.next();
        if (!field) return base::fail(field.error());
        if (!*field) return {};
        PEERLINK_TRY(on_field(**field));
    }
}

base::Result<base::ByteView> length_delimited(const codec::Field& f) {
    if (f.type != codec::WireType::length_delimited) return base::fail(codec::Errc::wrong_wire_type);
    return f.bytes;
}

base::Result<void> read_string(const codec::Field& f, std::string& out) {
    auto bytes = length_delimited(f);
    if (!bytes) return base::fail(bytes.error());
    out.assign(base::as_chars(*bytes));
    return {};
}

// Decodes into `v` without clearing it first: gogoproto merges a nested message that appears twice.
base::Result<void> decode_protocol_version(base::ByteView message, ProtocolVersion& v) {
    return for_each_field(message, [&v](const codec::Field& f) -> base::Result<void> {
        std::uint64_t* target = nullptr;
        switch (f.number) {
            case k_version_p2p:
                target = &v.p2p;
                break;
            case k_version_block:
                target = &v.block;
                break;
            case k_version_app:
                target = &v.app;
                break;
            default:
                return {};
        }
        if (f.type != codec::WireType::varint) return base::fail(codec::Errc::wrong_wire_type);
        *target = f.value;
        return {};
    });
}

base::Result<void> decode_other(base::ByteView message, NodeInfo& info) {
    return for_each_field(message, [&info](const codec::Field& f) -> base::Result<void> {
        switch (f.number) {
            case k_other_tx_index:
                return read_string(f, info.tx_index);
            case k_other_rpc_address:
                return read_string(f, info.rpc_address);
            default:
                return {};
        }
    });
}

base::Result<void> decode_info(base::ByteView message, NodeInfo& info) {
    return for_each_field(message, [&info](const codec::Field& f) -> base::Result<void> {
        switch (f.number) {
            case k_info_protocol_version: {
                auto body = length_delimited(f);
                if (!body) return base::fail(body.error());
                return decode_protocol_version(*body, info.protocol_version);
            }
            case k_info_node_id:
                return read_string(f, info.node_id);
            case k_info_listen_addr:
                return read_string(f, info.listen_addr);
            case k_info_network:
                return read_string(f, info.network);
            case k_info_version:
                return read_string(f, info.version);
            case k_info_channels: {
                auto bytes = length_delimited(f);
                if (!bytes) return base::fail(bytes.error());
                info.channels.assign(bytes->begin(), bytes->end());
                return {};
            }
            case k_info_moniker:
                return read_string(f, info.moniker);
            case k_info_other: {
                auto body = length_delimited(f);
                if (!body) return base::fail(body.error());
                return decode_other(*body, info);
            }
            default:
                return {};
        }
    });
}

// ---- validation --------------------------------------------------------------------------------

/// cmtstrings.IsASCIIText(s) && ASCIITrim(s) != "": non-empty, every byte in 32..126, not all spaces.
bool is_ascii_text_with_content(std::string_view s) {
    const bool printable =
        !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 32 && c <= 126; });
    return printable && s.find_first_not_of(' ') != std::string_view::npos;
}

/// removeProtocolIfDefined (p2p/netaddress.go): strings.Split(addr, "://")[1], i.e. what lies between
/// the first "://" and the next one.
std::string_view remove_protocol(std::string_view addr) {
    const auto start = addr.find("://");
    if (start == std::string_view::npos) return addr;
    addr.remove_prefix(start + 3);
    return addr.substr(0, addr.find("://"));
}

struct HostPort {
    std::string_view host;
    std::string_view port;
};

/// Go's net.SplitHostPort: host:port or [host]:port, with no other colons or brackets.
std::optional<HostPort> split_host_port(std::string_view s) {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view host;
    std::size_t no_open_from = 0;   // no '[' allowed from here on
    std::size_t no_close_from = 0;  // no ']' allowed from here on
    if (s.front() == '[') {
        const auto end = s.find(']');
        if (end == std::string_view::npos || end + 1 != colon) return std::nullopt;
        host = s.substr(1, end - 1);
        no_open_from = 1;
        no_close_from = end + 1;
    } else {
        host = s.substr(0, colon);
        if (host.find(':') != std::string_view::npos) return std::nullopt;
    }
    if (s.find('[', no_open_from) != std::string_view::npos) return std::nullopt;
    if (s.find(']', no_close_from) != std::string_view::npos) return std::nullopt;
    return HostPort{host, s.substr(colon + 1)};
}

/// What LookupIP takes as a literal (netip.ParseAddr): dotted-quad IPv4 without leading zeros, or
/// IPv6 text with an optional non-empty %zone. inet_pton accepts the same address forms.
bool is_ip_literal(std::string_view host) {
    std::array<unsigned char, sizeof(in6_addr)> out{};
    const auto percent = host.find('%');
    if (percent != std::string_view::npos) {
        const std::string address(host.substr(0, percent));
        return percent + 1 < host.size() && ::inet_pton(AF_INET6, address.c_str(), out.data()) == 1;
    }
    const std::string text(host);
    return ::inet_pton(AF_INET, text.c_str(), out.data()) == 1 ||
           ::inet_pton(AF_INET6, text.c_str(), out.data()) == 1;
}

/// Go's isDomainName (net/dnsclient.go), the check LookupIP applies before asking a resolver: labels
/// of letters, digits, '-' and '_', at most 63 bytes each, and not all-numeric.
bool is_domain_name(std::string_view s) {
    if (s == ".") return true;
    const std::size_t l = s.size();
    if (l == 0 || l > 254 || (l == 254 && s.back() != '.')) return false;
    char last = '.';
    bool non_numeric = false;
    std::size_t label = 0;
    for (const char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
            non_numeric = true;
            ++label;
        } else if (c >= '0' && c <= '9') {
            ++label;
        } else if (c == '-') {
            if (last == '.') return false;
            non_numeric = true;
            ++label;
        } else if (c == '.') {
            if (last == '.' || last == '-' || label == 0 || label > 63) return false;
            label = 0;
        } else {
            return false;
        }
        last = c;
    }
    return last != '-' && label <= 63 && non_numeric;
}

/// strconv.ParseUint(s, 10, 16): decimal digits only, leading zeros allowed, at most 65535.
bool is_port(std::string_view s) {
    if (s.empty()) return false;
    std::uint32_t value = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
        if (value > 65535) return false;
    }
    return true;
}

/// NewNetAddressString(IDAddressString(id, listen_addr)) minus the ID (checked separately) and the
/// DNS lookup: any host name that could be looked up is accepted.
bool is_listen_addr(std::string_view listen_addr) {
    const std::string_view host_port = remove_protocol(listen_addr);
    // The ID is joined on with '@' and the result must split into exactly two parts.
    if (host_port.find('@') != std::string_view::npos) return false;
    const auto split = split_host_port(host_port);
    if (!split || split->host.empty()) return false;
    return (is_ip_literal(split->host) || is_domain_name(split->host)) && is_port(split->port);
}

}  // namespace

const std::error_category& NodeInfoErrc_category() {
    static const base::MessageCategory category("cometbft.nodeinfo", describe);
    return category;
}

base::Bytes encode(const NodeInfo& info) {
    base::Buffer out;
    codec::ProtoWriter w(out);
    // gogoproto non-nullable message fields: written even when empty.
    w.message_header(k_info_protocol_version, protocol_version_size(info.protocol_version));
    put_varint(w, k_version_p2p, info.protocol_version.p2p);
    put_varint(w, k_version_block, info.protocol_version.block);
    put_varint(w, k_version_app, info.protocol_version.app);
    put_bytes(w, k_info_node_id, base::as_bytes(info.node_id));
    put_bytes(w, k_info_listen_addr, base::as_bytes(info.listen_addr));
    put_bytes(w, k_info_network, base::as_bytes(info.network));
    put_bytes(w, k_info_version, base::as_bytes(info.version));
    put_bytes(w, k_info_channels, info.channels);
    put_bytes(w, k_info_moniker, base::as_bytes(info.moniker));
    w.message_header(k_info_other, other_size(info));
    put_bytes(w, k_other_tx_index, base::as_bytes(info.tx_index));
    put_bytes(w, k_other_rpc_address, base::as_bytes(info.rpc_address));
    const base::ByteView data = out.data();
    return base::Bytes(data.begin(), data.end());
}

base::Result<NodeInfo> decode(base::ByteView message) {
    // Absent fields are proto3 zero values, not our defaults: start from an all-zero version.
    NodeInfo info;
    info.protocol_version = ProtocolVersion{.p2p = 0, .block = 0, .app = 0};
    if (auto decoded = decode_info(message, info); !decoded) {
        logger().debug("malformed node info ({} bytes): {}", message.size(), decoded.error().message());
        return base::fail(NodeInfoErrc::malformed);
    }
    return info;
}

base::Result<void> validate(const NodeInfo& info) {
    // Same order as DefaultNodeInfo.Validate, where the ID is checked as part of the listen address.
    if (info.node_id.size() != k_node_id_hex_size || !base::from_hex(info.node_id)) {
        return base::fail(NodeInfoErrc::bad_node_id);
    }
    if (!is_listen_addr(info.listen_addr)) return base::fail(NodeInfoErrc::bad_listen_addr);
    // The network is not checked here; check_compatible compares it with ours.
    if (!info.version.empty() && !is_ascii_text_with_content(info.version)) {
        return base::fail(NodeInfoErrc::bad_version);
    }
    if (info.channels.size() > k_max_channels) return base::fail(NodeInfoErrc::too_many_channels);
    std::array<bool, 256> seen{};
    for (const base::Byte channel : info.channels) {
        if (seen[channel]) return base::fail(NodeInfoErrc::duplicate_channel);
        seen[channel] = true;
    }
    if (!is_ascii_text_with_content(info.moniker)) return base::fail(NodeInfoErrc::bad_moniker);
    if (!info.tx_index.empty() && info.tx_index != "on" && info.tx_index != "off") {
        return base::fail(NodeInfoErrc::bad_tx_index);
    }
    if (!info.rpc_address.empty() && !is_ascii_text_with_content(info.rpc_address)) {
        return base::fail(NodeInfoErrc::bad_rpc_address);
    }
    return {};
}

base::Result<void> check_compatible(const NodeInfo& ours, const NodeInfo& theirs) {
    if (ours.protocol_version.block != theirs.protocol_version.block) {
        return base::fail(NodeInfoErrc::incompatible_block_version);
    }
    if (ours.network != theirs.network) return base::fail(NodeInfoErrc::wrong_network);
    // "if we have no channels, we're just testing" (node_info.go): then anything goes.
    if (ours.channels.empty()) return {};
    const bool common = std::any_of(ours.channels.begin(), ours.channels.end(), [&theirs](base::Byte c) {
        return std::find(theirs.channels.begin(), theirs.channels.end(), c) != theirs.channels.end();
    });
    if (!common) return base::fail(NodeInfoErrc::no_common_channels);
    return {};
}

}  // namespace peerlink::cometbft
