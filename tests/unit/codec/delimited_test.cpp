// read_delimited as a stream decoder sees it: bytes arrive in pieces, and an oversized length
// must be refused before the body is buffered.
#include <gtest/gtest.h>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "codec/protobuf.hpp"

namespace peerlink::codec {
namespace {

base::Bytes hex(std::string_view s) {
    return base::from_hex(s).value();
}

constexpr std::size_t k_max = 4096;

TEST(ReadDelimited, EmptyInputNeedsMoreBytes) {
    auto r = read_delimited({}, k_max);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
}

TEST(ReadDelimited, PartialPrefixNeedsMoreBytes) {
    // 300 is ac 02: only the first prefix byte has arrived
    auto r = read_delimited(hex("ac"), k_max);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
}

TEST(ReadDelimited, PartialBodyNeedsMoreBytes) {
    auto r = read_delimited(hex("050102"), k_max);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
}

TEST(ReadDelimited, ExactMessageIsAViewIntoTheInput) {
    const base::Bytes in = hex("03010203");
    auto r = read_delimited(in, k_max);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->consumed, 4u);
    EXPECT_EQ((*r)->message.data(), in.data() + 1);
    EXPECT_EQ(base::to_hex((*r)->message), "010203");
}

TEST(ReadDelimited, EmptyMessage) {
    auto r = read_delimited(hex("00ff"), k_max);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->consumed, 1u);
    EXPECT_TRUE((*r)->message.empty());
}

TEST(ReadDelimited, TwoMessagesBackToBack) {
    // Given two frames in one read
    const base::Bytes in =
        hex("02aabb"
            "01cc");
    base::ByteView rest = in;

    // When frames are consumed one after the other
    auto first = read_delimited(rest, k_max);
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ(base::to_hex((*first)->message), "aabb");
    rest = rest.subspan((*first)->consumed);
    auto second = read_delimited(rest, k_max);
    ASSERT_TRUE(second.ok() && second->has_value());
    EXPECT_EQ(base::to_hex((*second)->message), "cc");
    rest = rest.subspan((*second)->consumed);

    // Then nothing is left and the next call waits for more
    EXPECT_TRUE(rest.empty());
    auto third = read_delimited(rest, k_max);
    ASSERT_TRUE(third.ok());
    EXPECT_FALSE(third->has_value());
}

TEST(ReadDelimited, TooLargeIsReportedBeforeTheBodyArrives) {
    // 4097 = 81 20: the prefix alone is enough to refuse it
    auto r = read_delimited(hex("8120"), k_max);
    EXPECT_EQ(r.error(), make_error_code(Errc::message_too_large));
    auto huge = read_delimited(hex("ffffffffffffffffff01"), k_max);
    EXPECT_EQ(huge.error(), make_error_code(Errc::message_too_large));
}

TEST(ReadDelimited, LengthEqualToMaxIsAccepted) {
    // 4096 = 80 20: waits for the body, then yields it
    base::Bytes in = hex("8020");
    auto waiting = read_delimited(in, k_max);
    ASSERT_TRUE(waiting.ok());
    EXPECT_FALSE(waiting->has_value());
    in.resize(2 + k_max, 0x11);
    auto r = read_delimited(in, k_max);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->message.size(), k_max);
    EXPECT_EQ((*r)->consumed, 2 + k_max);
}

TEST(ReadDelimited, OverflowingPrefixIsAnError) {
    auto r = read_delimited(hex("ffffffffffffffffffff01"), k_max);
    EXPECT_EQ(r.error(), make_error_code(Errc::varint_overflow));
}

TEST(ReadDelimited, ArrivingByteByByteYieldsTheMessageExactlyOnceComplete) {
    // Given a 300-byte message framed by write_delimited
    base::Buffer framed;
    write_delimited(framed, base::Bytes(300, 0x7e));
    ASSERT_EQ(base::to_hex(framed.data().first(2)), "ac02");

    // When every prefix of the frame is offered
    for (std::size_t n = 0; n < framed.size(); ++n) {
        auto r = read_delimited(framed.data().first(n), k_max);
        ASSERT_TRUE(r.ok());
        EXPECT_FALSE(r->has_value()) << n;
    }
    // Then only the full frame decodes
    auto r = read_delimited(framed.data(), k_max);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->consumed, 302u);
    EXPECT_EQ((*r)->message.size(), 300u);
}

TEST(WriteDelimited, EmptyMessageIsASingleZero) {
    base::Buffer out;
    write_delimited(out, {});
    EXPECT_EQ(base::to_hex(out.data()), "00");
}

}  // namespace
}  // namespace peerlink::codec
