// SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed PRF that places addresses in buckets, so an
// attacker who does not know a book's key cannot aim addresses at chosen buckets or slots.
#pragma once
#include <array>
#include <cstdint>

#include "base/bytes.hpp"

namespace peerlink::addrbook {

/// A 128-bit SipHash key as the paper writes it: k0 is bytes 0..7, k1 bytes 8..15, little-endian.
struct SipKey {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;

    static SipKey from_bytes(const std::array<std::uint8_t, 16>& bytes);
    [[nodiscard]] std::array<std::uint8_t, 16> to_bytes() const;
    friend bool operator==(const SipKey&, const SipKey&) = default;
};

/// SipHash-2-4 of `message` under `key`: the 64-bit output of the reference implementation.
std::uint64_t siphash24(const SipKey& key, base::ByteView message);

}  // namespace peerlink::addrbook
