// The eclipse test of issue 4: a book of 20,000 honest addresses (2,000 netgroups, 1,000 proven)
// is flooded with 1,000,000 attacker addresses from 1 and from 32 source groups; the attacker's
// share of the new table and of 100,000 pick_address draws is printed and bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "addrbook/addr_book.hpp"

namespace peerlink::addrbook {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t k_honest_groups = 2'000;
constexpr std::uint32_t k_honest_per_group = 10;
constexpr std::uint32_t k_proven = 1'000;
constexpr std::uint32_t k_attackers = 1'000'000;
constexpr int k_draws = 100'000;
const base::TimePoint t0 = base::TimePoint{} + 1000h;

void set_id(NetAddress& a, char prefix, std::uint64_t n) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%c%039llx", prefix, static_cast<unsigned long long>(n));
    a.id.assign(buf, 40);
}

/// The honest /16s: 11.0 .. 20.199, all routable.
std::uint32_t honest_group(std::uint32_t g) {
    return ((11 + g / 200) << 24) | ((g % 200) << 16);
}

bool is_attacker(const NetAddress& a) {
    return !a.id.empty() && a.id[0] == 'f';
}

struct Figures {
    std::size_t honest_new = 0;
    std::size_t proven = 0;
    std::size_t attacker_new = 0;
    double new_share = 0;
    double draws_bias10 = 0;
    double draws_bias50 = 0;
    double seconds = 0;
};

Figures run(std::uint32_t attacker_source_groups, std::uint64_t seed) {
    const auto start = std::chrono::steady_clock::now();
    base::Random rng(seed);
    AddrBook book({}, SipKey{.k0 = rng.next_u64(), .k1 = rng.next_u64()});

    // Given: honest addresses, each told by an honest peer of another random group.
    NetAddress a;
    a.port = 26656;
    std::vector<NetAddress> honest;
    honest.reserve(k_honest_groups * k_honest_per_group);
    for (std::uint32_t g = 0; g < k_honest_groups; ++g) {
        for (std::uint32_t h = 0; h < k_honest_per_group; ++h) {
            set_id(a, '0', honest.size());
            a.ip =
                IpAddress::v4(honest_group(g) | static_cast<std::uint32_t>(rng.uniform(65536))).to_string();
            honest.push_back(a);
        }
    }
    // Shuffled so the proven ones come from all groups.
    for (std::size_t i = honest.size() - 1; i > 0; --i)
        std::swap(honest[i], honest[rng.uniform(i + 1)]);
    const auto honest_source = [&] {
        return IpAddress::v4(honest_group(static_cast<std::uint32_t>(rng.uniform(k_honest_groups))) |
                             static_cast<std::uint32_t>(rng.uniform(65536)))
            .to_string();
    };
    // The first ones learnt are connected to (proven) until 1,000 are in the old table; the
    // rest of the 20,000 are offered to the new table.
    for (const auto& addr : honest) {
        (void)book.add_address(addr, honest_source(), t0);
        if (book.old_count() < k_proven) book.mark_good(addr, t0 + 1min);
    }

    Figures f;
    f.honest_new = book.new_count();
    f.proven = book.old_count();

    // When: the attacker feeds 1,000,000 addresses from random routable IPv4 groups, an hour later.
    const base::TimePoint t1 = t0 + 1h;
    std::string source;
    for (std::uint32_t i = 0; i < k_attackers; ++i) {
        IpAddress ip;
        do {
            ip = IpAddress::v4(static_cast<std::uint32_t>(rng.next_u64()));
        } while (classify(ip) != Reach::routable);
        set_id(a, 'f', i);
        a.ip = ip.to_string();
        const auto group = static_cast<std::uint32_t>(rng.uniform(attacker_source_groups));
        source = IpAddress::v4((66u << 24) | ((66u + group) << 16) |
                               static_cast<std::uint32_t>(rng.uniform(65536)))
                     .to_string();
        // Nothing honest is terrible, so accepted attacker entries are never evicted later.
        f.attacker_new += book.add_address(a, source, t1);
    }

    // Then: measure the shares.
    EXPECT_EQ(book.old_count(), f.proven);  // the attacker never reaches the old table
    EXPECT_EQ(book.new_count(), f.honest_new + f.attacker_new);
    f.new_share = static_cast<double>(f.attacker_new) / static_cast<double>(book.new_count());
    const auto draw_share = [&](unsigned bias) {
        int hits = 0;
        for (int i = 0; i < k_draws; ++i)
            hits += is_attacker(*book.pick_address(bias, t1, rng));
        return hits / static_cast<double>(k_draws);
    };
    f.draws_bias10 = draw_share(10);
    f.draws_bias50 = draw_share(50);
    f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "[eclipse] attacker from %2u source group(s): honest new %zu, proven (old) %zu, attacker new %zu; "
        "attacker share of new table %.1f%%, of %d draws at new_bias 10: %.1f%%, at new_bias 50: %.1f%% "
        "(%.2f s)\n",
        attacker_source_groups, f.honest_new, f.proven, f.attacker_new, 100 * f.new_share, k_draws,
        100 * f.draws_bias10, 100 * f.draws_bias50, f.seconds);
    std::fflush(stdout);
    return f;
}

TEST(Eclipse, OneSourceGroupGetsAtMostATenthOfTheBook) {
    const Figures f = run(1, 0xec11);
    EXPECT_EQ(f.proven, k_proven);
    EXPECT_LE(f.new_share, 0.10);
    EXPECT_LE(f.draws_bias10, 0.10);
    EXPECT_LE(f.draws_bias50, 0.10);
}

TEST(Eclipse, ThirtyTwoSourceGroupsStayUnderTheBounds) {
    const Figures f = run(32, 0xec32);
    EXPECT_EQ(f.proven, k_proven);
    EXPECT_LE(f.new_share, 0.35);
    EXPECT_LE(f.draws_bias10, 0.10);
    EXPECT_LE(f.draws_bias50, 0.20);
}

}  // namespace
}  // namespace peerlink::addrbook
