// Byte views, shared immutable byte strings and hex helpers used by every layer.
// Views never own; SharedBytes owns once and is sliced without copying (one message, many peers).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace peerlink::base {

using Byte = std::uint8_t;
using ByteView = std::span<const Byte>;
using MutableByteView = std::span<Byte>;
using Bytes = std::vector<Byte>;

inline ByteView as_bytes(std::string_view s) {
    return {reinterpret_cast<const Byte*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// Lower-case hex of `b`.
std::string to_hex(ByteView b);
/// Parses hex (either case, even length); nullopt on any other input.
std::optional<Bytes> from_hex(std::string_view hex);

/// An immutable, reference-counted byte string; slices share the same storage.
class SharedBytes {
public:
    SharedBytes() = default;
    explicit SharedBytes(Bytes bytes)
        : m_owner(std::make_shared<const Bytes>(std::move(bytes))), m_offset(0), m_size(m_owner->size()) {}
    static SharedBytes copy_of(ByteView b) { return SharedBytes(Bytes(b.begin(), b.end())); }

    [[nodiscard]] ByteView view() const {
        return m_owner ? ByteView(m_owner->data() + m_offset, m_size) : ByteView();
    }
    [[nodiscard]] std::size_t size() const { return m_size; }
    [[nodiscard]] bool empty() const { return m_size == 0; }
    /// A sub-range sharing this storage; `offset + length` must lie within size().
    [[nodiscard]] SharedBytes slice(std::size_t offset, std::size_t length) const {
        SharedBytes out = *this;
        out.m_offset += offset;
        out.m_size = length;
        return out;
    }

private:
    std::shared_ptr<const Bytes> m_owner;
    std::size_t m_offset = 0;
    std::size_t m_size = 0;
};

}  // namespace peerlink::base
