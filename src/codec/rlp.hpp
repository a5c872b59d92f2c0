// RLP (Ethereum Recursive Length Prefix, yellow paper appendix B): an appending encoder with nested
// lists, and a zero-copy decoder that accepts only canonical encodings and never trusts a length.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"

// API (stable; used by the devp2p profile and discv4):
//
//   Encoding -- rlp::Encoder appends to its own Bytes:
//     Encoder e;  e.begin_list();  e.add_uint(5);  e.add_bytes(key);  e.end_list();
//     Bytes wire = e.take();
//   add_bytes / add_string / add_uint / add_bool / add_raw (an already encoded item), lists nest.
//   Free helpers encode_bytes(), encode_uint(), append_string_header(), append_list_header().
//
//   Decoding -- views into the caller's input, which must outlive them:
//     auto list = rlp::decode_list(wire);          // whole input must be exactly one list
//     PEERLINK_TRY(list);  rlp::ListReader& r = *list;
//     auto n = r.read_uint64(); auto key = r.read_array<64>(); auto inner = r.read_list();
//     ... r.finish() rejects extra elements; skip it (or r.rest()) to tolerate them (EIP-8).
//   Every read is checked: truncated input, non-canonical headers/integers, wrong kind (string vs
//   list), wrong fixed size, nesting deeper than k_max_depth all come back as rlp::Errc values.
//   A failed read leaves the ListReader where it was.
//   validate(item) walks a whole item recursively (used for raw values one keeps).

namespace peerlink::codec::rlp {

enum class Errc {
    truncated = 1,          // a header or payload runs past the end of the input / enclosing list
    non_canonical_size,     // length with leading zeros, long form for < 56 bytes, or 0x81 + byte < 0x80
    non_canonical_integer,  // an integer with leading zero bytes
    integer_overflow,       // an integer larger than the target type
    expected_string,        // found a list where a string was required
    expected_list,          // found a string where a list was required
    wrong_size,             // a fixed-size byte string of another length
    too_deep,               // lists nested deeper than k_max_depth
    trailing_data,          // bytes after the top-level item
    missing_element,        // the list ended before a required element
    extra_elements,         // finish() on a list that still has elements
    size_overflow,          // a claimed length above what size_t / the input can hold
};
PEERLINK_DECLARE_ERRC(Errc)

/// Deepest list nesting accepted by the decoder (a top-level list is depth 1).
inline constexpr std::size_t k_max_depth = 16;

enum class Kind : std::uint8_t { string, list };

/// One decoded item: `payload` is the string's bytes or the list's concatenated encoded
/// elements; `encoded` is the whole item including its header. Both view the caller's input.
struct Item {
    Kind kind = Kind::string;
    base::ByteView payload;
    base::ByteView encoded;
};

/// Splits the first item off `in`; `rest` is what follows it. Checks the header only (canonical
/// size, length within `in`), not the contents of a list.
struct Split {
    Item item;
    base::ByteView rest;
};
base::Result<Split> split(base::ByteView in);

/// Decodes a canonical big-endian unsigned integer payload (empty = 0).
base::Result<std::uint64_t> decode_uint64(base::ByteView payload);

/// Recursively validates one complete item spanning exactly `in` (headers canonical, lengths
/// consistent, depth <= k_max_depth).
base::Result<void> validate(base::ByteView in);

/// Iterates the elements of one list. Copyable and cheap (two views and a depth).
class ListReader {
public:
    /// `payload` is the list's payload (Item::payload); `depth` is this list's nesting depth.
    explicit ListReader(base::ByteView payload, std::size_t depth = 1) : m_rest(payload), m_depth(depth) {}

    [[nodiscard]] bool at_end() const { return m_rest.empty(); }
    /// The unread elements (still encoded).
    [[nodiscard]] base::ByteView rest() const { return m_rest; }
    [[nodiscard]] std::size_t depth() const { return m_depth; }

    /// The next element of either kind (header-checked only).
    base::Result<Item> next();
    /// The next element's whole encoding (for keeping unknown/extra elements verbatim).
    base::Result<base::ByteView> read_raw();
    /// A string element's bytes.
    base::Result<base::ByteView> read_bytes();
    /// A string element as a canonical unsigned integer.
    base::Result<std::uint64_t> read_uint64();
    /// A string element of exactly out.size() bytes, copied into `out`.
    base::Result<void> read_fixed(base::MutableByteView out);
    template <std::size_t N>
    base::Result<std::array<std::uint8_t, N>> read_array() {
        std::array<std::uint8_t, N> out{};
        if (auto r = read_fixed(out); !r.ok()) return base::Failure{r.error()};
        return out;
    }
    /// A nested list element; fails with too_deep beyond k_max_depth.
    base::Result<ListReader> read_list();
    /// Skips one element of either kind.
    base::Result<void> skip();
    /// Fails with extra_elements if any element is left (strict decoding).
    base::Result<void> finish() const;

private:
    base::ByteView m_rest;
    std::size_t m_depth;
};

/// The whole input must be exactly one item (trailing_data otherwise).
base::Result<Item> decode_item(base::ByteView in);
/// The whole input must be exactly one list; returns a reader over its elements (depth 1).
base::Result<ListReader> decode_list(base::ByteView in);

// ---- encoding -----------------------------------------------------------------------------------

/// Size of the header for a string/list payload of `payload_size` bytes.
std::size_t header_size(std::size_t payload_size);
/// Encoded size of byte string `b` (1 for a single byte < 0x80).
std::size_t encoded_bytes_size(base::ByteView b);
/// Encoded size of unsigned integer `v`.
std::size_t encoded_uint_size(std::uint64_t v);

void append_string_header(base::Bytes& out, std::size_t payload_size);
void append_list_header(base::Bytes& out, std::size_t payload_size);
/// Appends a byte string item (single bytes < 0x80 stand for themselves).
void append_bytes(base::Bytes& out, base::ByteView b);
/// Appends a minimal big-endian integer item (0 is 0x80).
void append_uint(base::Bytes& out, std::uint64_t v);

base::Bytes encode_bytes(base::ByteView b);
base::Bytes encode_uint(std::uint64_t v);

/// Builds an item, typically a list, by appending. Nested lists are closed in LIFO order; the
/// header of a list is inserted when the list is closed (payload moved once per level).
class Encoder {
public:
    Encoder() = default;

    Encoder& add_bytes(base::ByteView b);
    Encoder& add_string(std::string_view s) { return add_bytes(base::as_bytes(s)); }
    Encoder& add_uint(std::uint64_t v);
    Encoder& add_bool(bool v) { return add_uint(v ? 1 : 0); }
    /// Appends an already encoded item verbatim (the caller vouches for it).
    Encoder& add_raw(base::ByteView encoded);
    Encoder& begin_list();
    /// Closes the innermost open list. Calling it with no open list is a programmer error.
    Encoder& end_list();

    [[nodiscard]] std::size_t open_lists() const { return m_open.size(); }
    /// The encoding so far (complete once every list is closed).
    [[nodiscard]] const base::Bytes& bytes() const { return m_out; }
    /// Moves the encoding out and resets the encoder.
    base::Bytes take();

private:
    base::Bytes m_out;
    std::vector<std::size_t> m_open;  // payload start offsets of open lists
};

}  // namespace peerlink::codec::rlp

PEERLINK_ERROR_ENUM_TRAIT(peerlink::codec::rlp::Errc)
