#include <gtest/gtest.h>

#include "codec/snappy.hpp"
#include "frame_fixture.hpp"
#include "test_util.hpp"

namespace peerlink::devp2p {
namespace {

using test::CodecPair;

TEST(RlpxFrame, LayoutIsHeaderMacBodyPaddingMac) {
    CodecPair p;
    base::Buffer wire;
    ASSERT_TRUE(p.a->write(0x02, base::Bytes{0xc0}, wire).ok());
    // code 0x02 + payload c0 = 2 bytes, padded to 16.
    EXPECT_EQ(wire.size(), 32u + 16u + 16u);
    ASSERT_TRUE(p.a->write(0x10, base::Bytes(15, 1), wire).ok());
    EXPECT_EQ(wire.size(), 64u + 32u + 16u + 16u);  // 1 + 15 = 16: no padding
    ASSERT_TRUE(p.a->write(0x80, base::Bytes(15, 1), wire).ok());
    EXPECT_EQ(wire.size(), 128u + 32u + 32u + 16u);  // 2 + 15 = 17 -> 32
}

TEST(RlpxFrame, ManyMessagesInOneBufferReadBackInOrder) {
    CodecPair p;
    base::Buffer wire;
    for (std::uint64_t i = 0; i < 100; ++i)
        ASSERT_TRUE(p.a->write(i, base::Bytes(i * 3, static_cast<std::uint8_t>(i)), wire).ok());
    base::ByteView in = wire.data();
    for (std::uint64_t i = 0; i < 100; ++i) {
        auto step = p.b->read(in);
        ASSERT_TRUE(step.ok());
        ASSERT_TRUE(step->message.has_value());
        EXPECT_EQ(step->message->code, i);
        EXPECT_EQ(step->message->payload.size(), i * 3);
        in = in.subspan(step->consumed);
    }
    EXPECT_TRUE(in.empty());
}

TEST(RlpxFrame, PartialInputByteByByte) {
    CodecPair p;
    base::Buffer wire;
    const std::string text(1000, 'x');
    ASSERT_TRUE(p.a->write(0x21, base::as_bytes(text), wire).ok());
    ASSERT_TRUE(p.a->write(0x22, base::as_bytes("tail"), wire).ok());
    base::Buffer received;
    std::vector<std::pair<std::uint64_t, std::string>> got;
    for (const auto byte : wire.data()) {
        received.push_back(byte);
        for (;;) {
            auto step = p.b->read(received.data());
            ASSERT_TRUE(step.ok());
            received.consume(step->consumed);
            if (!step->message) break;
            got.emplace_back(step->message->code, std::string(base::as_chars(step->message->payload)));
        }
    }
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].first, 0x21u);
    EXPECT_EQ(got[0].second, text);
    EXPECT_EQ(got[1].second, "tail");
    EXPECT_TRUE(received.empty());
}

TEST(RlpxFrame, TruncatedFramesYieldNothingYet) {
    CodecPair p;
    base::Buffer wire;
    ASSERT_TRUE(p.a->write(0x10, base::Bytes(100, 7), wire).ok());
    auto step = p.b->read(wire.data().first(31));
    ASSERT_TRUE(step.ok());
    EXPECT_EQ(step->consumed, 0u);
    step = p.b->read(wire.data().first(wire.size() - 1));
    ASSERT_TRUE(step.ok());
    EXPECT_EQ(step->consumed, 32u);  // the header is authenticated and consumed
    EXPECT_FALSE(step->message.has_value());
    EXPECT_EQ(p.b->bytes_needed(), wire.size() - 32);
    step = p.b->read(wire.data().subspan(32));
    ASSERT_TRUE(step.ok());
    ASSERT_TRUE(step->message.has_value());
    EXPECT_EQ(step->message->payload.size(), 100u);
}

TEST(RlpxFrame, EveryFlippedBitIsCaught) {
    for (std::size_t at : {0u, 5u, 15u, 16u, 31u, 32u, 40u, 63u, 64u, 79u}) {
        CodecPair p;
        base::Buffer wire;
        ASSERT_TRUE(p.a->write(0x10, base::Bytes(20, 9), wire).ok());
        ASSERT_EQ(wire.size(), 80u);
        wire.mutable_data()[at] ^= 0x01;
        auto step = p.b->read(wire.data());
        ASSERT_FALSE(step.ok()) << at;
        EXPECT_EQ(step.error(), make_error_code(at < 32 ? Errc::bad_header_mac : Errc::bad_frame_mac)) << at;
        // The codec stays failed.
        EXPECT_EQ(p.b->read(wire.data()).error(), make_error_code(Errc::codec_failed));
    }
}

TEST(RlpxFrame, OversizedFramesFailAtTheHeader) {
    CodecPair p(FrameCodec::Options{.max_frame_size = 1024});
    base::Buffer wire;
    ASSERT_TRUE(p.a->write(0x10, base::Bytes(1023), wire).ok());
    ASSERT_TRUE(p.a->write(0x10, base::Bytes(1024), wire).ok());
    auto step = p.b->read(wire.data());
    ASSERT_TRUE(step.ok() && step->message.has_value());
    // Only the header of the second frame is given: rejected before its body is buffered.
    auto second = p.b->read(wire.data().subspan(step->consumed, 32));
    EXPECT_EQ(second.error(), make_error_code(Errc::frame_too_large));

    CodecPair q;
    base::Buffer big;
    EXPECT_EQ(q.a->write(0x10, base::Bytes(k_max_frame_size), big).error(),
              make_error_code(Errc::frame_too_large));
    EXPECT_TRUE(big.empty());
    EXPECT_TRUE(q.a->write(0x10, base::Bytes(k_max_frame_size - 1), big).ok());
    auto r = q.b->read(big.data());
    ASSERT_TRUE(r.ok() && r->message.has_value());
    EXPECT_EQ(r->message->payload.size(), k_max_frame_size - 1);
}

TEST(RlpxFrame, MessageCodeMustBeACanonicalInteger) {
    CodecPair p;
    base::Buffer wire;
    ASSERT_TRUE(p.a->write(0, {}, wire).ok());
    ASSERT_TRUE(p.a->write(~0ull, base::as_bytes("x"), wire).ok());
    ASSERT_TRUE(p.a->write_raw(test::hex("0a0b0c"), wire).ok());
    base::ByteView in = wire.data();
    auto step = p.b->read(in);
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->code, 0u);
    EXPECT_TRUE(step->message->payload.empty());
    in = in.subspan(step->consumed);
    step = p.b->read(in);
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->code, ~0ull);
    in = in.subspan(step->consumed);
    step = p.b->read(in);
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->code, 10u);
    EXPECT_EQ(base::to_hex(step->message->payload), "0b0c");

    for (const char* bad : {"", "c0", "00", "8100", "820001", "89010000000000000000", "b8"}) {
        CodecPair q;
        base::Buffer w;
        ASSERT_TRUE(q.a->write_raw(test::hex(bad), w).ok());
        EXPECT_EQ(q.b->read(w.data()).error(), make_error_code(Errc::invalid_message_code)) << bad;
    }
}

TEST(RlpxFrame, SnappyRoundTripAndOversizeRejection) {
    CodecPair p(FrameCodec::Options{.max_message_size = 4096});
    p.a->set_snappy(true);
    p.b->set_snappy(true);
    base::Buffer wire;
    const base::Bytes payload(4096, 'z');
    ASSERT_TRUE(p.a->write(0x11, payload, wire).ok());
    EXPECT_LT(wire.size(), 1024u);  // compressed on the wire
    auto step = p.b->read(wire.data());
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->payload.size(), 4096u);
    wire.consume(step->consumed);

    EXPECT_EQ(p.a->write(0x11, base::Bytes(4097, 'z'), wire).error(),
              make_error_code(Errc::message_too_large));

    // The peer sends a payload whose snappy header announces more than our maximum: the sender
    // writes it uncompressed through write_uncompressed, we read it as compressed.
    const auto bomb = codec::snappy_compress(base::Bytes(4097, 'z'));
    ASSERT_TRUE(p.a->write_uncompressed(0x11, bomb, wire).ok());
    EXPECT_EQ(p.b->read(wire.data()).error(), make_error_code(Errc::message_too_large));
}

TEST(RlpxFrame, CorruptSnappyIsAnError) {
    CodecPair p;
    p.b->set_snappy(true);
    base::Buffer wire;
    ASSERT_TRUE(p.a->write(0x11, base::Bytes{0x05, 0x08, 'a', 'b', 'c'}, wire).ok());
    EXPECT_EQ(p.b->read(wire.data()).error(), make_error_code(Errc::bad_compression));
}

TEST(RlpxFrame, DecompressionSizeLimitDefaultsTo16MiB) {
    CodecPair p;
    p.b->set_snappy(true);
    base::Buffer wire;
    // Announces 2^24 bytes (one above the limit) and carries nothing more.
    ASSERT_TRUE(p.a->write(0x11, base::Bytes{0x80, 0x80, 0x80, 0x08}, wire).ok());
    EXPECT_EQ(p.b->read(wire.data()).error(), make_error_code(Errc::message_too_large));
}

}  // namespace
}  // namespace peerlink::devp2p

namespace peerlink::devp2p {
namespace {

Secrets golden_secrets() {
    Secrets s;
    s.aes_secret = crypto::keccak256(base::as_bytes("aes"));
    s.mac_secret = crypto::keccak256(base::as_bytes("mac"));
    s.egress_mac.update(base::as_bytes("egress-seed"));
    s.ingress_mac.update(base::as_bytes("egress-seed"));
    return s;
}

// Two frames computed by an independent Python model of go-ethereum's p2p/rlpx write path
// (hashMAC.computeHeader/computeFrame, AES-256-CTR with a zero IV, header-data c2 80 80) with
// aes-secret = keccak("aes"), mac-secret = keccak("mac"), egress MAC seeded with "egress-seed".
constexpr const char* k_golden_frames =
    "2c7ac587474564553de43436c5c186dbdfa0162122d64e73b135539e2cdb063015c34fd7ac1dc682516e700ce6b28679d3cb6015"
    "0"
    "6dd7b906455ab94d26af6ef86ca630326ec8ff5fa9f2002ee2900baaef086ff6c3361f6c2f45069c1365aa3ea615f402841b4f81"
    "86"
    "77dce0ad1e1bfbe4e5e9f9f311a51db6e2b10598a55b28d2c80212ca2f78df3a90df3a6349d976d395e2f8e2e675fbed334c625d"
    "8"
    "efed557490272b002d108adfe3b442796f1e";

TEST(RlpxFrame, GoldenFramesFromAnIndependentModel) {
    FrameCodec writer(golden_secrets());
    base::Buffer wire;
    ASSERT_TRUE(writer.write(0x10, base::as_bytes("hello golden frame"), wire).ok());
    ASSERT_TRUE(writer.write(0x8000, base::Bytes(40, 'x'), wire).ok());
    EXPECT_EQ(base::to_hex(wire.data()), k_golden_frames);

    FrameCodec reader(golden_secrets());
    const auto golden = test::hex(k_golden_frames);
    auto step = reader.read(golden);
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->code, 0x10u);
    EXPECT_EQ(base::as_chars(step->message->payload), "hello golden frame");
    step = reader.read(base::ByteView(golden).subspan(step->consumed));
    ASSERT_TRUE(step.ok() && step->message.has_value());
    EXPECT_EQ(step->message->code, 0x8000u);
}

}  // namespace
}  // namespace peerlink::devp2p
