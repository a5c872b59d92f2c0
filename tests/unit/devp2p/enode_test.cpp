#include <gtest/gtest.h>

#include "profiles/devp2p/enode.hpp"
#include "test_util.hpp"

namespace peerlink::devp2p {
namespace {

// A mainnet bootnode of go-ethereum (params/bootnodes.go).
constexpr const char* k_id =
    "d860a01f9722d78051619d1e2351aba3f43f943f6f00718d1b9baa4101932a1f5011f16bb2b1bb35db20d6fe28fa0bf09636d26a"
    "87d"
    "31de9ec6203eeedb1f666";

TEST(Enode, ParsesIpv4WithAndWithoutDiscport) {
    auto n = parse_enode(std::string("enode://") + k_id + "@18.138.108.67:30303");
    ASSERT_TRUE(n.ok()) << n.error().message();
    EXPECT_EQ(base::to_hex(n->id), k_id);
    EXPECT_EQ(n->ip, "18.138.108.67");
    EXPECT_FALSE(n->ipv6);
    EXPECT_EQ(n->tcp_port, 30303);
    EXPECT_EQ(n->udp_port, 30303);
    EXPECT_EQ(format_enode(*n), std::string("enode://") + k_id + "@18.138.108.67:30303");

    auto d = parse_enode(std::string("enode://") + k_id + "@10.3.58.6:30303?discport=30301");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->tcp_port, 30303);
    EXPECT_EQ(d->udp_port, 30301);
    EXPECT_EQ(format_enode(*d), std::string("enode://") + k_id + "@10.3.58.6:30303?discport=30301");
}

TEST(Enode, ParsesBracketedIpv6AndCanonicalises) {
    auto n = parse_enode(std::string("enode://") + k_id + "@[2001:DB8:0:0::1]:30303");
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(n->ipv6);
    EXPECT_EQ(n->ip, "2001:db8::1");
    EXPECT_EQ(format_enode(*n), std::string("enode://") + k_id + "@[2001:db8::1]:30303");
    auto again = parse_enode(format_enode(*n));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *n);
}

TEST(Enode, RejectsWithClearErrors) {
    const std::string id = k_id;
    const auto err = [](const std::string& url) {
        auto r = parse_enode(url);
        return r.ok() ? std::error_code{} : r.error();
    };
    EXPECT_EQ(err("enr://" + id + "@1.2.3.4:1"), make_error_code(Errc::enode_bad_scheme));
    EXPECT_EQ(err("http://x"), make_error_code(Errc::enode_bad_scheme));
    EXPECT_EQ(err("enode://" + id.substr(2) + "@1.2.3.4:1"), make_error_code(Errc::enode_bad_node_id));
    EXPECT_EQ(err("enode://" + id.substr(0, 127) + "g@1.2.3.4:1"), make_error_code(Errc::enode_bad_node_id));
    std::string off_curve = id;
    off_curve[127] = off_curve[127] == '6' ? '7' : '6';
    EXPECT_EQ(err("enode://" + off_curve + "@1.2.3.4:1"), make_error_code(Errc::enode_bad_node_id));
    EXPECT_EQ(err("enode://" + id), make_error_code(Errc::enode_bad_host));
    EXPECT_EQ(err("enode://" + id + "@:30303"), make_error_code(Errc::enode_bad_host));
    EXPECT_EQ(err("enode://" + id + "@example.com:30303"), make_error_code(Errc::enode_bad_host));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.256:30303"), make_error_code(Errc::enode_bad_host));
    EXPECT_EQ(err("enode://" + id + "@2001:db8::1:30303"), make_error_code(Errc::enode_bad_host));
    EXPECT_EQ(err("enode://" + id + "@[1.2.3.4]:30303"), make_error_code(Errc::enode_bad_host));
    EXPECT_EQ(err("enode://" + id + "@[::1"), make_error_code(Errc::enode_bad_host));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4"), make_error_code(Errc::enode_bad_port));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4:"), make_error_code(Errc::enode_bad_port));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4:65536"), make_error_code(Errc::enode_bad_port));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4:-1"), make_error_code(Errc::enode_bad_port));
    EXPECT_EQ(err("enode://" + id + "@[::1]30303"), make_error_code(Errc::enode_bad_port));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4:1?discport="), make_error_code(Errc::enode_bad_query));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4:1?discport=70000"), make_error_code(Errc::enode_bad_query));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4:1?foo=1"), make_error_code(Errc::enode_bad_query));
    EXPECT_EQ(err("enode://" + id + "@1.2.3.4:65535?discport=0"), std::error_code{});
}

}  // namespace
}  // namespace peerlink::devp2p
