// discv4 packets (devp2p discv4.md, geth p2p/discover/v4wire): hash(32) || signature(65) || type(1) ||
// RLP data, with the sender's key recovered from the signature. EIP-8: extra list elements and bytes
// after the list are ignored. Encoding and decoding only; expiration is checked by the caller.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "addrbook/netgroup.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/enr.hpp"

namespace peerlink::devp2p::discv4 {

enum class Errc {
    too_small = 1,   // shorter than the 98-byte header
    too_large,       // above 1280 bytes
    bad_hash,        // the leading hash is not keccak256 of the rest
    bad_signature,   // no public key recovers from the signature
    unknown_type,    // a packet type other than 1..6
    malformed,       // the packet data is not the type's RLP list
    bad_endpoint,    // an IP of another length than 4 or 16 bytes, or a port above 65535
    too_many_nodes,  // encoding Neighbors with more than 12 nodes
    expired,         // the expiration lies in the past
    unsolicited,     // a reply (Pong, Neighbors, ENRResponse) that matches no request of ours
    unknown_node,    // FindNode / ENRRequest from a node without a recent endpoint proof
};
PEERLINK_DECLARE_ERRC(Errc)

inline constexpr std::size_t k_max_packet_size = 1280;
inline constexpr std::size_t k_header_size = 32 + 65 + 1;
/// Neighbors per packet on encode: 12 nodes of up to 89 bytes (IPv6) stay below 1280 bytes.
inline constexpr std::size_t k_max_neighbors = 12;

using Hash = std::array<std::uint8_t, 32>;
using PublicKey = crypto::secp256k1::PublicKey;

enum class PacketType : std::uint8_t {
    ping = 1,
    pong = 2,
    find_node = 3,
    neighbors = 4,
    enr_request = 5,
    enr_response = 6,
};

struct Endpoint {
    addrbook::IpAddress ip;
    std::uint16_t udp_port = 0;
    std::uint16_t tcp_port = 0;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Ping {
    std::uint64_t version = 4;
    Endpoint from;
    Endpoint to;
    std::uint64_t expiration = 0;
    std::optional<std::uint64_t> enr_seq;
    friend bool operator==(const Ping&, const Ping&) = default;
};

struct Pong {
    Endpoint to;
    Hash ping_hash{};
    std::uint64_t expiration = 0;
    std::optional<std::uint64_t> enr_seq;
    friend bool operator==(const Pong&, const Pong&) = default;
};

struct FindNode {
    PublicKey target{};
    std::uint64_t expiration = 0;
    friend bool operator==(const FindNode&, const FindNode&) = default;
};

struct NeighborNode {
    Endpoint endpoint;
    PublicKey id{};
    friend bool operator==(const NeighborNode&, const NeighborNode&) = default;
};

struct Neighbors {
    std::vector<NeighborNode> nodes;
    std::uint64_t expiration = 0;
    friend bool operator==(const Neighbors&, const Neighbors&) = default;
};

struct EnrRequest {
    std::uint64_t expiration = 0;
    friend bool operator==(const EnrRequest&, const EnrRequest&) = default;
};

struct EnrResponse {
    Hash request_hash{};
    enr::Record record;
    friend bool operator==(const EnrResponse&, const EnrResponse&) = default;
};

using Message = std::variant<Ping, Pong, FindNode, Neighbors, EnrRequest, EnrResponse>;

[[nodiscard]] PacketType type_of(const Message& message);
/// The expiration of the message; ENRResponse has none.
[[nodiscard]] std::optional<std::uint64_t> expiration_of(const Message& message);
/// geth's expired(): the expiration (Unix seconds) lies before `now_unix`.
[[nodiscard]] bool is_expired(const Message& message, std::uint64_t now_unix);

struct Encoded {
    base::Bytes bytes;
    Hash hash{};  // the packet's leading hash, which a Pong / ENRResponse echoes
};

/// Signs and frames a message. Fails for Neighbors above 12 nodes and for anything above 1280 bytes.
base::Result<Encoded> encode(const Message& message, const crypto::secp256k1::SecretKey& key);

struct Packet {
    Message message;
    PublicKey sender{};  // recovered from the signature
    Hash hash{};
};

/// Checks size, hash and signature, then decodes the data of the packet's type.
base::Result<Packet> decode(base::ByteView datagram);

}  // namespace peerlink::devp2p::discv4

PEERLINK_ERROR_ENUM_TRAIT(peerlink::devp2p::discv4::Errc)
