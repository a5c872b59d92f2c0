// Packet encoding against the exact bytes CometBFT writes, and decoding of everything gogoproto
// accepts or rejects in a Packet.
#include <gtest/gtest.h>

#include <string_view>

#include "base/bytes.hpp"
#include "codec/protobuf.hpp"
#include "mux/mconnection.hpp"
#include "mux/packet.hpp"

namespace peerlink::mux {
namespace {

base::Bytes hex(std::string_view s) {
    return base::from_hex(s).value();
}

std::string written(void (*write)(base::Buffer&)) {
    base::Buffer out;
    write(out);
    return base::to_hex(out.data());
}

TEST(PacketWire, PingAndPongAreThreeBytes) {
    EXPECT_EQ(written(write_ping), "020a00");
    EXPECT_EQ(written(write_pong), "021200");
}

TEST(PacketWire, PacketMsgMatchesCometBft) {
    base::Buffer out;
    const std::size_t n = write_packet_msg(out, 1, true, base::as_bytes("hi"));
    EXPECT_EQ(base::to_hex(out.data()), "0a1a08080110011a026869");
    EXPECT_EQ(n, out.size());
    EXPECT_EQ(packet_msg_body_size(1, true, 2), 10u);
}

TEST(PacketWire, DefaultsAreOmitted) {
    base::Buffer out;
    write_packet_msg(out, 0, false, {});
    EXPECT_EQ(base::to_hex(out.data()), "021a00");
    out.clear();
    write_packet_msg(out, 0, true, base::as_bytes("hi"));
    EXPECT_EQ(base::to_hex(out.data()), "081a0610011a026869");
}

TEST(PacketWire, MaxPacketSizeMatchesCometBftBound) {
    // CometBFT's maxPacketMsgSize(): Packet{PacketMsg{channel 0x01, eof, 1024 bytes}}.
    EXPECT_EQ(packet_msg_body_size(0x01, true, 1024), 1034u);
    EXPECT_EQ(packet_msg_body_size(0xff, true, 1024), 1035u);
    EXPECT_EQ(packet_msg_body_size(0x80, true, 1023), 1034u);
}

TEST(PacketDecode, RoundTripsPacketMsg) {
    const base::Bytes body = hex("1a08080110011a026869");
    auto p = decode_packet(body);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->kind, PacketKind::msg);
    EXPECT_EQ(p->channel_id, 1);
    EXPECT_TRUE(p->eof);
    EXPECT_EQ(base::as_chars(p->data), "hi");
}

TEST(PacketDecode, PingAndPong) {
    EXPECT_EQ(decode_packet(hex("0a00"))->kind, PacketKind::ping);
    EXPECT_EQ(decode_packet(hex("1200"))->kind, PacketKind::pong);
}

TEST(PacketDecode, LastOneofMemberWinsAndReplacesFields) {
    // packet_msg{channel 5, data "x"} then packet_pong.
    auto p = decode_packet(hex("1a07080510011a01781200"));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->kind, PacketKind::pong);
    // ping then packet_msg{} with nothing set: channel 0, no eof, no data.
    p = decode_packet(hex("0a001a00"));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->kind, PacketKind::msg);
    EXPECT_EQ(p->channel_id, 0);
    EXPECT_FALSE(p->eof);
    EXPECT_TRUE(p->data.empty());
}

TEST(PacketDecode, UnknownFieldsAreSkipped) {
    // Packet field 7 (varint), then packet_msg with an unknown field 9 (bytes) inside.
    auto p = decode_packet(hex("38011a07080210014a0161"));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->kind, PacketKind::msg);
    EXPECT_EQ(p->channel_id, 2);
    EXPECT_TRUE(p->eof);
}

TEST(PacketDecode, NegativeChannelIdKeepsItsSign) {
    // channel_id = -1 as int32: sign-extended to a 10-byte varint.
    auto p = decode_packet(hex("1a0b08ffffffffffffffffff01"));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->channel_id, -1);
}

TEST(PacketDecode, RejectsMalformedPackets) {
    EXPECT_EQ(decode_packet({}).error(), Errc::malformed_packet);             // no member set
    EXPECT_EQ(decode_packet(hex("3801")).error(), Errc::malformed_packet);    // only unknown fields
    EXPECT_EQ(decode_packet(hex("1a0508")).error(), codec::Errc::truncated);  // body too short
    EXPECT_EQ(decode_packet(hex("0800")).error(), codec::Errc::wrong_wire_type);
    EXPECT_EQ(decode_packet(hex("1a021a01")).error(), codec::Errc::truncated);  // data runs past the end
    EXPECT_EQ(decode_packet(hex("1a020a00")).error(), codec::Errc::wrong_wire_type);  // channel_id as bytes
    EXPECT_EQ(decode_packet(hex("0a020800")).ok(), true);  // unknown field inside a ping is skipped
    EXPECT_EQ(decode_packet(hex("0a0108")).error(), codec::Errc::truncated);  // broken ping body
}

}  // namespace
}  // namespace peerlink::mux
