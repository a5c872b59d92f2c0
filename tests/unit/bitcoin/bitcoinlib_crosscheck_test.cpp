// Cross-check against an independent encoder: Debian's python3-bitcoinlib (bitcoin.messages) writes
// mainnet frames (bitcoinlib_vectors.py); we must produce the same bytes for the same fields, and
// our frame reader and decoders must read its bytes back to those fields.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <cstdio>
#include <map>
#include <sstream>

#include "profiles/bitcoin/messages.hpp"
#include "profiles/bitcoin/wire.hpp"

namespace peerlink::bitcoin {
namespace {

struct PythonFrames {
    int exit_code = -1;
    std::map<std::string, base::Bytes> frames;
};

// The Debian interpreter, not whatever python3 is first on PATH (a pyenv one lacks the package).
PythonFrames run_bitcoinlib() {
    const std::string command =
        std::string("/usr/bin/python3 ") + PEERLINK_BITCOIN_TEST_DIR + "/bitcoinlib_vectors.py";
    PythonFrames out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    std::string text;
    char chunk[4096];
    while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe))
        text.append(chunk, n);
    const int status = ::pclose(pipe);
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::istringstream lines(text);
    std::string name, hex;
    while (lines >> name >> hex)
        out.frames[name] = *base::from_hex(hex);
    return out;
}

const PythonFrames& frames() {
    static const PythonFrames f = run_bitcoinlib();
    return f;
}

Hash256 seq_hash(std::uint8_t seed) {
    Hash256 h{};
    for (std::size_t i = 0; i < h.size(); ++i)
        h[i] = static_cast<std::uint8_t>((seed + i) % 256);
    return h;
}

Ip16 ipv6(std::initializer_list<std::uint8_t> prefix, std::uint8_t last) {
    Ip16 ip{};
    std::copy(prefix.begin(), prefix.end(), ip.begin());
    ip[15] = last;
    return ip;
}

std::map<std::string, Message> expected_messages() {
    std::map<std::string, Message> m;
    Version v;
    v.version = 70016;
    v.services = 1033;
    v.timestamp = 1700000000;
    v.addr_recv = {1, ipv4_mapped(192, 168, 0, 1), 8333};
    v.addr_from = {1033, ipv6({0x20, 0x01, 0x0d, 0xb8}, 1), 18444};
    v.nonce = 0x1122334455667788;
    v.user_agent = "/Satoshi:27.0.0/";
    v.start_height = 850000;
    v.relay = true;
    m["version"] = v;
    m["verack"] = Verack{};
    m["getaddr"] = GetAddr{};
    m["ping"] = Ping{0x0123456789abcdef};
    m["pong"] = Pong{42};
    m["addr"] = Addr{{{1700000001, {9, ipv4_mapped(10, 0, 0, 1), 8333}},
                      {1700000002, {1, ipv6({0x20, 0x01, 0x0d, 0xb8}, 2), 8333}}}};
    const std::vector<InvVect> items{{1, seq_hash(1)}, {2, seq_hash(100)}, {0x40000001, seq_hash(200)}};
    m["inv"] = Inv{items};
    m["getdata"] = GetData{items};
    m["notfound"] = NotFound{items};
    m["reject"] = Reject{"version", k_reject_obsolete, "protocol version must be 70001 or greater", {}};
    return m;
}

class BitcoinlibCrossCheck : public ::testing::Test {
protected:
    void SetUp() override {
        // scripts/setup installs python3-bitcoinlib: a missing module is a broken set-up, not a skip.
        ASSERT_NE(frames().exit_code, 77)
            << "/usr/bin/python3 has no bitcoin.messages (apt-get install python3-bitcoinlib)";
        ASSERT_EQ(frames().exit_code, 0) << "bitcoinlib_vectors.py failed";
    }
};

TEST_F(BitcoinlibCrossCheck, OurEncodingMatchesBitcoinlib) {
    const auto expected = expected_messages();
    ASSERT_EQ(frames().frames.size(), expected.size());
    for (const auto& [name, message] : expected) {
        const auto it = frames().frames.find(name);
        ASSERT_NE(it, frames().frames.end()) << name;
        EXPECT_EQ(base::to_hex(frame(mainnet().magic, command_of(message), encode_payload(message))),
                  base::to_hex(it->second))
            << name;
    }
}

TEST_F(BitcoinlibCrossCheck, WeDecodeBitcoinlibFrames) {
    const auto expected = expected_messages();
    FrameReader reader({.magic = mainnet().magic});
    for (const auto& [name, bytes] : frames().frames)
        reader.append(bytes);
    std::size_t decoded = 0;
    while (true) {
        auto f = reader.next();
        ASSERT_TRUE(f.ok()) << f.error().message();
        if (!*f) break;
        ASSERT_EQ((*f)->status, FrameStatus::ok);
        auto m = decode_message((*f)->command, (*f)->payload);
        ASSERT_TRUE(m.ok()) << (*f)->command << ": " << m.error().message();
        EXPECT_EQ(*m, expected.at((*f)->command)) << (*f)->command;
        ++decoded;
    }
    EXPECT_EQ(decoded, expected.size());
}

}  // namespace
}  // namespace peerlink::bitcoin
