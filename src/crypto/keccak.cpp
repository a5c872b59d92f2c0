#include "crypto/keccak.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace peerlink::crypto {

namespace {

constexpr std::size_t k_rate = 136;

constexpr std::array<std::uint64_t, 24> k_round_constants = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000, 0x000000000000808b,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008a, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000a, 0x000000008000808b, 0x800000000000008b, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
};

std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&v, p, 8);
    } else {
        for (std::size_t i = 0; i < 8; ++i)
            v |= std::uint64_t{p[i]} << (8 * i);
    }
    return v;
}

/// XORs one full rate-sized block into the state and permutes.
void absorb_block(std::array<std::uint64_t, 25>& state, const std::uint8_t* block) {
    for (std::size_t i = 0; i < k_rate / 8; ++i)
        state[i] ^= load_le64(block + 8 * i);
    keccak_f1600(state);
}

}  // namespace

// The lanes live in locals for the whole permutation and each round is written out, so the compiler
// keeps the state in registers (and spills as it sees fit) instead of round-tripping through memory.
void keccak_f1600(std::array<std::uint64_t, 25>& state) {
    std::uint64_t a00 = state[0];
    std::uint64_t a01 = state[1];
    std::uint64_t a02 = state[2];
    std::uint64_t a03 = state[3];
    std::uint64_t a04 = state[4];
    std::uint64_t a05 = state[5];
    std::uint64_t a06 = state[6];
    std::uint64_t a07 = state[7];
    std::uint64_t a08 = state[8];
    std::uint64_t a09 = state[9];
    std::uint64_t a10 = state[10];
    std::uint64_t a11 = state[11];
    std::uint64_t a12 = state[12];
    std::uint64_t a13 = state[13];
    std::uint64_t a14 = state[14];
    std::uint64_t a15 = state[15];
    std::uint64_t a16 = state[16];
    std::uint64_t a17 = state[17];
    std::uint64_t a18 = state[18];
    std::uint64_t a19 = state[19];
    std::uint64_t a20 = state[20];
    std::uint64_t a21 = state[21];
    std::uint64_t a22 = state[22];
    std::uint64_t a23 = state[23];
    std::uint64_t a24 = state[24];

    for (std::size_t round = 0; round < 24; ++round) {
        // theta
        const std::uint64_t c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
        const std::uint64_t c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
        const std::uint64_t c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
        const std::uint64_t c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
        const std::uint64_t c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
        const std::uint64_t d0 = c4 ^ std::rotl(c1, 1);
        const std::uint64_t d1 = c0 ^ std::rotl(c2, 1);
        const std::uint64_t d2 = c1 ^ std::rotl(c3, 1);
        const std::uint64_t d3 = c2 ^ std::rotl(c4, 1);
        const std::uint64_t d4 = c3 ^ std::rotl(c0, 1);
        // rho and pi: lane (x, y) moves to (y, 2x + 3y)
        const std::uint64_t b00 = a00 ^ d0;
        const std::uint64_t b01 = std::rotl(a06 ^ d1, 44);
        const std::uint64_t b02 = std::rotl(a12 ^ d2, 43);
        const std::uint64_t b03 = std::rotl(a18 ^ d3, 21);
        const std::uint64_t b04 = std::rotl(a24 ^ d4, 14);
        const std::uint64_t b05 = std::rotl(a03 ^ d3, 28);
        const std::uint64_t b06 = std::rotl(a09 ^ d4, 20);
        const std::uint64_t b07 = std::rotl(a10 ^ d0, 3);
        const std::uint64_t b08 = std::rotl(a16 ^ d1, 45);
        const std::uint64_t b09 = std::rotl(a22 ^ d2, 61);
        const std::uint64_t b10 = std::rotl(a01 ^ d1, 1);
        const std::uint64_t b11 = std::rotl(a07 ^ d2, 6);
        const std::uint64_t b12 = std::rotl(a13 ^ d3, 25);
        const std::uint64_t b13 = std::rotl(a19 ^ d4, 8);
        const std::uint64_t b14 = std::rotl(a20 ^ d0, 18);
        const std::uint64_t b15 = std::rotl(a04 ^ d4, 27);
        const std::uint64_t b16 = std::rotl(a05 ^ d0, 36);
        const std::uint64_t b17 = std::rotl(a11 ^ d1, 10);
        const std::uint64_t b18 = std::rotl(a17 ^ d2, 15);
        const std::uint64_t b19 = std::rotl(a23 ^ d3, 56);
        const std::uint64_t b20 = std::rotl(a02 ^ d2, 62);
        const std::uint64_t b21 = std::rotl(a08 ^ d3, 55);
        const std::uint64_t b22 = std::rotl(a14 ^ d4, 39);
        const std::uint64_t b23 = std::rotl(a15 ^ d0, 41);
        const std::uint64_t b24 = std::rotl(a21 ^ d1, 2);
        // chi
        a00 = b00 ^ (~b01 & b02);
        a01 = b01 ^ (~b02 & b03);
        a02 = b02 ^ (~b03 & b04);
        a03 = b03 ^ (~b04 & b00);
        a04 = b04 ^ (~b00 & b01);
        a05 = b05 ^ (~b06 & b07);
        a06 = b06 ^ (~b07 & b08);
        a07 = b07 ^ (~b08 & b09);
        a08 = b08 ^ (~b09 & b05);
        a09 = b09 ^ (~b05 & b06);
        a10 = b10 ^ (~b11 & b12);
        a11 = b11 ^ (~b12 & b13);
        a12 = b12 ^ (~b13 & b14);
        a13 = b13 ^ (~b14 & b10);
        a14 = b14 ^ (~b10 & b11);
        a15 = b15 ^ (~b16 & b17);
        a16 = b16 ^ (~b17 & b18);
        a17 = b17 ^ (~b18 & b19);
        a18 = b18 ^ (~b19 & b15);
        a19 = b19 ^ (~b15 & b16);
        a20 = b20 ^ (~b21 & b22);
        a21 = b21 ^ (~b22 & b23);
        a22 = b22 ^ (~b23 & b24);
        a23 = b23 ^ (~b24 & b20);
        a24 = b24 ^ (~b20 & b21);
        // iota
        a00 ^= k_round_constants[round];
    }

    state[0] = a00;
    state[1] = a01;
    state[2] = a02;
    state[3] = a03;
    state[4] = a04;
    state[5] = a05;
    state[6] = a06;
    state[7] = a07;
    state[8] = a08;
    state[9] = a09;
    state[10] = a10;
    state[11] = a11;
    state[12] = a12;
    state[13] = a13;
    state[14] = a14;
    state[15] = a15;
    state[16] = a16;
    state[17] = a17;
    state[18] = a18;
    state[19] = a19;
    state[20] = a20;
    state[21] = a21;
    state[22] = a22;
    state[23] = a23;
    state[24] = a24;
}

void Keccak256::update(base::ByteView data) {
    if (data.empty()) return;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    if (m_fill > 0) {
        const std::size_t take = std::min(n, k_rate - m_fill);
        std::memcpy(m_block.data() + m_fill, p, take);
        m_fill += take;
        p += take;
        n -= take;
        if (m_fill < k_rate) return;
        absorb_block(m_state, m_block.data());
        m_fill = 0;
    }
    // Whole blocks straight from the caller's buffer: no copy through m_block.
    for (; n >= k_rate; p += k_rate, n -= k_rate)
        absorb_block(m_state, p);
    if (n > 0) {
        std::memcpy(m_block.data(), p, n);
        m_fill = n;
    }
}

std::array<std::uint8_t, 32> Keccak256::digest() const {
    // Pad a copy so the hasher can keep absorbing after a digest was taken.
    std::array<std::uint64_t, 25> state = m_state;
    std::array<std::uint8_t, k_rate> last{};
    std::memcpy(last.data(), m_block.data(), m_fill);
    last[m_fill] ^= 0x01;  // original Keccak padding, not SHA3's 0x06
    last[k_rate - 1] ^= 0x80;
    absorb_block(state, last.data());

    std::array<std::uint8_t, 32> out;
    for (std::size_t i = 0; i < 4; ++i) {
        std::uint64_t lane = state[i];
        for (std::size_t j = 0; j < 8; ++j, lane >>= 8)
            out[8 * i + j] = static_cast<std::uint8_t>(lane);
    }
    return out;
}

std::array<std::uint8_t, 32> keccak256(base::ByteView data) {
    Keccak256 h;
    h.update(data);
    return h.digest();
}

}  // namespace peerlink::crypto
