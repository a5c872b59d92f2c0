// Outbound groups (one per netgroup), endpoint IDs, the seeding decisions and addrv2 conversion, sans-I/O.
#include "profiles/bitcoin/outbound.hpp"

#include <gtest/gtest.h>

#include <set>

#include "profiles/bitcoin/address_relay.hpp"
#include "profiles/bitcoin/network.hpp"
#include "profiles/bitcoin/node.hpp"

namespace peerlink::bitcoin {
namespace {

using namespace std::chrono_literals;

TEST(OutboundGroup, IPv4SixteensIPv6ThirtyTwosAndNoHostNames) {
    EXPECT_EQ(outbound_group("1.2.3.4", 8333, true), outbound_group("1.2.200.9", 18444, true));
    EXPECT_NE(outbound_group("1.2.3.4", 8333, true), outbound_group("1.3.3.4", 8333, true));
    EXPECT_EQ(outbound_group("::ffff:1.2.3.4", 8333, true), outbound_group("1.2.0.1", 8333, true));
    EXPECT_EQ(outbound_group("2001:db8:1::1", 8333, true), outbound_group("2001:db8:ffff::2", 8333, true));
    EXPECT_NE(outbound_group("2001:db8:1::1", 8333, true), outbound_group("2001:db9::1", 8333, true));
    EXPECT_EQ(outbound_group("seed.example", 8333, true), std::nullopt);
}

TEST(OutboundGroup, ANonStrictBookGroupsIPv4ByEndpoint) {
    // A one-host test network: every node is on 127.0.0.1 and still gets its peers.
    EXPECT_NE(outbound_group("127.0.0.1", 1000, false), outbound_group("127.0.0.1", 1001, false));
    EXPECT_EQ(outbound_group("127.0.0.1", 1000, false), outbound_group("127.0.0.1", 1000, false));
    EXPECT_EQ(outbound_group("127.0.0.1", 1000, true), outbound_group("127.0.0.1", 1001, true));
}

TEST(EndpointId, CanonicalTaggedAndDistinct) {
    const auto a = endpoint_id("1.2.3.4", 8333);
    EXPECT_EQ(a, endpoint_id("::ffff:1.2.3.4", 8333));
    EXPECT_EQ(a.bytes().size(), 19u);
    EXPECT_EQ(a.bytes()[0], 0x01);
    EXPECT_EQ(a.bytes()[17], 8333 >> 8);
    EXPECT_EQ(a.bytes()[18], 8333 & 0xff);
    EXPECT_NE(a, endpoint_id("1.2.3.4", 8334));
    EXPECT_NE(a, endpoint_id("1.2.3.5", 8333));
    // An inbound connection from that very endpoint is another peer (Core keeps both).
    const auto inbound = endpoint_id("1.2.3.4", 8333, EndpointRole::inbound);
    EXPECT_NE(a, inbound);
    EXPECT_EQ(inbound.bytes()[0], 0x02);
    const auto name = endpoint_id("Seed.Example", 8333);
    EXPECT_EQ(name.bytes().size(), 33u);
    EXPECT_EQ(name.bytes()[0], 0x03);
    EXPECT_EQ(name, endpoint_id("seed.example", 8333));
    EXPECT_NE(name, endpoint_id("seed.example", 8334));
    for (const auto& id : {a, inbound, name})
        EXPECT_NE(id, self_id());
    EXPECT_EQ(self_id().bytes().size(), 1u);
}

TEST(Seeder, QueriesDnsOnceAndOnlyWithAnEmptyBook) {
    const auto start = base::TimePoint{} + 1h;
    Seeder seeder({.dns_seeds = true, .fixed_seeds = false}, true, true, start);
    EXPECT_EQ(seeder.poll(start, 0), Seeder::Step::query_dns);
    EXPECT_EQ(seeder.poll(start + 1s, 0), Seeder::Step::none);
    Seeder full({.dns_seeds = true, .fixed_seeds = false}, true, true, start);
    EXPECT_EQ(full.poll(start, 12), Seeder::Step::none);
    EXPECT_EQ(full.poll(start + 1s, 0), Seeder::Step::none);  // the decision is taken at start
}

TEST(Seeder, FixedSeedsAfterSixtySecondsOfAnEmptyBook) {
    const auto start = base::TimePoint{} + 1h;
    Seeder seeder({.dns_seeds = true, .fixed_seeds = true}, true, true, start);
    EXPECT_EQ(seeder.poll(start, 0), Seeder::Step::query_dns);
    EXPECT_EQ(seeder.poll(start + 59s, 0), Seeder::Step::none);
    EXPECT_EQ(seeder.poll(start + 60s, 0), Seeder::Step::add_fixed);
    EXPECT_EQ(seeder.poll(start + 120s, 0), Seeder::Step::none);  // once
}

TEST(Seeder, FixedSeedsAreNotNeededWhenDnsFilledTheBook) {
    const auto start = base::TimePoint{} + 1h;
    Seeder seeder({.dns_seeds = true, .fixed_seeds = true}, true, true, start);
    EXPECT_EQ(seeder.poll(start, 0), Seeder::Step::query_dns);
    EXPECT_EQ(seeder.poll(start + 61s, 40), Seeder::Step::none);
}

TEST(Seeder, WithoutDnsSeedingFixedSeedsComeAtOnce) {
    const auto start = base::TimePoint{} + 1h;
    Seeder no_dns({.dns_seeds = false, .fixed_seeds = true}, true, true, start);
    EXPECT_EQ(no_dns.poll(start, 0), Seeder::Step::add_fixed);
    // A network without DNS seeds behaves the same.
    Seeder no_names({.dns_seeds = true, .fixed_seeds = true}, false, true, start);
    EXPECT_EQ(no_names.poll(start, 0), Seeder::Step::add_fixed);
}

TEST(Seeder, DisabledOrNothingToUse) {
    const auto start = base::TimePoint{} + 1h;
    Seeder off({.dns_seeds = false, .fixed_seeds = false}, true, true, start);
    EXPECT_EQ(off.poll(start, 0), Seeder::Step::none);
    EXPECT_EQ(off.poll(start + 1h, 0), Seeder::Step::none);
    // Regtest lists neither.
    Seeder regtest_seeder({.dns_seeds = true, .fixed_seeds = true}, !regtest().dns_seeds.empty(),
                          !regtest().fixed_seeds.empty(), start);
    EXPECT_EQ(regtest_seeder.poll(start + 1h, 0), Seeder::Step::none);
}

TEST(Network, SeedListsPerNetwork) {
    EXPECT_FALSE(mainnet().dns_seeds.empty());
    EXPECT_EQ(mainnet().dns_seeds[0], "seed.bitcoin.sipa.be");
    EXPECT_FALSE(signet().dns_seeds.empty());
    EXPECT_TRUE(regtest().dns_seeds.empty());
    EXPECT_TRUE(regtest().fixed_seeds.empty());
    for (const auto* network : {&mainnet(), &signet()}) {
        EXPECT_FALSE(network->fixed_seeds.empty());
        EXPECT_LE(network->fixed_seeds.size(), 20u);
        std::set<std::string> groups;
        for (const auto& entry : network->fixed_seeds) {
            const auto endpoint = Endpoint::parse(entry);
            ASSERT_TRUE(endpoint) << entry;
            EXPECT_EQ(endpoint->port, network->default_port) << entry;
            const auto group = outbound_group(endpoint->host, endpoint->port, true);
            ASSERT_TRUE(group) << entry;
            EXPECT_TRUE(groups.insert(*group).second) << "two fixed seeds in one netgroup: " << entry;
        }
    }
}

TEST(AddrV2Conversion, IPv4MappedBecomesNetworkOneAndIPv6StaysSixteenBytes) {
    Addr addr;
    addr.entries.push_back({1700000000, NetAddr{9, ipv4_mapped(8, 8, 4, 4), 8333}});
    NetAddr v6;
    v6.services = 1;
    v6.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    v6.port = 18333;
    addr.entries.push_back({1700000001, v6});
    const AddrV2 v2 = to_addrv2(addr);
    ASSERT_EQ(v2.entries.size(), 2u);
    EXPECT_EQ(v2.entries[0].network, static_cast<std::uint8_t>(Bip155Net::ipv4));
    EXPECT_EQ(v2.entries[0].addr, (base::Bytes{8, 8, 4, 4}));
    EXPECT_EQ(v2.entries[0].services, 9u);
    EXPECT_EQ(v2.entries[0].port, 8333);
    EXPECT_EQ(v2.entries[0].time, 1700000000u);
    EXPECT_EQ(v2.entries[1].network, static_cast<std::uint8_t>(Bip155Net::ipv6));
    EXPECT_EQ(v2.entries[1].addr.size(), 16u);
    // And back: the same addresses.
    for (std::size_t i = 0; i < 2; ++i) {
        const auto back = to_netaddr(v2.entries[i]);
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, addr.entries[i].addr);
    }
    // The encoding round-trips through the codec.
    const auto payload = encode_payload(Message{v2});
    const auto decoded = decode_message("addrv2", payload);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(std::get<AddrV2>(*decoded), v2);
}

}  // namespace
}  // namespace peerlink::bitcoin
