#include "crypto/merlin.hpp"

#include <gtest/gtest.h>

#include <array>

#include "unit/crypto/hex.hpp"

namespace peerlink::crypto {
namespace {

using test::to_hex;

// The "equivalence_simple" test of the merlin reference implementation (and gtank/merlin).
TEST(MerlinTranscript, MatchesReferenceChallenge) {
    MerlinTranscript transcript("test protocol");
    transcript.append_message("some label", base::as_bytes("some data"));

    std::array<std::uint8_t, 32> challenge{};
    transcript.extract_bytes("challenge", challenge);

    EXPECT_EQ(to_hex(challenge), "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615");
}

TEST(MerlinTranscript, DifferentMessagesGiveDifferentChallenges) {
    MerlinTranscript a("test protocol");
    MerlinTranscript b("test protocol");
    a.append_message("some label", base::as_bytes("some data"));
    b.append_message("some label", base::as_bytes("some datb"));

    std::array<std::uint8_t, 32> ca{};
    std::array<std::uint8_t, 32> cb{};
    a.extract_bytes("challenge", ca);
    b.extract_bytes("challenge", cb);

    EXPECT_NE(ca, cb);
}

TEST(MerlinTranscript, LongMessagesCrossStrobeBlocks) {
    // 1000 bytes span several 166-byte STROBE blocks; two identical transcripts must agree and a
    // second extraction must continue the stream rather than repeat it.
    base::Bytes message(1000);
    for (std::size_t i = 0; i < message.size(); ++i)
        message[i] = static_cast<std::uint8_t>(i * 7);
    MerlinTranscript a("long");
    MerlinTranscript b("long");
    a.append_message("m", message);
    b.append_message("m", message);

    base::Bytes out_a(300);
    base::Bytes out_b(300);
    a.extract_bytes("c", out_a);
    b.extract_bytes("c", out_b);
    EXPECT_EQ(out_a, out_b);

    base::Bytes again(300);
    a.extract_bytes("c", again);
    EXPECT_NE(again, out_a);
}

}  // namespace
}  // namespace peerlink::crypto
