#include "profiles/cometbft/peer_checks.hpp"

#include <gtest/gtest.h>

namespace peerlink::cometbft {
namespace {

using peer::Direction;

TEST(ReplacesExisting, BothEndsKeepTheConnectionDialledByTheLowerId) {
    const auto low = *peer::NodeId::from_hex("0000000000000000000000000000000000000001");
    const auto high = *peer::NodeId::from_hex("ff00000000000000000000000000000000000000");
    // Connection 1: low dialled high. Connection 2: high dialled low.
    // At low: conn 1 is outbound, conn 2 inbound. At high: conn 1 inbound, conn 2 outbound.
    // Whichever arrives second, both ends keep connection 1.
    EXPECT_FALSE(replaces_existing(low, high, Direction::outbound, Direction::inbound));  // low: keep 1
    EXPECT_TRUE(replaces_existing(low, high, Direction::inbound, Direction::outbound));   // low: 1 replaces 2
    EXPECT_TRUE(replaces_existing(high, low, Direction::outbound, Direction::inbound));  // high: 1 replaces 2
    EXPECT_FALSE(replaces_existing(high, low, Direction::inbound, Direction::outbound));  // high: keep 1
}

TEST(ReplacesExisting, TheNewerOfTwoConnectionsFromTheSameDiallerWins) {
    const auto a = *peer::NodeId::from_hex("0000000000000000000000000000000000000001");
    const auto b = *peer::NodeId::from_hex("ff00000000000000000000000000000000000000");
    // A peer that restarted and dialled again while its old connection still looks alive.
    EXPECT_TRUE(replaces_existing(a, b, Direction::inbound, Direction::inbound));
    EXPECT_TRUE(replaces_existing(a, b, Direction::outbound, Direction::outbound));
}

}  // namespace
}  // namespace peerlink::cometbft
