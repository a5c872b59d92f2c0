// ProtoReader against hand-built encodings, including CometBFT messages, and every malformed tag,
// length and value a remote peer could send.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "codec/protobuf.hpp"

namespace peerlink::codec {
namespace {

base::Bytes hex(std::string_view s) {
    return base::from_hex(s).value();
}

/// Reads every field; fails the test on a malformed message.
std::vector<Field> read_all(base::ByteView message) {
    ProtoReader reader(message);
    std::vector<Field> fields;
    for (;;) {
        auto next = reader.next();
        EXPECT_TRUE(next.ok()) << next.error().message();
        if (!next.ok() || !*next) return fields;
        fields.push_back(**next);
    }
}

/// The error of the first malformed field, or a default error_code if the message is well formed.
std::error_code first_error(base::ByteView message) {
    ProtoReader reader(message);
    for (;;) {
        auto next = reader.next();
        if (!next.ok()) return next.error();
        if (!*next) return {};
    }
}

TEST(ProtoReader, EmptyMessageHasNoFields) {
    ProtoReader reader({});
    auto next = reader.next();
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(next->has_value());
}

TEST(ProtoReader, ReadsSecretConnectionEphemeralKeyWithoutCopying) {
    // Given gogotypes.BytesValue{Value: <32-byte X25519 key>} as SecretConnection sends it
    base::Bytes key(32);
    for (std::size_t i = 0; i < key.size(); ++i)
        key[i] = static_cast<base::Byte>(0xa0 + i);
    base::Bytes message = hex("0a20");
    message.insert(message.end(), key.begin(), key.end());

    // When it is read
    ProtoReader reader(message);
    auto field = reader.next();

    // Then field 1 is a view of the key inside the input
    ASSERT_TRUE(field.ok());
    ASSERT_TRUE(field->has_value());
    EXPECT_EQ((*field)->number, 1u);
    EXPECT_EQ((*field)->type, WireType::length_delimited);
    EXPECT_EQ((*field)->bytes.data(), message.data() + 2);
    EXPECT_EQ(base::to_hex((*field)->bytes), base::to_hex(key));
    auto end = reader.next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end->has_value());
}

TEST(ProtoReader, ReadsMConnectionPacketMsgNestedInPacket) {
    // Given Packet{packet_msg (3): PacketMsg{channel_id (1): 1, eof (2): true, data (3): "hello"}}
    const base::Bytes packet =
        hex("1a0b"
            "0801"
            "1001"
            "1a0568656c6c6f");

    // When the outer message and then field 3 are read as messages
    const std::vector<Field> outer = read_all(packet);
    ASSERT_EQ(outer.size(), 1u);
    EXPECT_EQ(outer[0].number, 3u);
    EXPECT_EQ(outer[0].type, WireType::length_delimited);
    const std::vector<Field> inner = read_all(outer[0].bytes);

    // Then the PacketMsg fields come out in order
    ASSERT_EQ(inner.size(), 3u);
    EXPECT_EQ(inner[0].number, 1u);
    EXPECT_EQ(inner[0].type, WireType::varint);
    EXPECT_EQ(inner[0].value, 1u);
    EXPECT_EQ(inner[1].number, 2u);
    EXPECT_EQ(inner[1].type, WireType::varint);
    EXPECT_EQ(inner[1].value, 1u);
    EXPECT_EQ(inner[2].number, 3u);
    EXPECT_EQ(inner[2].type, WireType::length_delimited);
    EXPECT_EQ(base::as_chars(inner[2].bytes), "hello");
}

TEST(ProtoReader, ReadsFixed64AndFixed32LittleEndian) {
    const base::Bytes message =
        hex("098877665544332211"
            "1578563412"
            "0dffffffff");
    const std::vector<Field> fields = read_all(message);
    ASSERT_EQ(fields.size(), 3u);
    EXPECT_EQ(fields[0].number, 1u);
    EXPECT_EQ(fields[0].type, WireType::fixed64);
    EXPECT_EQ(fields[0].value, 0x1122334455667788u);
    EXPECT_EQ(fields[1].number, 2u);
    EXPECT_EQ(fields[1].type, WireType::fixed32);
    EXPECT_EQ(fields[1].value, 0x12345678u);
    EXPECT_EQ(fields[2].type, WireType::fixed32);
    EXPECT_EQ(fields[2].value, 0xffffffffu);
}

TEST(ProtoReader, CallerSkipsUnknownFieldsOfEveryWireType) {
    // Given known fields 1 and 2 around unknown fields 99 (bytes), 7 (fixed32) and 8 (fixed64)
    const base::Bytes message =
        hex("0896"
            "01"                  // 1: varint 150
            "9a0603616263"        // 99: "abc"
            "3d01020304"          // 7: fixed32
            "410102030405060708"  // 8: fixed64
            "10ac02");            // 2: varint 300
    // When a schema reader keeps only what it knows
    std::uint64_t one = 0;
    std::uint64_t two = 0;
    int unknown = 0;
    for (const Field& f : read_all(message)) {
        if (f.number == 1) {
            one = f.value;
        } else if (f.number == 2) {
            two = f.value;
        } else {
            ++unknown;
        }
    }
    // Then the unknown fields were stepped over whole
    EXPECT_EQ(one, 150u);
    EXPECT_EQ(two, 300u);
    EXPECT_EQ(unknown, 3);
}

TEST(ProtoReader, AcceptsLargestFieldNumberAndEmptyBytes) {
    // (2^29-1) << 3 = 0xfffffff8
    const std::vector<Field> fields =
        read_all(hex("f8ffffff0f05"
                     "0a00"));
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0].number, (1u << 29) - 1);
    EXPECT_EQ(fields[0].value, 5u);
    EXPECT_EQ(fields[1].type, WireType::length_delimited);
    EXPECT_TRUE(fields[1].bytes.empty());
}

TEST(ProtoReader, ReadsFullWidthVarintValue) {
    const std::vector<Field> fields = read_all(hex("08ffffffffffffffffff01"));
    ASSERT_EQ(fields.size(), 1u);
    EXPECT_EQ(fields[0].value, ~std::uint64_t{0});
}

struct Malformed {
    const char* name;
    std::string message;
    Errc expected;
};

TEST(ProtoReader, RejectsEveryMalformedFieldWithItsErrc) {
    const Malformed cases[] = {
        {"tag cut mid-varint", "80", Errc::truncated},
        {"tag after a valid field cut",
         "0801"
         "88",
         Errc::truncated},
        {"tag of 11 bytes", "ffffffffffffffffffff01", Errc::varint_overflow},
        {"tag with 10th byte 2", "ffffffffffffffffff02", Errc::varint_overflow},
        {"field number 0, varint", "0001", Errc::bad_field_number},
        {"field number 0, bytes", "0200", Errc::bad_field_number},
        {"field number 2^29", "808080801001", Errc::bad_field_number},
        {"field number 2^60", "80808080808080808001", Errc::bad_field_number},
        {"wire type 3 (start group)", "0b", Errc::bad_wire_type},
        {"wire type 4 (end group)", "0c", Errc::bad_wire_type},
        {"wire type 6", "0e", Errc::bad_wire_type},
        {"wire type 7", "0f", Errc::bad_wire_type},
        {"bad wire type after valid field",
         "0801"
         "0b",
         Errc::bad_wire_type},
        {"varint value missing", "08", Errc::truncated},
        {"varint value cut", "08ff", Errc::truncated},
        {"varint value overflows", "08ffffffffffffffffff02", Errc::varint_overflow},
        {"fixed64 with 7 bytes", "0901020304050607", Errc::truncated},
        {"fixed32 with 3 bytes", "0d010203", Errc::truncated},
        {"length missing", "0a", Errc::truncated},
        {"length cut", "0a80", Errc::truncated},
        {"length overflows", "0affffffffffffffffffff01", Errc::varint_overflow},
        {"length past end", "0a05010203", Errc::truncated},
        {"length one past end", "0a04010203", Errc::truncated},
        {"length 2^64-1", "0affffffffffffffffff01", Errc::truncated},
        {"length 2^32", "0a8080808010", Errc::truncated},
    };
    for (const Malformed& c : cases) {
        EXPECT_EQ(first_error(hex(c.message)), make_error_code(c.expected)) << c.name;
    }
}

TEST(ProtoReader, ErrorsBelongToTheCodecCategoryWithDistinctMessages) {
    const Errc all[] = {Errc::truncated,        Errc::varint_overflow,   Errc::bad_wire_type,
                        Errc::bad_field_number, Errc::message_too_large, Errc::wrong_wire_type};
    std::vector<std::string> messages;
    for (const Errc e : all) {
        const std::error_code ec = e;
        EXPECT_STREQ(ec.category().name(), "codec");
        EXPECT_FALSE(ec.message().empty());
        for (const std::string& seen : messages)
            EXPECT_NE(ec.message(), seen);
        messages.push_back(ec.message());
    }
}

}  // namespace
}  // namespace peerlink::codec
