#include "connmgr/book_source.hpp"

#include "connmgr/conn_manager.hpp"

#include <gtest/gtest.h>

#include <set>

namespace peerlink::connmgr {
namespace {

using namespace std::chrono_literals;

const base::TimePoint t0 = base::TimePoint{} + std::chrono::hours(100);

std::string id_hex(int n) {
    std::string s = std::to_string(n);
    return std::string(40 - s.size(), '0') + s;
}

struct Fixture {
    base::Random random{42};
    addrbook::AddrBook book{addrbook::Options{.strict = false}, addrbook::SipKey{1, 2}};
    std::size_t outbound = 0;
    BookAddressSource source{book, random, [this] { return outbound; }};
    const AddressSource::Usable all = [](const peer::PeerAddress&) { return true; };

    peer::PeerAddress add(int n, std::string ip) {
        const addrbook::NetAddress a{.id = id_hex(n), .ip = std::move(ip), .port = 26656};
        EXPECT_TRUE(book.add_address(a, "seed", t0)) << a.to_string();
        return *BookAddressSource::from_book(a);
    }
};

TEST(BookAddressSource, RecordsAttemptsAndSuccessesInTheBook) {
    Fixture f;
    const auto a = f.add(1, "8.8.1.1");
    auto picked = f.source.pick_addresses(1, t0, f.all);
    ASSERT_EQ(picked.size(), 1u);
    EXPECT_EQ(picked[0], a);
    f.source.on_dial_started(a, t0);
    EXPECT_EQ(f.book.find(BookAddressSource::to_book(a))->attempts, 1u);
    f.source.on_connected(a, t0 + 1s);
    EXPECT_TRUE(f.book.find(BookAddressSource::to_book(a))->in_old);
}

TEST(BookAddressSource, SpreadsOutboundPeersOverNetgroups) {
    // Given an outbound peer in 8.8/16 and candidates in 8.8/16 and 9.9/16
    Fixture f;
    const auto connected = f.add(1, "8.8.1.1");
    f.source.on_connected(connected, t0);
    for (int i = 2; i < 6; ++i)
        f.add(i, "8.8.2." + std::to_string(i));
    const auto other_group = f.add(9, "9.9.1.1");
    const auto not_connected = [&](const peer::PeerAddress& a) { return a != connected; };
    // When one address is wanted, it comes from the group not yet used
    for (int round = 0; round < 20; ++round) {
        auto picked = f.source.pick_addresses(1, t0, not_connected);
        ASSERT_EQ(picked.size(), 1u);
        EXPECT_EQ(picked[0], other_group);
    }
}

TEST(BookAddressSource, FallsBackToOneGroupWhenThereIsNoOther) {
    // A local testnet: everyone is on 127.0.0.1
    Fixture f;
    std::set<std::string> all;
    for (int i = 1; i <= 4; ++i)
        all.insert(f.add(i, "127.0.0.1").to_string());
    f.source.on_connected(*peer::PeerAddress::parse(*all.begin()), t0);
    auto picked = f.source.pick_addresses(3, t0, f.all);
    EXPECT_EQ(picked.size(), 3u);
}

TEST(BookAddressSource, BacksOffAfterAFailedDialAndMarksBadAfterSixteen) {
    Fixture f;
    const auto a = f.add(1, "8.8.1.1");
    f.source.on_dial_started(a, t0);
    f.source.on_dial_failed(a, t0);
    // 2^1 s + up to 3 s of jitter: not before 2 s, certainly after 5 s
    EXPECT_TRUE(f.source.pick_addresses(1, t0 + 1900ms, f.all).empty());
    EXPECT_EQ(f.source.pick_addresses(1, t0 + 5100ms, f.all).size(), 1u);
    base::TimePoint now = t0;
    for (int i = 1; i < 16; ++i) {
        now += std::chrono::hours(24);
        f.source.on_dial_failed(a, now);
    }
    EXPECT_FALSE(f.book.find(BookAddressSource::to_book(a)).has_value());
    EXPECT_TRUE(f.book.is_banned(a.id.to_hex(), now));
}

TEST(BookAddressSource, SkipsAddressesWithoutAnIdOrThatTheManagerRefuses) {
    Fixture f;
    ASSERT_TRUE(f.book.add_address({.id = "", .ip = "8.8.1.1", .port = 26656}, "seed", t0));
    const auto a = f.add(1, "9.9.1.1");
    EXPECT_EQ(f.source.pick_addresses(2, t0, f.all), std::vector<peer::PeerAddress>{a});
    EXPECT_TRUE(f.source.pick_addresses(2, t0, [](const peer::PeerAddress&) { return false; }).empty());
}

}  // namespace
}  // namespace peerlink::connmgr

namespace peerlink::connmgr {
namespace {

TEST(BookAddressSource, PersistentPeersAreNeverMarkedBadByRedialFailures) {
    Fixture f;
    const auto persistent = f.add(1, "8.8.1.1");
    ConnManager cm(Options{}, f.source, f.random, *peer::NodeId::from_hex(id_hex(99)));
    cm.add_persistent(persistent);
    base::TimePoint now = t0;
    for (int i = 0; i < 20; ++i) {
        const auto plan = cm.poll(now);
        for (const auto& a : plan.dial_now)
            cm.on_dial_failed(a, now);
        now += std::chrono::hours(1);
    }
    EXPECT_FALSE(f.book.is_banned(persistent.id.to_hex(), now));
    EXPECT_TRUE(f.book.find(BookAddressSource::to_book(persistent)).has_value());
}

}  // namespace
}  // namespace peerlink::connmgr

namespace peerlink::connmgr {
namespace {

// The Bitcoin profile's settings: ID-less entries, IDs derived from the endpoint, strictly one
// outbound per group, dials in flight taking their group, no backoff and never marked bad.
peer::NodeId derived(const std::string& host, std::uint16_t port) {
    return *peer::NodeId::from_hex(id_hex(static_cast<int>(port)) + (host == "8.8.1.1" ? "01" : "02"));
}

struct IdLess {
    base::Random random{42};
    addrbook::AddrBook book{addrbook::Options{.strict = true}, addrbook::SipKey{1, 2}};
    std::vector<peer::PeerAddress> in_flight;
    BookAddressSource source{book, random, [] { return std::size_t{0}; },
                             BookSourceOptions{.max_attempts = 0,
                                               .backoff = false,
                                               .derive_id = derived,
                                               .group_fallback = false,
                                               .dialing = [this] { return in_flight; }}};
    const AddressSource::Usable all = [](const peer::PeerAddress&) { return true; };

    peer::PeerAddress add(const std::string& ip, std::uint16_t port) {
        EXPECT_TRUE(book.add_address({.id = "", .ip = ip, .port = port}, "8.8.8.8", t0));
        return {derived(ip, port), ip, port};
    }
};

TEST(BookAddressSource, DerivedIdsServeBooksWithoutIds) {
    IdLess f;
    const auto a = f.add("8.8.1.1", 8333);
    EXPECT_EQ(f.source.pick_addresses(1, t0, f.all), std::vector{a});
    f.source.on_dial_started(a, t0);
    const addrbook::NetAddress entry{.id = "", .ip = "8.8.1.1", .port = 8333};
    EXPECT_EQ(f.book.find(entry)->attempts, 1u);
    f.source.on_connected(a, t0 + 1s);
    EXPECT_TRUE(f.book.find(entry)->in_old);
}

TEST(BookAddressSource, StrictGroupsNeverFallBackToASecondPeerInAGroup) {
    IdLess f;
    f.add("8.8.1.1", 8333);
    f.add("8.8.2.2", 8333);
    for (int round = 0; round < 10; ++round)
        EXPECT_EQ(f.source.pick_addresses(2, t0, f.all).size(), 1u);
}

TEST(BookAddressSource, DialsInFlightTakeTheirGroup) {
    IdLess f;
    const auto dialled = f.add("8.8.1.1", 8333);
    f.add("8.8.2.2", 8333);
    const auto other = f.add("9.9.1.1", 8333);
    f.in_flight = {dialled};
    for (int round = 0; round < 10; ++round)
        EXPECT_EQ(f.source.pick_addresses(3, t0, f.all), std::vector{other});
}

TEST(BookAddressSource, MaxAttemptsZeroNeverMarksBadAndNoBackoffRepicksAtOnce) {
    IdLess f;
    const auto a = f.add("8.8.1.1", 8333);
    base::TimePoint now = t0;
    for (int i = 0; i < 50; ++i) {
        f.source.on_dial_started(a, now);
        f.source.on_dial_failed(a, now);
        now += 1ms;
    }
    EXPECT_TRUE(f.book.find({.id = "", .ip = "8.8.1.1", .port = 8333}).has_value());
    EXPECT_FALSE(f.book.is_banned("8.8.1.1", now));
    EXPECT_EQ(f.source.pick_addresses(1, now, f.all), std::vector{a});
}

}  // namespace
}  // namespace peerlink::connmgr
