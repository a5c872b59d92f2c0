// Address relay rules for one peer: getaddr answered once and to inbound peers only, bounded
// replies, the 0.1/s token bucket with its getaddr grant, >1000 entries as misbehaviour, and our
// own address advertised after the handshake.
#include <gtest/gtest.h>

#include "profiles/bitcoin/address_relay.hpp"

namespace peerlink::bitcoin {
namespace {

using namespace std::chrono_literals;

addrbook::Options book_options() {
    addrbook::Options o;
    o.new_bucket_count = 1024;
    o.old_bucket_count = 256;
    o.bucket_size = 64;
    o.selection_min = 0;
    o.selection_max = 1000;
    return o;
}

addrbook::SipKey key() {
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return addrbook::SipKey::from_bytes(bytes);
}

/// Public IPv4 addresses, consecutive ones in different /16 groups (20.x .. 99.x).
TimedNetAddr routable(std::size_t i, std::uint32_t time) {
    const auto a = static_cast<std::uint8_t>(20 + i % 80);
    const auto b = static_cast<std::uint8_t>((i / 80) % 256);
    const auto c = static_cast<std::uint8_t>((i / 20480) % 256);
    return TimedNetAddr{time, NetAddr{k_node_network, ipv4_mapped(a, b, c, 1), 8333}};
}

Addr many(std::size_t n, std::uint32_t time, std::size_t offset = 0) {
    Addr addr;
    for (std::size_t i = 0; i < n; ++i)
        addr.entries.push_back(routable(offset + i, time));
    return addr;
}

class BitcoinAddrRelay : public ::testing::Test {
protected:
    base::TimePoint t0 = base::TimePoint{} + 1000h;
    std::int64_t unix_now = 1'700'000'000;
    addrbook::AddrBook book{book_options(), key()};
    base::Random random{42};
};

TEST_F(BitcoinAddrRelay, GetAddrAnsweredOnceAndOnlyToInbound) {
    for (std::size_t i = 0; i < 50; ++i) {
        const auto address = *to_book(routable(i, 0).addr);
        ASSERT_TRUE(book.add_address(address, address.ip, t0));
    }
    AddrRelay inbound({}, Direction::inbound, "9.9.9.9", t0);
    auto first = inbound.on_message(GetAddr{}, t0, unix_now, book, random);
    ASSERT_EQ(first.replies.size(), 1u);
    const auto& reply = std::get<Addr>(first.replies[0]);
    EXPECT_FALSE(reply.entries.empty());
    EXPECT_LE(reply.entries.size(), 50u);
    EXPECT_TRUE(inbound.answered_getaddr());
    EXPECT_TRUE(inbound.on_message(GetAddr{}, t0 + 1s, unix_now, book, random).replies.empty());

    AddrRelay outbound({}, Direction::outbound, "9.9.9.8", t0);
    const auto none = outbound.on_message(GetAddr{}, t0, unix_now, book, random);
    EXPECT_TRUE(none.replies.empty());
    EXPECT_FALSE(none.misbehaviour);
}

TEST_F(BitcoinAddrRelay, GetAddrReplyIsA23PercentSelectionCappedAt1000) {
    std::size_t added = 0;
    for (std::size_t i = 0; i < 6000; ++i) {
        const auto address = *to_book(routable(i, 0).addr);
        added += book.add_address(address, address.ip, t0);
    }
    ASSERT_GT(added, 4400u);  // 1000 per message is then below 23%
    AddrRelay inbound({}, Direction::inbound, "9.9.9.9", t0);
    const auto out = inbound.on_message(GetAddr{}, t0, unix_now, book, random);
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_EQ(std::get<Addr>(out.replies[0]).entries.size(), 1000u);

    addrbook::AddrBook small(book_options(), key());
    for (std::size_t i = 0; i < 400; ++i) {
        const auto address = *to_book(routable(i, 0).addr);
        small.add_address(address, address.ip, t0);
    }
    AddrRelay other({}, Direction::inbound, "9.9.9.7", t0);
    const auto part = other.on_message(GetAddr{}, t0, unix_now, small, random);
    ASSERT_EQ(part.replies.size(), 1u);
    EXPECT_EQ(std::get<Addr>(part.replies[0]).entries.size(), small.size() * 23 / 100);
}

TEST_F(BitcoinAddrRelay, TokenBucketLimitsUnsolicitedAddresses) {
    AddrRelay peer({}, Direction::inbound, "9.9.9.9", t0);
    // One token to start with (Core's m_addr_token_bucket{1.0}).
    auto out = peer.on_message(many(1000, 0), t0, unix_now, book, random);
    EXPECT_FALSE(out.misbehaviour);
    EXPECT_EQ(peer.processed(), 1u);
    EXPECT_EQ(peer.rate_limited(), 999u);
    // 0.1 per second: 100 s later ten more.
    peer.on_message(many(50, 0, 2000), t0 + 100s, unix_now, book, random);
    EXPECT_EQ(peer.processed(), 11u);
    EXPECT_EQ(peer.rate_limited(), 999u + 40u);
    // The bucket holds at most 1000 tokens however long the peer was quiet.
    peer.on_message(Addr{}, t0 + 1000000s, unix_now, book, random);
    EXPECT_DOUBLE_EQ(peer.tokens(), 1000.0);
}

TEST_F(BitcoinAddrRelay, SendingGetAddrGrantsAThousandTokens) {
    AddrRelay peer({}, Direction::outbound, "9.9.9.9", t0);
    const auto sent = peer.on_handshake(std::nullopt, unix_now);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<GetAddr>(sent[0]));
    peer.on_message(many(1000, 0), t0, unix_now, book, random);
    EXPECT_EQ(peer.processed(), 1000u);
    EXPECT_EQ(peer.rate_limited(), 0u);
    EXPECT_GT(book.size(), 500u);  // one source: its 32 buckets see some collisions
    // The grant is spent: the next batch is limited again (one token left over).
    peer.on_message(many(10, 0, 5000), t0, unix_now, book, random);
    EXPECT_EQ(peer.processed(), 1001u);
    EXPECT_EQ(peer.rate_limited(), 9u);
}

TEST_F(BitcoinAddrRelay, MoreThanAThousandEntriesIsMisbehaviour) {
    AddrRelay peer({}, Direction::inbound, "9.9.9.9", t0);
    EXPECT_TRUE(peer.on_message(many(1001, 0), t0, unix_now, book, random).misbehaviour);
    AddrV2 v2;
    v2.entries.resize(1001, AddrV2Entry{0, 0, 1, base::Bytes{1, 2, 3, 4}, 8333});
    EXPECT_TRUE(peer.on_message(v2, t0, unix_now, book, random).misbehaviour);
    EXPECT_EQ(peer.processed(), 0u);
    EXPECT_EQ(book.size(), 0u);
    EXPECT_FALSE(peer.on_message(many(1000, 0), t0, unix_now, book, random).misbehaviour);
}

TEST_F(BitcoinAddrRelay, OwnAddressAdvertisedAfterHandshake) {
    const NetAddr own{k_node_network | k_node_witness, ipv4_mapped(127, 0, 0, 1), 18444};
    AddrRelay inbound({}, Direction::inbound, "9.9.9.9", t0);
    const auto sent = inbound.on_handshake(own, unix_now);
    ASSERT_EQ(sent.size(), 1u);  // no getaddr to an inbound peer
    const auto& addr = std::get<Addr>(sent[0]);
    ASSERT_EQ(addr.entries.size(), 1u);
    EXPECT_EQ(addr.entries[0].addr, own);
    EXPECT_EQ(addr.entries[0].time, static_cast<std::uint32_t>(unix_now));
    EXPECT_DOUBLE_EQ(inbound.tokens(), 1.0);

    AddrRelay outbound({}, Direction::outbound, "9.9.9.8", t0);
    const auto both = outbound.on_handshake(own, unix_now);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<Addr>(both[0]));
    EXPECT_TRUE(std::holds_alternative<GetAddr>(both[1]));
}

TEST_F(BitcoinAddrRelay, SmallFreshMessagesAreRelayedOthersAreNot) {
    AddrRelay peer({}, Direction::outbound, "9.9.9.9", t0);
    peer.on_handshake(std::nullopt, unix_now);
    const auto fresh =
        peer.on_message(many(3, static_cast<std::uint32_t>(unix_now)), t0, unix_now, book, random);
    EXPECT_EQ(fresh.relay.size(), 3u);
    const auto stale = peer.on_message(many(3, static_cast<std::uint32_t>(unix_now - 3600), 100), t0,
                                       unix_now, book, random);
    EXPECT_TRUE(stale.relay.empty());
    const auto big =
        peer.on_message(many(11, static_cast<std::uint32_t>(unix_now), 200), t0, unix_now, book, random);
    EXPECT_TRUE(big.relay.empty());
}

TEST(BitcoinAddrConversion, WireAndBookForms) {
    const NetAddr v4{1, ipv4_mapped(203, 0, 113, 5), 8333};
    const auto book = to_book(v4);
    ASSERT_TRUE(book);
    EXPECT_EQ(book->ip, "203.0.113.5");
    EXPECT_EQ(book->port, 8333);
    EXPECT_EQ(to_wire(*book, 1), v4);
    const auto from_v2 = to_book(AddrV2Entry{0, 0, 1, base::Bytes{203, 0, 113, 5}, 8333});
    ASSERT_TRUE(from_v2);
    EXPECT_EQ(*from_v2, *book);
    EXPECT_FALSE(to_book(AddrV2Entry{0, 0, 4, base::Bytes(32, 1), 8333}));  // Tor v3: not for the book
    EXPECT_FALSE(to_book(NetAddr{1, ipv4_mapped(1, 2, 3, 4), 0}));
}

}  // namespace
}  // namespace peerlink::bitcoin
