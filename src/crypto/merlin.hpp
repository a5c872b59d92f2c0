// Merlin transcripts (merlin.cool) on a STROBE-128 subset, as CometBFT's SecretConnection uses
// them (github.com/gtank/merlin): AppendMessage, ExtractBytes.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"

namespace peerlink::crypto {

/// The STROBE-128/1600 operations Merlin needs (meta-AD, AD, PRF).
class Strobe128 {
public:
    explicit Strobe128(std::string_view protocol_label);
    void meta_ad(base::ByteView data, bool more);
    void ad(base::ByteView data, bool more);
    void prf(base::MutableByteView out, bool more);

private:
    void begin_op(std::uint8_t flags, bool more);
    void absorb(base::ByteView data);
    void squeeze(base::MutableByteView out);
    void run_f();
    std::uint8_t* bytes();

    std::array<std::uint64_t, 25> m_state{};
    std::uint8_t m_pos = 0;
    std::uint8_t m_pos_begin = 0;
    std::uint8_t m_cur_flags = 0;
};

class MerlinTranscript {
public:
    explicit MerlinTranscript(std::string_view label);
    void append_message(std::string_view label, base::ByteView message);
    void extract_bytes(std::string_view label, base::MutableByteView out);

private:
    Strobe128 m_strobe;
};

}  // namespace peerlink::crypto
