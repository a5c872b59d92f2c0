#include "profiles/cometbft/node_info.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/buffer.hpp"
#include "codec/protobuf.hpp"

namespace peerlink::cometbft {
namespace {

using base::Bytes;

constexpr std::string_view k_id = "0123456789abcdef0123456789abcdef01234567";

NodeInfo golden_info() {
    return NodeInfo{
        .protocol_version = {.p2p = 8, .block = 11, .app = 0},
        .node_id = std::string(k_id),
        .listen_addr = "tcp://0.0.0.0:26656",
        .network = "test-chain",
        .version = "0.38.0",
        .channels = {0x40, 0x20, 0x21, 0x22, 0x23, 0x30, 0x38, 0x60, 0x61, 0x00},
        .moniker = "node0",
        .tx_index = "on",
        .rpc_address = "tcp://0.0.0.0:26657",
    };
}

void append(Bytes& out, std::initializer_list<std::uint8_t> bytes) {
    out.insert(out.end(), bytes);
}
void append(Bytes& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
}

/// The encoding of golden_info(), written out field by field as gogoproto's MarshalToSizedBuffer
/// lays it down (types.pb.go): tags 0x0a..0x42 in order, every length a single byte here.
Bytes golden_bytes() {
    Bytes b;
    append(b, {0x0a, 0x04, 0x08, 0x08, 0x10, 0x0b});  // protocol_version {p2p: 8, block: 11}; app 0 omitted
    append(b, {0x12, 40});
    append(b, k_id);
    append(b, {0x1a, 19});
    append(b, "tcp://0.0.0.0:26656");
    append(b, {0x22, 10});
    append(b, "test-chain");
    append(b, {0x2a, 6});
    append(b, "0.38.0");
    append(b, {0x32, 10, 0x40, 0x20, 0x21, 0x22, 0x23, 0x30, 0x38, 0x60, 0x61, 0x00});
    append(b, {0x3a, 5});
    append(b, "node0");
    append(b, {0x42, 25});  // other: 4 bytes of tx_index + 21 of rpc_address
    append(b, {0x0a, 2});
    append(b, "on");
    append(b, {0x12, 19});
    append(b, "tcp://0.0.0.0:26657");
    return b;
}

// ---- encoding ----------------------------------------------------------------------------------

TEST(NodeInfoCodec, GoldenEncodingMatchesGogoproto) {
    EXPECT_EQ(encode(golden_info()), golden_bytes());
}

TEST(NodeInfoCodec, GoldenEncodingDecodesBack) {
    auto decoded = decode(golden_bytes());
    ASSERT_TRUE(decoded.ok()) << decoded.error().message();
    EXPECT_EQ(*decoded, golden_info());
}

TEST(NodeInfoCodec, EmptyInfoStillCarriesTheNonNullableMessages) {
    NodeInfo empty;
    empty.protocol_version = {.p2p = 0, .block = 0, .app = 0};
    // gogoproto (nullable) = false: protocol_version and other are written even when empty.
    EXPECT_EQ(encode(empty), (Bytes{0x0a, 0x00, 0x42, 0x00}));
    auto decoded = decode(encode(empty));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, empty);
}

TEST(NodeInfoCodec, AbsentFieldsDecodeAsZeroNotAsOurDefaults) {
    auto decoded = decode(Bytes{});
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->protocol_version, (ProtocolVersion{.p2p = 0, .block = 0, .app = 0}));
    EXPECT_TRUE(decoded->node_id.empty());
}

TEST(NodeInfoCodec, LargeVersionsUseMultiByteVarints) {
    NodeInfo info = golden_info();
    info.protocol_version.app = 300;  // 0xac 0x02
    const Bytes encoded = encode(info);
    EXPECT_EQ(Bytes(encoded.begin(), encoded.begin() + 8),
              (Bytes{0x0a, 0x07, 0x08, 0x08, 0x10, 0x0b, 0x18, 0xac}));
    EXPECT_EQ(*decode(encoded), info);
}

TEST(NodeInfoCodec, SkipsUnknownFields) {
    Bytes b = golden_bytes();
    append(b, {0x48, 0x01});              // field 9, varint
    append(b, {0x52, 0x02, 0xff, 0xff});  // field 10, bytes
    append(b, {0x5d, 1, 2, 3, 4});        // field 11, fixed32
    // and inside the nested messages
    const Bytes nested = {0x0a, 0x06, 0x08, 0x08, 0x10, 0x0b, 0x20, 0x05, 0x42, 0x02, 0x18, 0x01};
    auto decoded = decode(b);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, golden_info());
    auto nested_decoded = decode(nested);
    ASSERT_TRUE(nested_decoded.ok());
    EXPECT_EQ(nested_decoded->protocol_version, (ProtocolVersion{.p2p = 8, .block = 11, .app = 0}));
}

TEST(NodeInfoCodec, LastScalarWinsAndNestedMessagesMerge) {
    Bytes b = {0x0a, 0x02, 0x08, 0x07,  // protocol_version {p2p: 7}
               0x22, 0x01, 'a',         // network "a"
               0x0a, 0x02, 0x10, 0x0b,  // protocol_version {block: 11}: merged, p2p stays 7
               0x22, 0x01, 'b'};        // network "b" replaces "a"
    auto decoded = decode(b);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->protocol_version, (ProtocolVersion{.p2p = 7, .block = 11, .app = 0}));
    EXPECT_EQ(decoded->network, "b");
}

TEST(NodeInfoCodec, RejectsWrongWireTypesForKnownFields) {
    const Bytes cases[] = {
        {0x08, 0x01},              // protocol_version as a varint
        {0x10, 0x01},              // node_id as a varint
        {0x35, 1, 2, 3, 4},        // channels as fixed32
        {0x40, 0x00},              // other as a varint
        {0x0a, 0x02, 0x0a, 0x00},  // protocol_version.p2p as bytes
        {0x42, 0x02, 0x08, 0x01},  // other.tx_index as a varint
    };
    for (const auto& b : cases) {
        SCOPED_TRACE(base::to_hex(b));
        EXPECT_EQ(decode(b).error(), NodeInfoErrc::malformed);
    }
}

TEST(NodeInfoCodec, RejectsMalformedInputCleanly) {
    const Bytes golden = golden_bytes();
    // Every strict prefix that cuts a field short is malformed; none crashes.
    for (std::size_t n = 1; n < golden.size(); ++n) {
        auto decoded = decode(base::ByteView(golden.data(), n));
        if (!decoded) {
            EXPECT_EQ(decoded.error(), NodeInfoErrc::malformed);
        }
    }
    const Bytes cases[] = {
        {0x12},                                                        // tag without length
        {0x12, 0x05, 'a'},                                             // length past the end
        {0x0a, 0x03, 0x08},                                            // nested length past the end
        {0x0a, 0x01, 0x08},                                            // nested varint cut short
        {0x00, 0x00},                                                  // field number 0
        {0x0b},                                                        // group start (wire type 3)
        {0x0f},                                                        // wire type 7
        {0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},  // unterminated varint
    };
    for (const auto& b : cases) {
        SCOPED_TRACE(base::to_hex(b));
        EXPECT_EQ(decode(b).error(), NodeInfoErrc::malformed);
    }
}

TEST(NodeInfoCodec, TheExchangeReadsWithTheMaximumSize) {
    // The caller frames the message; an announced length above MaxNodeInfoSize is refused before
    // the body is buffered or decoded.
    base::Buffer wire;
    codec::write_delimited(wire, encode(golden_info()));
    auto frame = codec::read_delimited(wire.data(), k_max_node_info_size);
    ASSERT_TRUE(frame.ok() && *frame);
    EXPECT_EQ(*decode((*frame)->message), golden_info());

    base::Buffer oversized;
    codec::ProtoWriter(oversized).raw_varint(k_max_node_info_size + 1);
    EXPECT_EQ(codec::read_delimited(oversized.data(), k_max_node_info_size).error(),
              codec::Errc::message_too_large);
}

// ---- validation --------------------------------------------------------------------------------

void expect_invalid(const NodeInfo& info, NodeInfoErrc expected) {
    EXPECT_EQ(validate(info).error(), expected);
}

TEST(NodeInfoValidate, AcceptsWhatARealNodeSends) {
    EXPECT_TRUE(validate(golden_info()).ok());
}

TEST(NodeInfoValidate, NodeIdMustBe40HexDigits) {
    const std::string ids[] = {"",
                               "0123",
                               std::string(k_id) + "89",
                               std::string(39, 'a') + "g",
                               std::string(40, ' '),
                               std::string(k_id.substr(1)) + " "};
    for (const auto& id : ids) {
        SCOPED_TRACE(id);
        NodeInfo info = golden_info();
        info.node_id = id;
        expect_invalid(info, NodeInfoErrc::bad_node_id);
    }
    NodeInfo upper = golden_info();
    upper.node_id = "0123456789ABCDEF0123456789ABCDEF01234567";  // Go's hex.DecodeString accepts it
    EXPECT_TRUE(validate(upper).ok());
}

TEST(NodeInfoValidate, ListenAddrMustBeHostAndPort) {
    const char* good[] = {
        "tcp://0.0.0.0:26656",
        "0.0.0.0:26656",
        "1.2.3.4:0",
        "[::1]:26656",
        "tcp://[2001:db8::1]:1",
        "localhost:26656",
        "node-1.example.com:26656",
        "example.com.:1",
        "x:00026656",
        "unix://host:1",
        "[fe80::1%eth0]:26656",  // LookupIP takes IPv6 literals with a zone
    };
    for (const char* addr : good) {
        SCOPED_TRACE(addr);
        NodeInfo info = golden_info();
        info.listen_addr = addr;
        EXPECT_TRUE(validate(info).ok());
    }
    const char* bad[] = {
        "",
        "tcp://",
        "0.0.0.0",                  // no port
        ":26656",                   // empty host
        "0.0.0.0:",                 // empty port
        "0.0.0.0:65536",            // port out of range
        "0.0.0.0:-1",               // ParseUint takes no sign
        "0.0.0.0:+1",               //
        "0.0.0.0:26656x",           //
        "::1:26656",                // IPv6 without brackets
        "[::1]26656",               // nothing between ']' and the port
        "[::1]:2:3",                // too many colons
        "[[::1]]:1",                // stray bracket
        "a]:1",                     //
        "01.2.3.4:1",               // leading zero: neither an IP nor a name
        "256.0.0.1:1",              //
        "1.2.3:1",                  // all-numeric names are not names
        "id@0.0.0.0:26656",         // a second '@' once the ID is joined on
        "tcp://a://0.0.0.0:26656",  // Go keeps only the part between the two "://"
        "bad host:1",               //
        "-leading.dash:1",          //
        "trailing-.dash:1",         //
        "a..b:1",                   //
        "[fe80::1%]:1",             // an empty zone
        "1.2.3.4%eth0:1",           // zones are for IPv6 only
    };
    for (const char* addr : bad) {
        SCOPED_TRACE(addr);
        NodeInfo info = golden_info();
        info.listen_addr = addr;
        expect_invalid(info, NodeInfoErrc::bad_listen_addr);
    }
    NodeInfo long_label = golden_info();
    long_label.listen_addr = std::string(64, 'a') + ":1";
    expect_invalid(long_label, NodeInfoErrc::bad_listen_addr);
    long_label.listen_addr = std::string(63, 'a') + ":1";
    EXPECT_TRUE(validate(long_label).ok());
}

TEST(NodeInfoValidate, VersionIsOptionalButMustBeText) {
    NodeInfo info = golden_info();
    info.version = "";
    EXPECT_TRUE(validate(info).ok());
    const std::string bad[] = {"   ", "0.38\t", "v\x7f", "caf\xc3\xa9", std::string("a\0b", 3)};
    for (const auto& v : bad) {
        SCOPED_TRACE(v);
        info.version = v;
        expect_invalid(info, NodeInfoErrc::bad_version);
    }
    info.version = " 0.38 .0 ";  // spaces are printable; only all-space is refused
    EXPECT_TRUE(validate(info).ok());
}

TEST(NodeInfoValidate, AtMostSixteenChannels) {
    NodeInfo info = golden_info();
    info.channels.clear();
    for (std::uint8_t c = 0; c < 16; ++c)
        info.channels.push_back(c);
    EXPECT_TRUE(validate(info).ok());
    info.channels.push_back(16);
    expect_invalid(info, NodeInfoErrc::too_many_channels);
}

TEST(NodeInfoValidate, NoDuplicateChannels) {
    NodeInfo info = golden_info();
    info.channels = {0x40, 0x20, 0x40};
    expect_invalid(info, NodeInfoErrc::duplicate_channel);
    info.channels = {};
    EXPECT_TRUE(validate(info).ok());
}

TEST(NodeInfoValidate, MonikerIsRequiredText) {
    for (const char* m : {"", " ", "tab\there", "new\nline", "\x80"}) {
        SCOPED_TRACE(m);
        NodeInfo info = golden_info();
        info.moniker = m;
        expect_invalid(info, NodeInfoErrc::bad_moniker);
    }
}

TEST(NodeInfoValidate, TxIndexIsOnOffOrEmpty) {
    NodeInfo info = golden_info();
    for (const char* ok : {"", "on", "off"}) {
        info.tx_index = ok;
        EXPECT_TRUE(validate(info).ok());
    }
    for (const char* bad : {"ON", "kv", " on"}) {
        info.tx_index = bad;
        expect_invalid(info, NodeInfoErrc::bad_tx_index);
    }
}

TEST(NodeInfoValidate, RpcAddressIsOptionalButMustBeText) {
    NodeInfo info = golden_info();
    info.rpc_address = "";
    EXPECT_TRUE(validate(info).ok());
    info.rpc_address = "anything printable, not parsed";
    EXPECT_TRUE(validate(info).ok());
    for (const char* bad : {"  ", "tcp://\t", "\x01"}) {
        info.rpc_address = bad;
        expect_invalid(info, NodeInfoErrc::bad_rpc_address);
    }
}

TEST(NodeInfoValidate, NetworkIsNotCheckedHere) {
    NodeInfo info = golden_info();
    info.network = "\t";
    EXPECT_TRUE(validate(info).ok());
}

TEST(NodeInfoValidate, ErrorsHaveTheirOwnCategoryAndMessages) {
    for (int v = static_cast<int>(NodeInfoErrc::malformed);
         v <= static_cast<int>(NodeInfoErrc::no_common_channels); ++v) {
        const std::error_code ec = static_cast<NodeInfoErrc>(v);
        EXPECT_STREQ(ec.category().name(), "cometbft.nodeinfo");
        EXPECT_NE(ec.message(), "unknown node info error");
    }
}

// ---- compatibility -----------------------------------------------------------------------------

TEST(NodeInfoCompatible, SameBlockVersionNetworkAndAChannelInCommon) {
    const NodeInfo ours = golden_info();
    NodeInfo theirs = golden_info();
    theirs.protocol_version.p2p = 7;  // only the block version matters
    theirs.protocol_version.app = 5;
    theirs.version = "0.37.2";
    theirs.channels = {0x99, 0x38};
    EXPECT_TRUE(check_compatible(ours, theirs).ok());
}

TEST(NodeInfoCompatible, DifferentBlockVersion) {
    NodeInfo theirs = golden_info();
    theirs.protocol_version.block = 10;
    EXPECT_EQ(check_compatible(golden_info(), theirs).error(), NodeInfoErrc::incompatible_block_version);
}

TEST(NodeInfoCompatible, DifferentNetwork) {
    NodeInfo theirs = golden_info();
    theirs.network = "other-chain";
    EXPECT_EQ(check_compatible(golden_info(), theirs).error(), NodeInfoErrc::wrong_network);
}

TEST(NodeInfoCompatible, NoCommonChannel) {
    NodeInfo theirs = golden_info();
    theirs.channels = {0x01, 0x02};
    EXPECT_EQ(check_compatible(golden_info(), theirs).error(), NodeInfoErrc::no_common_channels);
    theirs.channels = {};
    EXPECT_EQ(check_compatible(golden_info(), theirs).error(), NodeInfoErrc::no_common_channels);
}

TEST(NodeInfoCompatible, WeWithNoChannelsAcceptAnyone) {
    // node_info.go: "if we have no channels, we're just testing". Not symmetric.
    NodeInfo ours = golden_info();
    ours.channels = {};
    NodeInfo theirs = golden_info();
    theirs.channels = {0x01};
    EXPECT_TRUE(check_compatible(ours, theirs).ok());
    EXPECT_EQ(check_compatible(theirs, ours).error(), NodeInfoErrc::no_common_channels);
}

}  // namespace
}  // namespace peerlink::cometbft
