#include <gtest/gtest.h>

#include "codec/rlp.hpp"
#include "codec/snappy.hpp"
#include "frame_fixture.hpp"
#include "profiles/devp2p/base_protocol.hpp"
#include "test_util.hpp"

namespace peerlink::devp2p {
namespace {

using test::hex;

Hello sample_hello(const secp::PublicKey& id) {
    return Hello{
        .protocol_version = 5,
        .client_id = "peerlink/v0.1.0",
        .capabilities = {{"eth", 67}, {"eth", 68}, {"snap", 1}},
        .listen_port = 30303,
        .node_id = id,
    };
}

TEST(Hello, EncodeDecodeRoundTrip) {
    const auto kp = secp::generate();
    const Hello h = sample_hello(kp.public_key);
    const auto wire = encode_hello(h);
    auto back = decode_hello(wire);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->protocol_version, 5u);
    EXPECT_EQ(back->client_id, h.client_id);
    EXPECT_EQ(back->capabilities, h.capabilities);
    EXPECT_EQ(back->listen_port, 30303u);
    EXPECT_EQ(back->node_id, kp.public_key);
    EXPECT_TRUE(check_hello_identity(*back, kp.public_key).ok());
}

TEST(Hello, KnownEncoding) {
    secp::PublicKey id{};
    id.fill(0xab);
    const Hello h{.protocol_version = 5,
                  .client_id = "x",
                  .capabilities = {{"eth", 68}},
                  .listen_port = 0,
                  .node_id = id};
    // [5, "x", [["eth", 68]], 0, id]: 76 payload bytes, so a long list header.
    std::string id_hex;
    for (int k = 0; k < 64; ++k)
        id_hex += "ab";
    EXPECT_EQ(base::to_hex(encode_hello(h)),
              "f84c"
              "05"
              "78"
              "c6c58365746844"
              "80"
              "b840" +
                  id_hex);
}

TEST(Hello, ExtraElementsAndHigherVersionsAreTolerated) {
    const auto kp = secp::generate();
    codec::rlp::Encoder e;
    e.begin_list()
        .add_uint(22)
        .add_string("future")
        .begin_list()
        .end_list()
        .add_uint(1)
        .add_bytes(kp.public_key)
        .add_string("extra")
        .begin_list()
        .add_uint(1)
        .end_list()
        .end_list();
    auto h = decode_hello(e.bytes());
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->protocol_version, 22u);
    EXPECT_TRUE(h->capabilities.empty());
}

TEST(Hello, MalformedAndOversizedAreRejected) {
    const auto kp = secp::generate();
    EXPECT_EQ(decode_hello(hex("c0")).error(), make_error_code(Errc::malformed_hello));
    EXPECT_EQ(decode_hello(hex("80")).error(), make_error_code(Errc::malformed_hello));
    EXPECT_EQ(decode_hello({}).error(), make_error_code(Errc::malformed_hello));
    // Capability entry with an extra element (go-ethereum's Cap has no tail).
    codec::rlp::Encoder e;
    e.begin_list()
        .add_uint(5)
        .add_string("c")
        .begin_list()
        .begin_list()
        .add_string("eth")
        .add_uint(68)
        .add_uint(1);
    e.end_list().end_list().add_uint(0).add_bytes(kp.public_key).end_list();
    EXPECT_EQ(decode_hello(e.take()).error(), make_error_code(Errc::malformed_hello));
    // Trailing bytes after the list.
    auto trailing = encode_hello(sample_hello(kp.public_key));
    trailing.push_back(0x00);
    EXPECT_EQ(decode_hello(trailing).error(), make_error_code(Errc::malformed_hello));

    Hello big = sample_hello(kp.public_key);
    big.client_id.assign(2100, 'c');
    EXPECT_EQ(decode_hello(encode_hello(big)).error(), make_error_code(Errc::hello_too_large));
    big.client_id.assign(1900, 'c');
    EXPECT_TRUE(decode_hello(encode_hello(big)).ok());
}

TEST(Hello, NodeIdMustBeAValidKeyAndTheAuthenticatedOne) {
    const auto kp = secp::generate();
    const auto other = secp::generate();
    Hello h = sample_hello(kp.public_key);
    EXPECT_EQ(check_hello_identity(h, other.public_key).error(), make_error_code(Errc::node_id_mismatch));

    h.node_id[5] ^= 1;
    EXPECT_EQ(decode_hello(encode_hello(h)).error(), make_error_code(Errc::invalid_identity));
    codec::rlp::Encoder e;
    e.begin_list().add_uint(5).add_string("c").begin_list().end_list().add_uint(0);
    e.add_bytes(base::ByteView(kp.public_key).first(63)).end_list();
    EXPECT_EQ(decode_hello(e.take()).error(), make_error_code(Errc::invalid_identity));
}

TEST(Hello, IsNeverCompressedButLaterMessagesAre) {
    test::CodecPair p;
    base::Buffer wire;
    const auto hello = encode_hello(sample_hello(p.ka.public_key));
    ASSERT_TRUE(p.a->write_uncompressed(k_hello_code, hello, wire).ok());
    auto step = p.b->read(wire.data());
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->code, k_hello_code);
    auto got = decode_hello(step->message->payload);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(check_hello_identity(*got, p.b->remote_public_key()).ok());
    wire.consume(step->consumed);

    ASSERT_TRUE(use_snappy(k_base_protocol_version, got->protocol_version));
    EXPECT_FALSE(use_snappy(k_base_protocol_version, 4));
    p.a->set_snappy(true);
    p.b->set_snappy(true);
    ASSERT_TRUE(p.a->write(k_ping_code, encode_ping(), wire).ok());
    step = p.b->read(wire.data());
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->code, k_ping_code);
    EXPECT_EQ(base::to_hex(step->message->payload), "c0");
}

TEST(Disconnect, ListAndBareForms) {
    EXPECT_EQ(base::to_hex(encode_disconnect(DisconnectReason::too_many_peers)), "c104");
    EXPECT_EQ(base::to_hex(encode_disconnect(DisconnectReason::requested)), "c180");
    EXPECT_EQ(*decode_disconnect(hex("c104")), 4);
    EXPECT_EQ(*decode_disconnect(hex("c180")), 0);
    EXPECT_EQ(*decode_disconnect(hex("04")), 4);  // bare reason, as go-ethereum accepts
    EXPECT_EQ(*decode_disconnect(hex("80")), 0);
    EXPECT_EQ(*decode_disconnect(hex("c21001")), 0x10);  // extra elements ignored
    EXPECT_EQ(decode_disconnect(hex("c0")).error(), make_error_code(Errc::malformed_disconnect));
    EXPECT_EQ(decode_disconnect({}).error(), make_error_code(Errc::malformed_disconnect));
    EXPECT_EQ(decode_disconnect(hex("820100")).error(), make_error_code(Errc::malformed_disconnect));
    EXPECT_EQ(decode_disconnect(hex("c1c0")).error(), make_error_code(Errc::malformed_disconnect));
}

TEST(Disconnect, ReasonNamesFollowGoEthereum) {
    EXPECT_EQ(disconnect_reason_name(0x00), "disconnect requested");
    EXPECT_EQ(disconnect_reason_name(0x04), "too many peers");
    EXPECT_EQ(disconnect_reason_name(0x0a), "connected to self");
    EXPECT_EQ(disconnect_reason_name(0x0b), "read timeout");
    EXPECT_EQ(disconnect_reason_name(0x10), "subprotocol error");
    EXPECT_EQ(disconnect_reason_name(0x0c), "unknown disconnect reason");
    EXPECT_EQ(base::to_hex(encode_ping()), "c0");
    EXPECT_EQ(base::to_hex(encode_pong()), "c0");
}

// The cases of go-ethereum's TestMatchProtocols (p2p/peer_test.go).
struct Want {
    std::string name;
    std::uint64_t version;
    std::uint64_t offset;
};

void expect_match(std::vector<Protocol> ours, std::vector<Capability> theirs, std::vector<Want> want) {
    const auto got = match_protocols(ours, theirs);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].name, want[i].name);
        EXPECT_EQ(got[i].version, want[i].version);
        EXPECT_EQ(got[i].offset, want[i].offset);
        EXPECT_EQ(ours[got[i].local_index].name, want[i].name);
    }
}

TEST(MatchProtocols, GoEthereumCases) {
    // No remote capabilities / no local protocols.
    expect_match({{"a", 1, 1}}, {}, {});
    expect_match({}, {{"a", 1}}, {});
    // No mutual protocols.
    expect_match({{"c", 1, 1}, {"d", 1, 1}}, {{"a", 1}, {"b", 1}}, {});
    // Some matches, some differences.
    expect_match({{"match1", 1, 1}, {"match2", 1, 1}, {"nomatch", 1, 1}},
                 {{"local", 1}, {"match1", 1}, {"match2", 1}}, {{"match1", 1, 16}, {"match2", 1, 17}});
    // Various alphabetical ordering.
    expect_match({{"aa", 1, 1}, {"bb", 1, 1}, {"cc", 1, 1}, {"dd", 1, 1}},
                 {{"aa", 1}, {"ab", 1}, {"bb", 1}, {"ba", 1}, {"dd", 1}},
                 {{"aa", 1, 16}, {"bb", 1, 17}, {"dd", 1, 18}});
    // No mutual versions.
    expect_match({{"a", 1, 1}, {"b", 1, 1}}, {{"a", 2}, {"b", 2}}, {});
    // Multiple versions, single common.
    expect_match({{"a", 1, 1}, {"a", 2, 1}}, {{"a", 1}, {"a", 3}}, {{"a", 1, 16}});
    // Multiple versions, multiple common: the highest wins.
    expect_match({{"a", 1, 1}, {"a", 2, 1}, {"a", 3, 1}, {"a", 4, 1}},
                 {{"a", 1}, {"a", 2}, {"a", 3}, {"a", 4}}, {{"a", 4, 16}});
    // Various version orderings.
    expect_match({{"a", 4, 1}, {"a", 1, 1}, {"a", 3, 1}}, {{"a", 3}, {"a", 1}, {"a", 2}}, {{"a", 3, 16}});
    // Versions overriding sub-protocol lengths.
    expect_match({{"a", 1, 1}, {"a", 2, 2}, {"a", 3, 3}, {"b", 1, 1}}, {{"a", 1}, {"a", 2}, {"b", 1}},
                 {{"a", 2, 16}, {"b", 1, 18}});
}

TEST(MatchProtocols, RoutingCodesToProtocols) {
    const std::vector<Protocol> ours = {{"eth", 68, 17}, {"snap", 1, 8}, {"les", 4, 23}};
    const std::vector<Capability> theirs = {{"snap", 1}, {"eth", 68}, {"eth", 67}};
    const auto matched = match_protocols(ours, theirs);
    ASSERT_EQ(matched.size(), 2u);
    EXPECT_EQ(matched[0].name, "eth");
    EXPECT_EQ(matched[0].offset, 16u);
    EXPECT_EQ(matched[1].name, "snap");
    EXPECT_EQ(matched[1].offset, 33u);

    auto r = route_message(matched, 16);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->protocol, 0u);
    EXPECT_EQ(r->code, 0u);
    r = route_message(matched, 32);
    EXPECT_EQ(r->protocol, 0u);
    EXPECT_EQ(r->code, 16u);
    r = route_message(matched, 33);
    EXPECT_EQ(r->protocol, 1u);
    EXPECT_EQ(r->code, 0u);
    r = route_message(matched, 40);
    EXPECT_EQ(r->code, 7u);
    EXPECT_EQ(route_message(matched, 41).error(), make_error_code(Errc::unknown_message_code));
    EXPECT_EQ(route_message(matched, 15).error(), make_error_code(Errc::unknown_message_code));
    EXPECT_EQ(route_message(matched, ~0ull).error(), make_error_code(Errc::unknown_message_code));
    EXPECT_EQ(route_message({}, 16).error(), make_error_code(Errc::unknown_message_code));
}

}  // namespace
}  // namespace peerlink::devp2p
