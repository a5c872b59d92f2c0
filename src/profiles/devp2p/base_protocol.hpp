// The devp2p base protocol ("p2p" capability, devp2p rlpx.md): Hello, Disconnect, Ping, Pong
// codecs and go-ethereum's capability matching (message-code offsets from 16).
// Plain functions and values; the connection state machine that uses them lives with the driver.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/error.hpp"

namespace peerlink::devp2p {

inline constexpr std::uint64_t k_hello_code = 0x00;
inline constexpr std::uint64_t k_disconnect_code = 0x01;
inline constexpr std::uint64_t k_ping_code = 0x02;
inline constexpr std::uint64_t k_pong_code = 0x03;
/// Codes 0x00-0x0f belong to the base protocol; capabilities start at 16.
inline constexpr std::uint64_t k_base_protocol_length = 16;
inline constexpr std::uint64_t k_base_protocol_version = 5;
/// From this p2p version on, every message after Hello is snappy-compressed.
inline constexpr std::uint64_t k_snappy_protocol_version = 5;
/// go-ethereum's baseProtocolMaxMsgSize: Hello and Disconnect payloads above it are rejected.
inline constexpr std::size_t k_max_base_message_size = 2 * 1024;
/// Decompressed messages above this are rejected before decompressing (go-ethereum's maxUint24).
inline constexpr std::size_t k_max_decompressed_size = (std::size_t{1} << 24) - 1;

struct Capability {
    std::string name;
    std::uint64_t version = 0;
    friend auto operator<=>(const Capability&, const Capability&) = default;
};

struct Hello {
    std::uint64_t protocol_version = k_base_protocol_version;
    std::string client_id;
    std::vector<Capability> capabilities;
    std::uint64_t listen_port = 0;
    crypto::secp256k1::PublicKey node_id{};
};

/// Hello payload: RLP [protocolVersion, clientId, [[cap, version], ...], listenPort, nodeId].
base::Bytes encode_hello(const Hello& hello);
/// Decodes a Hello payload (uncompressed: Hello is never snappy-compressed). Rejects payloads
/// above 2 KiB, malformed lists and a node id that is not 64 bytes of a curve point; tolerates
/// extra trailing elements of the Hello list (EIP-8), but, as go-ethereum, not of a capability.
base::Result<Hello> decode_hello(base::ByteView payload);
/// The Hello's node id must be the key the RLPx handshake authenticated.
base::Result<void> check_hello_identity(const Hello& hello,
                                        const crypto::secp256k1::PublicKey& authenticated);
/// Both sides at p2p >= 5: payloads after Hello are snappy-compressed.
[[nodiscard]] bool use_snappy(std::uint64_t our_version, std::uint64_t their_version);

/// go-ethereum's DiscReason values.
enum class DisconnectReason : std::uint8_t {
    requested = 0x00,
    network_error = 0x01,
    protocol_error = 0x02,
    useless_peer = 0x03,
    too_many_peers = 0x04,
    already_connected = 0x05,
    incompatible_version = 0x06,
    invalid_identity = 0x07,
    quitting = 0x08,
    unexpected_identity = 0x09,
    self_connection = 0x0a,
    read_timeout = 0x0b,
    subprotocol_error = 0x10,
};
/// go-ethereum's text for a reason ("disconnect requested", ...); "unknown disconnect reason" for
/// other values (a peer may send any byte).
std::string_view disconnect_reason_name(std::uint8_t reason);

/// Disconnect payload: RLP [reason].
base::Bytes encode_disconnect(DisconnectReason reason);
/// Accepts [reason] (extra elements ignored) and, like go-ethereum, a bare reason integer. The
/// reason is returned raw: values without a name are still a valid Disconnect.
base::Result<std::uint8_t> decode_disconnect(base::ByteView payload);

/// Ping and Pong carry an empty list (0xc0).
base::Bytes encode_ping();
base::Bytes encode_pong();

// ---- capability matching ------------------------------------------------------------------------

/// A protocol we run: name, version, and how many message codes it uses.
struct Protocol {
    std::string name;
    std::uint64_t version = 0;
    std::uint64_t length = 0;
};

/// A protocol both sides run, with its place in the message-code space.
struct MatchedProtocol {
    std::string name;
    std::uint64_t version = 0;
    std::uint64_t offset = 0;     // first wire code
    std::uint64_t length = 0;     // codes [offset, offset + length)
    std::size_t local_index = 0;  // index into the `ours` span given to match_protocols
};

/// go-ethereum's matchProtocols: for each name both sides share, the highest version both run;
/// offsets assigned from 16 in order of name, each protocol taking `length` codes. The result
/// is sorted by offset.
std::vector<MatchedProtocol> match_protocols(std::span<const Protocol> ours,
                                             std::span<const Capability> theirs);

struct Route {
    std::size_t protocol = 0;  // index into the matched protocols
    std::uint64_t code = 0;    // code relative to the protocol's offset
};
/// Maps a wire code >= 16 to its protocol; unknown_message_code outside every matched protocol.
base::Result<Route> route_message(std::span<const MatchedProtocol> matched, std::uint64_t wire_code);

}  // namespace peerlink::devp2p
