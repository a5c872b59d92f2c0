// Seedable, fast, non-cryptographic randomness (xoshiro256**) for jitter, sampling and simulation.
// Keys and nonces come from crypto::random_bytes instead.
#pragma once
#include <cstdint>

namespace peerlink::base {

class Random {
public:
    /// Seeded from the operating system.
    Random();
    explicit Random(std::uint64_t seed) { reseed(seed); }
    void reseed(std::uint64_t seed);

    std::uint64_t next_u64();
    /// Uniform in [0, bound); bound must be > 0.
    std::uint64_t uniform(std::uint64_t bound);
    /// Uniform in [0, 1).
    double uniform_real() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t m_s[4]{};
};

}  // namespace peerlink::base
