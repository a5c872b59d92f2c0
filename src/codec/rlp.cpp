#include "codec/rlp.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace peerlink::codec::rlp {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::truncated:
            return "RLP item runs past the end of its input or enclosing list";
        case Errc::non_canonical_size:
            return "RLP size not in canonical form";
        case Errc::non_canonical_integer:
            return "RLP integer has leading zero bytes";
        case Errc::integer_overflow:
            return "RLP integer too large for its type";
        case Errc::expected_string:
            return "RLP list where a string was expected";
        case Errc::expected_list:
            return "RLP string where a list was expected";
        case Errc::wrong_size:
            return "RLP string has the wrong size for a fixed-size value";
        case Errc::too_deep:
            return "RLP lists nested too deeply";
        case Errc::trailing_data:
            return "bytes after the RLP item";
        case Errc::missing_element:
            return "RLP list has too few elements";
        case Errc::extra_elements:
            return "RLP list has more elements than expected";
        case Errc::size_overflow:
            return "RLP size too large";
    }
    return "unknown RLP error";
}

std::size_t be_size(std::uint64_t v) {
    std::size_t n = 0;
    for (; v != 0; v >>= 8)
        ++n;
    return n;
}

void append_be(base::Bytes& out, std::uint64_t v, std::size_t n) {
    for (std::size_t i = n; i > 0; --i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * (i - 1))));
}

void append_header(base::Bytes& out, std::uint8_t short_base, std::size_t payload_size) {
    if (payload_size < 56) {
        out.push_back(static_cast<std::uint8_t>(short_base + payload_size));
        return;
    }
    const std::size_t n = be_size(payload_size);
    out.push_back(static_cast<std::uint8_t>(short_base + 55 + n));
    append_be(out, payload_size, n);
}

base::Result<void> validate_at(base::ByteView in, std::size_t depth) {
    auto s = split(in);
    PEERLINK_TRY(s);
    if (!s->rest.empty()) return base::fail(Errc::trailing_data);
    if (s->item.kind == Kind::string) return {};
    if (depth > k_max_depth) return base::fail(Errc::too_deep);
    base::ByteView rest = s->item.payload;
    while (!rest.empty()) {
        auto e = split(rest);
        PEERLINK_TRY(e);
        PEERLINK_TRY(validate_at(e->item.encoded, depth + 1));
        rest = e->rest;
    }
    return {};
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("rlp", describe);
    return category;
}

base::Result<Split> split(base::ByteView in) {
    if (in.empty()) return base::fail(Errc::truncated);
    const std::uint8_t b = in[0];
    Kind kind = Kind::string;
    std::size_t header = 1;
    std::size_t size = 0;
    if (b < 0x80) {
        // A single byte below 0x80 is its own encoding.
        return Split{Item{Kind::string, in.first(1), in.first(1)}, in.subspan(1)};
    }
    if (b < 0xb8) {
        size = b - 0x80u;
    } else if (b < 0xc0) {
        header = 1 + (b - 0xb7u);
    } else if (b < 0xf8) {
        kind = Kind::list;
        size = b - 0xc0u;
    } else {
        kind = Kind::list;
        header = 1 + (b - 0xf7u);
    }
    if (header > 1) {
        const std::size_t n = header - 1;  // 1..8 length bytes
        if (in.size() < header) return base::fail(Errc::truncated);
        if (in[1] == 0) return base::fail(Errc::non_canonical_size);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v = v << 8 | in[1 + i];
        if (v < 56) return base::fail(Errc::non_canonical_size);
        // The payload must fit in the rest of the input; compare without adding.
        if (v > in.size() - header) return base::fail(Errc::truncated);
        size = static_cast<std::size_t>(v);
    } else if (size > in.size() - 1) {
        return base::fail(Errc::truncated);
    }
    const base::ByteView payload = in.subspan(header, size);
    if (kind == Kind::string && size == 1 && payload[0] < 0x80) return base::fail(Errc::non_canonical_size);
    return Split{Item{kind, payload, in.first(header + size)}, in.subspan(header + size)};
}

base::Result<std::uint64_t> decode_uint64(base::ByteView payload) {
    if (payload.empty()) return std::uint64_t{0};
    if (payload[0] == 0) return base::fail(Errc::non_canonical_integer);
    if (payload.size() > 8) return base::fail(Errc::integer_overflow);
    std::uint64_t v = 0;
    for (const auto byte : payload)
        v = v << 8 | byte;
    return v;
}

base::Result<void> validate(base::ByteView in) {
    return validate_at(in, 1);
}

base::Result<Item> decode_item(base::ByteView in) {
    auto s = split(in);
    PEERLINK_TRY(s);
    if (!s->rest.empty()) return base::fail(Errc::trailing_data);
    return s->item;
}

base::Result<ListReader> decode_list(base::ByteView in) {
    auto item = decode_item(in);
    PEERLINK_TRY(item);
    if (item->kind != Kind::list) return base::fail(Errc::expected_list);
    return ListReader(item->payload, 1);
}

// ---- ListReader ---------------------------------------------------------------------------------

base::Result<Item> ListReader::next() {
    if (m_rest.empty()) return base::fail(Errc::missing_element);
    auto s = split(m_rest);
    PEERLINK_TRY(s);
    m_rest = s->rest;
    return s->item;
}

base::Result<base::ByteView> ListReader::read_raw() {
    auto item = next();
    PEERLINK_TRY(item);
    return item->encoded;
}

base::Result<base::ByteView> ListReader::read_bytes() {
    const base::ByteView saved = m_rest;
    auto item = next();
    PEERLINK_TRY(item);
    if (item->kind != Kind::string) {
        m_rest = saved;
        return base::fail(Errc::expected_string);
    }
    return item->payload;
}

base::Result<std::uint64_t> ListReader::read_uint64() {
    const base::ByteView saved = m_rest;
    auto b = read_bytes();
    PEERLINK_TRY(b);
    auto v = decode_uint64(*b);
    if (!v.ok()) m_rest = saved;
    return v;
}

base::Result<void> ListReader::read_fixed(base::MutableByteView out) {
    const base::ByteView saved = m_rest;
    auto b = read_bytes();
    PEERLINK_TRY(b);
    if (b->size() != out.size()) {
        m_rest = saved;
        return base::fail(Errc::wrong_size);
    }
    std::copy(b->begin(), b->end(), out.begin());
    return {};
}

base::Result<ListReader> ListReader::read_list() {
    if (m_depth >= k_max_depth) {
        // Still report a missing element or a string before the depth problem.
        if (m_rest.empty()) return base::fail(Errc::missing_element);
        auto peek = split(m_rest);
        PEERLINK_TRY(peek);
        if (peek->item.kind != Kind::list) return base::fail(Errc::expected_list);
        return base::fail(Errc::too_deep);
    }
    const base::ByteView saved = m_rest;
    auto item = next();
    PEERLINK_TRY(item);
    if (item->kind != Kind::list) {
        m_rest = saved;
        return base::fail(Errc::expected_list);
    }
    return ListReader(item->payload, m_depth + 1);
}

base::Result<void> ListReader::skip() {
    auto item = next();
    PEERLINK_TRY(item);
    return {};
}

base::Result<void> ListReader::finish() const {
    if (!m_rest.empty()) return base::fail(Errc::extra_elements);
    return {};
}

// ---- encoding -----------------------------------------------------------------------------------

std::size_t header_size(std::size_t payload_size) {
    return payload_size < 56 ? 1 : 1 + be_size(payload_size);
}

std::size_t encoded_bytes_size(base::ByteView b) {
    if (b.size() == 1 && b[0] < 0x80) return 1;
    return header_size(b.size()) + b.size();
}

std::size_t encoded_uint_size(std::uint64_t v) {
    if (v < 0x80) return 1;
    return 1 + be_size(v);
}

void append_string_header(base::Bytes& out, std::size_t payload_size) {
    append_header(out, 0x80, payload_size);
}

void append_list_header(base::Bytes& out, std::size_t payload_size) {
    append_header(out, 0xc0, payload_size);
}

void append_bytes(base::Bytes& out, base::ByteView b) {
    if (b.size() == 1 && b[0] < 0x80) {
        out.push_back(b[0]);
        return;
    }
    append_string_header(out, b.size());
    out.insert(out.end(), b.begin(), b.end());
}

void append_uint(base::Bytes& out, std::uint64_t v) {
    if (v == 0) {
        out.push_back(0x80);
    } else if (v < 0x80) {
        out.push_back(static_cast<std::uint8_t>(v));
    } else {
        const std::size_t n = be_size(v);
        out.push_back(static_cast<std::uint8_t>(0x80 + n));
        append_be(out, v, n);
    }
}

base::Bytes encode_bytes(base::ByteView b) {
    base::Bytes out;
    out.reserve(encoded_bytes_size(b));
    append_bytes(out, b);
    return out;
}

base::Bytes encode_uint(std::uint64_t v) {
    base::Bytes out;
    append_uint(out, v);
    return out;
}

Encoder& Encoder::add_bytes(base::ByteView b) {
    append_bytes(m_out, b);
    return *this;
}

Encoder& Encoder::add_uint(std::uint64_t v) {
    append_uint(m_out, v);
    return *this;
}

Encoder& Encoder::add_raw(base::ByteView encoded) {
    m_out.insert(m_out.end(), encoded.begin(), encoded.end());
    return *this;
}

Encoder& Encoder::begin_list() {
    m_open.push_back(m_out.size());
    return *this;
}

Encoder& Encoder::end_list() {
    assert(!m_open.empty());
    const std::size_t start = m_open.back();
    m_open.pop_back();
    base::Bytes header;
    append_list_header(header, m_out.size() - start);
    m_out.insert(m_out.begin() + static_cast<std::ptrdiff_t>(start), header.begin(), header.end());
    return *this;
}

base::Bytes Encoder::take() {
    base::Bytes out = std::move(m_out);
    m_out.clear();
    m_open.clear();
    return out;
}

}  // namespace peerlink::codec::rlp
