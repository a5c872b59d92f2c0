// ProtoWriter output byte for byte, its size helpers, and agreement with ProtoReader on the
// CometBFT messages the transport sends.
#include <gtest/gtest.h>

#include <string>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "codec/protobuf.hpp"

namespace peerlink::codec {
namespace {

base::Bytes hex(std::string_view s) {
    return base::from_hex(s).value();
}
std::string hex_of(const base::Buffer& b) {
    return base::to_hex(b.data());
}

TEST(ProtoWriter, WritesVarintAndBoolFields) {
    base::Buffer out;
    ProtoWriter w(out);
    w.varint_field(1, 150);
    w.bool_field(2, true);
    w.varint_field(16, 0);  // first field number that needs a two-byte tag
    EXPECT_EQ(hex_of(out),
              "089601"
              "1001"
              "800100");
}

TEST(ProtoWriter, WritesBytesFieldsIncludingEmpty) {
    base::Buffer out;
    ProtoWriter w(out);
    w.bytes_field(2, base::as_bytes("testing"));
    w.bytes_field(1, {});
    EXPECT_EQ(hex_of(out),
              "120774657374696e67"
              "0a00");
}

TEST(ProtoWriter, WritesRawVarintAndLargestFieldNumber) {
    base::Buffer out;
    ProtoWriter w(out);
    w.raw_varint(300);
    w.varint_field((1u << 29) - 1, ~std::uint64_t{0});
    EXPECT_EQ(hex_of(out),
              "ac02"
              "f8ffffff0f"
              "ffffffffffffffffff01");
}

TEST(ProtoWriter, SizeHelpersMatchWhatIsWritten) {
    for (const std::uint32_t number : {1u, 15u, 16u, 2047u, 2048u, (1u << 29) - 1}) {
        for (const std::uint64_t v :
             {std::uint64_t{0}, std::uint64_t{127}, std::uint64_t{128}, ~std::uint64_t{0}}) {
            base::Buffer out;
            ProtoWriter(out).varint_field(number, v);
            EXPECT_EQ(out.size(), varint_field_size(number, v)) << number << " " << v;
        }
        for (const std::size_t size :
             {std::size_t{0}, std::size_t{127}, std::size_t{128}, std::size_t{300}}) {
            base::Buffer out;
            ProtoWriter(out).bytes_field(number, base::Bytes(size, 0x5a));
            EXPECT_EQ(out.size(), bytes_field_size(number, size)) << number << " " << size;
        }
    }
    EXPECT_EQ(tag_size(15), 1u);
    EXPECT_EQ(tag_size(16), 2u);
}

TEST(ProtoWriter, SecretConnectionEphemeralKeyMatchesGo) {
    // Given the 32-byte key SecretConnection sends as gogotypes.BytesValue
    base::Bytes key(32);
    for (std::size_t i = 0; i < key.size(); ++i)
        key[i] = static_cast<base::Byte>(i);

    // When it is written and then framed as protoio.NewDelimitedWriter does
    base::Buffer message;
    ProtoWriter(message).bytes_field(1, key);
    base::Buffer framed;
    write_delimited(framed, message.data());

    // Then the bytes are 0a 20 <key> and 22 0a 20 <key>
    const std::string key_hex = base::to_hex(key);
    EXPECT_EQ(hex_of(message), "0a20" + key_hex);
    EXPECT_EQ(hex_of(framed), "220a20" + key_hex);

    auto read = read_delimited(framed.data(), 4096);
    ASSERT_TRUE(read.ok());
    ASSERT_TRUE(read->has_value());
    EXPECT_EQ((*read)->consumed, 35u);
    auto field = ProtoReader((*read)->message).next();
    ASSERT_TRUE(field.ok() && field->has_value());
    EXPECT_EQ(base::to_hex((*field)->bytes), key_hex);
}

TEST(ProtoWriter, MConnectionPacketMsgMatchesHandBuiltBytes) {
    // Given Packet{packet_msg (3): PacketMsg{channel_id: 1, eof: true, data: "hello"}} built by hand
    const base::Bytes expected =
        hex("0d"
            "1a0b"
            "0801"
            "1001"
            "1a0568656c6c6f");

    // When the writer builds it with a nested header sized by the helpers
    const base::ByteView data = base::as_bytes("hello");
    const std::size_t inner =
        varint_field_size(1, 1) + varint_field_size(2, 1) + bytes_field_size(3, data.size());
    base::Buffer packet;
    ProtoWriter w(packet);
    w.message_header(3, inner);
    w.varint_field(1, 1);
    w.bool_field(2, true);
    w.bytes_field(3, data);
    base::Buffer framed;
    write_delimited(framed, packet.data());

    // Then it is byte-identical and reads back to the same fields
    EXPECT_EQ(hex_of(framed), base::to_hex(expected));
    auto read = read_delimited(framed.data(), 4096);
    ASSERT_TRUE(read.ok() && read->has_value());
    EXPECT_EQ((*read)->consumed, expected.size());
    auto outer = ProtoReader((*read)->message).next();
    ASSERT_TRUE(outer.ok() && outer->has_value());
    EXPECT_EQ((*outer)->number, 3u);
    ProtoReader msg((*outer)->bytes);
    auto channel = msg.next();
    auto eof = msg.next();
    auto body = msg.next();
    auto end = msg.next();
    ASSERT_TRUE(channel.ok() && eof.ok() && body.ok() && end.ok());
    EXPECT_EQ((*channel)->value, 1u);
    EXPECT_EQ((*eof)->value, 1u);
    EXPECT_EQ(base::as_chars((*body)->bytes), "hello");
    EXPECT_FALSE(end->has_value());
}

TEST(ProtoWriter, AppendsAcrossBufferGrowthAndReadsBack) {
    // Given a buffer that already holds bytes and must grow several times
    base::Buffer out;
    out.push_back(0x99);
    ProtoWriter w(out);
    const base::Bytes blob(200, 0x42);
    for (std::uint32_t i = 1; i <= 50; ++i) {
        w.varint_field(i, std::uint64_t{i} << 40);
        w.bytes_field(i, blob);
    }
    // Then everything after the first byte parses back in order
    ProtoReader reader(out.data().subspan(1));
    for (std::uint32_t i = 1; i <= 50; ++i) {
        auto v = reader.next();
        auto b = reader.next();
        ASSERT_TRUE(v.ok() && v->has_value() && b.ok() && b->has_value());
        EXPECT_EQ((*v)->number, i);
        EXPECT_EQ((*v)->value, std::uint64_t{i} << 40);
        EXPECT_EQ((*b)->bytes.size(), blob.size());
    }
    auto end = reader.next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end->has_value());
    EXPECT_EQ(out.data()[0], 0x99);
}

}  // namespace
}  // namespace peerlink::codec
