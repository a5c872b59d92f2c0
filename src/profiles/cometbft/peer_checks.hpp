// The checks a CometBFT node makes on a peer once SecretConnection is up and the peer's NodeInfo
// arrived, in CometBFT's order (transport.go, then the switch's filters): decode, validate, ID
// matches the authenticated key, not ourselves, the node we dialled, compatible, admitted by the
// connection manager. Pure: the Asio host and the simulator both call it.
#pragma once
#include <optional>

#include "connmgr/conn_manager.hpp"
#include "crypto/crypto.hpp"
#include "peer/peer_info.hpp"
#include "profiles/cometbft/node_info.hpp"

namespace peerlink::cometbft {

enum class HostErrc {
    id_mismatch = 1,     // NodeInfo ID is not the ID of the authenticated key
    dialed_id_mismatch,  // an outbound peer is not the node we dialled
    self_connection,     // we reached ourselves
    node_info_timeout,   // NodeInfo did not arrive within handshake_timeout
    filter_rejected,     // an application peer filter said no
    filter_timeout,      // a peer filter did not answer within filter_timeout
    duplicate_replaced,  // a second connection to this node won the tie-break (see check_peer)
};
PEERLINK_DECLARE_ERRC(HostErrc)

/// What the transport knows about a connection when the peer's NodeInfo arrives.
struct ConnectionFacts {
    peer::Direction direction = peer::Direction::inbound;
    std::optional<peer::PeerAddress> dialed;  // outbound: the address we dialled
    crypto::Ed25519PublicKey authenticated_key{};
    std::string ip;
    std::uint16_t port = 0;
};

struct CheckedPeer {
    peer::PeerInfo info;
    /// The node is already connected and this connection wins the tie-break: the caller closes
    /// the existing one (HostErrc::duplicate_replaced) before adding this one.
    bool replaces_existing = false;
};

/// Two connections to one node: whether the incoming one should replace the existing one. Both
/// ends decide alike, so two nodes that dial each other at once keep the same connection instead
/// of each dropping a different one: keep the connection dialled by the lower node ID; of two
/// dialled by the same node, keep the newer (the older one is likely dead: the peer restarted).
bool replaces_existing(const peer::NodeId& our_id, const peer::NodeId& their_id, peer::Direction existing,
                       peer::Direction incoming);

/// Runs the checks on the peer's NodeInfo `message`. On a self-connection it tells `connmgr` the
/// dialled address is ours. On success returns the peer's info; the caller then calls
/// connmgr.on_peer_up in the same turn (after closing the existing connection if told to).
base::Result<CheckedPeer> check_peer(const NodeInfo& ours, const peer::NodeId& our_id,
                                     const ConnectionFacts& facts, base::ByteView message,
                                     connmgr::ConnManager& connmgr);

}  // namespace peerlink::cometbft

PEERLINK_ERROR_ENUM_TRAIT(peerlink::cometbft::HostErrc)
