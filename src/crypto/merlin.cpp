#include "crypto/merlin.hpp"

#include <bit>
#include <cassert>
#include <cstdint>

#include "crypto/keccak.hpp"

namespace peerlink::crypto {

namespace {

// A port of merlin's strobe.rs: only the operations Merlin uses, with STROBE's byte offsets.
constexpr std::uint8_t k_strobe_r = 166;

constexpr std::uint8_t k_flag_i = 1;
constexpr std::uint8_t k_flag_a = 2;
constexpr std::uint8_t k_flag_c = 4;
[[maybe_unused]] constexpr std::uint8_t k_flag_t = 8;  // only checked by an assert
constexpr std::uint8_t k_flag_m = 16;
constexpr std::uint8_t k_flag_k = 32;

// bytes() views the lanes as STROBE's 200-byte state, which is only the right byte order on a
// little-endian machine.
static_assert(std::endian::native == std::endian::little, "Strobe128 assumes little-endian lanes");

/// Merlin frames lengths as u32; the transcripts we build carry small handshake values.
std::array<std::uint8_t, 4> le32(std::size_t n) {
    assert(n <= UINT32_MAX);
    const auto v = static_cast<std::uint32_t>(n);
    return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
}

}  // namespace

Strobe128::Strobe128(std::string_view protocol_label) {
    static constexpr std::uint8_t k_init[18] = {
        1, k_strobe_r + 2, 1, 0, 1, 96, 'S', 'T', 'R', 'O', 'B', 'E', 'v', '1', '.', '0', '.', '2'};
    std::uint8_t* state = bytes();
    for (std::size_t i = 0; i < sizeof(k_init); ++i)
        state[i] = k_init[i];
    keccak_f1600(m_state);
    meta_ad(base::as_bytes(protocol_label), false);
}

void Strobe128::meta_ad(base::ByteView data, bool more) {
    begin_op(k_flag_m | k_flag_a, more);
    absorb(data);
}

void Strobe128::ad(base::ByteView data, bool more) {
    begin_op(k_flag_a, more);
    absorb(data);
}

void Strobe128::prf(base::MutableByteView out, bool more) {
    begin_op(k_flag_i | k_flag_a | k_flag_c, more);
    squeeze(out);
}

void Strobe128::begin_op(std::uint8_t flags, bool more) {
    if (more) {
        // Continuing an operation must not change its kind; callers are our own code.
        assert(m_cur_flags == flags);
        return;
    }
    // Merlin never sends or receives, so the transport flag never appears.
    assert((flags & k_flag_t) == 0);

    const std::uint8_t old_begin = m_pos_begin;
    m_pos_begin = static_cast<std::uint8_t>(m_pos + 1);
    m_cur_flags = flags;
    const std::uint8_t header[2] = {old_begin, flags};
    absorb(header);

    // Cipher and key operations must start on a fresh block so their output depends on all input.
    if ((flags & (k_flag_c | k_flag_k)) != 0 && m_pos != 0) run_f();
}

void Strobe128::absorb(base::ByteView data) {
    std::uint8_t* state = bytes();
    for (const std::uint8_t b : data) {
        state[m_pos] ^= b;
        ++m_pos;
        if (m_pos == k_strobe_r) run_f();
    }
}

void Strobe128::squeeze(base::MutableByteView out) {
    std::uint8_t* state = bytes();
    for (std::uint8_t& b : out) {
        b = state[m_pos];
        state[m_pos] = 0;
        ++m_pos;
        if (m_pos == k_strobe_r) run_f();
    }
}

void Strobe128::run_f() {
    std::uint8_t* state = bytes();
    state[m_pos] ^= m_pos_begin;
    state[m_pos + 1] ^= 0x04;
    state[k_strobe_r + 1] ^= 0x80;
    keccak_f1600(m_state);
    m_pos = 0;
    m_pos_begin = 0;
}

std::uint8_t* Strobe128::bytes() {
    return reinterpret_cast<std::uint8_t*>(m_state.data());
}

MerlinTranscript::MerlinTranscript(std::string_view label) : m_strobe("Merlin v1.0") {
    append_message("dom-sep", base::as_bytes(label));
}

void MerlinTranscript::append_message(std::string_view label, base::ByteView message) {
    m_strobe.meta_ad(base::as_bytes(label), false);
    m_strobe.meta_ad(le32(message.size()), true);
    m_strobe.ad(message, false);
}

void MerlinTranscript::extract_bytes(std::string_view label, base::MutableByteView out) {
    m_strobe.meta_ad(base::as_bytes(label), false);
    m_strobe.meta_ad(le32(out.size()), true);
    m_strobe.prf(out, false);
}

}  // namespace peerlink::crypto
