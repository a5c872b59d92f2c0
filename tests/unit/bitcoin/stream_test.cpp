// CompactSize canonical rules and the little-endian reader/writer (Core serialize.h semantics).
#include <gtest/gtest.h>

#include "codec/bitcoin_stream.hpp"

namespace peerlink::codec {
namespace {

base::Bytes hex(std::string_view h) {
    return *base::from_hex(h);
}

TEST(BitcoinStream, IntegersAreLittleEndianAndPortsBigEndian) {
    base::Bytes out;
    BtcWriter w(out);
    w.u16le(0x0102);
    w.u32le(0x03040506);
    w.u64le(0x0708090a0b0c0d0e);
    w.i32le(-2);
    w.i64le(-3);
    w.u16be(8333);
    EXPECT_EQ(base::to_hex(out),
              "0201060504030e0d0c0b0a090807feffffff"
              "fdffffffffffffff"
              "208d");
    BtcReader r(out);
    EXPECT_EQ(*r.u16le(), 0x0102);
    EXPECT_EQ(*r.u32le(), 0x03040506u);
    EXPECT_EQ(*r.u64le(), 0x0708090a0b0c0d0eu);
    EXPECT_EQ(*r.i32le(), -2);
    EXPECT_EQ(*r.i64le(), -3);
    EXPECT_EQ(*r.u16be(), 8333);
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.u8().error(), BtcErrc::truncated);
}

TEST(BitcoinStream, CompactSizeEncodesShortestForm) {
    const std::pair<std::uint64_t, std::string_view> cases[] = {
        {0, "00"},
        {0xfc, "fc"},
        {0xfd, "fdfd00"},
        {0xffff, "fdffff"},
        {0x10000, "fe00000100"},
        {0xffffffff, "feffffffff"},
        {0x100000000, "ff0000000001000000"},
    };
    for (const auto& [value, expected] : cases) {
        base::Bytes out;
        BtcWriter(out).compact_size(value);
        EXPECT_EQ(base::to_hex(out), expected);
        EXPECT_EQ(out.size(), compact_size_size(value));
        BtcReader r(out);
        auto back = r.compact_size(false);
        ASSERT_TRUE(back.ok());
        EXPECT_EQ(*back, value);
    }
}

TEST(BitcoinStream, CompactSizeRejectsNonCanonical) {
    for (const char* h :
         {"fdfc00", "fd0000", "feffff0000", "fe00000000", "ffffffffff00000000", "ff0000000000000000"}) {
        const base::Bytes r_bytes = hex(h);
        BtcReader r(r_bytes);
        EXPECT_EQ(r.compact_size(false).error(), BtcErrc::non_canonical_compact_size) << h;
        EXPECT_EQ(r.remaining(), hex(h).size()) << "a failed read must not move the cursor";
    }
}

TEST(BitcoinStream, CompactSizeRangeCheckAtMaxSize) {
    const base::Bytes at_bytes = hex("fe00000002");
    BtcReader at(at_bytes);  // 0x02000000 == MAX_SIZE: allowed
    EXPECT_EQ(*at.compact_size(), k_max_compact_size);
    const base::Bytes above_bytes = hex("fe01000002");
    BtcReader above(above_bytes);
    EXPECT_EQ(above.compact_size().error(), BtcErrc::compact_size_too_large);
    const base::Bytes unchecked_bytes = hex("fe01000002");
    BtcReader unchecked(unchecked_bytes);
    EXPECT_EQ(*unchecked.compact_size(false), 0x02000001u);
    const base::Bytes truncated_bytes = hex("fd01");
    BtcReader truncated(truncated_bytes);
    EXPECT_EQ(truncated.compact_size().error(), BtcErrc::truncated);
}

TEST(BitcoinStream, VarBytesCheckMaxBeforeReading) {
    // Claims 0x02000000 bytes but carries 1: too_long must win over truncated (checked first).
    const base::Bytes r_bytes = hex("fe0000000261");
    BtcReader r(r_bytes);
    EXPECT_EQ(r.var_bytes(16).error(), BtcErrc::too_long);
    const base::Bytes s_bytes = hex("0568656c6c6f");
    BtcReader s(s_bytes);
    EXPECT_EQ(*s.var_str(5), "hello");
    const base::Bytes t_bytes = hex("0568656c6c");
    BtcReader t(t_bytes);
    EXPECT_EQ(t.var_str(5).error(), BtcErrc::truncated);
    const base::Bytes u_bytes = hex("0568656c6c6f");
    BtcReader u(u_bytes);
    EXPECT_EQ(u.var_str(4).error(), BtcErrc::too_long);
}

TEST(BitcoinStream, FixedArraysAndBool) {
    const base::Bytes r_bytes = hex("0102030400ff");
    BtcReader r(r_bytes);
    auto a = r.array<4>();
    ASSERT_TRUE(a.ok());
    EXPECT_EQ((*a)[3], 4);
    EXPECT_FALSE(*r.boolean());
    EXPECT_TRUE(*r.boolean());  // Core: any non-zero byte is true
    EXPECT_EQ(r.array<1>().error(), BtcErrc::truncated);
}

}  // namespace
}  // namespace peerlink::codec
