// Bitcoin P2P message payloads (Bitcoin Core protocol.h/net_processing.cpp, btcd wire/): structs
// and encode/decode for the handshake, liveness, address and inventory messages. Unknown commands
// pass through untouched: a peer sending them is not misbehaving.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "profiles/bitcoin/error.hpp"

namespace peerlink::bitcoin {

// Limits from Bitcoin Core (net_processing.cpp, net.h, netaddress.h).
inline constexpr std::size_t k_max_user_agent = 256;     // MAX_SUBVERSION_LENGTH
inline constexpr std::size_t k_max_addr_entries = 1000;  // MAX_ADDR_TO_SEND
inline constexpr std::size_t k_max_inv_entries = 50000;  // MAX_INV_SZ
inline constexpr std::size_t k_max_addrv2_size = 512;    // MAX_ADDRV2_SIZE
inline constexpr std::size_t k_max_reject_message = 12;  // the rejected command
inline constexpr std::size_t k_max_reject_reason = 111;  // MAX_REJECT_MESSAGE_LENGTH (Core < 0.20)

// Service bits (Core protocol.h).
inline constexpr std::uint64_t k_node_network = 1;
inline constexpr std::uint64_t k_node_witness = 1 << 3;

using Hash256 = std::array<std::uint8_t, 32>;
using Ip16 = std::array<std::uint8_t, 16>;

/// A network address without time, as in version (Core's CService + services, 26 bytes).
struct NetAddr {
    std::uint64_t services = 0;
    Ip16 ip{};  // IPv6, or IPv4-mapped ::ffff:a.b.c.d
    std::uint16_t port = 0;
    bool operator==(const NetAddr&) const = default;
};
/// ::ffff:a.b.c.d
Ip16 ipv4_mapped(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);

struct TimedNetAddr {
    std::uint32_t time = 0;
    NetAddr addr;
    bool operator==(const TimedNetAddr&) const = default;
};

/// BIP155 network ids.
enum class Bip155Net : std::uint8_t { ipv4 = 1, ipv6 = 2, torv2 = 3, torv3 = 4, i2p = 5, cjdns = 6 };

struct AddrV2Entry {
    std::uint32_t time = 0;
    std::uint64_t services = 0;  // CompactSize on the wire
    std::uint8_t network = 0;    // a Bip155Net value
    base::Bytes addr;
    std::uint16_t port = 0;
    bool operator==(const AddrV2Entry&) const = default;
};

struct InvVect {
    std::uint32_t type = 0;  // MSG_TX 1, MSG_BLOCK 2, ..., MSG_WITNESS_FLAG 1 << 30
    Hash256 hash{};
    bool operator==(const InvVect&) const = default;
};

struct Version {
    std::int32_t version = 0;
    std::uint64_t services = 0;
    std::int64_t timestamp = 0;  // unix seconds
    NetAddr addr_recv;
    NetAddr addr_from;
    std::uint64_t nonce = 0;
    std::string user_agent;
    std::int32_t start_height = 0;
    /// BIP37 fRelay; absent on the wire means true. Encoded only when set.
    std::optional<bool> relay;
    bool operator==(const Version&) const = default;
};
struct Verack {
    bool operator==(const Verack&) const = default;
};
struct Ping {
    std::uint64_t nonce = 0;
    bool operator==(const Ping&) const = default;
};
struct Pong {
    std::uint64_t nonce = 0;
    bool operator==(const Pong&) const = default;
};
struct GetAddr {
    bool operator==(const GetAddr&) const = default;
};
struct Addr {
    std::vector<TimedNetAddr> entries;
    bool operator==(const Addr&) const = default;
};
struct AddrV2 {
    /// Entries of networks we know, with valid lengths. TorV2 and unknown networks are skipped
    /// while decoding (BIP155; Core dropped TorV2 in 22.0).
    std::vector<AddrV2Entry> entries;
    bool operator==(const AddrV2&) const = default;
};
struct SendAddrV2 {
    bool operator==(const SendAddrV2&) const = default;
};
struct Inv {
    std::vector<InvVect> items;
    bool operator==(const Inv&) const = default;
};
struct GetData {
    std::vector<InvVect> items;
    bool operator==(const GetData&) const = default;
};
struct NotFound {
    std::vector<InvVect> items;
    bool operator==(const NotFound&) const = default;
};
/// BIP61 reject (btcd still sends it; Core ignores it since 0.20).
struct Reject {
    std::string message;  // the command being rejected
    std::uint8_t code = 0;
    std::string reason;
    std::optional<Hash256> hash;  // for tx and block rejects
    bool operator==(const Reject&) const = default;
};
/// BIP61 reject codes.
inline constexpr std::uint8_t k_reject_malformed = 0x01;
inline constexpr std::uint8_t k_reject_invalid = 0x10;
inline constexpr std::uint8_t k_reject_obsolete = 0x11;
inline constexpr std::uint8_t k_reject_duplicate = 0x12;

struct SendHeaders {
    bool operator==(const SendHeaders&) const = default;
};
struct FeeFilter {
    std::int64_t fee_rate = 0;  // satoshis per 1000 virtual bytes
    bool operator==(const FeeFilter&) const = default;
};
struct WtxidRelay {
    bool operator==(const WtxidRelay&) const = default;
};
struct SendCmpct {
    bool announce = false;
    std::uint64_t version = 0;
    bool operator==(const SendCmpct&) const = default;
};
/// Any command we do not decode; kept so the application can handle it.
struct Unknown {
    std::string command;
    base::Bytes payload;
    bool operator==(const Unknown&) const = default;
};

using Message = std::variant<Version, Verack, Ping, Pong, GetAddr, Addr, AddrV2, SendAddrV2, Inv, GetData,
                             NotFound, Reject, SendHeaders, FeeFilter, WtxidRelay, SendCmpct, Unknown>;

/// The wire command of a message ("version", "verack", ...).
std::string_view command_of(const Message& message);
/// The payload bytes (no header).
base::Bytes encode_payload(const Message& message);
void encode_payload(const Message& message, base::Bytes& out);

/// Decodes a payload by its command. Unknown commands decode to Unknown. Trailing bytes: tolerated
/// after version (later protocol versions append fields; Core and btcd ignore them) and on the
/// empty-bodied messages (Core never reads their payload); refused everywhere else, where Core
/// would silently ignore them (a deliberate tightening: no known implementation sends them).
/// `allow_trailing`: ignore bytes after a message's last field instead of failing with
/// trailing_bytes (Bitcoin Core's stream deserialisation ignores them; peers use it for extensions).
base::Result<Message> decode_message(std::string_view command, base::ByteView payload,
                                     bool allow_trailing = false);

/// Every command decode_message understands, in Message's order (for fuzzers and tests).
inline constexpr std::string_view k_known_commands[] = {
    "version", "verack",  "ping",     "pong",   "getaddr",     "addr",      "addrv2",     "sendaddrv2",
    "inv",     "getdata", "notfound", "reject", "sendheaders", "feefilter", "wtxidrelay", "sendcmpct"};

}  // namespace peerlink::bitcoin
