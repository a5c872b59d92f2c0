// MConnection without sockets: two instances wired back to back on virtual time, plus hand-built
// byte streams for everything a remote peer can get wrong.
#include <gtest/gtest.h>

#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "codec/protobuf.hpp"
#include "mux/mconnection.hpp"

namespace peerlink::mux {
namespace {

using namespace std::chrono_literals;

const base::TimePoint t0 = base::TimePoint{} + std::chrono::hours(1);

base::Bytes hex(std::string_view s) {
    return base::from_hex(s).value();
}

base::SharedBytes message(std::size_t size, std::uint8_t seed = 1) {
    base::Bytes b(size);
    for (std::size_t i = 0; i < size; ++i)
        b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return base::SharedBytes(std::move(b));
}

base::SharedBytes text(std::string_view s) {
    return base::SharedBytes::copy_of(base::as_bytes(s));
}

struct Received {
    ChannelId channel;
    base::Bytes data;
};

/// An MConnection that records what it delivers.
struct Peer {
    Peer(Options options, std::vector<ChannelDescriptor> channels, base::TimePoint now = t0)
        : conn(
              options, std::move(channels),
              [this](ChannelId ch, base::ByteView data) {
                  received.push_back({ch, {data.begin(), data.end()}});
              },
              now) {}

    std::vector<Received> received;
    MConnection conn;
};

struct WirePacket {
    Packet packet;
    std::size_t wire_size;
};

/// Splits a stream written by poll() into its packets.
std::vector<WirePacket> packets_in(base::ByteView stream) {
    std::vector<WirePacket> out;
    while (!stream.empty()) {
        auto d = codec::read_delimited(stream, 1 << 20);
        EXPECT_TRUE(d.ok() && d->has_value());
        if (!d.ok() || !d->has_value()) break;
        auto p = decode_packet((*d)->message);
        EXPECT_TRUE(p.ok());
        out.push_back({*p, (*d)->consumed});
        stream = stream.subspan((*d)->consumed);
    }
    return out;
}

/// Polls `from` until it has nothing left to write; returns everything it wrote.
base::Bytes drain(MConnection& from, base::TimePoint now) {
    base::Bytes all;
    for (int i = 0; i < 10000 && from.has_pending_output(); ++i) {
        base::Buffer out;
        auto r = from.poll(out, now);
        EXPECT_TRUE(r.ok());
        all.insert(all.end(), out.data().begin(), out.data().end());
    }
    return all;
}

std::error_code receive(MConnection& conn, const base::Bytes& bytes, base::TimePoint now = t0) {
    return conn.on_receive(bytes, now).error();
}

/// Feeds a hex stream to a fresh connection with `channels`.
std::error_code receive_new(std::vector<ChannelDescriptor> channels, std::string_view stream) {
    Peer peer({}, std::move(channels));
    return receive(peer.conn, hex(stream));
}

// ---- wire format through the connection ----

TEST(MConnectionWire, PingSentAtIntervalAndPongRepliedAtOnce) {
    Peer a({}, {{.id = 1}});
    Peer b({}, {{.id = 1}});
    base::Buffer out;

    auto r = a.conn.poll(out, t0 + 59s);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(r->wake_at, t0 + 60s);  // the ping; the decay ran and moved to t0 + 61 s

    r = a.conn.poll(out, t0 + 60s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(base::to_hex(out.data()), "020a00");
    EXPECT_TRUE(r->flush);

    ASSERT_FALSE(receive(b.conn, {out.data().begin(), out.data().end()}));
    base::Buffer reply;
    r = b.conn.poll(reply, t0);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(base::to_hex(reply.data()), "021200");
    EXPECT_TRUE(r->flush);  // despite the 100 ms flush throttle

    ASSERT_FALSE(receive(a.conn, {reply.data().begin(), reply.data().end()}));
    EXPECT_EQ(a.conn.stats().pongs_received, 1u);
    EXPECT_EQ(a.conn.stats().pings_sent, 1u);
    out.clear();
    EXPECT_TRUE(a.conn.poll(out, t0 + 60s + 45s).ok());  // pong arrived: no timeout
}

TEST(MConnectionWire, PongTimeoutWithoutPong) {
    Peer a({}, {{.id = 1}});
    base::Buffer out;
    auto r = a.conn.poll(out, t0 + 60s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->wake_at, t0 + 62s);  // the next decay; the pong deadline is t0 + 105 s
    out.clear();
    EXPECT_TRUE(a.conn.poll(out, t0 + 60s + 44s).ok());
    EXPECT_EQ(a.conn.poll(out, t0 + 60s + 45s).error(), Errc::pong_timeout);
}

TEST(MConnectionWire, PingsPerPeerArriveOncePerPong) {
    Peer b({}, {{.id = 1}});
    // Three pings in one read: one pong, like CometBFT's 1-slot pong channel.
    ASSERT_FALSE(receive(b.conn, hex("020a00020a00020a00")));
    base::Buffer out;
    ASSERT_TRUE(b.conn.poll(out, t0).ok());
    EXPECT_EQ(base::to_hex(out.data()), "021200");
}

TEST(MConnectionWire, PacketMsgBytesMatchCometBft) {
    Peer a({.flush_throttle = 0ms}, {{.id = 1}});
    ASSERT_TRUE(a.conn.try_send(1, text("hi")));
    base::Buffer out;
    auto r = a.conn.poll(out, t0);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(base::to_hex(out.data()), "0a1a08080110011a026869");
    EXPECT_TRUE(r->flush);
}

TEST(MConnectionWire, ChannelZeroOmitsItsIdAndDecodesToZero) {
    Peer a({}, {{.id = 0}});
    Peer b({}, {{.id = 0}});
    ASSERT_TRUE(a.conn.try_send(0, text("hi")));
    const base::Bytes wire = drain(a.conn, t0);
    EXPECT_EQ(base::to_hex(wire), "081a0610011a026869");
    ASSERT_FALSE(receive(b.conn, wire));
    ASSERT_EQ(b.received.size(), 1u);
    EXPECT_EQ(b.received[0].channel, 0);
    EXPECT_EQ(base::as_chars(b.received[0].data), "hi");
}

TEST(MConnectionWire, EmptyMessageIsOneEofPacket) {
    Peer a({}, {{.id = 3}});
    Peer b({}, {{.id = 3}});
    ASSERT_TRUE(a.conn.try_send(3, base::SharedBytes{}));
    const base::Bytes wire = drain(a.conn, t0);
    EXPECT_EQ(base::to_hex(wire), "061a0408031001");
    ASSERT_FALSE(receive(b.conn, wire));
    ASSERT_EQ(b.received.size(), 1u);
    EXPECT_TRUE(b.received[0].data.empty());
}

// ---- fragmentation and reassembly ----

TEST(MConnectionFragments, FiveThousandBytesGoInPacketsOf1024) {
    Peer a({}, {{.id = 0x20}});
    Peer b({}, {{.id = 0x20}});
    const base::SharedBytes msg = message(5000);
    ASSERT_TRUE(a.conn.try_send(0x20, msg));
    const base::Bytes wire = drain(a.conn, t0);

    const auto packets = packets_in(wire);
    ASSERT_EQ(packets.size(), 5u);
    for (std::size_t i = 0; i < packets.size(); ++i) {
        EXPECT_EQ(packets[i].packet.channel_id, 0x20);
        EXPECT_EQ(packets[i].packet.data.size(), i < 4 ? 1024u : 904u);
        EXPECT_EQ(packets[i].packet.eof, i == 4);
    }

    ASSERT_FALSE(receive(b.conn, wire));
    ASSERT_EQ(b.received.size(), 1u);
    EXPECT_EQ(b.received[0].data, base::Bytes(msg.view().begin(), msg.view().end()));
    const ChannelStats s = b.conn.stats().channels[0];
    EXPECT_EQ(s.messages_received, 1u);
    EXPECT_EQ(s.bytes_received, wire.size());
    EXPECT_EQ(a.conn.stats().channels[0].bytes_sent, wire.size());
    EXPECT_EQ(a.conn.stats().channels[0].messages_sent, 1u);
}

TEST(MConnectionFragments, HighChannelIdsSendOneByteLessSoCometBftAcceptsThem) {
    Peer a({}, {{.id = 0x90}});
    ASSERT_TRUE(a.conn.try_send(0x90, message(2047)));
    const auto packets = packets_in(drain(a.conn, t0));
    ASSERT_EQ(packets.size(), 3u);
    EXPECT_EQ(packets[0].packet.data.size(), 1023u);
    EXPECT_EQ(packets[1].packet.data.size(), 1023u);
    EXPECT_EQ(packets[2].packet.data.size(), 1u);
    EXPECT_EQ(packets[0].wire_size, 2 + 1032u);
    ASSERT_TRUE(a.conn.try_send(0x90, message(1023)));
    const auto last = packets_in(drain(a.conn, t0));
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].wire_size, 2 + 1034u);  // prefix + CometBFT's maximum body
}

TEST(MConnectionFragments, ByteByByteDeliveryReassembles) {
    Peer a({.ping_interval = 1s}, {{.id = 1}, {.id = 2}});
    Peer b({}, {{.id = 1}, {.id = 2}});
    const base::SharedBytes big = message(3000, 9);
    ASSERT_TRUE(a.conn.try_send(1, big));
    ASSERT_TRUE(a.conn.try_send(2, text("hi")));
    base::Buffer out;
    ASSERT_TRUE(a.conn.poll(out, t0 + 1s).ok());  // the ping goes first
    const base::Bytes wire(out.data().begin(), out.data().end());

    for (std::size_t i = 0; i < wire.size(); ++i) {
        ASSERT_FALSE(b.conn.on_receive(base::ByteView(wire).subspan(i, 1), t0).error()) << i;
    }
    ASSERT_EQ(b.received.size(), 2u);
    // Both channels start at recently_sent 0: channel 1 sends first, then "hi" wins (ratio 0).
    EXPECT_EQ(b.received[0].channel, 2);
    EXPECT_EQ(base::as_chars(b.received[0].data), "hi");
    EXPECT_EQ(b.received[1].channel, 1);
    EXPECT_EQ(b.received[1].data, base::Bytes(big.view().begin(), big.view().end()));
    EXPECT_EQ(b.conn.stats().bytes_received, wire.size());
    base::Buffer reply;
    ASSERT_TRUE(b.conn.poll(reply, t0).ok());
    EXPECT_EQ(base::to_hex(reply.data()), "021200");
}

TEST(MConnectionFragments, EverySplitPointGivesTheSameMessages) {
    Peer a({}, {{.id = 1}});
    ASSERT_TRUE(a.conn.try_send(1, message(1500)));
    const base::Bytes wire = drain(a.conn, t0);
    for (std::size_t split = 0; split <= wire.size(); split += 7) {
        Peer b({}, {{.id = 1}});
        const base::ByteView all(wire);
        ASSERT_FALSE(b.conn.on_receive(all.first(split), t0).error());
        ASSERT_FALSE(b.conn.on_receive(all.subspan(split), t0).error());
        ASSERT_EQ(b.received.size(), 1u) << split;
        EXPECT_EQ(b.received[0].data.size(), 1500u);
    }
}

TEST(MConnectionFragments, SinglePacketMessageIsDeliveredWithoutCopy) {
    const base::Bytes wire = hex("0a1a08080110011a026869");
    const base::Byte* seen = nullptr;
    MConnection b(
        {}, {{.id = 1}}, [&](ChannelId, base::ByteView data) { seen = data.data(); }, t0);
    ASSERT_FALSE(receive(b, wire));
    EXPECT_EQ(seen, wire.data() + wire.size() - 2);
}

// ---- scheduling ----

TEST(MConnectionScheduler, PrioritiesSplitBandwidth) {
    // Given two backlogged channels of priority 1 and 5 ...
    Options options{.flush_threshold = 600 * 1030, .send_rate = 0};
    Peer a(options, {{.id = 1, .priority = 1, .send_queue_capacity = 1000},
                     {.id = 2, .priority = 5, .send_queue_capacity = 1000}});
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(a.conn.try_send(1, message(1024)));
        ASSERT_TRUE(a.conn.try_send(2, message(1024)));
    }
    // ... when about 600 packets are written ...
    base::Buffer out;
    ASSERT_TRUE(a.conn.poll(out, t0).ok());
    // ... then the bytes split 1:5.
    const auto s = a.conn.stats();
    const double ratio =
        static_cast<double>(s.channels[1].bytes_sent) / static_cast<double>(s.channels[0].bytes_sent);
    EXPECT_NEAR(ratio, 5.0, 0.1);
    EXPECT_GT(s.channels[0].bytes_sent, 50u * 1030);
}

TEST(MConnectionScheduler, TieGoesToFirstRegisteredChannel) {
    Peer a({.flush_threshold = 1}, {{.id = 7}, {.id = 3}});
    ASSERT_TRUE(a.conn.try_send(3, text("three")));
    ASSERT_TRUE(a.conn.try_send(7, text("seven")));
    base::Buffer out;
    ASSERT_TRUE(a.conn.poll(out, t0).ok());  // threshold 1: exactly one packet per poll
    auto packets = packets_in(out.data());
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(packets[0].packet.channel_id, 7);
}

TEST(MConnectionScheduler, RecentlySentDecaysByFourFifths) {
    Peer a({}, {{.id = 1}});
    ASSERT_TRUE(a.conn.try_send(1, message(1000)));
    base::Buffer out;
    ASSERT_TRUE(a.conn.poll(out, t0).ok());
    const std::uint64_t sent = a.conn.stats().channels[0].recently_sent;
    EXPECT_EQ(sent, 1012u);  // prefix 2 + Packet 1010
    out.clear();
    ASSERT_TRUE(a.conn.poll(out, t0 + 1999ms).ok());
    EXPECT_EQ(a.conn.stats().channels[0].recently_sent, 1012u);
    auto r = a.conn.poll(out, t0 + 2s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(a.conn.stats().channels[0].recently_sent, 809u);  // int(1012 * 0.8)
    EXPECT_EQ(r->wake_at, t0 + 4s);
}

// ---- flushing ----

TEST(MConnectionFlush, SmallMessageWaitsForTheThrottle) {
    Peer a({}, {{.id = 1}});  // default throttle 100 ms
    ASSERT_TRUE(a.conn.try_send(1, text("hi")));
    base::Buffer out;
    auto r = a.conn.poll(out, t0 + 10ms);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(out.size(), 11u);
    EXPECT_FALSE(r->flush);
    EXPECT_EQ(r->wake_at, t0 + 110ms);

    r = a.conn.poll(out, t0 + 109ms);  // `out` still holds the unflushed packet
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->flush);
    EXPECT_EQ(r->wake_at, t0 + 110ms);

    r = a.conn.poll(out, t0 + 110ms);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->flush);
    EXPECT_EQ(out.size(), 11u);
}

TEST(MConnectionFlush, ThresholdForcesAFlush) {
    Peer a({.flush_threshold = 2000}, {{.id = 1, .send_queue_capacity = 5}});
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(a.conn.try_send(1, message(1000)));
    base::Buffer out;
    auto r = a.conn.poll(out, t0);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->flush);
    EXPECT_EQ(out.size(), 2 * 1012u);
    EXPECT_TRUE(a.conn.has_pending_output());
    EXPECT_EQ(a.conn.stats().channels[0].send_queue_size, 3u);
}

// ---- queues and parked senders ----

TEST(MConnectionQueue, TrySendFailsOnFullQueueOrUnknownChannel) {
    Peer a({}, {{.id = 1, .send_queue_capacity = 2}});
    EXPECT_TRUE(a.conn.try_send(1, text("a")));
    EXPECT_TRUE(a.conn.try_send(1, text("b")));
    EXPECT_FALSE(a.conn.try_send(1, text("c")));
    EXPECT_FALSE(a.conn.try_send(2, text("x")));
    // The ring wraps: after draining, two more fit again.
    drain(a.conn, t0);
    EXPECT_TRUE(a.conn.try_send(1, text("d")));
    EXPECT_TRUE(a.conn.try_send(1, text("e")));
    EXPECT_FALSE(a.conn.try_send(1, text("f")));
}

TEST(MConnectionQueue, TheRingGrowsInOrderFromItsHeadUpToTheCapacity) {
    // The queue starts empty (an idle peer holds none), takes 4 slots, then doubles up to 10.
    Peer a({}, {{.id = 1, .send_queue_capacity = 10}});
    Peer b({}, {{.id = 1, .send_queue_capacity = 10}});
    for (const char* s : {"x", "y", "z"})
        ASSERT_TRUE(a.conn.try_send(1, text(s)));
    ASSERT_FALSE(receive(b.conn, drain(a.conn, t0)));  // the head is now at slot 3 of 4
    const std::vector<std::string> sent{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    for (const auto& s : sent)
        ASSERT_TRUE(a.conn.try_send(1, text(s))) << s;
    EXPECT_FALSE(a.conn.try_send(1, text("k")));
    EXPECT_EQ(a.conn.stats().channels.at(0).send_queue_size, 10u);
    ASSERT_FALSE(receive(b.conn, drain(a.conn, t0)));
    std::vector<std::string> got;
    for (const auto& r : b.received)
        got.emplace_back(r.data.begin(), r.data.end());
    std::vector<std::string> expected{"x", "y", "z"};
    expected.insert(expected.end(), sent.begin(), sent.end());
    EXPECT_EQ(got, expected);
}

TEST(MConnectionQueue, SendParksUntilRoomOrDeadline) {
    Peer a({.flush_threshold = 1, .max_waiting_senders = 2}, {{.id = 1, .send_queue_capacity = 1}});
    Peer b({}, {{.id = 1}});
    std::vector<std::pair<int, bool>> done;
    const auto record = [&](int n) { return [&done, n](bool queued) { done.emplace_back(n, queued); }; };

    a.conn.send(1, text("one"), t0 + 1s, record(1));  // room: completes inline
    a.conn.send(1, text("two"), t0 + 1s, record(2));
    a.conn.send(1, text("three"), t0 + 2s, record(3));
    a.conn.send(1, text("four"), t0 + 2s, record(4));  // a third waiter is refused
    a.conn.send(9, text("nine"), t0 + 2s, record(9));  // unknown channel
    EXPECT_EQ(done, (std::vector<std::pair<int, bool>>{{1, true}, {4, false}, {9, false}}));

    base::Bytes wire;
    base::Buffer out;
    auto r = a.conn.poll(out, t0);  // writes "one"; "two" moves into the queue
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(done.back(), std::make_pair(2, true));
    EXPECT_EQ(r->wake_at, t0 + 2s);  // "three"'s deadline
    wire.insert(wire.end(), out.data().begin(), out.data().end());

    out.clear();
    r = a.conn.poll(out, t0 + 2s);  // "three" expires before "two" is written
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(done.back(), std::make_pair(3, false));
    EXPECT_EQ(done.size(), 5u);
    wire.insert(wire.end(), out.data().begin(), out.data().end());

    ASSERT_FALSE(receive(b.conn, wire));
    ASSERT_EQ(b.received.size(), 2u);
    EXPECT_EQ(base::as_chars(b.received[1].data), "two");
}

TEST(MConnectionQueue, CompletionCallbackMaySendAgainWithinTheSamePoll) {
    Peer a({}, {{.id = 1, .send_queue_capacity = 1}});
    ASSERT_TRUE(a.conn.try_send(1, text("a")));
    a.conn.send(1, text("b"), t0 + 1s, [&](bool queued) {
        EXPECT_TRUE(queued);
        EXPECT_TRUE(a.conn.try_send(1, text("c")));
    });
    base::Buffer out;
    ASSERT_TRUE(a.conn.poll(out, t0).ok());
    const auto packets = packets_in(out.data());
    ASSERT_EQ(packets.size(), 3u);
    EXPECT_EQ(base::as_chars(packets[2].packet.data), "c");
    EXPECT_FALSE(a.conn.has_pending_output());
}

TEST(MConnectionQueue, FatalErrorFailsParkedSenders) {
    Peer a({}, {{.id = 1, .send_queue_capacity = 1}});
    std::optional<bool> result;
    ASSERT_TRUE(a.conn.try_send(1, text("x")));
    a.conn.send(1, text("y"), t0 + 1h, [&](bool queued) { result = queued; });
    EXPECT_EQ(receive(a.conn, hex("0a1a08080910011a026869")), Errc::unknown_channel);
    EXPECT_EQ(result, false);
}

// ---- errors a peer can cause ----

TEST(MConnectionClose, NothingIsDeliveredAfterClose) {
    // A receive callback that closes the connection must not see the rest of the batch.
    Peer a({}, {{.id = 1, .send_queue_capacity = 10}});
    int delivered = 0;
    MConnection* self = nullptr;
    MConnection closing(
        {}, {{.id = 1}},
        [&](ChannelId, base::ByteView) {
            ++delivered;
            self->on_close();  // what transport::Connection::close does
        },
        t0);
    self = &closing;
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(a.conn.try_send(1, text("m")));
    base::Buffer wire;
    ASSERT_TRUE(a.conn.poll(wire, t0 + 1s).ok());
    ASSERT_TRUE(closing.on_receive(wire.data(), t0 + 1s).ok());
    EXPECT_EQ(delivered, 1);
    EXPECT_TRUE(closing.on_receive(wire.data(), t0 + 1s).ok());
    EXPECT_EQ(delivered, 1);
    EXPECT_FALSE(closing.try_send(1, text("late")));
}

TEST(MConnectionClose, ParkedSendersAreCompletedOnClose) {
    Peer a({}, {{.id = 1, .send_queue_capacity = 1}});
    ASSERT_TRUE(a.conn.try_send(1, text("fills the queue")));
    std::vector<bool> outcomes;
    a.conn.send(1, text("parked"), t0 + 10s, [&](bool queued) { outcomes.push_back(queued); });
    a.conn.send(1, text("parked too"), t0 + 10s, [&](bool queued) { outcomes.push_back(queued); });
    EXPECT_TRUE(outcomes.empty());
    a.conn.on_close();
    EXPECT_EQ(outcomes, (std::vector<bool>{false, false}));
    a.conn.send(1, text("after close"), t0 + 10s, [&](bool queued) { outcomes.push_back(queued); });
    EXPECT_EQ(outcomes.size(), 3u);
    EXPECT_FALSE(outcomes.back());
}

TEST(MConnectionErrors, UnknownChannel) {
    EXPECT_EQ(receive_new({{.id = 1}}, "0a1a08080210011a026869"), Errc::unknown_channel);
    // channel_id -1 (sign-extended) and 256.
    EXPECT_EQ(receive_new({{.id = 1}}, "0d1a0b08ffffffffffffffffff01"), Errc::unknown_channel);
    EXPECT_EQ(receive_new({{.id = 0}}, "051a03088002"), Errc::unknown_channel);
}

TEST(MConnectionErrors, OversizedLengthPrefixIsReportedBeforeTheBody) {
    // The maximum is 1035 (channel 0xff, eof, 1024 bytes): 8b 08. One more is 8c 08.
    EXPECT_FALSE(receive_new({{.id = 1}}, "8b08"));
    Peer b({}, {{.id = 1}});
    EXPECT_FALSE(receive(b.conn, hex("8c")));
    EXPECT_EQ(receive(b.conn, hex("08")), Errc::packet_too_large);
    EXPECT_EQ(receive_new({{.id = 1}}, "ffffffff0f"), Errc::packet_too_large);
    EXPECT_EQ(receive_new({{.id = 1}}, "ffffffffffffffffffff01"), Errc::malformed_packet);
}

TEST(MConnectionErrors, MessageAboveReceiveCapacity) {
    Peer b({}, {{.id = 1, .recv_message_capacity = 100}});
    base::Buffer wire;
    write_packet_msg(wire, 1, false, message(60).view());
    write_packet_msg(wire, 1, true, message(41).view());
    EXPECT_EQ(b.conn.on_receive(wire.data(), t0).error(), Errc::message_too_large);
    EXPECT_TRUE(b.received.empty());

    // Exactly the capacity is fine, also in one packet.
    Peer c({}, {{.id = 1, .recv_message_capacity = 100}});
    wire.clear();
    write_packet_msg(wire, 1, true, message(100).view());
    EXPECT_FALSE(c.conn.on_receive(wire.data(), t0).error());
    EXPECT_EQ(c.received.size(), 1u);
}

TEST(MConnectionErrors, MalformedPackets) {
    EXPECT_EQ(receive_new({{.id = 1}}, "00"), Errc::malformed_packet);        // empty Packet
    EXPECT_EQ(receive_new({{.id = 1}}, "031a0508"), Errc::malformed_packet);  // truncated body
    EXPECT_EQ(receive_new({{.id = 1}}, "020800"), Errc::malformed_packet);    // wrong wire type
    EXPECT_EQ(receive_new({{.id = 1}}, "021f00"), Errc::malformed_packet);    // group wire type
    // Channel 1, no eof, 1025 bytes of data: fits the packet bound but not the payload bound.
    base::Buffer wire;
    write_packet_msg(wire, 1, false, message(1025).view());
    Peer b({}, {{.id = 1}});
    EXPECT_EQ(b.conn.on_receive(wire.data(), t0).error(), Errc::malformed_packet);
}

// ---- rate limits ----

TEST(MConnectionRate, SendRateHoldsOverTenVirtualSeconds) {
    Peer a({.send_rate = 100'000}, {{.id = 1, .send_queue_capacity = 2000}});
    for (int i = 0; i < 2000; ++i)
        ASSERT_TRUE(a.conn.try_send(1, message(1024)));
    std::size_t written = 0;
    base::Buffer out;
    for (auto t = t0; t < t0 + 10s; t += 10ms) {
        auto r = a.conn.poll(out, t);
        ASSERT_TRUE(r.ok());
        if (!out.empty()) {
            EXPECT_TRUE(r->flush);  // rate-limited: what we have goes now
            EXPECT_GT(r->wake_at, t);
        }
        written += out.size();
        out.clear();
    }
    EXPECT_NEAR(static_cast<double>(written), 1'000'000.0, 100'000.0);
}

TEST(MConnectionRate, ReceiveAllowanceRunsOutAndRecovers) {
    Peer b({.recv_rate = 10'000}, {{.id = 1}});
    EXPECT_EQ(b.conn.receive_allowance(t0).bytes, 2070u);  // burst: two max-size packets
    base::Bytes pings;
    for (int i = 0; i < 1000; ++i)
        pings.insert(pings.end(), {0x02, 0x0a, 0x00});
    ASSERT_FALSE(receive(b.conn, pings));
    const transport::ReceiveAllowance none = b.conn.receive_allowance(t0);
    EXPECT_EQ(none.bytes, 0u);
    // 930 bytes of debt, then room for one whole packet (1035 bytes) at 10 kB/s: about 197 ms.
    // Waiting for a whole packet avoids reads too small to hold a sealed frame.
    EXPECT_GT(none.retry_at, t0 + 196ms);
    EXPECT_LT(none.retry_at, t0 + 198ms);
    EXPECT_EQ(b.conn.receive_allowance(t0 + 150ms).bytes, 0u);
    EXPECT_GE(b.conn.receive_allowance(none.retry_at).bytes, 1035u);

    Peer unlimited({.recv_rate = 0}, {{.id = 1}});
    EXPECT_EQ(unlimited.conn.receive_allowance(t0).bytes, SIZE_MAX);
}

// ---- configuration ----

TEST(MConnectionConfig, RejectsBadDescriptors) {
    const auto make = [](std::vector<ChannelDescriptor> channels, Options options = {}) {
        MConnection c(
            options, std::move(channels), [](ChannelId, base::ByteView) {}, t0);
    };
    EXPECT_THROW(make({{.id = 1}, {.id = 2}, {.id = 1}}), std::invalid_argument);
    EXPECT_THROW(make({{.id = 1, .priority = 0}}), std::invalid_argument);
    EXPECT_THROW(make({{.id = 1, .send_queue_capacity = 0}}), std::invalid_argument);
    EXPECT_THROW(make({{.id = 1, .recv_message_capacity = 0}}), std::invalid_argument);
    EXPECT_THROW(make({{.id = 1}}, {.max_packet_msg_payload_size = 0}), std::invalid_argument);
    EXPECT_NO_THROW(make({{.id = 0}, {.id = 255}}));
}

}  // namespace
}  // namespace peerlink::mux
