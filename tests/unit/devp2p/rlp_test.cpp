#include <gtest/gtest.h>

#include <string>

#include "codec/rlp.hpp"
#include "test_util.hpp"

namespace peerlink::codec::rlp {
namespace {

using devp2p::test::hex;

/// Builds the encoding of a JSON value of the ethereum/tests format ('#' big ints, 0x hex bytes).
void encode_json(Encoder& e, const nlohmann::json& v) {
    if (v.is_array()) {
        e.begin_list();
        for (const auto& x : v)
            encode_json(e, x);
        e.end_list();
    } else if (v.is_number_unsigned()) {
        e.add_uint(v.get<std::uint64_t>());
    } else {
        const std::string s = v.get<std::string>();
        if (s.rfind("0x", 0) == 0) {
            e.add_bytes(hex(s));
        } else {
            e.add_string(s);
        }
    }
}

/// Re-encodes a decoded item through the decoder's view of it (a structural round trip).
void reencode(Encoder& e, const Item& item, std::size_t depth) {
    if (item.kind == Kind::string) {
        e.add_bytes(item.payload);
        return;
    }
    e.begin_list();
    ListReader r(item.payload, depth);
    while (!r.at_end()) {
        auto next = r.next();
        ASSERT_TRUE(next.ok());
        reencode(e, *next, depth + 1);
    }
    e.end_list();
}

TEST(Rlp, OfficialValidVectorsEncodeDecodeAndRoundTrip) {
    const auto doc = devp2p::test::load_vectors("rlptest_subset.json");
    int checked = 0;
    for (const auto& [name, t] : doc["valid"].items()) {
        SCOPED_TRACE(name);
        const base::Bytes want = hex(t["out"].get<std::string>());
        const auto& in = t["in"];
        if (!(in.is_string() && in.get<std::string>().rfind("#", 0) == 0)) {
            Encoder e;
            encode_json(e, in);
            EXPECT_EQ(base::to_hex(e.bytes()), base::to_hex(want));
        }
        ASSERT_TRUE(validate(want).ok());
        auto item = decode_item(want);
        ASSERT_TRUE(item.ok());
        Encoder again;
        reencode(again, *item, 1);
        EXPECT_EQ(base::to_hex(again.bytes()), base::to_hex(want));
        ++checked;
    }
    EXPECT_EQ(checked, 27);
}

TEST(Rlp, OfficialInvalidVectorsAreRejected) {
    const auto doc = devp2p::test::load_vectors("rlptest_subset.json");
    int checked = 0;
    for (const auto& [name, t] : doc["invalid"].items()) {
        SCOPED_TRACE(name);
        EXPECT_FALSE(validate(hex(t["out"].get<std::string>())).ok());
        ++checked;
    }
    EXPECT_EQ(checked, 17);
}

TEST(Rlp, NonCanonicalHeadersHaveTheirOwnError) {
    EXPECT_EQ(split(hex("8100")).error(), make_error_code(Errc::non_canonical_size));
    EXPECT_EQ(split(hex("817f")).error(), make_error_code(Errc::non_canonical_size));
    EXPECT_TRUE(split(hex("8180")).ok());
    EXPECT_EQ(split(hex("b800")).error(), make_error_code(Errc::non_canonical_size));
    EXPECT_EQ(split(hex("b837" + std::string(110, 'a'))).error(), make_error_code(Errc::non_canonical_size));
    EXPECT_EQ(split(hex("b90000")).error(), make_error_code(Errc::non_canonical_size));
    EXPECT_EQ(split(hex("f800")).error(), make_error_code(Errc::non_canonical_size));
    EXPECT_EQ(split(hex("f90037")).error(), make_error_code(Errc::non_canonical_size));
}

TEST(Rlp, ClaimedLengthsBeyondTheInputAreTruncated) {
    EXPECT_EQ(split({}).error(), make_error_code(Errc::truncated));
    EXPECT_EQ(split(hex("83aabb")).error(), make_error_code(Errc::truncated));
    EXPECT_EQ(split(hex("b8")).error(), make_error_code(Errc::truncated));
    EXPECT_EQ(split(hex("b838")).error(), make_error_code(Errc::truncated));
    // An 8-byte length of 2^64-1 must not wrap around.
    EXPECT_EQ(split(hex("bfffffffffffffffff00")).error(), make_error_code(Errc::truncated));
    EXPECT_EQ(split(hex("ffffffffffffffffff00")).error(), make_error_code(Errc::truncated));
    EXPECT_EQ(split(hex("c3aabb")).error(), make_error_code(Errc::truncated));
    // An element claiming more than its enclosing list holds.
    EXPECT_EQ(validate(hex("c383aabb")).error(), make_error_code(Errc::truncated));
    EXPECT_EQ(validate(hex("c283aabbcc")).error(), make_error_code(Errc::trailing_data));
}

TEST(Rlp, IntegersMustBeMinimal) {
    EXPECT_EQ(*decode_uint64({}), 0u);
    EXPECT_EQ(decode_uint64(hex("00")).error(), make_error_code(Errc::non_canonical_integer));
    EXPECT_EQ(decode_uint64(hex("0001")).error(), make_error_code(Errc::non_canonical_integer));
    EXPECT_EQ(*decode_uint64(hex("ffffffffffffffff")), UINT64_MAX);
    EXPECT_EQ(decode_uint64(hex("010000000000000000")).error(), make_error_code(Errc::integer_overflow));

    const auto wire = hex("c3820001");
    auto list = decode_list(wire);
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->read_uint64().error(), make_error_code(Errc::non_canonical_integer));
    // A failed read leaves the reader where it was.
    EXPECT_EQ(list->read_bytes()->size(), 2u);
}

TEST(Rlp, UintEncodingRoundTripsAtEveryWidth) {
    for (std::uint64_t v : {0ull, 1ull, 0x7full, 0x80ull, 0xffull, 0x100ull, 0xffffffull, 0x1000000ull,
                            0xffffffffffffffull, 0x100000000000000ull, ~0ull}) {
        const auto enc = encode_uint(v);
        EXPECT_EQ(enc.size(), encoded_uint_size(v));
        auto item = decode_item(enc);
        ASSERT_TRUE(item.ok());
        EXPECT_EQ(*decode_uint64(item->payload), v);
    }
    EXPECT_EQ(base::to_hex(encode_uint(0)), "80");
    EXPECT_EQ(base::to_hex(encode_uint(0x7f)), "7f");
    EXPECT_EQ(base::to_hex(encode_uint(0x80)), "8180");
    EXPECT_EQ(base::to_hex(encode_uint(0x0400)), "820400");
}

TEST(Rlp, LongStringsAndListsUseTheLongFormFrom56Bytes) {
    for (std::size_t n : {0u, 1u, 55u, 56u, 255u, 256u, 65535u, 65536u}) {
        const base::Bytes payload(n, 0xaa);
        const auto enc = encode_bytes(payload);
        EXPECT_EQ(enc.size(), encoded_bytes_size(payload));
        auto item = decode_item(enc);
        ASSERT_TRUE(item.ok()) << n;
        EXPECT_EQ(item->payload.size(), n);

        Encoder e;
        e.begin_list().add_raw(enc).end_list();
        auto list = decode_list(e.bytes());
        ASSERT_TRUE(list.ok()) << n;
    }
}

TEST(Rlp, KindAndSizeMismatchesAreErrors) {
    EXPECT_EQ(decode_list(hex("c5c0830102038a")).error(), make_error_code(Errc::trailing_data));
    EXPECT_EQ(decode_list(hex("c6c083010203")).error(), make_error_code(Errc::truncated));

    Encoder e;
    e.begin_list().begin_list().end_list().add_bytes(hex("010203")).end_list();
    auto r = decode_list(e.bytes());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->read_bytes().error(), make_error_code(Errc::expected_string));
    ASSERT_TRUE(r->read_list().ok());
    EXPECT_EQ(r->read_array<4>().error(), make_error_code(Errc::wrong_size));
    EXPECT_EQ(r->read_list().error(), make_error_code(Errc::expected_list));
    auto three = r->read_array<3>();
    ASSERT_TRUE(three.ok());
    EXPECT_EQ((*three)[2], 3);
    EXPECT_TRUE(r->finish().ok());
    EXPECT_EQ(r->read_raw().error(), make_error_code(Errc::missing_element));

    EXPECT_EQ(decode_list(hex("83010203")).error(), make_error_code(Errc::expected_list));
    EXPECT_EQ(decode_item(hex("8001")).error(), make_error_code(Errc::trailing_data));
}

TEST(Rlp, ExtraElementsAreTheCallersChoice) {
    Encoder e;
    e.begin_list().add_uint(4).add_uint(1).add_string("x").end_list();
    auto r = decode_list(e.bytes());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r->read_uint64(), 4u);
    EXPECT_EQ(r->finish().error(), make_error_code(Errc::extra_elements));
    EXPECT_EQ(base::to_hex(r->rest()), "0178");
}

TEST(Rlp, NestingIsBounded) {
    auto nested = [](std::size_t depth) {
        Encoder e;
        for (std::size_t i = 0; i < depth; ++i)
            e.begin_list();
        for (std::size_t i = 0; i < depth; ++i)
            e.end_list();
        return e.take();
    };
    EXPECT_TRUE(validate(nested(k_max_depth)).ok());
    EXPECT_EQ(validate(nested(k_max_depth + 1)).error(), make_error_code(Errc::too_deep));

    const auto deep = nested(k_max_depth + 1);
    auto r = decode_list(deep);
    ASSERT_TRUE(r.ok());
    base::Result<ListReader> cur = *r;
    for (std::size_t d = 1; d < k_max_depth; ++d) {
        cur = cur->read_list();
        ASSERT_TRUE(cur.ok()) << d;
    }
    EXPECT_EQ(cur->read_list().error(), make_error_code(Errc::too_deep));
    // A million nested lists: validate fails fast without deep recursion.
    const base::Bytes bomb(1'000'000, 0xc0);
    EXPECT_FALSE(validate(bomb).ok());
}

TEST(Rlp, EncoderBuildsNestedListsWithLongHeaders) {
    Encoder e;
    e.begin_list();
    for (int i = 0; i < 20; ++i)
        e.begin_list().add_string("abcd").add_uint(static_cast<std::uint64_t>(i)).end_list();
    e.end_list();
    EXPECT_EQ(e.open_lists(), 0u);
    ASSERT_TRUE(validate(e.bytes()).ok());
    auto r = decode_list(e.bytes());
    ASSERT_TRUE(r.ok());
    for (std::uint64_t i = 0; i < 20; ++i) {
        auto inner = r->read_list();
        ASSERT_TRUE(inner.ok());
        EXPECT_EQ(base::as_chars(*inner->read_bytes()), "abcd");
        EXPECT_EQ(*inner->read_uint64(), i);
    }
    EXPECT_TRUE(r->finish().ok());
}

}  // namespace
}  // namespace peerlink::codec::rlp
