// What the handshake told us about a peer (CometBFT: its NodeInfo; other profiles fill what they
// have). Plain data, shared by the sans-I/O checks and the Peer.
#pragma once
#include <string>

#include "base/bytes.hpp"
#include "peer/node_id.hpp"

namespace peerlink::peer {

struct PeerInfo {
    NodeId id;
    Direction direction = Direction::outbound;
    std::string remote_ip;
    std::uint16_t remote_port = 0;
    std::string listen_addr;
    std::string network;
    std::string version;
    std::string moniker;
    base::Bytes channels;
    bool persistent = false;
};

}  // namespace peerlink::peer
