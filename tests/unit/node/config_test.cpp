// config.toml: defaults, the written file reading back, and errors that name the file, key and reason.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "node/config.hpp"

namespace peerlink::node {
namespace {

using namespace std::chrono_literals;

std::string error_of(const std::string& toml) {
    try {
        (void)parse_config(toml, "config.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(Config, DefaultsAreCometBftsP2pDefaults) {
    const Config c;
    EXPECT_EQ(c.p2p.laddr, "tcp://0.0.0.0:26656");
    EXPECT_EQ(c.p2p.max_num_inbound_peers, 40u);
    EXPECT_EQ(c.p2p.max_num_outbound_peers, 10u);
    EXPECT_EQ(c.p2p.flush_throttle_timeout, 100ms);
    EXPECT_EQ(c.p2p.max_packet_msg_payload_size, 1024u);
    EXPECT_EQ(c.p2p.send_rate, 5'120'000u);
    EXPECT_EQ(c.p2p.recv_rate, 5'120'000u);
    EXPECT_TRUE(c.p2p.pex);
    EXPECT_FALSE(c.p2p.seed_mode);
    EXPECT_EQ(c.p2p.addr_book_file, "config/addrbook.json");
    EXPECT_TRUE(c.p2p.addr_book_strict);
    EXPECT_FALSE(c.p2p.allow_duplicate_ip);
    EXPECT_EQ(c.p2p.handshake_timeout, 20s);
    EXPECT_EQ(c.p2p.dial_timeout, 3s);
    EXPECT_EQ(c.rpc.laddr, "tcp://127.0.0.1:26657");
    EXPECT_FALSE(c.rpc.unsafe);
    EXPECT_FALSE(c.instrumentation.prometheus);
    EXPECT_EQ(c.instrumentation.prometheus_listen_addr, ":26660");
}

TEST(Config, TheWrittenFileDocumentsEveryKeyAndReadsBackToTheSameValues) {
    Config c;
    c.moniker = "alice";
    c.p2p.seeds = "0123456789abcdef0123456789abcdef01234567@10.0.0.1:26656";
    c.p2p.max_num_inbound_peers = 7;
    c.p2p.flush_throttle_timeout = 10ms;
    c.p2p.persistent_peers_max_dial_period = 90s;
    c.rpc.unsafe = true;
    const std::string text = render_config(c);
    for (const auto& key : config_keys()) {
        std::string assignment = "\n";
        assignment.append(key.name).append(" = ");
        std::string doc = "# ";
        doc.append(key.doc);
        EXPECT_NE(text.find(assignment), std::string::npos) << key.name;
        EXPECT_NE(text.find(doc), std::string::npos) << key.name;
    }
    const Config back = parse_config(text, "config.toml");
    EXPECT_EQ(render_config(back), text);
    EXPECT_EQ(back.moniker, "alice");
    EXPECT_EQ(back.p2p.max_num_inbound_peers, 7u);
    EXPECT_EQ(back.p2p.flush_throttle_timeout, 10ms);
    EXPECT_EQ(back.p2p.persistent_peers_max_dial_period, 90s);
    EXPECT_TRUE(back.rpc.unsafe);
}

TEST(Config, UnknownKeysAndSectionsAreRejectedWithFileLineAndKey) {
    EXPECT_EQ(error_of("moniker = \"a\"\n[p2p]\nmax_num_inbound = 5\n"),
              "config.toml:3:1: p2p.max_num_inbound: unknown key");
    EXPECT_EQ(error_of("[mempool]\nsize = 5\n"), "config.toml:1:2: mempool: unknown section");
    EXPECT_EQ(error_of("monikr = \"a\"\n"), "config.toml:1:1: monikr: unknown key");
}

TEST(Config, WrongTypesAndBadValuesNameTheKeyAndReason) {
    EXPECT_EQ(error_of("[p2p]\nmax_num_inbound_peers = \"forty\"\n"),
              "config.toml:2:25: p2p.max_num_inbound_peers: must be an integer");
    EXPECT_EQ(error_of("[p2p]\nmax_num_inbound_peers = -1\n"),
              "config.toml:2:25: p2p.max_num_inbound_peers: must be a non-negative integer");
    EXPECT_EQ(error_of("[p2p]\npex = \"yes\"\n"), "config.toml:2:7: p2p.pex: must be true or false");
    EXPECT_EQ(
        error_of("[p2p]\ndial_timeout = \"3 seconds\"\n"),
        "config.toml:2:16: p2p.dial_timeout: bad duration unit in '3 seconds' (use ns, us, ms, s, m, h)");
    EXPECT_EQ(error_of("[p2p]\nsend_rate = 0\n"), "config.toml: p2p.send_rate: must be positive");
    EXPECT_EQ(error_of("[p2p]\nladdr = \"udp://1.2.3.4:5\"\n"),
              "config.toml: p2p.laddr: only tcp:// addresses are supported, got 'udp://1.2.3.4:5'");
    EXPECT_EQ(error_of("[p2p]\nladdr = \"tcp://1.2.3.4:70000\"\n"),
              "config.toml: p2p.laddr: port out of range in 'tcp://1.2.3.4:70000'");
    EXPECT_EQ(error_of("[p2p]\nseed_mode = true\npex = false\n"),
              "config.toml: p2p.seed_mode: seed mode needs pex = true");
    EXPECT_NE(error_of("[p2p\nx = 1\n").find("config.toml:1:"), std::string::npos);  // TOML syntax error
}

TEST(Config, BadPeerStringsAreRejected) {
    EXPECT_EQ(
        error_of("[p2p]\npersistent_peers = \"nothex@1.2.3.4:26656\"\n"),
        "config.toml: p2p.persistent_peers: bad peer address 'nothex@1.2.3.4:26656' (want <40 hex digit node "
        "id>@host:port)");
    EXPECT_EQ(
        error_of("[p2p]\nseeds = \"0123456789abcdef0123456789abcdef01234567@1.2.3.4\"\n"),
        "config.toml: p2p.seeds: bad peer address '0123456789abcdef0123456789abcdef01234567@1.2.3.4' (want "
        "<40 hex digit node id>@host:port)");
    EXPECT_EQ(error_of("[p2p]\nunconditional_peer_ids = \"abc\"\n"),
              "config.toml: p2p.unconditional_peer_ids: bad node id 'abc' (want 40 hex digits)");
    // A list with spaces and an empty entry is fine.
    EXPECT_EQ(error_of("[p2p]\nseeds = \"0123456789abcdef0123456789abcdef01234567@1.2.3.4:1, ,"
                       "0123456789abcdef0123456789abcdef01234568@[::1]:2\"\n"),
              "");
}

TEST(Config, FlagsOverrideKeysAndNameTheFlagInErrors) {
    Config c;
    set_config_key(c, "p2p.laddr", "tcp://127.0.0.1:1234");
    set_config_key(c, "p2p.pex", "false");
    set_config_key(c, "moniker", "bob");
    set_config_key(c, "p2p.handshake_timeout", "1m30s");
    EXPECT_EQ(c.p2p.laddr, "tcp://127.0.0.1:1234");
    EXPECT_FALSE(c.p2p.pex);
    EXPECT_EQ(c.moniker, "bob");
    EXPECT_EQ(c.p2p.handshake_timeout, 90s);
    try {
        set_config_key(c, "p2p.max_num_outbound_peers", "ten");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "--p2p.max_num_outbound_peers: must be a non-negative integer, got 'ten'");
    }
    EXPECT_THROW(set_config_key(c, "p2p.nope", "1"), ConfigError);
}

TEST(Config, DurationsReadAndWriteGoStyle) {
    EXPECT_EQ(parse_duration("100ms"), 100ms);
    EXPECT_EQ(parse_duration("3s"), 3s);
    EXPECT_EQ(parse_duration("1h30m"), 90min);
    EXPECT_EQ(parse_duration("1.5s"), 1500ms);
    EXPECT_EQ(parse_duration("0s"), 0ms);
    EXPECT_THROW((void)parse_duration(""), ConfigError);
    EXPECT_THROW((void)parse_duration("5"), ConfigError);
    EXPECT_THROW((void)parse_duration("ms"), ConfigError);
    EXPECT_EQ(format_duration(100ms), "100ms");
    EXPECT_EQ(format_duration(90min), "1h30m");
    EXPECT_EQ(format_duration(20s), "20s");
    EXPECT_EQ(format_duration(0ms), "0s");
}

TEST(Config, EveryKeyIsDescribedInDocsConfigurationMd) {
    std::ifstream in(PEERLINK_DOCS_DIR "/configuration.md");
    ASSERT_TRUE(in) << "docs/configuration.md missing";
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& key : config_keys()) {
        std::string quoted = "`";
        if (!key.section.empty()) quoted.append(key.section).append(".");
        quoted.append(key.name).append("`");
        EXPECT_NE(text.str().find(quoted), std::string::npos) << quoted;
    }
}

}  // namespace
}  // namespace peerlink::node
