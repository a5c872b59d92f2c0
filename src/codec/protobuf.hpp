// Protobuf wire format (proto3): a zero-copy field reader and an appending writer, plus the
// uvarint-delimited framing CometBFT uses on the wire (protoio.NewDelimitedWriter/Reader).
#pragma once
#include <cstdint>
#include <optional>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "codec/varint.hpp"

namespace peerlink::codec {

enum class Errc {
    truncated = 1,      // a field or length runs past the end of the message
    varint_overflow,    // a varint longer than 10 bytes or above 2^64-1
    bad_wire_type,      // wire type 3, 4 (groups), 6 or 7
    bad_field_number,   // field number 0 or above 2^29-1
    message_too_large,  // a delimited length above the caller's maximum
    wrong_wire_type,    // a known field arrived with another wire type than its schema says
};
PEERLINK_DECLARE_ERRC(Errc)

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

struct Field {
    std::uint32_t number = 0;
    WireType type = WireType::varint;
    std::uint64_t value = 0;  // varint, fixed64 and fixed32 fields
    base::ByteView bytes;     // length-delimited fields: a view into the reader's input
};

/// Walks the fields of one message without copying. Unknown fields are the caller's to skip.
class ProtoReader {
public:
    explicit ProtoReader(base::ByteView message) : m_rest(message) {}
    /// The next field, nullopt at the end of the message, or an error for malformed input.
    base::Result<std::optional<Field>> next();

private:
    base::ByteView m_rest;
};

/// Appends protobuf fields to a Buffer. Proto3 rules for defaults are the caller's: call the
/// *_field functions only for values that should be on the wire.
class ProtoWriter {
public:
    explicit ProtoWriter(base::Buffer& out) : m_out(out) {}
    void varint_field(std::uint32_t number, std::uint64_t v);
    void bool_field(std::uint32_t number, bool v) { varint_field(number, v ? 1 : 0); }
    void bytes_field(std::uint32_t number, base::ByteView v);
    /// Writes the tag and length of a nested message of `size` bytes; the caller writes its body.
    void message_header(std::uint32_t number, std::size_t size);
    void raw_varint(std::uint64_t v);

private:
    base::Buffer& m_out;
};

constexpr std::size_t tag_size(std::uint32_t number) {
    return varint_size(std::uint64_t{number} << 3);
}
/// Encoded size of a length-delimited field with a body of `size` bytes.
constexpr std::size_t bytes_field_size(std::uint32_t number, std::size_t size) {
    return tag_size(number) + varint_size(size) + size;
}
constexpr std::size_t varint_field_size(std::uint32_t number, std::uint64_t v) {
    return tag_size(number) + varint_size(v);
}

struct Delimited {
    base::ByteView message;  // a view into the input
    std::size_t consumed;    // length prefix + message
};
/// Reads one uvarint-delimited message from the front of `in`: nullopt when more bytes are needed;
/// message_too_large when the announced length exceeds `max_size` (checked before waiting for it).
base::Result<std::optional<Delimited>> read_delimited(base::ByteView in, std::size_t max_size);
/// Appends the uvarint length of `message` and then `message`.
void write_delimited(base::Buffer& out, base::ByteView message);

}  // namespace peerlink::codec

PEERLINK_ERROR_ENUM_TRAIT(peerlink::codec::Errc)
