#include "crypto/keccak.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

// The permutation follows the structure of the Keccak team's "opt64" reference implementation
// (XKCP, lib/low/KeccakP-1600/plain-64bits/KeccakP-1600-opt64.c; see also the Keccak team's
// "Keccak implementation overview"), written afresh here:
// - all 25 lanes are scalar locals (a struct the compiler splits into registers), rounds are
//   unrolled in pairs that alternate between two lane sets, so nothing is copied between rounds
//   and no lane is ever addressed through an index;
// - rho, pi and chi run one output plane at a time, so only five B lanes are live at once;
// - absorbing keeps the state in those locals across all whole blocks of an update() call.
// Not used: the Keccak team's lane complementing transform (six lanes kept inverted so chi needs
// one NOT per plane instead of five), which only pays on targets without an and-not instruction.
// Instead, on x86-64 the same code is also compiled for BMI1/BMI2 (ANDN makes chi two
// instructions per lane, RORX rotates without a copy) and picked at run time; that variant is
// where the speed comes from (GCC 12: about 4,740 instructions per permutation against 6,100 for
// the plain x86-64 build). aarch64 has BIC and three-operand rotates natively.
// Tried and not kept (2026-11, Xeon with AVX-512, best of 60 runs over 16 KiB): the state as five
// 5-lane planes in zmm registers (vpternlogq, vprolvq, pi as a vpermt2q transpose) reached
// 400 MB/s, port 5 bound on its 26 shuffles per round; one lane per xmm register (vprolq,
// vpternlogq for chi and theta's parity) 485-500 MB/s; this BMI build 520 MB/s. See
// docs/decisions.md.

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !(defined(__BMI__) && defined(__BMI2__))
#define PEERLINK_KECCAK_BMI_DISPATCH 1
#include <cpuid.h>
#else
#define PEERLINK_KECCAK_BMI_DISPATCH 0
#endif

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

/// Lane x + 5y is l<x + 5y>.
struct Lanes {
    std::uint64_t l00, l01, l02, l03, l04, l05, l06, l07, l08, l09, l10, l11, l12;
    std::uint64_t l13, l14, l15, l16, l17, l18, l19, l20, l21, l22, l23, l24;
};

/// Theta's column parities C[x] = xor of the five lanes of column x.
struct Parity {
    std::uint64_t c0, c1, c2, c3, c4;
};

[[gnu::always_inline]] inline Parity parity(const Lanes& a) {
    return {a.l00 ^ a.l05 ^ a.l10 ^ a.l15 ^ a.l20, a.l01 ^ a.l06 ^ a.l11 ^ a.l16 ^ a.l21,
            a.l02 ^ a.l07 ^ a.l12 ^ a.l17 ^ a.l22, a.l03 ^ a.l08 ^ a.l13 ^ a.l18 ^ a.l23,
            a.l04 ^ a.l09 ^ a.l14 ^ a.l19 ^ a.l24};
}

/// chi on one plane: out[x] = b[x] ^ (~b[x+1] & b[x+2]).
[[gnu::always_inline]] inline void chi(std::uint64_t b0, std::uint64_t b1, std::uint64_t b2, std::uint64_t b3,
                                       std::uint64_t b4, std::uint64_t& o0, std::uint64_t& o1,
                                       std::uint64_t& o2, std::uint64_t& o3, std::uint64_t& o4) {
    o0 = b0 ^ (~b1 & b2);
    o1 = b1 ^ (~b2 & b3);
    o2 = b2 ^ (~b3 & b4);
    o3 = b3 ^ (~b4 & b0);
    o4 = b4 ^ (~b0 & b1);
}

/// One round from lanes a into lanes e.
[[gnu::always_inline]] inline void keccak_round(const Lanes& a, Lanes& e, std::uint64_t rc) {
    const Parity c = parity(a);
    const std::uint64_t d0 = c.c4 ^ std::rotl(c.c1, 1);
    const std::uint64_t d1 = c.c0 ^ std::rotl(c.c2, 1);
    const std::uint64_t d2 = c.c1 ^ std::rotl(c.c3, 1);
    const std::uint64_t d3 = c.c2 ^ std::rotl(c.c4, 1);
    const std::uint64_t d4 = c.c3 ^ std::rotl(c.c0, 1);
    // pi moves lane (x, y) to (y, 2x + 3y): output plane y gathers one lane from each column,
    // each rotated by rho's offset for its source position.
    chi(a.l00 ^ d0, std::rotl(a.l06 ^ d1, 44), std::rotl(a.l12 ^ d2, 43), std::rotl(a.l18 ^ d3, 21),
        std::rotl(a.l24 ^ d4, 14), e.l00, e.l01, e.l02, e.l03, e.l04);
    e.l00 ^= rc;
    chi(std::rotl(a.l03 ^ d3, 28), std::rotl(a.l09 ^ d4, 20), std::rotl(a.l10 ^ d0, 3),
        std::rotl(a.l16 ^ d1, 45), std::rotl(a.l22 ^ d2, 61), e.l05, e.l06, e.l07, e.l08, e.l09);
    chi(std::rotl(a.l01 ^ d1, 1), std::rotl(a.l07 ^ d2, 6), std::rotl(a.l13 ^ d3, 25),
        std::rotl(a.l19 ^ d4, 8), std::rotl(a.l20 ^ d0, 18), e.l10, e.l11, e.l12, e.l13, e.l14);
    chi(std::rotl(a.l04 ^ d4, 27), std::rotl(a.l05 ^ d0, 36), std::rotl(a.l11 ^ d1, 10),
        std::rotl(a.l17 ^ d2, 15), std::rotl(a.l23 ^ d3, 56), e.l15, e.l16, e.l17, e.l18, e.l19);
    chi(std::rotl(a.l02 ^ d2, 62), std::rotl(a.l08 ^ d3, 55), std::rotl(a.l14 ^ d4, 39),
        std::rotl(a.l15 ^ d0, 41), std::rotl(a.l21 ^ d1, 2), e.l20, e.l21, e.l22, e.l23, e.l24);
}

[[gnu::always_inline]] inline void permute(Lanes& a) {
    Lanes e;
    for (std::size_t r = 0; r < 24; r += 2) {
        keccak_round(a, e, k_round_constants[r]);
        keccak_round(e, a, k_round_constants[r + 1]);
    }
}

[[gnu::always_inline]] inline Lanes load(const std::array<std::uint64_t, 25>& s) {
    return {s[0],  s[1],  s[2],  s[3],  s[4],  s[5],  s[6],  s[7],  s[8],  s[9],  s[10], s[11], s[12],
            s[13], s[14], s[15], s[16], s[17], s[18], s[19], s[20], s[21], s[22], s[23], s[24]};
}

[[gnu::always_inline]] inline void store(const Lanes& a, std::array<std::uint64_t, 25>& s) {
    s = {a.l00, a.l01, a.l02, a.l03, a.l04, a.l05, a.l06, a.l07, a.l08, a.l09, a.l10, a.l11, a.l12,
         a.l13, a.l14, a.l15, a.l16, a.l17, a.l18, a.l19, a.l20, a.l21, a.l22, a.l23, a.l24};
}

/// XORs `blocks` consecutive rate-sized blocks into the state, permuting after each.
[[gnu::always_inline]] inline void absorb_inline(std::array<std::uint64_t, 25>& state, const std::uint8_t* p,
                                                 std::size_t blocks) {
    Lanes a = load(state);
    for (; blocks > 0; --blocks, p += k_rate) {
        a.l00 ^= load_le64(p);
        a.l01 ^= load_le64(p + 8);
        a.l02 ^= load_le64(p + 16);
        a.l03 ^= load_le64(p + 24);
        a.l04 ^= load_le64(p + 32);
        a.l05 ^= load_le64(p + 40);
        a.l06 ^= load_le64(p + 48);
        a.l07 ^= load_le64(p + 56);
        a.l08 ^= load_le64(p + 64);
        a.l09 ^= load_le64(p + 72);
        a.l10 ^= load_le64(p + 80);
        a.l11 ^= load_le64(p + 88);
        a.l12 ^= load_le64(p + 96);
        a.l13 ^= load_le64(p + 104);
        a.l14 ^= load_le64(p + 112);
        a.l15 ^= load_le64(p + 120);
        a.l16 ^= load_le64(p + 128);
        permute(a);
    }
    store(a, state);
}

[[gnu::always_inline]] inline void permute_inline(std::array<std::uint64_t, 25>& state) {
    Lanes a = load(state);
    permute(a);
    store(a, state);
}

void permute_portable(std::array<std::uint64_t, 25>& state) {
    permute_inline(state);
}

void absorb_portable(std::array<std::uint64_t, 25>& state, const std::uint8_t* p, std::size_t blocks) {
    absorb_inline(state, p, blocks);
}

#if PEERLINK_KECCAK_BMI_DISPATCH
[[gnu::target("bmi,bmi2")]] void permute_bmi(std::array<std::uint64_t, 25>& state) {
    permute_inline(state);
}

[[gnu::target("bmi,bmi2")]] void absorb_bmi(std::array<std::uint64_t, 25>& state, const std::uint8_t* p,
                                            std::size_t blocks) {
    absorb_inline(state, p, blocks);
}

bool cpu_has_bmi() {
    // cpuid leaf 7, EBX bit 3 (BMI1) and bit 8 (BMI2); no OS state is involved.
    static const bool has = [] {
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0 || eax < 7) return false;
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        return (ebx & (1u << 3)) != 0 && (ebx & (1u << 8)) != 0;
    }();
    return has;
}
#endif

// ---- dispatch -----------------------------------------------------------------------------------

struct Impl {
    KeccakVariant variant;
    void (*permute)(std::array<std::uint64_t, 25>&);
    void (*absorb)(std::array<std::uint64_t, 25>&, const std::uint8_t*, std::size_t);
};

constexpr Impl k_portable_impl{KeccakVariant::portable, permute_portable, absorb_portable};
#if PEERLINK_KECCAK_BMI_DISPATCH
constexpr Impl k_bmi_impl{KeccakVariant::bmi, permute_bmi, absorb_bmi};
#endif

const Impl* impl_for(KeccakVariant variant) {
    switch (variant) {
        case KeccakVariant::portable:
            return &k_portable_impl;
        case KeccakVariant::bmi:
#if PEERLINK_KECCAK_BMI_DISPATCH
            if (cpu_has_bmi()) return &k_bmi_impl;
#endif
            return nullptr;
    }
    return nullptr;
}

const Impl* best_impl() {
    if (const Impl* i = impl_for(KeccakVariant::bmi)) return i;
    return &k_portable_impl;
}

// Constant-initialized, so usable from other translation units' static initializers.
std::atomic<const Impl*> g_impl{nullptr};

const Impl& impl() {
    const Impl* i = g_impl.load(std::memory_order_relaxed);
    if (i == nullptr) {
        i = best_impl();
        g_impl.store(i, std::memory_order_relaxed);
    }
    return *i;
}

void absorb_blocks(std::array<std::uint64_t, 25>& state, const std::uint8_t* p, std::size_t blocks) {
    impl().absorb(state, p, blocks);
}

}  // namespace

bool keccak_variant_supported(KeccakVariant variant) {
    return impl_for(variant) != nullptr;
}

KeccakVariant keccak_active_variant() {
    return impl().variant;
}

bool keccak_force_variant(KeccakVariant variant) {
    const Impl* i = impl_for(variant);
    if (i == nullptr) return false;
    g_impl.store(i, std::memory_order_relaxed);
    return true;
}

const char* keccak_variant_name(KeccakVariant variant) {
    switch (variant) {
        case KeccakVariant::portable:
            return "portable";
        case KeccakVariant::bmi:
            return "bmi";
    }
    return "unknown";
}

void keccak_f1600(std::array<std::uint64_t, 25>& state) {
    impl().permute(state);
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
        absorb_blocks(m_state, m_block.data(), 1);
        m_fill = 0;
    }
    // Whole blocks straight from the caller's buffer: no copy through m_block.
    const std::size_t blocks = n / k_rate;
    if (blocks > 0) {
        absorb_blocks(m_state, p, blocks);
        p += blocks * k_rate;
        n -= blocks * k_rate;
    }
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
    absorb_blocks(state, last.data(), 1);

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
