#include "addrbook/addr_book.hpp"

#include <gtest/gtest.h>

#include <set>

namespace peerlink::addrbook {
namespace {

using namespace std::chrono_literals;

const base::TimePoint t0 = base::TimePoint{} + 1000h;
const SipKey k_key{.k0 = 0x0123456789abcdefULL, .k1 = 0xfedcba9876543210ULL};

std::string hex_id(std::uint64_t n) {
    char buf[41];
    std::snprintf(buf, sizeof buf, "%040llx", static_cast<unsigned long long>(n));
    return buf;
}

NetAddress v4(std::uint32_t ip, std::uint16_t port = 26656, std::string id = {}) {
    return NetAddress{.id = std::move(id), .ip = IpAddress::v4(ip).to_string(), .port = port};
}

/// A routable IPv4 address in group a.b (a in 11..99 avoids every special range).
NetAddress routable(std::uint32_t a, std::uint32_t b, std::uint32_t host, std::string id = {}) {
    return v4((a << 24) | (b << 16) | (host & 0xffff), 26656, std::move(id));
}

Options relaxed() {
    Options o;
    o.strict = false;
    return o;
}

Options tiny() {
    Options o;
    o.new_bucket_count = 1;
    o.old_bucket_count = 1;
    o.bucket_size = 1;
    return o;
}

TEST(AddrBook, AddsARoutableAddressToTheNewTable) {
    AddrBook book({}, k_key);
    const NetAddress a{.id = hex_id(1), .ip = "1.2.3.4", .port = 26656};
    EXPECT_TRUE(book.add_address(a, "5.6.7.8", t0));
    EXPECT_EQ(book.size(), 1u);
    EXPECT_EQ(book.new_count(), 1u);
    EXPECT_EQ(book.old_count(), 0u);
    auto info = book.find(a);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->source, "5.6.7.8");
    EXPECT_FALSE(info->in_old);
    EXPECT_EQ(info->added, t0);
    EXPECT_FALSE(info->last_attempt.has_value());
    EXPECT_EQ(book.try_add_address(a, "9.9.9.9", t0), Errc::already_known);
}

TEST(AddrBook, CanonicalisesIdsAndIps) {
    AddrBook book({}, k_key);
    const NetAddress upper{.id = "AB" + hex_id(7).substr(2), .ip = "::ffff:1.2.3.4", .port = 1};
    ASSERT_TRUE(book.add_address(upper, "seed", t0));
    const NetAddress lower{.id = "ab" + hex_id(7).substr(2), .ip = "1.2.3.4", .port = 1};
    ASSERT_TRUE(book.find(lower).has_value());
    EXPECT_EQ(book.find(upper)->address, lower);
    EXPECT_EQ(lower.to_string(), lower.id + "@1.2.3.4:1");
    EXPECT_EQ((NetAddress{.id = "", .ip = "2a00::1", .port = 5}).to_string(), "[2a00::1]:5");
}

TEST(AddrBook, RejectsMalformedAddresses) {
    AddrBook book({}, k_key);
    EXPECT_EQ(book.try_add_address({.id = "", .ip = "1.2.3.4", .port = 0}, "seed", t0), Errc::bad_address);
    EXPECT_EQ(book.try_add_address({.id = "xyz0", .ip = "1.2.3.4", .port = 1}, "seed", t0),
              Errc::bad_address);
    EXPECT_EQ(book.try_add_address({.id = "abc", .ip = "1.2.3.4", .port = 1}, "seed", t0), Errc::bad_address);
    EXPECT_EQ(book.try_add_address({.id = "", .ip = "node.example", .port = 1}, "seed", t0),
              Errc::bad_address);
    EXPECT_EQ(book.size(), 0u);
}

TEST(AddrBook, StrictModeAdmitsOnlyRoutableAddresses) {
    AddrBook strict({}, k_key);
    for (const char* ip : {"127.0.0.1", "10.0.0.1", "192.168.1.1", "fe80::1", "::1"})
        EXPECT_EQ(strict.try_add_address({.id = "", .ip = ip, .port = 1}, "seed", t0), Errc::unroutable)
            << ip;
    EXPECT_TRUE(strict.add_address({.id = "", .ip = "8.8.8.8", .port = 1}, "seed", t0));
}

TEST(AddrBook, RelaxedModeAdmitsLocalAndPrivateButNeverUnroutable) {
    AddrBook book(relaxed(), k_key);
    for (const char* ip : {"127.0.0.1", "10.0.0.1", "192.168.1.1", "fe80::1", "::1"})
        EXPECT_TRUE(book.add_address({.id = "", .ip = ip, .port = 1}, "config", t0)) << ip;
    for (const char* ip : {"0.0.0.0", "224.0.0.1", "255.255.255.255", "::"})
        EXPECT_EQ(book.try_add_address({.id = "", .ip = ip, .port = 1}, "config", t0), Errc::unroutable)
            << ip;
}

TEST(AddrBook, RelaxedModeSpreadsOneHostsNodesOverBuckets) {
    // Given a one-host testnet: 200 nodes on 127.0.0.1, told by one peer on the same host
    AddrBook relaxed_book(relaxed(), k_key);
    std::size_t added = 0;
    for (std::uint16_t n = 0; n < 200; ++n)
        added += relaxed_book.add_address(
            {.id = hex_id(n + 1), .ip = "127.0.0.1", .port = static_cast<std::uint16_t>(26000 + n)},
            "127.0.0.1", t0);
    // then (each ip:port its own placement group) nearly all fit, where one group would cram them
    // into one 64-slot bucket
    EXPECT_GE(added, 190u);
    // while strict placement of one routable /16 from one source stays within one bucket
    AddrBook strict_book({}, k_key);
    std::size_t strict_added = 0;
    for (std::uint16_t n = 0; n < 200; ++n)
        strict_added += strict_book.add_address(routable(20, 30, n, hex_id(n + 1)), "40.50.60.70", t0);
    EXPECT_LE(strict_added, 64u);
}

TEST(AddrBook, OwnAddressesAreNeverStoredOrHandedOut) {
    AddrBook book(relaxed(), k_key);
    const NetAddress self{.id = hex_id(42), .ip = "127.0.0.1", .port = 26656};
    const NetAddress other{.id = hex_id(43), .ip = "127.0.0.1", .port = 26657};
    ASSERT_TRUE(book.add_address(self, "seed", t0));
    ASSERT_TRUE(book.add_address(other, "seed", t0));
    book.add_our_address(self);
    EXPECT_FALSE(book.find(self).has_value());
    EXPECT_EQ(book.size(), 1u);
    EXPECT_EQ(book.try_add_address(self, "seed", t0), Errc::own_address);
    // Our endpoint under someone else's ID, and our ID at another endpoint, are ours too.
    EXPECT_EQ(book.try_add_address({.id = hex_id(99), .ip = "127.0.0.1", .port = 26656}, "x", t0),
              Errc::own_address);
    EXPECT_EQ(book.try_add_address({.id = hex_id(42), .ip = "127.0.0.2", .port = 9}, "x", t0),
              Errc::own_address);
    base::Random rng(1);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(book.pick_address(50, t0, rng), other);
    for (const auto& a : book.get_selection(rng))
        EXPECT_FALSE(book.is_our_address(a));
}

TEST(AddrBook, PrivateIdsAreDialledButNeverGossiped) {
    AddrBook book({}, k_key);
    const std::string hidden = hex_id(7);
    for (std::uint32_t i = 0; i < 20; ++i)
        ASSERT_TRUE(book.add_address(routable(20 + i, 1, 1, hex_id(i)), "seed", t0));
    book.add_private_id(hidden);
    base::Random rng(3);
    for (int round = 0; round < 200; ++round) {
        const auto selection = book.get_selection(rng);
        EXPECT_EQ(selection.size(), 19u);
        for (const auto& a : selection)
            EXPECT_NE(a.id, hidden);
    }
    bool picked = false;
    for (int i = 0; i < 2000 && !picked; ++i)
        picked = book.pick_address(100, t0, rng)->id == hidden;
    EXPECT_TRUE(picked);
}

TEST(AddrBook, NewBiasFollowsCometBft) {
    EXPECT_EQ(AddrBook::new_bias_for(0), 10u);
    EXPECT_EQ(AddrBook::new_bias_for(3), 40u);
    EXPECT_EQ(AddrBook::new_bias_for(8), 90u);
    EXPECT_EQ(AddrBook::new_bias_for(50), 90u);
}

TEST(AddrBookPlacement, OneSourceGroupReachesAtMost32NewBuckets) {
    AddrBook book({}, k_key);
    std::set<std::uint32_t> buckets;
    for (std::uint32_t i = 0; i < 20'000; ++i) {
        const auto a = routable(11 + i % 80, i / 80 % 250, i, hex_id(i));
        // Sources vary inside one /16.
        const std::string source = "66.66." + std::to_string(i % 250) + "." + std::to_string(i % 200 + 1);
        if (book.add_address(a, source, t0)) buckets.insert(book.find(a)->bucket);
    }
    EXPECT_LE(buckets.size(), 32u);
    EXPECT_GE(buckets.size(), 20u);  // and it does spread over them
    EXPECT_LE(book.new_count(), 32u * 64u);
}

TEST(AddrBookPlacement, OneNetgroupReachesAtMost8OldBuckets) {
    AddrBook book({}, k_key);
    std::set<std::uint32_t> buckets;
    for (std::uint32_t i = 0; i < 2000; ++i) {
        const auto a = routable(77, 7, i, hex_id(i));
        ASSERT_TRUE(book.add_address(a, IpAddress::v4(0x0b000000u + (i << 16)).to_string(), t0) ||
                    book.find(a).has_value() || true);
        book.mark_good(a, t0);
        if (auto info = book.find(a); info && info->in_old) buckets.insert(info->bucket);
    }
    EXPECT_LE(buckets.size(), 8u);
    EXPECT_LE(book.old_count(), 8u * 64u);
}

TEST(AddrBookPlacement, IsDeterministicForAKeyAndDiffersAcrossKeys) {
    AddrBook a({}, k_key);
    AddrBook b({}, k_key);
    AddrBook c({}, SipKey{.k0 = 1, .k1 = 2});
    int differing = 0;
    for (std::uint32_t i = 0; i < 200; ++i) {
        const auto addr = routable(30 + i % 50, i, 1, hex_id(i));
        const std::string source = "4." + std::to_string(i) + ".4.4";
        // Same key, same verdict (a slot collision is rare but possible).
        const bool added = a.add_address(addr, source, t0);
        ASSERT_EQ(b.add_address(addr, source, t0), added);
        if (!c.add_address(addr, source, t0) || !added) continue;
        EXPECT_EQ(a.find(addr)->bucket, b.find(addr)->bucket);
        differing += a.find(addr)->bucket != c.find(addr)->bucket;
    }
    EXPECT_GT(differing, 150);  // of about 198 added in both
}

TEST(AddrBookPlacement, ANewcomerDoesNotEvictAnEntryInItsSlot) {
    AddrBook book(tiny(), k_key);
    const auto first = routable(20, 1, 1);
    const auto second = routable(30, 1, 1);
    ASSERT_TRUE(book.add_address(first, "seed", t0));
    EXPECT_EQ(book.try_add_address(second, "seed", t0), Errc::bucket_full);
    EXPECT_TRUE(book.find(first).has_value());
}

TEST(AddrBookPlacement, ANewcomerEvictsATerribleEntry) {
    AddrBook book(tiny(), k_key);
    const auto failing = routable(20, 1, 1);
    const auto second = routable(30, 1, 1);
    ASSERT_TRUE(book.add_address(failing, "seed", t0));
    for (int i = 0; i < 3; ++i)
        book.mark_attempt(failing, t0 + 1min * i);
    // Right after a try nothing is terrible; a few minutes later three failures are.
    EXPECT_EQ(book.try_add_address(second, "seed", t0 + 2min + 30s), Errc::bucket_full);
    EXPECT_TRUE(book.add_address(second, "seed", t0 + 10min));
    EXPECT_FALSE(book.find(failing).has_value());
    // An entry never reached and known for over 30 days is terrible too.
    const auto third = routable(40, 1, 1);
    EXPECT_TRUE(book.add_address(third, "seed", t0 + 10min + 24h * 31));
}

TEST(AddrBook, MarkAttemptAndMarkGoodTrackHistory) {
    AddrBook book({}, k_key);
    const auto a = routable(20, 1, 1, hex_id(1));
    ASSERT_TRUE(book.add_address(a, "seed", t0));
    EXPECT_TRUE(book.mark_attempt(a, t0 + 1s));
    EXPECT_TRUE(book.mark_attempt(a, t0 + 2s));
    EXPECT_EQ(book.find(a)->attempts, 2u);
    EXPECT_EQ(book.find(a)->last_attempt, t0 + 2s);
    EXPECT_TRUE(book.mark_good(a, t0 + 3s));
    const auto info = book.find(a);
    EXPECT_TRUE(info->in_old);
    EXPECT_EQ(info->attempts, 0u);
    EXPECT_EQ(info->last_success, t0 + 3s);
    EXPECT_EQ(book.old_count(), 1u);
    EXPECT_EQ(book.new_count(), 0u);
    EXPECT_FALSE(book.mark_good(routable(21, 1, 1), t0));
    EXPECT_FALSE(book.mark_attempt(routable(21, 1, 1), t0));
}

TEST(AddrBook, TestBeforeEvictKeepsARecentlyProvenOldEntry) {
    AddrBook book(tiny(), k_key);
    const auto a = routable(20, 1, 1);
    const auto b = routable(30, 1, 1);
    ASSERT_TRUE(book.add_address(a, "seed", t0));
    ASSERT_TRUE(book.mark_good(a, t0));
    ASSERT_TRUE(book.add_address(b, "seed", t0));
    // a was proven an hour ago: b stays in the new table, though marked good.
    ASSERT_TRUE(book.mark_good(b, t0 + 1h));
    EXPECT_TRUE(book.find(a)->in_old);
    EXPECT_FALSE(book.find(b)->in_old);
    EXPECT_EQ(book.find(b)->last_success, t0 + 1h);
    // Five hours on, a has not been confirmed: b takes the slot and a steps back to new, not lost.
    ASSERT_TRUE(book.mark_good(b, t0 + 5h));
    EXPECT_TRUE(book.find(b)->in_old);
    ASSERT_TRUE(book.find(a).has_value());
    EXPECT_FALSE(book.find(a)->in_old);
    EXPECT_EQ(book.size(), 2u);
}

TEST(AddrBookBans, MarkBadBansTheIdRemovesTheEntryAndExpires) {
    AddrBook book({}, k_key);
    const auto a = routable(20, 1, 1, hex_id(5));
    ASSERT_TRUE(book.add_address(a, "seed", t0));
    book.mark_bad(a, t0);
    EXPECT_FALSE(book.find(a).has_value());
    EXPECT_TRUE(book.is_banned(hex_id(5), t0 + 23h));
    EXPECT_FALSE(book.is_banned(a.ip, t0));  // an ID'd address bans the ID, not a shared IP
    EXPECT_EQ(book.try_add_address(a, "seed", t0 + 1h), Errc::banned);
    EXPECT_FALSE(book.is_banned(hex_id(5), t0 + 24h));
    EXPECT_TRUE(book.add_address(a, "seed", t0 + 24h));
}

TEST(AddrBookBans, WithoutAnIdTheIpIsBannedWithAllItsPorts) {
    AddrBook book({}, k_key);
    const auto a = v4(0x14010101, 1000);
    const auto b = v4(0x14010101, 2000);
    ASSERT_TRUE(book.add_address(a, "seed", t0));
    ASSERT_TRUE(book.add_address(b, "seed", t0));
    book.mark_bad(a, t0, 1h);
    EXPECT_EQ(book.size(), 0u);
    EXPECT_TRUE(book.is_banned("20.1.1.1", t0));
    EXPECT_TRUE(book.is_banned("::ffff:20.1.1.1", t0));
    EXPECT_EQ(book.try_add_address(v4(0x14010101, 3000), "seed", t0), Errc::banned);
    EXPECT_TRUE(book.unban("20.1.1.1"));
    EXPECT_FALSE(book.is_banned("20.1.1.1", t0));
    EXPECT_TRUE(book.add_address(a, "seed", t0));
}

TEST(AddrBookBans, TheBanListIsBoundedAndDropsTheEarliestExpiryFirst) {
    Options o;
    o.max_bans = 3;
    AddrBook book(o, k_key);
    book.ban(hex_id(1), t0, 10h);
    book.ban(hex_id(2), t0, 1h);
    book.ban(hex_id(3), t0, 5h);
    book.ban(hex_id(4), t0, 7h);
    EXPECT_EQ(book.ban_count(), 3u);
    EXPECT_FALSE(book.is_banned(hex_id(2), t0));
    EXPECT_TRUE(book.is_banned(hex_id(1), t0));
    EXPECT_TRUE(book.is_banned(hex_id(4), t0));
    // Expired bans make room before anything live is dropped.
    book.ban(hex_id(5), t0 + 6h, 1h);
    EXPECT_TRUE(book.is_banned(hex_id(4), t0 + 6h));
    EXPECT_TRUE(book.is_banned(hex_id(5), t0 + 6h));
    EXPECT_EQ(book.ban_count(), 3u);
}

TEST(AddrBookPick, EmptyBookPicksNothing) {
    AddrBook book({}, k_key);
    base::Random rng(1);
    EXPECT_FALSE(book.pick_address(50, t0, rng).has_value());
}

TEST(AddrBookPick, BiasChoosesBetweenTheTables) {
    AddrBook book({}, k_key);
    for (std::uint32_t i = 0; i < 100; ++i)
        (void)book.add_address(routable(20 + i % 50, i, 1, hex_id(i)), "3." + std::to_string(i) + ".0.1", t0);
    for (std::uint32_t i = 0; i < 50; ++i)
        book.mark_good(routable(20 + i % 50, i, 1, hex_id(i)), t0 - 48h);
    ASSERT_GT(book.old_count(), 40u);
    base::Random rng(9);
    const auto share_new = [&](unsigned bias) {
        int fresh = 0;
        for (int i = 0; i < 10'000; ++i)
            fresh += !book.find(*book.pick_address(bias, t0, rng))->in_old;
        return fresh / 10'000.0;
    };
    EXPECT_EQ(share_new(0), 0.0);
    EXPECT_EQ(share_new(100), 1.0);
    EXPECT_NEAR(share_new(30), 0.30, 0.03);
}

TEST(AddrBookPick, AOneTableBookIsPickedWhateverTheBias) {
    AddrBook book({}, k_key);
    ASSERT_TRUE(book.add_address(routable(20, 1, 1), "seed", t0));
    base::Random rng(2);
    EXPECT_TRUE(book.pick_address(0, t0, rng).has_value());
}

TEST(AddrBookPick, FavoursEntriesNotTriedRecently) {
    AddrBook book({}, k_key);
    const auto tried = routable(20, 1, 1);
    const auto untried = routable(30, 1, 1);
    ASSERT_TRUE(book.add_address(tried, "seed", t0));
    ASSERT_TRUE(book.add_address(untried, "seed", t0));
    for (int i = 0; i < 4; ++i)
        book.mark_attempt(tried, t0);
    base::Random rng(4);
    int picked_tried = 0;
    for (int i = 0; i < 10'000; ++i)
        picked_tried += *book.pick_address(100, t0 + 1min, rng) == tried;
    EXPECT_LT(picked_tried, 500);
    EXPECT_GT(picked_tried, 0);
}

TEST(AddrBookSelection, FollowsCometBftSizing) {
    base::Random rng(5);
    for (const auto& [count, expected] : std::vector<std::pair<std::uint32_t, std::size_t>>{
             {0, 0}, {10, 10}, {100, 32}, {200, 46}, {1000, 230}, {5000, 250}}) {
        AddrBook book({}, k_key);
        std::uint32_t i = 0;
        while (book.size() < count) {
            (void)book.add_address(routable(11 + i % 80, i / 80 % 250, i, hex_id(i)),
                                   "1." + std::to_string(i % 200) + ".1.1", t0);
            ++i;
        }
        const auto selection = book.get_selection(rng);
        EXPECT_EQ(selection.size(), expected) << count;
        std::set<std::string> unique;
        for (const auto& a : selection) {
            unique.insert(a.id);
            EXPECT_TRUE(book.find(a).has_value());
        }
        EXPECT_EQ(unique.size(), selection.size());
    }
}

}  // namespace
}  // namespace peerlink::addrbook
