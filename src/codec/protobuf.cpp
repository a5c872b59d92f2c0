#include "codec/protobuf.hpp"

#include <cassert>
#include <cstring>

namespace peerlink::codec {

namespace {

constexpr std::uint64_t k_max_field_number = (std::uint64_t{1} << 29) - 1;

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::truncated:
            return "protobuf field or length runs past the end of the message";
        case Errc::varint_overflow:
            return "varint longer than 10 bytes or above 2^64-1";
        case Errc::bad_wire_type:
            return "protobuf wire type 3, 4, 6 or 7 (groups are not supported)";
        case Errc::bad_field_number:
            return "protobuf field number 0 or above 2^29-1";
        case Errc::message_too_large:
            return "delimited message length above the allowed maximum";
        case Errc::wrong_wire_type:
            return "protobuf field has a different wire type than its schema";
    }
    return "unknown codec error";
}

// Little-endian regardless of host order: the wire format fixes it.
std::uint64_t load_le(base::ByteView in, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v |= std::uint64_t{in[i]} << (8 * i);
    return v;
}

std::uint64_t make_tag(std::uint32_t number, WireType type) {
    // Writers are fed by our own schema code, so a bad number is a programmer error.
    assert(number >= 1 && number <= k_max_field_number);
    return std::uint64_t{number} << 3 | static_cast<std::uint64_t>(type);
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("codec", describe);
    return category;
}

base::Result<std::optional<Field>> ProtoReader::next() {
    if (m_rest.empty()) return std::optional<Field>{};

    // Every read goes through `rest`; m_rest only advances once the whole field is valid, so a
    // failed call leaves the reader where it was and repeats the same error.
    base::ByteView rest = m_rest;
    const VarintRead tag = get_varint(rest);
    if (tag.status == VarintStatus::overflow) return base::fail(Errc::varint_overflow);
    if (tag.status == VarintStatus::incomplete) return base::fail(Errc::truncated);
    rest = rest.subspan(tag.size);

    const std::uint64_t number = tag.value >> 3;
    if (number == 0 || number > k_max_field_number) return base::fail(Errc::bad_field_number);

    Field field;
    field.number = static_cast<std::uint32_t>(number);
    switch (tag.value & 7) {
        case 0: {
            const VarintRead v = get_varint(rest);
            if (v.status == VarintStatus::overflow) return base::fail(Errc::varint_overflow);
            if (v.status == VarintStatus::incomplete) return base::fail(Errc::truncated);
            field.type = WireType::varint;
            field.value = v.value;
            rest = rest.subspan(v.size);
            break;
        }
        case 1:
            if (rest.size() < 8) return base::fail(Errc::truncated);
            field.type = WireType::fixed64;
            field.value = load_le(rest, 8);
            rest = rest.subspan(8);
            break;
        case 2: {
            const VarintRead len = get_varint(rest);
            if (len.status == VarintStatus::overflow) return base::fail(Errc::varint_overflow);
            if (len.status == VarintStatus::incomplete) return base::fail(Errc::truncated);
            rest = rest.subspan(len.size);
            // Compared as uint64 so a length beyond size_t (32-bit hosts) is caught before narrowing.
            if (len.value > rest.size()) return base::fail(Errc::truncated);
            const auto size = static_cast<std::size_t>(len.value);
            field.type = WireType::length_delimited;
            field.bytes = rest.first(size);
            rest = rest.subspan(size);
            break;
        }
        case 5:
            if (rest.size() < 4) return base::fail(Errc::truncated);
            field.type = WireType::fixed32;
            field.value = load_le(rest, 4);
            rest = rest.subspan(4);
            break;
        default:
            return base::fail(Errc::bad_wire_type);
    }
    m_rest = rest;
    return std::optional<Field>{field};
}

void ProtoWriter::varint_field(std::uint32_t number, std::uint64_t v) {
    const base::MutableByteView out = m_out.prepare(2 * k_max_varint_size);
    std::size_t n = put_varint(out.data(), make_tag(number, WireType::varint));
    n += put_varint(out.data() + n, v);
    m_out.commit(n);
}

void ProtoWriter::bytes_field(std::uint32_t number, base::ByteView v) {
    const base::MutableByteView out = m_out.prepare(bytes_field_size(number, v.size()));
    std::size_t n = put_varint(out.data(), make_tag(number, WireType::length_delimited));
    n += put_varint(out.data() + n, v.size());
    // memcpy from an empty span's null data() is UB even with a zero length.
    if (!v.empty()) std::memcpy(out.data() + n, v.data(), v.size());
    m_out.commit(n + v.size());
}

void ProtoWriter::message_header(std::uint32_t number, std::size_t size) {
    const base::MutableByteView out = m_out.prepare(2 * k_max_varint_size);
    std::size_t n = put_varint(out.data(), make_tag(number, WireType::length_delimited));
    n += put_varint(out.data() + n, size);
    m_out.commit(n);
}

void ProtoWriter::raw_varint(std::uint64_t v) {
    const base::MutableByteView out = m_out.prepare(k_max_varint_size);
    m_out.commit(put_varint(out.data(), v));
}

base::Result<std::optional<Delimited>> read_delimited(base::ByteView in, std::size_t max_size) {
    const VarintRead len = get_varint(in);
    if (len.status == VarintStatus::incomplete) return std::optional<Delimited>{};
    if (len.status == VarintStatus::overflow) return base::fail(Errc::varint_overflow);
    // Checked before the body arrives so a peer cannot make us buffer an oversized message.
    if (len.value > max_size) return base::fail(Errc::message_too_large);
    const auto size = static_cast<std::size_t>(len.value);
    if (in.size() - len.size < size) return std::optional<Delimited>{};
    return std::optional<Delimited>{Delimited{in.subspan(len.size, size), len.size + size}};
}

void write_delimited(base::Buffer& out, base::ByteView message) {
    const base::MutableByteView dst = out.prepare(varint_size(message.size()) + message.size());
    const std::size_t n = put_varint(dst.data(), message.size());
    if (!message.empty()) std::memcpy(dst.data() + n, message.data(), message.size());
    out.commit(n + message.size());
}

}  // namespace peerlink::codec
