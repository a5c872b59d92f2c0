// Message codecs: round trips of every message, btcd's known version bytes, and the limits Core
// enforces (entry counts, addrv2 lengths, user agent length, trailing bytes).
#include <gtest/gtest.h>

#include "codec/bitcoin_stream.hpp"
#include "profiles/bitcoin/messages.hpp"

namespace peerlink::bitcoin {
namespace {

base::Bytes hex(std::string_view h) {
    return *base::from_hex(h);
}

Hash256 hash_of(std::uint8_t seed) {
    Hash256 h{};
    for (std::size_t i = 0; i < h.size(); ++i)
        h[i] = static_cast<std::uint8_t>(seed + i);
    return h;
}

// btcd wire/msgversion_test.go baseVersionBIP0037Encoded (protocol 70001, relay true).
constexpr std::string_view k_btcd_version_70001 =
    "71110100"
    "0100000000000000"
    "29ab5f4900000000"
    "0100000000000000"
    "00000000000000000000ffffc0a80001"
    "208d"
    "0100000000000000"
    "00000000000000000000ffff7f000001"
    "208d"
    "f3e0010000000000"
    "10"
    "2f6463726474657374"
    "3a302e302e312f"
    "fa920300"
    "01";

Version btcd_version() {
    Version v;
    v.version = 70001;
    v.services = k_node_network;
    v.timestamp = 0x495fab29;
    v.addr_recv = {k_node_network, ipv4_mapped(192, 168, 0, 1), 8333};
    v.addr_from = {k_node_network, ipv4_mapped(127, 0, 0, 1), 8333};
    v.nonce = 123123;
    v.user_agent = "/dcrdtest:0.0.1/";
    v.start_height = 234234;
    v.relay = true;
    return v;
}

TEST(BitcoinMessages, VersionMatchesBtcdBytes) {
    EXPECT_EQ(base::to_hex(encode_payload(btcd_version())), k_btcd_version_70001);
    auto decoded = decode_message("version", hex(k_btcd_version_70001));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(std::get<Version>(*decoded), btcd_version());
}

TEST(BitcoinMessages, VersionOptionalFieldsAsBtcdAndCore) {
    // btcd TestVersionOptionalFields: each prefix of the 60002 encoding decodes (no relay byte).
    const base::Bytes full = hex(k_btcd_version_70001);
    const base::Bytes v60002(full.begin(), full.end() - 1);
    for (const std::size_t cut :
         {std::size_t{55}, std::size_t{29}, std::size_t{21}, std::size_t{4}, std::size_t{0}}) {
        const base::ByteView prefix(v60002.data(), v60002.size() - cut);
        auto m = decode_message("version", prefix);
        ASSERT_TRUE(m.ok()) << cut;
        EXPECT_FALSE(std::get<Version>(*m).relay.has_value());
    }
    // A group cut in half is truncated, not optional.
    EXPECT_EQ(decode_message("version", base::ByteView(v60002.data(), v60002.size() - 40)).error(),
              codec::BtcErrc::truncated);
    // Later fields (bytes after relay) are tolerated, as Core and btcd do.
    base::Bytes longer = full;
    longer.push_back(0x77);
    EXPECT_TRUE(decode_message("version", longer).ok());
}

TEST(BitcoinMessages, VersionUserAgentLimit) {
    Version v = btcd_version();
    v.user_agent = std::string(256, 'a');
    EXPECT_TRUE(decode_message("version", encode_payload(v)).ok());
    v.user_agent = std::string(257, 'a');
    EXPECT_EQ(decode_message("version", encode_payload(v)).error(), codec::BtcErrc::too_long);
}

TEST(BitcoinMessages, EveryMessageRoundTrips) {
    std::vector<Message> all;
    all.emplace_back(btcd_version());
    all.emplace_back(Verack{});
    all.emplace_back(Ping{0x0123456789abcdef});
    all.emplace_back(Pong{7});
    all.emplace_back(GetAddr{});
    all.emplace_back(Addr{{{1700000000, {k_node_network | k_node_witness, ipv4_mapped(10, 0, 0, 1), 8333}},
                           {1, {0, Ip16{0x20, 0x01, 0x0d, 0xb8}, 18444}}}});
    AddrV2 v2;
    v2.entries.push_back({1, 0x409, 1, {1, 2, 3, 4}, 8333});
    v2.entries.push_back({2, 0xffffffffffffffff, 2, base::Bytes(16, 0xfe), 1});
    v2.entries.push_back({3, 1, 4, base::Bytes(32, 0x33), 9050});
    v2.entries.push_back({4, 1, 5, base::Bytes(32, 0x55), 0});
    v2.entries.push_back({5, 1, 6, base::Bytes(16, 0xfc), 8333});
    all.emplace_back(v2);
    all.emplace_back(SendAddrV2{});
    all.emplace_back(Inv{{{1, hash_of(1)}, {2, hash_of(2)}}});
    all.emplace_back(GetData{{{0x40000001, hash_of(3)}}});
    all.emplace_back(NotFound{{}});
    all.emplace_back(Reject{"tx", k_reject_invalid, "bad-txns", hash_of(9)});
    all.emplace_back(Reject{"version", k_reject_obsolete, "protocol version must be 70001 or greater", {}});
    all.emplace_back(SendHeaders{});
    all.emplace_back(FeeFilter{1000});
    all.emplace_back(WtxidRelay{});
    all.emplace_back(SendCmpct{true, 2});
    all.emplace_back(Unknown{"getheaders", {1, 2, 3}});
    std::size_t kinds = 0;
    std::vector<bool> seen(std::variant_size_v<Message>);
    for (const auto& m : all) {
        const base::Bytes payload = encode_payload(m);
        auto back = decode_message(command_of(m), payload);
        ASSERT_TRUE(back.ok()) << command_of(m) << ": " << back.error().message();
        EXPECT_EQ(*back, m) << command_of(m);
        if (!seen[m.index()]) ++kinds;
        seen[m.index()] = true;
    }
    EXPECT_EQ(kinds, std::variant_size_v<Message>) << "a message kind has no round-trip case";
}

TEST(BitcoinMessages, KnownSmallPayloads) {
    EXPECT_EQ(base::to_hex(encode_payload(Ping{1})), "0100000000000000");
    EXPECT_EQ(base::to_hex(encode_payload(SendCmpct{false, 1})), "000100000000000000");
    EXPECT_EQ(base::to_hex(encode_payload(FeeFilter{-1})), "ffffffffffffffff");
    EXPECT_EQ(base::to_hex(encode_payload(Inv{{{1, Hash256{}}}})), "0101000000" + std::string(64, '0'));
    EXPECT_TRUE(encode_payload(Verack{}).empty());
    // addr entry: time, services, ip, port big-endian.
    EXPECT_EQ(base::to_hex(encode_payload(Addr{{{0x01020304, {1, ipv4_mapped(1, 2, 3, 4), 8333}}}})),
              "01"
              "04030201"
              "0100000000000000"
              "00000000000000000000ffff01020304"
              "208d");
}

TEST(BitcoinMessages, CountsCheckedBeforeAllocating) {
    // 1001 addr entries announced: refused on the count alone.
    EXPECT_EQ(decode_message("addr", hex("fde903")).error(), Errc::too_many_entries);
    EXPECT_EQ(decode_message("addrv2", hex("fde903")).error(), Errc::too_many_entries);
    // 50001 inventory entries.
    EXPECT_EQ(decode_message("inv", hex("fd51c3")).error(), Errc::too_many_entries);
    EXPECT_EQ(decode_message("getdata", hex("fd51c3")).error(), Errc::too_many_entries);
    EXPECT_EQ(decode_message("notfound", hex("fd51c3")).error(), Errc::too_many_entries);
    // At the limit but without the bytes: truncated (nothing reserved for 50000 entries).
    EXPECT_EQ(decode_message("inv", hex("fd50c3")).error(), codec::BtcErrc::truncated);
    EXPECT_EQ(decode_message("addr", hex("fde803")).error(), codec::BtcErrc::truncated);
    // Non-canonical count.
    EXPECT_EQ(decode_message("inv", hex("fd0100")).error(), codec::BtcErrc::non_canonical_compact_size);
}

TEST(BitcoinMessages, AddrV2LengthRules) {
    auto entry = [](std::uint8_t net, std::size_t len) {
        base::Bytes p;
        codec::BtcWriter w(p);
        w.u32le(0);
        w.compact_size(1);
        w.u8(net);
        w.var_bytes(base::Bytes(len, 0x42));
        w.u16be(8333);
        return p;
    };
    auto message = [&](std::initializer_list<base::Bytes> entries) {
        base::Bytes p;
        codec::BtcWriter(p).compact_size(entries.size());
        for (const auto& e : entries)
            p.insert(p.end(), e.begin(), e.end());
        return p;
    };
    const std::pair<std::uint8_t, std::size_t> good[] = {{1, 4}, {2, 16}, {4, 32}, {5, 32}, {6, 16}};
    for (const auto& [net, len] : good) {
        auto ok = decode_message("addrv2", message({entry(net, len)}));
        ASSERT_TRUE(ok.ok()) << int{net};
        EXPECT_EQ(std::get<AddrV2>(*ok).entries.size(), 1u);
        EXPECT_EQ(decode_message("addrv2", message({entry(net, len + 1)})).error(), Errc::bad_address_length);
        EXPECT_EQ(decode_message("addrv2", message({entry(net, len - 1)})).error(), Errc::bad_address_length);
    }
    // TorV2 and unknown networks are skipped; the entries around them still decode.
    auto skipped =
        decode_message("addrv2", message({entry(1, 4), entry(3, 10), entry(99, 512), entry(6, 16)}));
    ASSERT_TRUE(skipped.ok());
    ASSERT_EQ(std::get<AddrV2>(*skipped).entries.size(), 2u);
    EXPECT_EQ(std::get<AddrV2>(*skipped).entries[1].network, 6);
    // Unknown networks are still bounded to 512 bytes.
    EXPECT_EQ(decode_message("addrv2", message({entry(99, 513)})).error(), Errc::bad_address_length);
}

TEST(BitcoinMessages, TrailingBytes) {
    EXPECT_EQ(decode_message("ping", hex("010000000000000000")).error(), Errc::trailing_bytes);
    EXPECT_EQ(decode_message("feefilter", hex("e80300000000000000")).error(), Errc::trailing_bytes);
    EXPECT_EQ(decode_message("inv", hex("0000")).error(), Errc::trailing_bytes);
    EXPECT_EQ(decode_message("reject", hex("0274781005626164747800")).error(), Errc::trailing_bytes);
    // Empty-bodied messages: Core never reads the payload.
    EXPECT_TRUE(decode_message("verack", hex("00")).ok());
    EXPECT_TRUE(decode_message("sendheaders", hex("0102")).ok());
    // Short payloads are truncated.
    EXPECT_EQ(decode_message("ping", hex("01")).error(), codec::BtcErrc::truncated);
    EXPECT_EQ(decode_message("sendcmpct", hex("01")).error(), codec::BtcErrc::truncated);
}

TEST(BitcoinMessages, UnknownCommandsPassThrough) {
    auto m = decode_message("cmpctblock", hex("abcd"));
    ASSERT_TRUE(m.ok());
    const auto& u = std::get<Unknown>(*m);
    EXPECT_EQ(u.command, "cmpctblock");
    EXPECT_EQ(base::to_hex(u.payload), "abcd");
    EXPECT_EQ(command_of(*m), "cmpctblock");
}

}  // namespace
}  // namespace peerlink::bitcoin
