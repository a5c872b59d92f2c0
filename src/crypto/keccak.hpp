// keccak-f[1600] permutation (FIPS 202) and Keccak-256 (the pre-SHA3 padding Ethereum uses).
// Hand-written: no Debian library exposes the bare permutation that STROBE and RLPx MACs need.
#pragma once
#include <array>
#include <cstdint>

#include "base/bytes.hpp"

namespace peerlink::crypto {

/// The 25-lane state, lane i at index i (x + 5y), little-endian byte order within a lane.
void keccak_f1600(std::array<std::uint64_t, 25>& state);

/// Incremental Keccak-256 (rate 136, domain byte 0x01).
class Keccak256 {
public:
    Keccak256() = default;
    void update(base::ByteView data);
    std::array<std::uint8_t, 32> digest() const;  // does not modify the running state

private:
    std::array<std::uint64_t, 25> m_state{};
    std::array<std::uint8_t, 136> m_block{};
    std::size_t m_fill = 0;
};

std::array<std::uint8_t, 32> keccak256(base::ByteView data);

/// The permutation is compiled more than once and one build is picked at run time from the CPU
/// (cpuid). Exposed so that tests check every variant the machine runs against the same known
/// answers (the dispatched one alone would leave the others untested), and benchmarks compare them.
enum class KeccakVariant {
    portable,  // plain C++ for the build's target
    bmi,       // x86-64 compiled for BMI1/BMI2 (ANDN, RORX); only when the build's target lacks them
};
[[nodiscard]] bool keccak_variant_supported(KeccakVariant variant);
[[nodiscard]] KeccakVariant keccak_active_variant();
/// Selects `variant` for every later call (false, and no change, if the CPU lacks it). Not for use
/// while other threads hash: tests and benchmarks only.
bool keccak_force_variant(KeccakVariant variant);
[[nodiscard]] const char* keccak_variant_name(KeccakVariant variant);

}  // namespace peerlink::crypto
