// PexCore's rules with exact virtual times: who is asked, who is answered, who is banned.
#include <gtest/gtest.h>

#include <string>

#include "discovery/pex_core.hpp"

namespace peerlink::discovery {
namespace {

using namespace std::chrono_literals;
using addrbook::NetAddress;

const base::TimePoint t0 = base::TimePoint{} + 1000h;
const addrbook::SipKey k_key{.k0 = 0x0123456789abcdefULL, .k1 = 0xfedcba9876543210ULL};

/// A 20-byte CometBFT node ID whose last two bytes are `n`.
peer::NodeId node(std::uint16_t n) {
    base::Bytes bytes(20, 0xab);
    bytes[18] = static_cast<std::uint8_t>(n >> 8);
    bytes[19] = static_cast<std::uint8_t>(n & 0xff);
    return *peer::NodeId::from_bytes(bytes);
}

/// Node `n` listening on 23.<n % 256>.<n / 256>.1:26656 (routable, one /16 per n below 256).
NetAddress addr(std::uint16_t n) {
    return NetAddress{.id = node(n).to_hex(),
                      .ip = "23." + std::to_string(n % 256) + "." + std::to_string(n / 256) + ".1",
                      .port = 26656};
}

base::Bytes request_bytes() {
    return encode(PexMessage{.kind = PexMessage::Kind::request, .addrs = {}});
}

base::Bytes addrs_bytes(std::vector<NetAddress> addrs) {
    return encode(PexMessage{.kind = PexMessage::Kind::addrs, .addrs = std::move(addrs)});
}

PexOptions seed_options() {
    return PexOptions{.min_request_interval = 10s, .seed_mode = true, .ban_duration = 24h};
}

class PexCoreTest : public testing::Test {
protected:
    addrbook::AddrBook book{addrbook::Options{}, k_key};
    base::Random random{42};
    PexCore core{PexOptions{}, book, random};

    /// Brings node `n` up as an outbound peer (the core asks it for addresses).
    void outbound_up(std::uint16_t n, base::TimePoint now = t0) {
        auto actions = core.on_peer_up(node(n), addr(n), true, now);
        ASSERT_EQ(actions.size(), 1u);
    }
    void inbound_up(std::uint16_t n, base::TimePoint now = t0) {
        EXPECT_TRUE(core.on_peer_up(node(n), addr(n), false, now).empty());
    }
    std::vector<PexAction> receive(std::uint16_t n, const base::Bytes& message, base::TimePoint now) {
        return core.on_message(node(n), addr(n), message, now);
    }
    /// The actions are exactly one send of a PEX address list to `n`; returns the list.
    static std::vector<NetAddress> sent_addrs(const std::vector<PexAction>& actions, std::uint16_t n) {
        EXPECT_EQ(actions.size(), 1u);
        if (actions.empty()) return {};
        EXPECT_EQ(actions[0].kind, PexAction::Kind::send);
        EXPECT_EQ(actions[0].peer, node(n));
        auto decoded = decode_pex(actions[0].message);
        EXPECT_TRUE(decoded.ok());
        if (!decoded) return {};
        EXPECT_EQ(decoded->kind, PexMessage::Kind::addrs);
        return decoded->addrs;
    }
    void expect_banned(const std::vector<PexAction>& actions, std::uint16_t n, PexErrc reason,
                       base::TimePoint now) {
        ASSERT_EQ(actions.size(), 1u);
        EXPECT_EQ(actions[0].kind, PexAction::Kind::disconnect_and_ban);
        EXPECT_EQ(actions[0].peer, node(n));
        EXPECT_EQ(actions[0].reason, make_error_code(reason));
        EXPECT_TRUE(actions[0].message.empty());
        EXPECT_TRUE(book.is_banned(node(n).to_hex(), now));
        // Banned for ban_duration (24 h), not forever.
        EXPECT_FALSE(book.is_banned(node(n).to_hex(), now + 24h + 1s));
    }
};

// ---- on_peer_up ---------------------------------------------------------------------------------

TEST_F(PexCoreTest, OutboundPeerIsAskedWhenTheBookNeedsAddresses) {
    ASSERT_TRUE(book.needs_more_addresses());
    auto actions = core.on_peer_up(node(1), addr(1), true, t0);
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].kind, PexAction::Kind::send);
    EXPECT_EQ(actions[0].peer, node(1));
    EXPECT_EQ(actions[0].message, (base::Bytes{0x0a, 0x00}));
    EXPECT_TRUE(core.requested(node(1)));
    // Outbound peers are in the book already; PEX does not add them.
    EXPECT_FALSE(book.find(addr(1)).has_value());
}

TEST_F(PexCoreTest, OutboundPeerIsNotAskedWhenTheBookHasEnough) {
    addrbook::Options options;
    options.need_address_threshold = 0;
    addrbook::AddrBook full(options, k_key);
    PexCore quiet(PexOptions{}, full, random);
    EXPECT_TRUE(quiet.on_peer_up(node(1), addr(1), true, t0).empty());
    EXPECT_FALSE(quiet.requested(node(1)));
}

TEST_F(PexCoreTest, InboundPeerIsAddedWithItselfAsSourceAndNotAsked) {
    inbound_up(1);
    EXPECT_FALSE(core.requested(node(1)));
    auto info = book.find(addr(1));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->source, addr(1).ip);
}

// ---- requests -----------------------------------------------------------------------------------

TEST_F(PexCoreTest, ThirdRequestFourSecondsAfterTheSecondIsTooSoon) {
    inbound_up(1);
    sent_addrs(receive(1, request_bytes(), t0), 1);       // t = 0: free pass
    sent_addrs(receive(1, request_bytes(), t0 + 1s), 1);  // t = 1 s: starts the clock
    auto actions = receive(1, request_bytes(), t0 + 5s);  // t = 5 s: 4 s < 10 s
    expect_banned(actions, 1, PexErrc::request_too_soon, t0 + 5s);
    EXPECT_FALSE(book.find(addr(1)).has_value());  // mark_bad removed it from the book
}

TEST_F(PexCoreTest, RequestsTenSecondsApartAreAnswered) {
    inbound_up(1);
    for (auto t : {0s, 1s, 11s, 21s}) {
        auto actions = receive(1, request_bytes(), t0 + t);
        sent_addrs(actions, 1);
        EXPECT_FALSE(book.is_banned(node(1).to_hex(), t0 + t)) << "at t = " << t.count() << " s";
    }
}

TEST_F(PexCoreTest, RequestNineSecondsAfterTheLastAcceptedIsTooSoon) {
    inbound_up(1);
    for (auto t : {0s, 1s, 11s})
        sent_addrs(receive(1, request_bytes(), t0 + t), 1);
    expect_banned(receive(1, request_bytes(), t0 + 20s), 1, PexErrc::request_too_soon, t0 + 20s);
}

TEST_F(PexCoreTest, RequestIsAnsweredWithTheBooksAddresses) {
    for (std::uint16_t n = 10; n < 15; ++n)
        ASSERT_TRUE(book.add_address(addr(n), "seed", t0));
    inbound_up(1);
    auto got = sent_addrs(receive(1, request_bytes(), t0), 1);
    EXPECT_EQ(got.size(), 6u);  // five plus the inbound peer itself: below 32, all are sent
}

TEST_F(PexCoreTest, SelectionNeverContainsOurAddressesOrPrivateIds) {
    const NetAddress ours = addr(100);
    book.add_our_address(ours);
    book.add_private_id(addr(101).id);
    EXPECT_FALSE(book.add_address(ours, "seed", t0));
    ASSERT_TRUE(book.add_address(addr(101), "seed", t0));
    for (std::uint16_t n = 10; n < 20; ++n)
        ASSERT_TRUE(book.add_address(addr(n), "seed", t0));
    // An inbound peer claiming our address is not stored either.
    EXPECT_TRUE(core.on_peer_up(node(100), ours, false, t0).empty());
    inbound_up(1);

    auto got = sent_addrs(receive(1, request_bytes(), t0), 1);
    EXPECT_EQ(got.size(), 11u);  // 10..19 and the inbound peer 1
    for (const auto& a : got) {
        EXPECT_NE(a.id, ours.id);
        EXPECT_NE(a.ip, ours.ip);
        EXPECT_NE(a.id, addr(101).id);
    }
}

TEST_F(PexCoreTest, SelectionIsCappedAt250) {
    // 2,000 addresses in distinct /16s; 23% is 460, capped at 250.
    std::size_t added = 0;
    for (std::uint32_t i = 0; i < 2000; ++i) {
        const NetAddress a{.id = node(static_cast<std::uint16_t>(1000 + i)).to_hex(),
                           .ip = std::to_string(11 + i / 256) + "." + std::to_string(i % 256) + ".0.1",
                           .port = 26656};
        added += book.add_address(a, "seed", t0) ? 1 : 0;
    }
    ASSERT_GT(added, 1087u);  // 250 / 0.23
    inbound_up(1);
    EXPECT_EQ(sent_addrs(receive(1, request_bytes(), t0), 1).size(), k_max_addresses_per_message);
}

// ---- seed mode ----------------------------------------------------------------------------------

TEST_F(PexCoreTest, SeedAnswersAnInboundPeerOnceThenDisconnectsIt) {
    PexCore seed(seed_options(), book, random);
    ASSERT_TRUE(book.add_address(addr(10), "seed", t0));
    EXPECT_TRUE(seed.on_peer_up(node(1), addr(1), false, t0).empty());

    auto actions = seed.on_message(node(1), addr(1), request_bytes(), t0);
    ASSERT_EQ(actions.size(), 2u);
    EXPECT_EQ(actions[0].kind, PexAction::Kind::send);
    auto decoded = decode_pex(actions[0].message);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->kind, PexMessage::Kind::addrs);
    EXPECT_FALSE(decoded->addrs.empty());
    EXPECT_EQ(actions[1].kind, PexAction::Kind::disconnect_gracefully);
    EXPECT_EQ(actions[1].peer, node(1));

    // A request that races the disconnect is ignored, not punished.
    EXPECT_TRUE(seed.on_message(node(1), addr(1), request_bytes(), t0 + 1ms).empty());
    EXPECT_FALSE(book.is_banned(node(1).to_hex(), t0 + 1ms));
}

TEST_F(PexCoreTest, SeedAsksEveryOutboundPeerEvenWithAFullBook) {
    // Crawling is a seed's job: it asks the peers it dials whatever its book holds.
    addrbook::Options options;
    options.need_address_threshold = 0;
    addrbook::AddrBook full(options, k_key);
    PexCore seed(seed_options(), full, random);
    const auto actions = seed.on_peer_up(node(1), addr(1), true, t0);
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].kind, PexAction::Kind::send);
    EXPECT_TRUE(seed.requested(node(1)));
}

TEST_F(PexCoreTest, SeedTreatsOutboundPeersLikeAnyNode) {
    PexCore seed(seed_options(), book, random);
    ASSERT_EQ(seed.on_peer_up(node(1), addr(1), true, t0).size(), 1u);
    for (auto t : {0s, 1s}) {
        auto actions = seed.on_message(node(1), addr(1), request_bytes(), t0 + t);
        ASSERT_EQ(actions.size(), 1u);
        EXPECT_EQ(actions[0].kind, PexAction::Kind::send);
    }
    auto actions = seed.on_message(node(1), addr(1), request_bytes(), t0 + 5s);
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].kind, PexAction::Kind::disconnect_and_ban);
}

// ---- address lists ------------------------------------------------------------------------------

TEST_F(PexCoreTest, UnsolicitedAddressesGetTheSenderBanned) {
    inbound_up(1);
    auto actions = receive(1, addrs_bytes({addr(10)}), t0);
    expect_banned(actions, 1, PexErrc::unsolicited_addrs, t0);
    EXPECT_FALSE(book.find(addr(10)).has_value());
}

TEST_F(PexCoreTest, SolicitedAddressesAreAddedWithTheSenderAsSource) {
    outbound_up(1);
    ASSERT_TRUE(core.requested(node(1)));
    EXPECT_TRUE(receive(1, addrs_bytes({addr(10), addr(11), addr(12)}), t0 + 1s).empty());
    EXPECT_FALSE(core.requested(node(1)));
    for (std::uint16_t n = 10; n <= 12; ++n) {
        auto info = book.find(addr(n));
        ASSERT_TRUE(info.has_value()) << n;
        EXPECT_EQ(info->source, addr(1).ip);
        EXPECT_EQ(info->added, t0 + 1s);
    }
    // The answer used up the request: a second list is unsolicited.
    expect_banned(receive(1, addrs_bytes({addr(13)}), t0 + 2s), 1, PexErrc::unsolicited_addrs, t0 + 2s);
    EXPECT_FALSE(book.find(addr(13)).has_value());
}

TEST_F(PexCoreTest, AddressesTheBookRefusesAreSkipped) {
    outbound_up(1);
    const NetAddress bad_id{.id = "not-hex", .ip = "23.50.0.1", .port = 26656};
    const NetAddress local{.id = node(51).to_hex(), .ip = "127.0.0.1", .port = 26656};
    const NetAddress zero_port{.id = node(52).to_hex(), .ip = "23.52.0.1", .port = 0};
    EXPECT_TRUE(receive(1, addrs_bytes({bad_id, local, zero_port, addr(10)}), t0).empty());
    EXPECT_TRUE(book.find(addr(10)).has_value());
    EXPECT_FALSE(book.find(local).has_value());
    EXPECT_EQ(book.size(), 1u);
    EXPECT_FALSE(book.is_banned(node(1).to_hex(), t0));
}

TEST_F(PexCoreTest, AnAddressThatIsNotAnIpRefusesTheWholeList) {
    // As p2p.NetAddressesFromProto: one entry whose IP does not parse fails the message.
    outbound_up(1);
    const NetAddress name{.id = node(50).to_hex(), .ip = "example.com", .port = 26656};
    expect_banned(receive(1, addrs_bytes({addr(10), name}), t0), 1, PexErrc::malformed, t0);
    EXPECT_FALSE(book.find(addr(10)).has_value());
}

TEST_F(PexCoreTest, MoreThan250AddressesGetTheSenderBanned) {
    outbound_up(1);
    std::vector<NetAddress> many;
    for (std::uint16_t n = 0; n < k_max_addresses_per_message + 1; ++n)
        many.push_back(addr(static_cast<std::uint16_t>(1000 + n)));
    auto decoded = decode_pex(addrs_bytes(many));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->addrs.size(), 251u);
    expect_banned(receive(1, addrs_bytes(many), t0), 1, PexErrc::too_many_addresses, t0);
    EXPECT_EQ(book.size(), 0u);
}

TEST_F(PexCoreTest, Exactly250AddressesAreAccepted) {
    outbound_up(1);
    std::vector<NetAddress> many;
    for (std::uint16_t n = 0; n < k_max_addresses_per_message; ++n)
        many.push_back(addr(static_cast<std::uint16_t>(1000 + n)));
    EXPECT_TRUE(receive(1, addrs_bytes(many), t0).empty());
    EXPECT_GT(book.size(), 0u);
}

TEST_F(PexCoreTest, MalformedMessageGetsTheSenderBanned) {
    inbound_up(1);
    expect_banned(receive(1, base::Bytes{0x0a}, t0), 1, PexErrc::malformed, t0);
    inbound_up(2);
    expect_banned(receive(2, base::Bytes{}, t0), 2, PexErrc::malformed, t0);
}

// ---- request_addresses and peer state -----------------------------------------------------------

TEST_F(PexCoreTest, RequestAddressesSendsOnceUntilAnswered) {
    inbound_up(1);
    auto first = core.request_addresses(node(1));
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].message, request_bytes());
    EXPECT_TRUE(core.request_addresses(node(1)).empty());  // already requested
    EXPECT_TRUE(receive(1, addrs_bytes({}), t0).empty());
    EXPECT_EQ(core.request_addresses(node(1)).size(), 1u);
}

TEST_F(PexCoreTest, PeerDownForgetsItsState) {
    outbound_up(1);
    core.on_peer_down(node(1));
    EXPECT_FALSE(core.requested(node(1)));
    // Messages from a peer that is not up are dropped, and nothing is remembered for it.
    EXPECT_TRUE(receive(1, addrs_bytes({addr(10)}), t0).empty());
    EXPECT_TRUE(core.request_addresses(node(1)).empty());
    EXPECT_FALSE(book.is_banned(node(1).to_hex(), t0));

    // Back up inbound: the old request no longer counts, and the request history starts over.
    inbound_up(1);
    for (auto t : {0s, 1s})
        sent_addrs(receive(1, request_bytes(), t0 + t), 1);
    core.on_peer_down(node(1));
    inbound_up(1, t0 + 2s);
    sent_addrs(receive(1, request_bytes(), t0 + 2s), 1);
    sent_addrs(receive(1, request_bytes(), t0 + 3s), 1);
    expect_banned(receive(1, addrs_bytes({addr(10)}), t0 + 4s), 1, PexErrc::unsolicited_addrs, t0 + 4s);
}

}  // namespace
}  // namespace peerlink::discovery

namespace peerlink::discovery {
namespace {

TEST(DialableAddress, OutboundIsWhereWeReachedItInboundIsItsAdvertisedListenAddress) {
    peer::PeerInfo info;
    info.id = *peer::NodeId::from_hex("0102030405060708090a0b0c0d0e0f1011121314");
    info.remote_ip = "10.1.2.3";
    info.remote_port = 41000;
    info.direction = peer::Direction::outbound;
    EXPECT_EQ(dialable_address(info).port, 41000);
    info.direction = peer::Direction::inbound;
    info.listen_addr = "tcp://0.0.0.0:26656";  // what real nodes send
    EXPECT_EQ(dialable_address(info).ip, "10.1.2.3");
    EXPECT_EQ(dialable_address(info).port, 26656);
    info.listen_addr = "tcp://5.6.7.8:26656";
    EXPECT_EQ(dialable_address(info).ip, "5.6.7.8");
    info.listen_addr = "tcp://[::]:26656";
    EXPECT_EQ(dialable_address(info).ip, "10.1.2.3");
    info.listen_addr = "tcp://5.6.7.8:99999";
    EXPECT_EQ(dialable_address(info).port, 0);
    EXPECT_EQ(dialable_address(info).id, info.id.to_hex());
}

}  // namespace
}  // namespace peerlink::discovery
