// GossipCore without sockets: first receipt vs duplicate, who a message is relayed to, the size
// rule and the per-peer known sets.
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/crypto.hpp"
#include "gossip/gossip_core.hpp"

namespace peerlink::gossip {
namespace {

using namespace std::chrono_literals;
using Kind = GossipCore::Received::Kind;

peer::NodeId node(std::uint8_t n) {
    const std::array<std::uint8_t, 20> bytes{n};
    return *peer::NodeId::from_bytes(base::ByteView(bytes.data(), bytes.size()));
}

base::ByteView text(const char* s) {
    return base::as_bytes(s);
}

bool has(const std::vector<peer::NodeId>& v, const peer::NodeId& id) {
    return std::find(v.begin(), v.end(), id) != v.end();
}

class GossipCoreTest : public ::testing::Test {
protected:
    GossipCoreTest() {
        for (std::uint8_t i = 1; i <= 3; ++i)
            core.add_peer(node(i));
    }
    CoreOptions options() {
        CoreOptions o;
        o.max_message_size = 16;
        return o;
    }
    GossipCore core{options(), addrbook::SipKey{3, 4}};
    base::TimePoint t0{};
};

TEST_F(GossipCoreTest, MessageIdIsTheSha256OfThePayload) {
    EXPECT_EQ(message_id(text("hello")), crypto::sha256(text("hello")));
}

TEST_F(GossipCoreTest, FirstReceiptIsDeliveredAndRelayedToEveryoneButTheSender) {
    const auto r = core.on_message(node(1), text("hello"), t0);
    EXPECT_EQ(r.kind, Kind::delivered);
    EXPECT_EQ(r.id, message_id(text("hello")));
    EXPECT_EQ(r.relay_to.size(), 2u);
    EXPECT_FALSE(has(r.relay_to, node(1)));
    EXPECT_TRUE(has(r.relay_to, node(2)));
    EXPECT_TRUE(has(r.relay_to, node(3)));
    for (std::uint8_t i = 1; i <= 3; ++i)
        EXPECT_TRUE(core.knows(node(i), r.id));
}

TEST_F(GossipCoreTest, DuplicateIsCountedOnceAndMarksTheSenderAsKnowing) {
    const auto first = core.on_message(node(1), text("hello"), t0);
    core.remove_peer(node(3));
    core.add_peer(node(3));  // a new connection to node 3 starts knowing nothing
    EXPECT_FALSE(core.knows(node(3), first.id));
    const auto again = core.on_message(node(3), text("hello"), t0 + 1s);
    EXPECT_EQ(again.kind, Kind::duplicate);
    EXPECT_TRUE(again.relay_to.empty());
    EXPECT_TRUE(core.knows(node(3), first.id));
}

TEST_F(GossipCoreTest, OversizedMessagesAreRejectedBeforeAnythingIsRemembered) {
    const char* big = "0123456789abcdefX";  // 17 bytes against a 16-byte limit
    const auto r = core.on_message(node(1), text(big), t0);
    EXPECT_EQ(r.kind, Kind::oversized);
    EXPECT_TRUE(r.relay_to.empty());
    EXPECT_EQ(core.seen_size(), 0u);
    EXPECT_EQ(core.on_message(node(1), text("0123456789abcdef"), t0).kind, Kind::delivered);
    EXPECT_EQ(core.publish(text(big), t0).error(), Errc::message_too_large);
}

TEST_F(GossipCoreTest, PublishGoesToEveryPeerOnceAndAgainOnlyToNewcomers) {
    auto p = core.publish(text("mine"), t0);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->send_to.size(), 3u);
    // An echo from a peer is a duplicate, not a delivery
    EXPECT_EQ(core.on_message(node(2), text("mine"), t0).kind, Kind::duplicate);
    core.add_peer(node(4));
    auto again = core.publish(text("mine"), t0 + 1s);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->send_to.size(), 1u);
    EXPECT_EQ(again->send_to[0], node(4));
}

TEST_F(GossipCoreTest, APeerKnownToHaveAMessageIsSkippedWhenItArrivesFromAnother) {
    // Node 2 sends a message first (we relay it to 1 and 3, so 3 is marked), then node 3 sends it
    const auto from2 = core.on_message(node(2), text("y"), t0);
    EXPECT_EQ(from2.kind, Kind::delivered);
    EXPECT_FALSE(has(from2.relay_to, node(2)));
    const auto from3 = core.on_message(node(3), text("y"), t0);
    EXPECT_EQ(from3.kind, Kind::duplicate);
}

TEST_F(GossipCoreTest, AfterTheSeenTtlAMessageIsNewAgain) {
    ASSERT_EQ(core.on_message(node(1), text("old"), t0).kind, Kind::delivered);
    EXPECT_EQ(core.on_message(node(2), text("old"), t0 + 119s).kind, Kind::duplicate);
    EXPECT_EQ(core.on_message(node(2), text("old"), t0 + 120s).kind, Kind::delivered);
}

TEST_F(GossipCoreTest, MessagesFromAnUnknownPeerAreStillDelivered) {
    const auto r = core.on_message(node(9), text("stray"), t0);
    EXPECT_EQ(r.kind, Kind::delivered);
    EXPECT_EQ(r.relay_to.size(), 3u);
    EXPECT_EQ(core.peer_count(), 3u);
}

TEST(GossipCoreOptions, ZeroBoundsAreConfigurationErrors) {
    EXPECT_THROW(GossipCore(CoreOptions{.max_message_size = 0}, {}), std::invalid_argument);
    EXPECT_THROW(GossipCore(CoreOptions{.known_per_peer = 0}, {}), std::invalid_argument);
    EXPECT_THROW(GossipCore(CoreOptions{.seen_capacity = 0}, {}), std::invalid_argument);
}

}  // namespace
}  // namespace peerlink::gossip
