// Shared fakes for the connmgr tests: node IDs and addresses made from small numbers, and a
// manager on a fixed address list with a manual clock.
#pragma once
#include <cstdint>
#include <string>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "connmgr/conn_manager.hpp"
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

/// The ID every test manager is given as its own.
inline const peer::NodeId k_self = id(0xffff);

/// A ConnManager drawing from a FixedAddressSource, with a seeded Random and a manual clock.
struct ManagerFixture {
    explicit ManagerFixture(Options options = {}, std::uint64_t seed = 42)
        : random(seed), manager(std::move(options), source, random, k_self) {}
    base::ManualClock clock;
    base::Random random;
    FixedAddressSource source;
    ConnManager manager;
};

}  // namespace peerlink::connmgr::test_support
