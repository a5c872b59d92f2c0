// CometBFT's DefaultNodeInfo (p2p/node_info.go, proto/tendermint/p2p/types.proto): what two nodes tell
// each other right after the SecretConnection handshake, its gogoproto encoding, and the checks a node
// applies before it accepts the peer. Pure functions of their arguments; callable from any thread.
//
// The exchange (p2p/transport.go, handshake and upgrade): both sides send
// codec::write_delimited(encode(ours)) and read with codec::read_delimited(in, k_max_node_info_size),
// so an oversized announcement is refused from its length prefix before decode() ever sees it. The
// upgrade then runs validate(theirs), requires theirs.node_id to equal the ID of the key the
// SecretConnection authenticated, rejects our own ID, and finally check_compatible(ours, theirs).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"

namespace peerlink::cometbft {

enum class NodeInfoErrc {
    malformed = 1,               // decode: not a DefaultNodeInfo protobuf message
    bad_node_id,                 // node_id is not 40 hex digits
    bad_listen_addr,             // listen_addr is not [scheme://]host:port
    bad_version,                 // version is not printable ASCII, or only spaces
    too_many_channels,           // more than k_max_channels channels
    duplicate_channel,           // a channel ID appears twice
    bad_moniker,                 // moniker is empty, only spaces, or not printable ASCII
    bad_tx_index,                // other.tx_index is not "", "on" or "off"
    bad_rpc_address,             // other.rpc_address is not printable ASCII, or only spaces
    incompatible_block_version,  // the peer runs another block protocol version
    wrong_network,               // the peer is on another chain
    no_common_channels,          // the peer speaks none of our channels
};
PEERLINK_DECLARE_ERRC(NodeInfoErrc)

/// MaxNodeInfoSize(): the largest message body read_delimited may accept during the exchange.
inline constexpr std::size_t k_max_node_info_size = 10240;
/// maxNumChannels in node_info.go.
inline constexpr std::size_t k_max_channels = 16;

/// Defaults are CometBFT v0.38's version.P2PProtocol and version.BlockProtocol; the app version is
/// the application's to set.
struct ProtocolVersion {
    std::uint64_t p2p = 8;
    std::uint64_t block = 11;
    std::uint64_t app = 0;
    friend bool operator==(const ProtocolVersion&, const ProtocolVersion&) = default;
};

struct NodeInfo {
    ProtocolVersion protocol_version;
    std::string node_id;      // 40 lower-case hex digits
    std::string listen_addr;  // real nodes send "tcp://0.0.0.0:26656"
    std::string network;      // the chain ID
    std::string version;      // software version, e.g. "0.38.0"
    base::Bytes channels;     // the channel IDs our reactors registered
    std::string moniker;
    std::string tx_index;     // DefaultNodeInfoOther.tx_index: "on", "off" or ""
    std::string rpc_address;  // DefaultNodeInfoOther.rpc_address
    friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

/// The DefaultNodeInfo message body, byte for byte what gogoproto writes: fields in number order,
/// empty strings and zero integers left out, but protocol_version and other always present.
base::Bytes encode(const NodeInfo& info);
/// Parses a DefaultNodeInfo body the way gogoproto's Unmarshal does: unknown fields skipped, the last
/// occurrence of a scalar wins, repeated nested messages merge, a known field with the wrong wire type
/// is malformed. Strings are taken as bytes, without UTF-8 checks, as Go does.
base::Result<NodeInfo> decode(base::ByteView message);

/// DefaultNodeInfo.Validate(): is what the peer says about itself well-formed? Does no DNS lookup,
/// where CometBFT would resolve a listen_addr host that is a name rather than an IP literal.
base::Result<void> validate(const NodeInfo& info);
/// DefaultNodeInfo.CompatibleWith(): same block protocol, same network, and a channel in common
/// (unless `ours` lists no channels at all, which CometBFT treats as a test node).
base::Result<void> check_compatible(const NodeInfo& ours, const NodeInfo& theirs);

}  // namespace peerlink::cometbft

PEERLINK_ERROR_ENUM_TRAIT(peerlink::cometbft::NodeInfoErrc)
