// Varint encoding at every length boundary, and the overflow/incomplete edges a peer can send.
#include "codec/varint.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>

#include "base/bytes.hpp"

namespace peerlink::codec {
namespace {

base::Bytes hex(std::string_view s) {
    return base::from_hex(s).value();
}

struct Case {
    std::uint64_t value;
    std::string encoding;
};

// Expected bytes as protobuf and Go's binary.PutUvarint produce them.
const Case k_cases[] = {
    {0, "00"},
    {1, "01"},
    {127, "7f"},
    {128, "8001"},
    {300, "ac02"},
    {16383, "ff7f"},
    {16384, "808001"},
    {std::uint64_t{1} << 32, "8080808010"},
    {std::uint64_t{1} << 63, "80808080808080808001"},
    {std::numeric_limits<std::uint64_t>::max(), "ffffffffffffffffff01"},
};

TEST(Varint, EncodesBoundaryValuesToKnownBytes) {
    for (const Case& c : k_cases) {
        const base::Bytes expected = hex(c.encoding);
        EXPECT_EQ(varint_size(c.value), expected.size()) << c.value;

        std::uint8_t out[k_max_varint_size] = {};
        const std::size_t n = put_varint(out, c.value);
        EXPECT_EQ(base::to_hex({out, n}), c.encoding) << c.value;
    }
}

TEST(Varint, DecodesBoundaryValuesAndIgnoresTrailingBytes) {
    for (const Case& c : k_cases) {
        base::Bytes in = hex(c.encoding);
        const std::size_t size = in.size();
        in.push_back(0xff);  // the next field's bytes must not be consumed

        const VarintRead r = get_varint(in);
        ASSERT_EQ(r.status, VarintStatus::ok) << c.encoding;
        EXPECT_EQ(r.value, c.value);
        EXPECT_EQ(r.size, size);
    }
}

TEST(Varint, EveryProperPrefixIsIncomplete) {
    for (const Case& c : k_cases) {
        const base::Bytes in = hex(c.encoding);
        for (std::size_t n = 0; n < in.size(); ++n) {
            EXPECT_EQ(get_varint(base::ByteView(in).first(n)).status, VarintStatus::incomplete)
                << c.encoding << " cut at " << n;
        }
    }
}

TEST(Varint, TenthByteAboveOneOverflows) {
    // Nine continuation bytes leave one bit of room: 0x02 would be bit 64.
    EXPECT_EQ(get_varint(hex("ffffffffffffffffff02")).status, VarintStatus::overflow);
    EXPECT_EQ(get_varint(hex("8080808080808080807f")).status, VarintStatus::overflow);
    // A 10th byte with its continuation bit set would need an 11th byte.
    EXPECT_EQ(get_varint(hex("80808080808080808080")).status, VarintStatus::overflow);
}

TEST(Varint, ElevenBytesOverflow) {
    EXPECT_EQ(get_varint(hex("ffffffffffffffffffff01")).status, VarintStatus::overflow);
    EXPECT_EQ(get_varint(hex("8080808080808080808000")).status, VarintStatus::overflow);
}

TEST(Varint, NineContinuationBytesAreOnlyIncomplete) {
    EXPECT_EQ(get_varint(hex("ffffffffffffffffff")).status, VarintStatus::incomplete);
}

TEST(Varint, AcceptsNonMinimalTenByteEncodingLikeGo) {
    // Go's binary.Uvarint and protobuf decoders both accept padded encodings.
    const VarintRead r = get_varint(hex("80808080808080808000"));
    ASSERT_EQ(r.status, VarintStatus::ok);
    EXPECT_EQ(r.value, 0u);
    EXPECT_EQ(r.size, 10u);
}

TEST(Varint, RoundTripsAroundEverySevenBitBoundary) {
    for (unsigned bits = 1; bits < 64; ++bits) {
        const std::uint64_t edge = std::uint64_t{1} << bits;
        for (const std::uint64_t v : {edge - 1, edge, edge + 1}) {
            std::uint8_t out[k_max_varint_size] = {};
            const std::size_t n = put_varint(out, v);
            ASSERT_EQ(n, varint_size(v));
            // One byte per started group of seven significant bits.
            const auto significant = static_cast<std::size_t>(std::bit_width(v));
            EXPECT_EQ(n, std::max<std::size_t>(1, (significant + 6) / 7)) << v;
            const VarintRead r = get_varint({out, n});
            ASSERT_EQ(r.status, VarintStatus::ok);
            EXPECT_EQ(r.value, v);
            EXPECT_EQ(r.size, n);
        }
    }
}

}  // namespace
}  // namespace peerlink::codec
