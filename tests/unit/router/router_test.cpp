#include "router/router.hpp"

#include <gtest/gtest.h>

namespace peerlink::router {
namespace {

class ChannelReactor final : public Reactor {
public:
    explicit ChannelReactor(std::vector<mux::ChannelId> ids) : m_ids(std::move(ids)) {}
    std::vector<mux::ChannelDescriptor> channels() const override {
        std::vector<mux::ChannelDescriptor> out;
        for (auto id : m_ids)
            out.push_back({.id = id});
        return out;
    }
    void start(Router&) override { started = true; }
    void receive(const peer::PeerPtr&, mux::ChannelId, base::SharedBytes) override {}
    std::atomic<bool> started{false};

private:
    std::vector<mux::ChannelId> m_ids;
};

TEST(Router, TwoReactorsClaimingOneChannelIsAConfigurationError) {
    asio::io_context io;
    Router router(io, {});
    router.add_reactor("pex", std::make_shared<ChannelReactor>(std::vector<mux::ChannelId>{0x00}));
    router.add_reactor("gossip", std::make_shared<ChannelReactor>(std::vector<mux::ChannelId>{0x50, 0x51}));
    try {
        router.add_reactor("other", std::make_shared<ChannelReactor>(std::vector<mux::ChannelId>{0x51}));
        FAIL() << "expected std::invalid_argument";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("0x51"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("gossip"), std::string::npos);
    }
    EXPECT_EQ(router.channel_ids(), (base::Bytes{0x00, 0x50, 0x51}));
}

TEST(Router, StartRunsEveryReactorsStartOnItsOwnThread) {
    asio::io_context io;
    Router router(io, {});
    auto a = std::make_shared<ChannelReactor>(std::vector<mux::ChannelId>{0x01});
    auto b = std::make_shared<ChannelReactor>(std::vector<mux::ChannelId>{0x02});
    router.add_reactor("a", a);
    router.add_reactor("b", b);
    router.start();
    router.stop();  // drains what was posted
    EXPECT_TRUE(a->started);
    EXPECT_TRUE(b->started);
    EXPECT_THROW(router.add_reactor("late", std::make_shared<ChannelReactor>(std::vector<mux::ChannelId>{3})),
                 std::logic_error);
}

TEST(Router, StartsWithNoPeers) {
    asio::io_context io;
    Router router(io, {});
    EXPECT_TRUE(router.peers()->empty());
    EXPECT_EQ(router.count(peer::Direction::inbound), 0u);
    EXPECT_TRUE(router.broadcast(0x01, base::SharedBytes::copy_of(base::as_bytes("x"))).empty());
}

TEST(EventQueue, IsBoundedAndCountsWhatItDrops) {
    EventQueue q(3);
    for (int i = 0; i < 5; ++i)
        q.push({.kind = EventKind::dial_failed,
                .time = {},
                .id = {},
                .address = std::to_string(i),
                .direction = peer::Direction::outbound,
                .reason = {}});
    EXPECT_EQ(q.dropped(), 2u);
    auto first = q.poll(2);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].address, "0");
    EXPECT_EQ(first[1].address, "1");
    auto rest = q.poll();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].address, "2");
    // room again after draining
    q.push({.kind = EventKind::peer_up,
            .time = {},
            .id = {},
            .address = "later",
            .direction = peer::Direction::inbound,
            .reason = {}});
    EXPECT_EQ(q.poll().size(), 1u);
    EXPECT_EQ(q.dropped(), 2u);
}

}  // namespace
}  // namespace peerlink::router
