#include "connmgr/ip_address.hpp"

#include <gtest/gtest.h>

namespace peerlink::connmgr {
namespace {

IpAddress ip(std::string_view text) {
    auto parsed = IpAddress::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(IpAddress{});
}

bool in(std::string_view cidr, std::string_view address) {
    auto block = Cidr::parse(cidr);
    EXPECT_TRUE(block.has_value()) << cidr;
    return block && block->contains(ip(address));
}

TEST(IpAddress, ParsesIpv4AsMappedIpv6) {
    const auto a = ip("192.168.1.20");
    EXPECT_TRUE(a.is_v4());
    const IpAddress::Bytes expected{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 20};
    EXPECT_EQ(a.bytes(), expected);
    EXPECT_EQ(a, ip("::ffff:192.168.1.20"));
    EXPECT_EQ(a, ip("::FFFF:c0a8:114"));
    EXPECT_EQ(ip("0.0.0.0").bytes()[15], 0);
    EXPECT_EQ(ip("255.255.255.255").bytes()[12], 255);
}

TEST(IpAddress, ParsesIpv6Forms) {
    const IpAddress::Bytes loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(ip("::1").bytes(), loopback);
    EXPECT_EQ(ip("0:0:0:0:0:0:0:1"), ip("::1"));
    EXPECT_EQ(ip("::").bytes(), IpAddress::Bytes{});
    EXPECT_EQ(ip("2001:db8::8a2e:370:7334"), ip("2001:0db8:0000:0000:0000:8a2e:0370:7334"));
    EXPECT_EQ(ip("1:2:3:4:5:6:7::"), ip("1:2:3:4:5:6:7:0"));
    EXPECT_EQ(ip("::2:3:4:5:6:7:8"), ip("0:2:3:4:5:6:7:8"));
    EXPECT_EQ(ip("64:ff9b::1.2.3.4"), ip("64:ff9b::102:304"));
    EXPECT_EQ(ip("fe80::1%eth0"), ip("fe80::1"));
    EXPECT_FALSE(ip("::1").is_v4());
    EXPECT_FALSE(ip("::ffff:0:1.2.3.4").is_v4());
}

TEST(IpAddress, RejectsMalformedText) {
    for (const char* bad : {"",
                            "1.2.3",
                            "1.2.3.4.5",
                            "256.1.1.1",
                            "01.2.3.4",
                            "1.2.3.4 ",
                            " 1.2.3.4",
                            "1..2.3",
                            "1.2.3.-4",
                            "example.org",
                            "localhost",
                            ":",
                            ":::",
                            "1:::2",
                            "1::2::3",
                            "1:2:3:4:5:6:7:8:9",
                            "1:2:3:4:5:6:7",
                            "1:2:3:4:5:6:7:8::",
                            "1:2:3:4:5:6:7::8",
                            "12345::",
                            "g::",
                            ":1::",
                            "1::2:",
                            "::1.2.3.4:1",
                            "1.2.3.4::",
                            "fe80::1%",
                            "1:2:3:4:5:6:7:1.2.3.4",
                            "::1.2.3"}) {
        EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
    }
}

TEST(Cidr, MatchesIpv4Blocks) {
    EXPECT_TRUE(in("10.0.0.0/8", "10.255.1.2"));
    EXPECT_FALSE(in("10.0.0.0/8", "11.0.0.1"));
    EXPECT_TRUE(in("10.0.0.0/8", "::ffff:10.1.1.1"));
    EXPECT_TRUE(in("172.16.0.0/12", "172.31.255.255"));
    EXPECT_FALSE(in("172.16.0.0/12", "172.32.0.0"));
    EXPECT_TRUE(in("192.168.1.7/32", "192.168.1.7"));
    EXPECT_FALSE(in("192.168.1.7/32", "192.168.1.6"));
    EXPECT_TRUE(in("192.168.1.7", "192.168.1.7"));
    EXPECT_TRUE(in("10.1.2.3/8", "10.9.9.9"));  // host bits ignored
    EXPECT_TRUE(in("0.0.0.0/0", "8.8.8.8"));
    EXPECT_FALSE(in("0.0.0.0/0", "2001:db8::1"));  // as in Go: families never mix
}

TEST(Cidr, MatchesIpv6Blocks) {
    EXPECT_TRUE(in("2001:db8::/32", "2001:db8:ffff::1"));
    EXPECT_FALSE(in("2001:db8::/32", "2001:db9::1"));
    EXPECT_TRUE(in("fe80::/10", "febf::1"));
    EXPECT_FALSE(in("fe80::/10", "fec0::1"));
    EXPECT_TRUE(in("::1/128", "::1"));
    EXPECT_FALSE(in("::1/127", "::2"));
    EXPECT_TRUE(in("::/0", "2001:db8::1"));
    EXPECT_FALSE(in("::/0", "10.0.0.1"));
}

TEST(Cidr, RejectsMalformedBlocks) {
    for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/x", "10.0.0/8",
                            "example.org/8", "fe80::/10%eth0", "fe80::%eth0/10", "/8"}) {
        EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace peerlink::connmgr
