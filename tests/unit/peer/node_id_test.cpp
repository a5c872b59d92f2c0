#include "peer/node_id.hpp"

#include <gtest/gtest.h>

namespace peerlink::peer {
namespace {

constexpr std::string_view k_id = "f9baeaa15fedf5e1ef7448dd60f46c01f1a9e9c4";

TEST(PeerAddress, ParsesCometBftForm) {
    auto a = PeerAddress::parse(std::string(k_id) + "@127.0.0.1:26656");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->id.to_hex(), k_id);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 26656);
    EXPECT_EQ(a->to_string(), std::string(k_id) + "@127.0.0.1:26656");
}

TEST(PeerAddress, ParsesHostNamesAndBracketedIpv6) {
    auto a = PeerAddress::parse(std::string(k_id) + "@[::1]:26656");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->host, "::1");
    EXPECT_EQ(a->to_string(), std::string(k_id) + "@[::1]:26656");
    EXPECT_EQ(PeerAddress::parse(std::string(k_id) + "@seed.example.org:1")->host, "seed.example.org");
}

TEST(PeerAddress, RejectsBadInput) {
    EXPECT_EQ(PeerAddress::parse("127.0.0.1:26656").error(), Errc::bad_address);
    EXPECT_EQ(PeerAddress::parse("abcd@127.0.0.1:26656").error(), Errc::bad_node_id);
    EXPECT_EQ(PeerAddress::parse(std::string(k_id) + "@127.0.0.1:0").error(), Errc::bad_port);
    EXPECT_EQ(PeerAddress::parse(std::string(k_id) + "@127.0.0.1:70000").error(), Errc::bad_port);
    EXPECT_EQ(PeerAddress::parse(std::string(k_id) + "@127.0.0.1:26656x").error(), Errc::bad_port);
    EXPECT_EQ(PeerAddress::parse(std::string(k_id) + "@:26656").error(), Errc::bad_address);
    EXPECT_EQ(PeerAddress::parse("zz" + std::string(k_id.substr(2)) + "@h:1").error(), Errc::bad_node_id);
}

TEST(NodeId, OrdersAndComparesByBytes) {
    auto a = *NodeId::from_hex("00ff");
    auto b = *NodeId::from_hex("0100");
    EXPECT_LT(a, b);
    EXPECT_EQ(a, *NodeId::from_hex("00FF"));
    EXPECT_FALSE(NodeId::from_hex(""));
    EXPECT_NE(std::hash<NodeId>{}(a), std::hash<NodeId>{}(b));
}

}  // namespace
}  // namespace peerlink::peer
