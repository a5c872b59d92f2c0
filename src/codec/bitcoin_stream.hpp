// Bitcoin's serialization primitives (Bitcoin Core serialize.h): little-endian integers, CompactSize,
// length-prefixed byte strings. A bounds-checked reader over a view and an appending writer.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"

namespace peerlink::codec {

enum class BtcErrc {
    truncated = 1,               // a field runs past the end of the input
    non_canonical_compact_size,  // CompactSize not in its shortest form ("non-canonical ReadCompactSize()")
    compact_size_too_large,      // CompactSize above 0x02000000 where a size is expected (Core's MAX_SIZE)
    too_long,                    // a byte string or count longer than the caller allows
};
PEERLINK_DECLARE_ERRC(BtcErrc)

/// Bitcoin Core's MAX_SIZE: the largest CompactSize accepted as a length or count.
inline constexpr std::uint64_t k_max_compact_size = 0x02000000;

/// Reads Bitcoin-serialized fields from the front of a view. A failed read leaves the cursor where
/// it was. Views returned by bytes() point into the input.
class BtcReader {
public:
    explicit BtcReader(base::ByteView in) : m_rest(in) {}

    base::Result<std::uint8_t> u8();
    base::Result<std::uint16_t> u16le();
    base::Result<std::uint16_t> u16be();  // ports in network addresses
    base::Result<std::uint32_t> u32le();
    base::Result<std::uint64_t> u64le();
    base::Result<std::int32_t> i32le();
    base::Result<std::int64_t> i64le();
    /// Core's bool: one byte, any non-zero value is true.
    base::Result<bool> boolean();
    /// A canonical CompactSize; with `range_check`, values above k_max_compact_size fail.
    base::Result<std::uint64_t> compact_size(bool range_check = true);
    /// `n` bytes as a view into the input.
    base::Result<base::ByteView> bytes(std::size_t n);
    /// CompactSize length + bytes; the length is checked against `max` before anything is copied.
    base::Result<base::Bytes> var_bytes(std::size_t max);
    base::Result<std::string> var_str(std::size_t max);
    template <std::size_t N>
    base::Result<std::array<std::uint8_t, N>> array() {
        auto v = bytes(N);
        if (!v) return base::Failure{v.error()};
        std::array<std::uint8_t, N> out{};
        for (std::size_t i = 0; i < N; ++i)
            out[i] = (*v)[i];
        return out;
    }

    [[nodiscard]] std::size_t remaining() const { return m_rest.size(); }
    [[nodiscard]] bool empty() const { return m_rest.empty(); }
    [[nodiscard]] base::ByteView rest() const { return m_rest; }

private:
    base::Result<std::uint64_t> le(std::size_t n);
    base::Result<base::ByteView> var_view(std::size_t max);

    base::ByteView m_rest;
};

/// Appends Bitcoin-serialized fields to a byte vector.
class BtcWriter {
public:
    explicit BtcWriter(base::Bytes& out) : m_out(out) {}

    void u8(std::uint8_t v) { m_out.push_back(v); }
    void u16le(std::uint16_t v) { le(v, 2); }
    void u16be(std::uint16_t v) {
        m_out.push_back(static_cast<std::uint8_t>(v >> 8));
        m_out.push_back(static_cast<std::uint8_t>(v));
    }
    void u32le(std::uint32_t v) { le(v, 4); }
    void u64le(std::uint64_t v) { le(v, 8); }
    void i32le(std::int32_t v) { le(static_cast<std::uint32_t>(v), 4); }
    void i64le(std::int64_t v) { le(static_cast<std::uint64_t>(v), 8); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    void compact_size(std::uint64_t v);
    void bytes(base::ByteView b) { m_out.insert(m_out.end(), b.begin(), b.end()); }
    void var_bytes(base::ByteView b) {
        compact_size(b.size());
        bytes(b);
    }
    void var_str(std::string_view s) { var_bytes(base::as_bytes(s)); }

private:
    void le(std::uint64_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }

    base::Bytes& m_out;
};

/// Encoded size of a CompactSize.
constexpr std::size_t compact_size_size(std::uint64_t v) {
    return v < 0xfd ? 1 : v <= 0xffff ? 3 : v <= 0xffffffff ? 5 : 9;
}

}  // namespace peerlink::codec

PEERLINK_ERROR_ENUM_TRAIT(peerlink::codec::BtcErrc)
