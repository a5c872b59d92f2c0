// ENR (EIP-778): the published example record, signing, round trips and every rejection.
#include <gtest/gtest.h>

#include "codec/rlp.hpp"
#include "crypto/keccak.hpp"
#include "profiles/devp2p/enr.hpp"
#include "test_util.hpp"

namespace peerlink::devp2p::enr {
namespace {

using test::hex;
using test::hex_array;
namespace rlp = codec::rlp;
namespace secp = crypto::secp256k1;

// EIP-778 "Test Vectors": key, record and node ID.
const secp::SecretKey k_key =
    hex_array<32>("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291");
constexpr const char* k_example =
    "enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0"
    "gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8";
constexpr const char* k_example_node_id = "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7";

/// Re-encodes a record's list with its first element (the signature) replaced.
base::Bytes with_signature(const Record& r, base::ByteView signature) {
    auto list = rlp::decode_list(r.encoded());
    EXPECT_TRUE(list.ok());
    rlp::ListReader reader = *list;
    EXPECT_TRUE(reader.skip().ok());
    rlp::Encoder e;
    e.begin_list().add_bytes(signature);
    while (!reader.at_end())
        e.add_raw(*reader.read_raw());
    e.end_list();
    return e.take();
}

/// A record signed over arbitrary (possibly invalid) content, for the rejection tests.
base::Bytes signed_raw(const std::vector<std::pair<std::string, base::Bytes>>& pairs, std::uint64_t seq = 1) {
    rlp::Encoder content;
    content.begin_list().add_uint(seq);
    for (const auto& [k, v] : pairs)
        content.add_string(k).add_raw(v);
    content.end_list();
    auto sig = secp::sign_recoverable(k_key, crypto::keccak256(content.bytes()));
    EXPECT_TRUE(sig.ok());
    rlp::Encoder e;
    e.begin_list().add_bytes(base::ByteView(sig->data(), 64)).add_uint(seq);
    for (const auto& [k, v] : pairs)
        e.add_string(k).add_raw(v);
    e.end_list();
    return e.take();
}

base::Bytes compressed_key() {
    auto pk = secp::public_key_of(k_key);
    return rlp::encode_bytes(*secp::compress(*pk));
}

TEST(Enr, DecodesTheEip778ExampleRecord) {
    auto r = Record::from_text(k_example);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->seq(), 1u);
    ASSERT_TRUE(r->ip().has_value());
    EXPECT_EQ(r->ip()->to_string(), "127.0.0.1");
    EXPECT_EQ(r->udp_port(), std::optional<std::uint16_t>(30303));
    EXPECT_FALSE(r->tcp_port().has_value());
    EXPECT_EQ(base::to_hex(r->node_id()), k_example_node_id);
    EXPECT_EQ(r->public_key(), *secp::public_key_of(k_key));
    EXPECT_EQ(r->text(), k_example);
    ASSERT_EQ(r->pairs().size(), 4u);
    EXPECT_EQ(r->pairs()[0].key, "id");
    EXPECT_EQ(r->pairs()[3].key, "udp");
}

TEST(Enr, SigningTheExampleContentReproducesTheRecord) {
    // RFC 6979 signatures are deterministic, so our signature must equal the published one.
    auto r = Record::sign_endpoint(k_key, 1, *addrbook::IpAddress::parse("127.0.0.1"), 0, 30303);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->text(), k_example);
}

TEST(Enr, Ipv6EndpointAndExtraPairsRoundTrip) {
    const auto ip = *addrbook::IpAddress::parse("2001:db8::7");
    auto r = Record::sign(k_key, 42,
                          {Pair{"udp6", rlp::encode_uint(30301)}, Pair{"ip6", rlp::encode_bytes(ip.bytes())},
                           Pair{"tcp6", rlp::encode_uint(30303)}, Pair{"eth", hex("c7c6849b6c2a3b80")}});
    ASSERT_TRUE(r.ok()) << r.error().message();
    auto back = Record::decode(r->encoded());
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, *r);
    EXPECT_EQ(back->seq(), 42u);
    EXPECT_EQ(back->ip(), ip);
    EXPECT_EQ(back->tcp_port(), std::optional<std::uint16_t>(30303));
    EXPECT_EQ(back->udp_port(), std::optional<std::uint16_t>(30301));
    ASSERT_TRUE(back->get("eth").has_value());
    EXPECT_EQ(base::to_hex(*back->get("eth")), "c7c6849b6c2a3b80");
    EXPECT_FALSE(back->get("ip").has_value());
    auto from_text = Record::from_text(back->text());
    ASSERT_TRUE(from_text.ok());
    EXPECT_EQ(*from_text, *r);
}

TEST(Enr, RejectsATamperedSignature) {
    auto r = Record::from_text(k_example);
    ASSERT_TRUE(r.ok());
    base::Bytes bad = r->encoded();
    bad[5] ^= 0x01;  // inside the signature
    EXPECT_EQ(Record::decode(bad).error(), make_error_code(Errc::bad_signature));
    // A valid record with its signature cut to 63 bytes.
    base::Bytes sig(63, 0x11);
    EXPECT_EQ(Record::decode(with_signature(*r, sig)).error(), make_error_code(Errc::bad_signature));
}

TEST(Enr, RejectsUnsortedOrRepeatedKeys) {
    const auto id = rlp::encode_bytes(base::as_bytes("v4"));
    const auto key = compressed_key();
    EXPECT_TRUE(Record::decode(signed_raw({{"id", id}, {"secp256k1", key}})).ok());
    EXPECT_EQ(Record::decode(signed_raw({{"secp256k1", key}, {"id", id}})).error(),
              make_error_code(Errc::keys_not_sorted));
    EXPECT_EQ(Record::decode(signed_raw({{"id", id}, {"id", id}, {"secp256k1", key}})).error(),
              make_error_code(Errc::keys_not_sorted));
    EXPECT_EQ(
        Record::sign(k_key, 1, {Pair{"udp", rlp::encode_uint(1)}, Pair{"udp", rlp::encode_uint(2)}}).error(),
        make_error_code(Errc::keys_not_sorted));
}

TEST(Enr, RejectsOtherSchemesAndBadKeys) {
    const auto key = compressed_key();
    EXPECT_EQ(
        Record::decode(signed_raw({{"id", rlp::encode_bytes(base::as_bytes("v5"))}, {"secp256k1", key}}))
            .error(),
        make_error_code(Errc::unknown_scheme));
    EXPECT_EQ(Record::decode(signed_raw({{"secp256k1", key}})).error(),
              make_error_code(Errc::unknown_scheme));
    const auto compressed = *secp::compress(*secp::public_key_of(k_key));
    base::Bytes not_a_point(compressed.begin(), compressed.end());
    not_a_point[0] = 0x05;  // neither 02 nor 03
    EXPECT_EQ(Record::decode(signed_raw({{"id", rlp::encode_bytes(base::as_bytes("v4"))},
                                         {"secp256k1", rlp::encode_bytes(not_a_point)}}))
                  .error(),
              make_error_code(Errc::bad_public_key));
    EXPECT_EQ(Record::decode(signed_raw({{"id", rlp::encode_bytes(base::as_bytes("v4"))}})).error(),
              make_error_code(Errc::bad_public_key));
}

TEST(Enr, RejectsMalformedAndOversizedRecords) {
    EXPECT_EQ(Record::decode(hex("c0")).error(), make_error_code(Errc::malformed));
    EXPECT_EQ(Record::decode(hex("c180")).error(), make_error_code(Errc::malformed));  // no seq
    EXPECT_EQ(Record::decode(hex("80")).error(), make_error_code(Errc::malformed));    // not a list
    // A key without a value.
    EXPECT_EQ(Record::decode(hex("c58080826964")).error(), make_error_code(Errc::malformed));
    EXPECT_EQ(Record::decode(base::Bytes(301, 0xc0)).error(), make_error_code(Errc::too_large));
    EXPECT_EQ(Record::sign(k_key, 1, {Pair{"big", rlp::encode_bytes(base::Bytes(200, 7))}}).error(),
              make_error_code(Errc::too_large));
    EXPECT_EQ(Record::sign(k_key, 1, {Pair{"id", rlp::encode_bytes(base::as_bytes("v4"))}}).error(),
              make_error_code(Errc::malformed));
}

TEST(Enr, TextFormIsStrict) {
    EXPECT_EQ(Record::from_text("enr-IS4Q").error(), make_error_code(Errc::bad_text));
    EXPECT_EQ(Record::from_text("enr:-IS4Q+").error(), make_error_code(Errc::bad_text));
    EXPECT_EQ(Record::from_text("enr:" + std::string(500, 'A')).error(), make_error_code(Errc::too_large));
}

TEST(Enr, Base64UrlRoundTripsEveryLength) {
    base::Bytes data;
    for (int n = 0; n < 20; ++n) {
        const std::string text = base64url_encode(data);
        EXPECT_EQ(text.find('='), std::string::npos);
        auto back = base64url_decode(text);
        ASSERT_TRUE(back.has_value()) << n;
        EXPECT_EQ(*back, data);
        data.push_back(static_cast<std::uint8_t>(0xf0 + n));
    }
    EXPECT_EQ(base64url_encode(hex("fbff")), "-_8");
    EXPECT_FALSE(base64url_decode("A").has_value());    // a lone 6-bit group
    EXPECT_FALSE(base64url_decode("-_9").has_value());  // leftover bits set
}

}  // namespace
}  // namespace peerlink::devp2p::enr
