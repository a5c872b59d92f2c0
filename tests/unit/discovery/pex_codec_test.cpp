// PEX wire format: exact bytes against hand-encoded protobuf, round trips, and decode bounds.
#include <gtest/gtest.h>

#include <string>

#include "discovery/pex_core.hpp"

namespace peerlink::discovery {
namespace {

using addrbook::NetAddress;

base::Bytes hex(std::string_view text) {
    return *base::from_hex(text);
}

base::Bytes concat(std::initializer_list<base::Bytes> parts) {
    base::Bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

base::Bytes text(std::string_view s) {
    auto v = base::as_bytes(s);
    return base::Bytes(v.begin(), v.end());
}

const std::string k_id = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

/// `n` entries of NetAddress{ip: "1.2.3.4", port: 1} inside a pex_addrs message.
base::Bytes addrs_message(std::size_t n) {
    const base::Bytes entry =
        hex("0a0b"
            "1207312e322e332e34"
            "1801");  // 13 bytes each
    base::Bytes body;
    body.reserve(n * entry.size());
    for (std::size_t i = 0; i < n; ++i)
        body.insert(body.end(), entry.begin(), entry.end());
    base::Bytes out{0x12};
    for (std::size_t len = body.size();; len >>= 7) {  // uvarint length
        if (len < 0x80) {
            out.push_back(static_cast<std::uint8_t>(len));
            break;
        }
        out.push_back(static_cast<std::uint8_t>((len & 0x7f) | 0x80));
    }
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

TEST(PexCodec, RequestIsTagOneWithAnEmptyBody) {
    EXPECT_EQ(encode(PexMessage{.kind = PexMessage::Kind::request, .addrs = {}}), hex("0a00"));
}

TEST(PexCodec, AddrsWithOneAddressMatchesHandEncoding) {
    // Given NetAddress{id: 40 hex chars, ip: "1.2.3.4", port: 26656}
    const PexMessage m{.kind = PexMessage::Kind::addrs,
                       .addrs = {NetAddress{.id = k_id, .ip = "1.2.3.4", .port = 26656}}};
    // NetAddress body: 0a 28 <id> | 12 07 "1.2.3.4" | 18 a0 d0 01 (26656 as uvarint) = 55 bytes;
    // PexAddrs body: 0a 37 <55> = 57 bytes; Message: 12 39 <57>.
    const base::Bytes expected = concat({hex("1239"
                                             "0a37"
                                             "0a28"),
                                         text(k_id), hex("1207"), text("1.2.3.4"), hex("18a0d001")});
    EXPECT_EQ(expected.size(), 59u);
    EXPECT_EQ(encode(m), expected);
}

TEST(PexCodec, EmptyFieldsAreOmittedButTheEntryIsStillWritten) {
    const PexMessage m{.kind = PexMessage::Kind::addrs, .addrs = {NetAddress{}}};
    EXPECT_EQ(encode(m), hex("1202"
                             "0a00"));
    const PexMessage none{.kind = PexMessage::Kind::addrs, .addrs = {}};
    EXPECT_EQ(encode(none), hex("1200"));
}

TEST(PexCodec, RoundTrips) {
    const PexMessage request{.kind = PexMessage::Kind::request, .addrs = {}};
    auto r = decode_pex(encode(request));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, PexMessage::Kind::request);
    EXPECT_TRUE(r->addrs.empty());

    const PexMessage addrs{.kind = PexMessage::Kind::addrs,
                           .addrs = {NetAddress{.id = k_id, .ip = "1.2.3.4", .port = 26656},
                                     NetAddress{.id = "", .ip = "2001:db8::1", .port = 65535},
                                     NetAddress{.id = "", .ip = "", .port = 0}}};
    auto a = decode_pex(encode(addrs));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->kind, PexMessage::Kind::addrs);
    EXPECT_EQ(a->addrs, addrs.addrs);

    auto empty = decode_pex(hex("1200"));
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->kind, PexMessage::Kind::addrs);
    EXPECT_TRUE(empty->addrs.empty());
}

TEST(PexCodec, SkipsUnknownFieldsAndTakesTheLastOneofMember) {
    // Unknown field 5 (varint) in Message and field 4 in NetAddress are skipped.
    auto a =
        decode_pex(hex("2801"
                       "1206"
                       "0a04"
                       "2007"
                       "1801"));
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a->addrs.size(), 1u);
    EXPECT_EQ(a->addrs[0].port, 1);
    // pex_addrs then pex_request: the request wins.
    auto r =
        decode_pex(hex("1202"
                       "0a00"
                       "0a00"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, PexMessage::Kind::request);
    EXPECT_TRUE(r->addrs.empty());
}

TEST(PexCodec, PortKeepsTheLow32BitsLikeGo) {
    // port = 2^32 + 80 as a varint: Go's uint32 decode drops the high bits.
    auto a =
        decode_pex(hex("1208"
                       "0a06"
                       "18d080808010"));
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a->addrs.size(), 1u);
    EXPECT_EQ(a->addrs[0].port, 80);
}

TEST(PexCodec, RefusesMalformedInput) {
    const auto malformed = make_error_code(PexErrc::malformed);
    EXPECT_EQ(decode_pex({}).error(), malformed);             // no oneof member
    EXPECT_EQ(decode_pex(hex("1a00")).error(), malformed);    // unknown member only
    EXPECT_EQ(decode_pex(hex("0801")).error(), malformed);    // pex_request as varint
    EXPECT_EQ(decode_pex(hex("1001")).error(), malformed);    // pex_addrs as varint
    EXPECT_EQ(decode_pex(hex("0a")).error(), malformed);      // truncated
    EXPECT_EQ(decode_pex(hex("0a05")).error(), malformed);    // length past the end
    EXPECT_EQ(decode_pex(hex("0a01ff")).error(), malformed);  // request body not protobuf
    EXPECT_EQ(decode_pex(hex("1202"
                             "0801"))
                  .error(),
              malformed);  // addrs entry as varint
    EXPECT_EQ(decode_pex(hex("1204"
                             "0a02"
                             "0801"))
                  .error(),
              malformed);  // id as varint
    EXPECT_EQ(decode_pex(hex("1204"
                             "0a02"
                             "1001"))
                  .error(),
              malformed);  // ip as varint
    EXPECT_EQ(decode_pex(hex("1204"
                             "0a02"
                             "1a00"))
                  .error(),
              malformed);  // port as bytes
    EXPECT_EQ(decode_pex(hex("1206"
                             "0a04"
                             "18808004"))
                  .error(),
              malformed);                                   // port 65536
    EXPECT_EQ(decode_pex(hex("0b0c")).error(), malformed);  // group wire type
}

TEST(PexCodec, DecodesOneEntryMoreThanAllowed) {
    // Given 251 entries, all are decoded so the core can refuse the list.
    auto a = decode_pex(addrs_message(k_max_addresses_per_message + 1));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->addrs.size(), k_max_addresses_per_message + 1);
}

TEST(PexCodec, StopsEarlyOnHugeLists) {
    // Given 100,000 entries (1.3 MB), decoding stops after 251 and allocates for no more.
    auto a = decode_pex(addrs_message(100'000));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->addrs.size(), k_max_addresses_per_message + 1);
    EXPECT_LE(a->addrs.capacity(), 512u);
}

TEST(PexCodec, ErrorCategoryNamesTheLayer) {
    const std::error_code ec = PexErrc::request_too_soon;
    EXPECT_STREQ(ec.category().name(), "discovery.pex");
    EXPECT_EQ(ec.message(), "peer sent next PEX request too soon");
}

}  // namespace
}  // namespace peerlink::discovery
