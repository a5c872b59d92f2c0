// Negotiation state machine: both roles against each other and against hand-made peers; every
// disconnect reason; ping/pong RTT; idle, negotiation and stall deadlines on a manual clock.
#include <gtest/gtest.h>

#include "profiles/bitcoin/peer_state.hpp"

namespace peerlink::bitcoin {
namespace {

using namespace std::chrono_literals;

const Magic k_magic = regtest().magic;

PeerOptions options(std::string agent = "/peerlink:test/") {
    PeerOptions o;
    o.magic = k_magic;
    o.services = k_node_network | k_node_witness;
    o.user_agent = std::move(agent);
    o.start_height = 100;
    return o;
}

struct Decoded {
    std::vector<Message> sent;
    std::vector<action::Disconnect> disconnects;
    std::vector<action::HandshakeComplete> completions;
    std::vector<Message> delivered;
};

Decoded decode_actions(const Actions& actions) {
    Decoded d;
    FrameReader reader({.magic = k_magic});
    for (const auto& a : actions) {
        if (const auto* s = std::get_if<action::Send>(&a)) {
            reader.append(s->bytes);
            auto f = reader.next();
            EXPECT_TRUE(f.ok() && f->has_value());
            EXPECT_EQ((*f)->status, FrameStatus::ok);
            auto m = decode_message((*f)->command, (*f)->payload);
            EXPECT_TRUE(m.ok());
            d.sent.push_back(*m);
        } else if (const auto* x = std::get_if<action::Disconnect>(&a)) {
            d.disconnects.push_back(*x);
        } else if (const auto* h = std::get_if<action::HandshakeComplete>(&a)) {
            d.completions.push_back(*h);
        } else {
            d.delivered.push_back(std::get<action::Deliver>(a).message);
        }
    }
    return d;
}

std::vector<std::string> commands(const Decoded& d) {
    std::vector<std::string> out;
    for (const auto& m : d.sent)
        out.emplace_back(command_of(m));
    return out;
}

base::Bytes framed(const Message& m) {
    return frame(k_magic, command_of(m), encode_payload(m));
}

Version their_version(std::int32_t version = 70016, std::uint64_t nonce = 0xabcdef) {
    Version v;
    v.version = version;
    v.services = k_node_network;
    v.timestamp = 1'700'000'100;
    v.addr_recv = {0, ipv4_mapped(127, 0, 0, 1), 18444};
    v.nonce = nonce;
    v.user_agent = "/Satoshi:27.0.0/";
    v.start_height = 812345;
    v.relay = false;
    return v;
}

class BitcoinPeerState : public ::testing::Test {
protected:
    Now now() const { return {clock.now(), 1'700'000'000}; }
    Now at_unix(std::int64_t unix_seconds) const { return {clock.now(), unix_seconds}; }

    PeerState make(Direction d, PeerOptions o = options()) {
        return PeerState(std::move(o), d, NetAddr{1, ipv4_mapped(127, 0, 0, 2), 18444}, nonces, random);
    }
    /// An inbound peer that has received `v` and our verack: established.
    Decoded establish_inbound(PeerState& p) {
        (void)p.start(at_unix(1'700'000'000));
        auto bytes = framed(their_version());
        auto verack = framed(Verack{});
        bytes.insert(bytes.end(), verack.begin(), verack.end());
        return decode_actions(p.feed(bytes, at_unix(1'700'000'000)));
    }

    base::ManualClock clock;
    NonceSet nonces;
    base::Random random{42};
};

TEST_F(BitcoinPeerState, OutboundSpeaksFirstInboundWaits) {
    auto out = make(Direction::outbound);
    auto in = make(Direction::inbound);
    const auto o = decode_actions(out.start(now()));
    ASSERT_EQ(commands(o), std::vector<std::string>{"version"});
    const auto& v = std::get<Version>(o.sent[0]);
    EXPECT_EQ(v.version, 70016);
    EXPECT_EQ(v.user_agent, "/peerlink:test/");
    EXPECT_EQ(v.addr_recv.port, 18444);
    EXPECT_TRUE(nonces.contains(v.nonce));
    EXPECT_TRUE(decode_actions(in.start(now())).sent.empty());
}

TEST_F(BitcoinPeerState, BothRolesCompleteAgainstEachOther) {
    NonceSet other_node;  // a different node: its nonces are not ours
    auto out = make(Direction::outbound, options("/a:1/"));
    PeerState in(options("/b:2/"), Direction::inbound, NetAddr{}, other_node, random);
    Actions to_in = out.start(now());
    (void)in.start(now());
    std::vector<action::HandshakeComplete> done_out, done_in;
    for (int round = 0; round < 5 && !(to_in.empty()); ++round) {
        Actions to_out;
        for (const auto& a : to_in)
            if (const auto* s = std::get_if<action::Send>(&a)) {
                auto r = in.feed(s->bytes, now());
                for (auto& x : r) {
                    if (auto* h = std::get_if<action::HandshakeComplete>(&x)) done_in.push_back(*h);
                    to_out.push_back(std::move(x));
                }
            }
        to_in.clear();
        for (const auto& a : to_out)
            if (const auto* s = std::get_if<action::Send>(&a)) {
                auto r = out.feed(s->bytes, now());
                for (auto& x : r) {
                    if (auto* h = std::get_if<action::HandshakeComplete>(&x)) done_out.push_back(*h);
                    to_in.push_back(std::move(x));
                }
            }
    }
    ASSERT_TRUE(out.established());
    ASSERT_TRUE(in.established());
    ASSERT_EQ(done_out.size(), 1u);
    ASSERT_EQ(done_in.size(), 1u);
    EXPECT_EQ(done_out[0].info.user_agent, "/b:2/");
    EXPECT_EQ(done_in[0].info.user_agent, "/a:1/");
    EXPECT_TRUE(done_out[0].info.wtxid_relay);
    EXPECT_TRUE(done_in[0].info.wants_addrv2);
    EXPECT_EQ(done_in[0].info.start_height, 100);
}

TEST_F(BitcoinPeerState, InboundAnswersVersionWithFeaturesThenVerack) {
    auto p = make(Direction::inbound);
    (void)p.start(at_unix(1'700'000'000));
    const auto d = decode_actions(p.feed(framed(their_version()), at_unix(1'700'000'000)));
    EXPECT_EQ(commands(d), (std::vector<std::string>{"version", "wtxidrelay", "sendaddrv2", "verack"}));
    EXPECT_FALSE(p.established());
    const auto r = p.remote();
    EXPECT_EQ(r.version, 70016);
    EXPECT_EQ(r.user_agent, "/Satoshi:27.0.0/");
    EXPECT_EQ(r.start_height, 812345);
    EXPECT_FALSE(r.relay);
    EXPECT_EQ(r.time_offset, 100);  // recorded only
    const auto done = decode_actions(p.feed(framed(Verack{}), at_unix(1'700'000'000)));
    ASSERT_EQ(done.completions.size(), 1u);
    EXPECT_TRUE(p.established());
}

TEST_F(BitcoinPeerState, NegotiatedVersionIsTheMinimumAndGatesFeatures) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    const auto d = decode_actions(p.feed(framed(their_version(70015)), now()));
    EXPECT_EQ(commands(d), (std::vector<std::string>{"version", "verack"}));
    EXPECT_EQ(p.remote().negotiated_version, 70015);
    // wtxidrelay from a 70015 peer is accepted but does not switch wtxid relay on.
    EXPECT_TRUE(decode_actions(p.feed(framed(WtxidRelay{}), now())).disconnects.empty());
    EXPECT_FALSE(p.remote().wtxid_relay);
    auto q = make(Direction::inbound);
    (void)q.start(now());
    (void)q.feed(framed(their_version(80000)), now());
    EXPECT_EQ(q.remote().negotiated_version, 70016);
}

TEST_F(BitcoinPeerState, VersionMustComeFirst) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    const auto d = decode_actions(p.feed(framed(Ping{1}), now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::version_not_first);
    EXPECT_TRUE(d.sent.empty());  // rejects are off by default
    EXPECT_TRUE(p.closed());
    EXPECT_TRUE(p.feed(framed(their_version()), now()).empty());

    auto o = options();
    o.send_rejects = true;
    auto q = make(Direction::inbound, o);
    (void)q.start(now());
    const auto r = decode_actions(q.feed(framed(Verack{}), now()));
    ASSERT_EQ(r.sent.size(), 1u);
    const auto& reject = std::get<Reject>(r.sent[0]);
    EXPECT_EQ(reject.message, "verack");
    EXPECT_EQ(reject.code, k_reject_malformed);
    ASSERT_EQ(r.disconnects.size(), 1u);
    EXPECT_EQ(r.disconnects[0].reason, Errc::version_not_first);
}

TEST_F(BitcoinPeerState, DuplicateVersionDisconnects) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    (void)p.feed(framed(their_version()), now());
    const auto d = decode_actions(p.feed(framed(their_version()), now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::duplicate_version);
}

TEST_F(BitcoinPeerState, DuplicateVerackDisconnects) {
    auto p = make(Direction::inbound);
    establish_inbound(p);
    ASSERT_TRUE(p.established());
    const auto d = decode_actions(p.feed(framed(Verack{}), now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::duplicate_verack);
}

TEST_F(BitcoinPeerState, ObsoleteVersionRejectedAndDisconnected) {
    auto o = options();
    o.send_rejects = true;
    auto p = make(Direction::outbound, o);
    (void)p.start(now());
    const auto d = decode_actions(p.feed(framed(their_version(70000)), now()));
    ASSERT_EQ(d.sent.size(), 1u);
    const auto& reject = std::get<Reject>(d.sent[0]);
    EXPECT_EQ(reject.code, k_reject_obsolete);
    EXPECT_EQ(reject.message, "version");
    EXPECT_EQ(reject.reason, "protocol version must be 70001 or greater");
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::obsolete_version);
    // Exactly the minimum is fine.
    auto q = make(Direction::inbound);
    (void)q.start(now());
    EXPECT_TRUE(decode_actions(q.feed(framed(their_version(70001)), now())).disconnects.empty());
}

TEST_F(BitcoinPeerState, SelfConnectionDetectedByOurNonce) {
    auto out = make(Direction::outbound);
    auto in = make(Direction::inbound);  // same node: same NonceSet
    const auto hello = out.start(now());
    (void)in.start(now());
    const auto d = decode_actions(in.feed(std::get<action::Send>(hello[0]).bytes, now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::self_connection);
    EXPECT_TRUE(d.sent.empty());
}

TEST_F(BitcoinPeerState, NonceSetIsBounded) {
    NonceSet set(3);
    for (std::uint64_t n = 1; n <= 5; ++n)
        set.add(n);
    EXPECT_EQ(set.size(), 3u);
    EXPECT_FALSE(set.contains(2));
    EXPECT_TRUE(set.contains(3));
    EXPECT_TRUE(set.contains(5));
}

TEST_F(BitcoinPeerState, FeatureMessagesOnlyBeforeVerack) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    (void)p.feed(framed(their_version()), now());
    (void)p.feed(framed(SendAddrV2{}), now());
    (void)p.feed(framed(WtxidRelay{}), now());
    (void)p.feed(framed(Verack{}), now());
    EXPECT_TRUE(p.remote().wants_addrv2);
    EXPECT_TRUE(p.remote().wtxid_relay);
    const auto d = decode_actions(p.feed(framed(WtxidRelay{}), now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::feature_after_verack);

    auto q = make(Direction::inbound);
    establish_inbound(q);
    const auto e = decode_actions(q.feed(framed(SendAddrV2{}), now()));
    ASSERT_EQ(e.disconnects.size(), 1u);
    EXPECT_EQ(e.disconnects[0].reason, Errc::feature_after_verack);
}

TEST_F(BitcoinPeerState, NegotiationDeadline) {
    auto p = make(Direction::outbound);
    (void)p.start(now());
    EXPECT_EQ(p.next_deadline(), clock.now() + 30s);
    clock.advance(29s);
    EXPECT_TRUE(p.on_timer(now()).empty());
    (void)p.feed(framed(their_version()), now());  // version alone does not finish it
    clock.advance(1s);
    const auto d = decode_actions(p.on_timer(now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::negotiation_timeout);
}

TEST_F(BitcoinPeerState, PingEveryTwoMinutesAndPongGivesRtt) {
    auto p = make(Direction::inbound);
    establish_inbound(p);
    EXPECT_EQ(p.next_deadline(), clock.now() + 2min);
    clock.advance(2min - 1s);
    EXPECT_TRUE(p.on_timer(now()).empty());
    clock.advance(1s);
    const auto d = decode_actions(p.on_timer(now()));
    ASSERT_EQ(commands(d), std::vector<std::string>{"ping"});
    const std::uint64_t nonce = std::get<Ping>(d.sent[0]).nonce;
    EXPECT_NE(nonce, 0u);
    clock.advance(100ms);
    EXPECT_TRUE(p.feed(framed(Pong{nonce + 1}), now()).empty());  // not ours: ignored
    EXPECT_FALSE(p.last_rtt().has_value());
    clock.advance(50ms);
    EXPECT_TRUE(p.feed(framed(Pong{nonce}), now()).empty());
    ASSERT_TRUE(p.last_rtt().has_value());
    EXPECT_EQ(*p.last_rtt(), 150ms);
    // A repeated pong is ignored; the RTT stays.
    clock.advance(1s);
    (void)p.feed(framed(Pong{nonce}), now());
    EXPECT_EQ(*p.last_rtt(), 150ms);
}

TEST_F(BitcoinPeerState, PeerPingIsAnsweredWithItsNonce) {
    auto p = make(Direction::inbound);
    establish_inbound(p);
    const auto d = decode_actions(p.feed(framed(Ping{77}), now()));
    ASSERT_EQ(d.sent.size(), 1u);
    EXPECT_EQ(std::get<Pong>(d.sent[0]).nonce, 77u);
}

TEST_F(BitcoinPeerState, TrailingBytesAreIgnoredAsBitcoinCoreDoes) {
    // A ping with bytes after its nonce is answered, not treated as malformed.
    auto p = make(Direction::inbound);
    establish_inbound(p);
    auto payload = encode_payload(Ping{78});
    payload.push_back(0xee);
    const auto d = decode_actions(p.feed(frame(k_magic, "ping", payload), now()));
    EXPECT_TRUE(d.disconnects.empty());
    ASSERT_EQ(d.sent.size(), 1u);
    EXPECT_EQ(std::get<Pong>(d.sent[0]).nonce, 78u);
}

TEST_F(BitcoinPeerState, IdleTimeoutAfterFiveSilentMinutes) {
    auto p = make(Direction::inbound);
    establish_inbound(p);
    clock.advance(4min);
    (void)p.on_timer(now());  // pings go out; the peer stays silent
    clock.advance(59s);
    EXPECT_TRUE(decode_actions(p.on_timer(now())).disconnects.empty());
    clock.advance(1s);
    const auto d = decode_actions(p.on_timer(now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::idle_timeout);
}

TEST_F(BitcoinPeerState, TrafficResetsIdleTimer) {
    auto p = make(Direction::inbound);
    establish_inbound(p);
    clock.advance(4min);
    (void)p.feed(framed(SendHeaders{}), now());
    clock.advance(4min);
    EXPECT_TRUE(decode_actions(p.on_timer(now())).disconnects.empty());
}

TEST_F(BitcoinPeerState, StallTrackerDisconnectsOnMissingReply) {
    auto p = make(Direction::inbound);
    establish_inbound(p);
    ASSERT_TRUE(p.expect_reply("notfound", 30s, now()));
    ASSERT_TRUE(p.expect_reply("getheaders", 30s, now()));
    clock.advance(10s);
    const auto d = decode_actions(p.feed(framed(NotFound{}), now()));
    ASSERT_EQ(d.delivered.size(), 1u);  // delivered and the expectation met
    EXPECT_EQ(p.expected_replies(), 1u);
    // Other traffic does not satisfy the remaining expectation.
    (void)p.feed(framed(Unknown{"headers", {0}}), now());
    clock.advance(19s);
    EXPECT_TRUE(decode_actions(p.on_timer(now())).disconnects.empty());
    clock.advance(1s);
    const auto e = decode_actions(p.on_timer(now()));
    ASSERT_EQ(e.disconnects.size(), 1u);
    EXPECT_EQ(e.disconnects[0].reason, Errc::stall_timeout);
}

TEST_F(BitcoinPeerState, StallTrackerIsBounded) {
    auto o = options();
    o.max_expected_replies = 2;
    auto p = make(Direction::inbound, o);
    establish_inbound(p);
    EXPECT_TRUE(p.expect_reply("a", 1s, now()));
    EXPECT_TRUE(p.expect_reply("b", 1s, now()));
    EXPECT_FALSE(p.expect_reply("c", 1s, now()));
}

TEST_F(BitcoinPeerState, BadChecksumDroppedDuringNegotiation) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    base::Bytes bad = framed(Ping{1});
    bad[20] ^= 0xff;
    base::Bytes bytes = bad;
    const base::Bytes v = framed(their_version());
    bytes.insert(bytes.end(), v.begin(), v.end());
    const auto d = decode_actions(p.feed(bytes, now()));
    EXPECT_TRUE(d.disconnects.empty());
    EXPECT_EQ(commands(d).back(), "verack");
}

TEST_F(BitcoinPeerState, BadMagicAndMalformedMessagesDisconnect) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    const auto d = decode_actions(p.feed(frame(mainnet().magic, "version", {}), now()));
    ASSERT_EQ(d.disconnects.size(), 1u);
    EXPECT_EQ(d.disconnects[0].reason, Errc::bad_magic);

    auto q = make(Direction::inbound);
    (void)q.start(now());
    const auto e = decode_actions(q.feed(frame(k_magic, "version", base::Bytes{1, 2}), now()));
    ASSERT_EQ(e.disconnects.size(), 1u);
    EXPECT_EQ(e.disconnects[0].reason, Errc::malformed_message);
}

TEST_F(BitcoinPeerState, ApplicationMessagesOnlyAfterHandshake) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    (void)p.feed(framed(their_version()), now());
    // Between version and verack: ignored, as Core does.
    EXPECT_TRUE(decode_actions(p.feed(framed(Inv{}), now())).delivered.empty());
    (void)p.feed(framed(Verack{}), now());
    const auto d = decode_actions(p.feed(framed(Unknown{"cmpctblock", {9}}), now()));
    ASSERT_EQ(d.delivered.size(), 1u);
    EXPECT_EQ(command_of(d.delivered[0]), "cmpctblock");
}

TEST_F(BitcoinPeerState, SplitInputByteByByte) {
    auto p = make(Direction::inbound);
    (void)p.start(now());
    base::Bytes bytes = framed(their_version());
    const base::Bytes verack = framed(Verack{});
    bytes.insert(bytes.end(), verack.begin(), verack.end());
    std::size_t completions = 0;
    for (const std::uint8_t b : bytes)
        completions += decode_actions(p.feed(base::ByteView(&b, 1), now())).completions.size();
    EXPECT_EQ(completions, 1u);
    EXPECT_TRUE(p.established());
}

}  // namespace
}  // namespace peerlink::bitcoin
