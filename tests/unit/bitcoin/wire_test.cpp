// Header framing and the incremental frame reader: magic, length bound, checksum, partial input.
#include <gtest/gtest.h>

#include "profiles/bitcoin/messages.hpp"
#include "profiles/bitcoin/wire.hpp"

namespace peerlink::bitcoin {
namespace {

const Magic k_main = mainnet().magic;

TEST(BitcoinWire, VerackFrameMatchesKnownBytes) {
    // Mainnet verack: empty payload, checksum 5df6e0e2 (SHA-256d of nothing).
    const base::Bytes f = frame(k_main, "verack", {});
    EXPECT_EQ(base::to_hex(f), "f9beb4d976657261636b000000000000000000005df6e0e2");
}

TEST(BitcoinWire, ReaderReturnsFramesFedByteByByte) {
    const base::Bytes a = frame(k_main, "ping", encode_payload(Ping{42}));
    const base::Bytes b = frame(k_main, "verack", {});
    base::Bytes stream = a;
    stream.insert(stream.end(), b.begin(), b.end());
    FrameReader reader({.magic = k_main});
    std::vector<std::string> commands;
    for (const std::uint8_t byte : stream) {
        reader.append(base::ByteView(&byte, 1));
        while (true) {
            auto f = reader.next();
            ASSERT_TRUE(f.ok());
            if (!*f) break;
            ASSERT_EQ((*f)->status, FrameStatus::ok);
            commands.push_back((*f)->command);
            if ((*f)->command == "ping") {
                auto m = decode_message((*f)->command, (*f)->payload);
                ASSERT_TRUE(m.ok());
                EXPECT_EQ(std::get<Ping>(*m).nonce, 42u);
            }
        }
    }
    EXPECT_EQ(commands, (std::vector<std::string>{"ping", "verack"}));
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(BitcoinWire, IdleReaderReleasesALargeBuffer) {
    FrameReader reader({.magic = k_main});
    reader.append(frame(k_main, "block", base::Bytes(100'000, 1)));
    auto f = reader.next();
    ASSERT_TRUE(f.ok() && f->has_value());
    EXPECT_EQ((*f)->payload.size(), 100'000u);
    EXPECT_GE(reader.capacity(), 100'000u);
    reader.release_idle_memory(1024);
    EXPECT_EQ(reader.buffered(), 0u);
    EXPECT_EQ(reader.capacity(), 0u);
    // A partial frame is kept: memory is released only when nothing is pending.
    const base::Bytes next = frame(k_main, "verack", {});
    reader.append(base::ByteView(next).first(10));
    reader.release_idle_memory(0);
    EXPECT_GT(reader.capacity(), 0u);
    reader.append(base::ByteView(next).subspan(10));
    auto g = reader.next();
    ASSERT_TRUE(g.ok() && g->has_value());
    EXPECT_EQ((*g)->command, "verack");
}

TEST(BitcoinWire, BadMagicIsFatalAndSticky) {
    FrameReader reader({.magic = k_main});
    reader.append(frame(regtest().magic, "verack", {}));
    EXPECT_EQ(reader.next().error(), Errc::bad_magic);
    reader.append(frame(k_main, "verack", {}));
    EXPECT_EQ(reader.next().error(), Errc::bad_magic);
}

TEST(BitcoinWire, BadMagicDetectedFromFirstFourBytes) {
    FrameReader reader({.magic = k_main});
    const std::uint8_t junk[] = {'G', 'E', 'T', ' '};
    reader.append(junk);
    EXPECT_EQ(reader.next().error(), Errc::bad_magic);
}

TEST(BitcoinWire, OversizedLengthIsFatalBeforeThePayloadArrives) {
    FrameReader reader({.magic = k_main, .max_payload = 1000});
    base::Bytes header = frame(k_main, "inv", base::Bytes(1001, 0));
    header.resize(k_header_size);  // only the header: the reader must decide now
    reader.append(header);
    EXPECT_EQ(reader.next().error(), Errc::payload_too_large);
    EXPECT_EQ(reader.buffered(), k_header_size);  // nothing was allocated for the payload

    // 0xffffffff with the default maximum.
    FrameReader big({.magic = k_main});
    header[16] = header[17] = header[18] = header[19] = 0xff;
    big.append(header);
    EXPECT_EQ(big.next().error(), Errc::payload_too_large);
    // Exactly the maximum is fine: the reader waits for the payload.
    FrameReader exact({.magic = k_main, .max_payload = 1001});
    header = frame(k_main, "inv", base::Bytes(1001, 0));
    header.resize(k_header_size);
    exact.append(header);
    auto f = exact.next();
    ASSERT_TRUE(f.ok());
    EXPECT_FALSE(f->has_value());
}

TEST(BitcoinWire, BadChecksumIsDroppedAndTheNextMessageStillRead) {
    base::Bytes bad = frame(k_main, "ping", encode_payload(Ping{1}));
    bad[20] ^= 1;
    const base::Bytes good = frame(k_main, "pong", encode_payload(Pong{2}));
    FrameReader reader({.magic = k_main});
    reader.append(bad);
    reader.append(good);
    auto first = reader.next();
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ((*first)->status, FrameStatus::bad_checksum);
    auto second = reader.next();
    ASSERT_TRUE(second.ok() && second->has_value());
    EXPECT_EQ((*second)->status, FrameStatus::ok);
    EXPECT_EQ((*second)->command, "pong");
}

TEST(BitcoinWire, CommandValidation) {
    auto raw = [](std::string_view s) {
        std::array<std::uint8_t, k_command_size> a{};
        for (std::size_t i = 0; i < s.size(); ++i)
            a[i] = static_cast<std::uint8_t>(s[i]);
        return a;
    };
    EXPECT_TRUE(command_valid(raw("version")));
    EXPECT_TRUE(command_valid(raw("sendaddrv2xy")));  // all 12 bytes used
    EXPECT_TRUE(command_valid(raw("")));
    auto after_nul = raw("ping");
    after_nul[6] = 'x';
    EXPECT_FALSE(command_valid(after_nul));
    auto control = raw("pi\ng");
    EXPECT_FALSE(command_valid(control));
    auto high = raw("ping");
    high[1] = 0x80;
    EXPECT_FALSE(command_valid(high));

    // A frame with a bad command is dropped like a bad checksum; the stream continues.
    base::Bytes f = frame(k_main, "ping", encode_payload(Ping{1}));
    f[9] = 'z';  // after the NUL that ends "ping"
    FrameReader reader({.magic = k_main});
    reader.append(f);
    reader.append(frame(k_main, "verack", {}));
    auto first = reader.next();
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ((*first)->status, FrameStatus::bad_command);
    auto second = reader.next();
    ASSERT_TRUE(second.ok() && second->has_value());
    EXPECT_EQ((*second)->command, "verack");
}

TEST(BitcoinWire, WriterRefusesBadCommands) {
    EXPECT_THROW(frame(k_main, "thirteenchars", {}), std::invalid_argument);
    EXPECT_THROW(frame(k_main, "a\tb", {}), std::invalid_argument);
}

TEST(BitcoinNetwork, ParamsAndNames) {
    EXPECT_EQ(mainnet().default_port, 8333);
    EXPECT_EQ(base::to_hex(mainnet().magic), "f9beb4d9");
    EXPECT_EQ(base::to_hex(testnet3().magic), "0b110907");
    EXPECT_EQ(base::to_hex(signet().magic), "0a03cf40");
    EXPECT_EQ(base::to_hex(regtest().magic), "fabfb5da");
    EXPECT_EQ(regtest().default_port, 18444);
    EXPECT_TRUE(regtest().dns_seeds.empty());
    EXPECT_FALSE(mainnet().dns_seeds.empty());
    EXPECT_EQ(*network_by_name("testnet3"), &testnet3());
    EXPECT_EQ(*network_by_name("main"), &mainnet());
    EXPECT_FALSE(network_by_name("litecoin").has_value());
}

}  // namespace
}  // namespace peerlink::bitcoin
