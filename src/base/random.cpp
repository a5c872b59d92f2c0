#include "base/random.hpp"

#include <random>

namespace peerlink::base {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}
}  // namespace

Random::Random() {
    std::random_device device;
    reseed((static_cast<std::uint64_t>(device()) << 32) ^ device());
}

void Random::reseed(std::uint64_t seed) {
    for (auto& s : m_s)
        s = splitmix64(seed);
}

std::uint64_t Random::next_u64() {
    const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const std::uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
}

std::uint64_t Random::uniform(std::uint64_t bound) {
    // Rejection sampling on the top of the range: unbiased.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    for (;;) {
        const std::uint64_t v = next_u64();
        if (v < limit) return v % bound;
    }
}

}  // namespace peerlink::base
