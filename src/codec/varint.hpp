// Unsigned LEB128 varints as protobuf and Go's encoding/binary uvarint write them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"

namespace peerlink::codec {

inline constexpr std::size_t k_max_varint_size = 10;

constexpr std::size_t varint_size(std::uint64_t v) {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

/// Writes `v` at `out` (which must have varint_size(v) bytes); returns bytes written.
inline std::size_t put_varint(std::uint8_t* out, std::uint64_t v) {
    std::size_t n = 0;
    while (v >= 0x80) {
        out[n++] = static_cast<std::uint8_t>(v | 0x80);
        v >>= 7;
    }
    out[n++] = static_cast<std::uint8_t>(v);
    return n;
}

enum class VarintStatus { ok, incomplete, overflow };
struct VarintRead {
    VarintStatus status;
    std::uint64_t value = 0;
    std::size_t size = 0;  // bytes consumed when ok
};

/// Decodes a varint at the front of `in`. More than 10 bytes, or a 10th byte above 1, is overflow.
inline VarintRead get_varint(base::ByteView in) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < in.size() && i < k_max_varint_size; ++i) {
        const std::uint8_t b = in[i];
        if (i == 9 && b > 1) return {VarintStatus::overflow};
        v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
        if (b < 0x80) return {VarintStatus::ok, v, i + 1};
    }
    return {in.size() >= k_max_varint_size ? VarintStatus::overflow : VarintStatus::incomplete};
}

}  // namespace peerlink::codec
