// The outbound choice (one per netgroup), the seeding decisions and addrv2 conversion, sans-I/O.
#include "profiles/bitcoin/outbound.hpp"

#include <gtest/gtest.h>

#include "profiles/bitcoin/address_relay.hpp"
#include "profiles/bitcoin/network.hpp"
#include "profiles/bitcoin/node.hpp"

namespace peerlink::bitcoin {
namespace {

using namespace std::chrono_literals;

TEST(ChooseOutbound, NeverTwoFromOneSixteenWhileOtherGroupsRemain) {
    const std::vector<OutboundCandidate> candidates = {
        {"1.2.3.4", 8333}, {"1.2.200.9", 8333}, {"5.6.7.8", 8333}, {"9.9.9.9", 8333}, {"1.2.0.1", 8333}};
    std::set<std::string> taken;
    const auto chosen = choose_outbound(candidates, taken, 3, /*strict=*/true);
    ASSERT_EQ(chosen.size(), 3u);
    EXPECT_EQ(chosen[0].host, "1.2.3.4");
    EXPECT_EQ(chosen[1].host, "5.6.7.8");
    EXPECT_EQ(chosen[2].host, "9.9.9.9");
    EXPECT_EQ(taken.size(), 3u);
}

TEST(ChooseOutbound, GroupsOfCurrentPeersAreTaken) {
    std::set<std::string> taken;
    ASSERT_TRUE(choose_outbound({{"1.2.3.4", 8333}}, taken, 1, true).size() == 1);
    // A later round: 1.2.0.0/16 already has an outbound peer.
    const auto chosen = choose_outbound({{"1.2.99.99", 8333}, {"1.2.1.1", 8333}}, taken, 8, true);
    EXPECT_TRUE(chosen.empty());
    const auto other = choose_outbound({{"1.2.99.99", 8333}, {"3.3.3.3", 8333}}, taken, 8, true);
    ASSERT_EQ(other.size(), 1u);
    EXPECT_EQ(other[0].host, "3.3.3.3");
}

TEST(ChooseOutbound, IPv6GroupsAreSlash32AndHostnamesAreSkipped) {
    std::set<std::string> taken;
    const auto chosen = choose_outbound(
        {{"2001:db8:1::1", 8333}, {"2001:db8:ffff::2", 8333}, {"2001:db9::1", 8333}, {"seed.example", 8333}},
        taken, 8, true);
    ASSERT_EQ(chosen.size(), 2u);
    EXPECT_EQ(chosen[0].host, "2001:db8:1::1");
    EXPECT_EQ(chosen[1].host, "2001:db9::1");
}

TEST(ChooseOutbound, ANonStrictBookGroupsIPv4ByEndpoint) {
    // A one-host test network: every node is on 127.0.0.1 and still gets its peers.
    std::set<std::string> taken;
    const auto chosen =
        choose_outbound({{"127.0.0.1", 1000}, {"127.0.0.1", 1001}, {"127.0.0.1", 1000}}, taken, 8, false);
    EXPECT_EQ(chosen.size(), 2u);
}

TEST(ChooseOutbound, StopsAtTheFreeSlots) {
    std::set<std::string> taken;
    EXPECT_EQ(choose_outbound({{"1.1.1.1", 1}, {"2.2.2.2", 1}, {"3.3.3.3", 1}}, taken, 2, true).size(), 2u);
    EXPECT_TRUE(choose_outbound({{"4.4.4.4", 1}}, taken, 0, true).empty());
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
            const auto group = outbound_group({endpoint->host, endpoint->port}, true);
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
