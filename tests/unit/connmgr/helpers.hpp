// Shared fakes for the connmgr tests: node IDs and addresses made from small numbers.
#pragma once
#include <cstdint>
#include <string>

#include "base/bytes.hpp"
#include "peer/node_id.hpp"

namespace peerlink::connmgr::test_support {

/// A 20-byte CometBFT-sized node ID whose last two bytes are `n`.
inline peer::NodeId id(std::uint16_t n) {
    base::Bytes bytes(20, 0xab);
    bytes[18] = static_cast<std::uint8_t>(n >> 8);
    bytes[19] = static_cast<std::uint8_t>(n & 0xff);
    return *peer::NodeId::from_bytes(bytes);
}

/// Node `n` at 10.0.<n / 256>.<n % 256>:26656 unless a host is given.
inline peer::PeerAddress addr(std::uint16_t n, std::string host = {}, std::uint16_t port = 26656) {
    if (host.empty()) host = "10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256);
    return peer::PeerAddress{id(n), std::move(host), port};
}

}  // namespace peerlink::connmgr::test_support
