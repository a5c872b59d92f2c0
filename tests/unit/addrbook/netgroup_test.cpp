#include "addrbook/netgroup.hpp"

#include <gtest/gtest.h>

#include "base/random.hpp"

namespace peerlink::addrbook {
namespace {

IpAddress ip(std::string_view text) {
    auto parsed = IpAddress::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(IpAddress());
}

std::string group_of(std::string_view text) {
    return netgroup(ip(text)).to_string();
}

TEST(IpAddress, ParsesAndCanonicalises) {
    EXPECT_EQ(ip("1.2.3.4").to_string(), "1.2.3.4");
    EXPECT_EQ(ip("::ffff:1.2.3.4").to_string(), "1.2.3.4");
    EXPECT_EQ(ip("::ffff:1.2.3.4"), ip("1.2.3.4"));
    EXPECT_EQ(ip("[2001:DB8::1]").to_string(), "2001:db8::1");
    EXPECT_TRUE(ip("1.2.3.4").is_v4());
    EXPECT_FALSE(ip("2a00::1").is_v4());
    for (const char* bad :
         {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "example.com", "fe80::1%eth0", "1.2.3.4:80"})
        EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
}

TEST(Netgroup, ClassifiesSpecialRanges) {
    for (const char* local : {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"})
        EXPECT_EQ(classify(ip(local)), Reach::local) << local;
    for (const char* priv : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.3.4",
                             "fc00::1", "fd12:3456::1", "fe80::1"})
        EXPECT_EQ(classify(ip(priv)), Reach::private_net) << priv;
    for (const char* unr :
         {"0.0.0.0", "0.1.2.3", "100.64.0.1", "100.127.255.255", "192.0.2.1", "198.18.0.1", "198.51.100.7",
          "203.0.113.9", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::", "2001:db8::1", "ff02::1"})
        EXPECT_EQ(classify(ip(unr)), Reach::unroutable) << unr;
    for (const char* pub :
         {"1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2a00:1450::1", "2001:4860::8888"})
        EXPECT_EQ(classify(ip(pub)), Reach::routable) << pub;
}

TEST(Netgroup, GroupsByPrefixAndClass) {
    EXPECT_EQ(group_of("1.2.3.4"), "1.2/16");
    EXPECT_EQ(group_of("2a00:1450:4001:1::1"), "2a00:1450/32");
    EXPECT_EQ(group_of("127.0.0.1"), "local");
    EXPECT_EQ(group_of("::1"), "local");
    EXPECT_EQ(group_of("10.0.0.1"), "private");
    EXPECT_EQ(group_of("fe80::1"), "private");
    EXPECT_EQ(group_of("0.0.0.0"), "unroutable");
    EXPECT_NE(netgroup(ip("10.0.0.1")), netgroup(ip("127.0.0.1")));
    EXPECT_NE(netgroup(ip("10.0.0.1")), netgroup(ip("0.0.0.0")));
}

TEST(Netgroup, SourceGroupOfNamesIsALabelPerName) {
    EXPECT_EQ(source_group("1.2.3.4"), netgroup(ip("1.2.9.9")));
    EXPECT_EQ(source_group("seed"), source_group("seed"));
    EXPECT_NE(source_group("seed"), source_group("config"));
    EXPECT_EQ(source_group("seed").kind, NetGroup::Kind::label);
}

// Property test: for random addresses the group is exactly the /16 (IPv4) or /32 (IPv6) for
// routable ones, a single shared group per special class, and mapped IPv6 equals its IPv4.
TEST(NetgroupProperty, RandomAddressesGroupByPrefix) {
    base::Random rng(20240601);
    int routable_pairs = 0;
    for (int i = 0; i < 200'000; ++i) {
        const auto a = static_cast<std::uint32_t>(rng.next_u64());
        // Half the time the second address shares a's /16.
        const auto b = (i % 2 == 0)
                           ? ((a & 0xffff0000u) | static_cast<std::uint32_t>(rng.next_u64() & 0xffffu))
                           : static_cast<std::uint32_t>(rng.next_u64());
        const IpAddress ia = IpAddress::v4(a);
        const IpAddress ib = IpAddress::v4(b);
        const Reach ra = classify(ia);
        const Reach rb = classify(ib);
        const NetGroup ga = netgroup(ia);
        const NetGroup gb = netgroup(ib);

        // Mapped IPv6 text parses to the same address and group.
        const auto mapped = IpAddress::parse("::ffff:" + ia.to_string());
        ASSERT_TRUE(mapped.has_value());
        ASSERT_EQ(*mapped, ia);
        ASSERT_EQ(netgroup(*mapped), ga);
        ASSERT_EQ(IpAddress::parse(ia.to_string()), ia);

        if (ra == Reach::routable && rb == Reach::routable) {
            ++routable_pairs;
            ASSERT_EQ(ga == gb, (a >> 16) == (b >> 16)) << ia.to_string() << " " << ib.to_string();
        } else if (ra == rb && ra != Reach::routable) {
            ASSERT_EQ(ga, gb);  // one group per special class
        } else {
            ASSERT_NE(ga, gb);  // classes never share a group
        }
    }
    EXPECT_GT(routable_pairs, 100'000);

    for (int i = 0; i < 100'000; ++i) {
        std::array<std::uint8_t, 16> x{};
        std::array<std::uint8_t, 16> y{};
        for (std::size_t k = 0; k < 16; ++k) {
            x[k] = static_cast<std::uint8_t>(rng.next_u64());
            y[k] = static_cast<std::uint8_t>(rng.next_u64());
        }
        x[0] = static_cast<std::uint8_t>(0x20 | (x[0] & 0x1f));  // global unicast 2000::/3
        if (i % 2 == 0) std::copy(x.begin(), x.begin() + 4, y.begin());
        const IpAddress ix = IpAddress::v6(x);
        const IpAddress iy = IpAddress::v6(y);
        if (classify(ix) != Reach::routable) continue;  // 2001:db8::/32
        const bool same32 = std::equal(x.begin(), x.begin() + 4, y.begin());
        if (classify(iy) == Reach::routable) {
            ASSERT_EQ(netgroup(ix) == netgroup(iy), same32);
        } else {
            ASSERT_NE(netgroup(ix), netgroup(iy));
        }
        ASSERT_EQ(IpAddress::parse(ix.to_string()), ix);
        // An IPv6 group never collides with an IPv4 one, even with an equal prefix value.
        ASSERT_NE(netgroup(ix), netgroup(IpAddress::v4(netgroup(ix).prefix)));
    }
}

}  // namespace
}  // namespace peerlink::addrbook
