#include "codec/snappy.hpp"

#include <snappy.h>

#include <cassert>

namespace peerlink::codec {

namespace {

const char* describe(int value) {
    switch (static_cast<SnappyErrc>(value)) {
        case SnappyErrc::corrupt:
            return "invalid snappy block";
        case SnappyErrc::too_large:
            return "snappy block announces an uncompressed size above the allowed maximum";
    }
    return "unknown snappy error";
}

const char* chars(base::ByteView b) {
    return reinterpret_cast<const char*>(b.data());
}

}  // namespace

const std::error_category& SnappyErrc_category() {
    static const base::MessageCategory category("snappy", describe);
    return category;
}

std::size_t snappy_max_compressed_size(std::size_t input_size) {
    return ::snappy::MaxCompressedLength(input_size);
}

std::size_t snappy_compress_to(base::ByteView in, base::MutableByteView out) {
    assert(out.size() >= snappy_max_compressed_size(in.size()));
    std::size_t written = 0;
    ::snappy::RawCompress(chars(in), in.size(), reinterpret_cast<char*>(out.data()), &written);
    return written;
}

void snappy_compress(base::ByteView in, base::Bytes& out) {
    const std::size_t start = out.size();
    out.resize(start + snappy_max_compressed_size(in.size()));
    const std::size_t n = snappy_compress_to(in, base::MutableByteView(out).subspan(start));
    out.resize(start + n);
}

base::Bytes snappy_compress(base::ByteView in) {
    base::Bytes out;
    snappy_compress(in, out);
    return out;
}

base::Result<std::size_t> snappy_uncompressed_length(base::ByteView in) {
    std::size_t n = 0;
    // Only parses the varint header; a 5-byte varint above 2^32-1 is rejected by libsnappy.
    if (!::snappy::GetUncompressedLength(chars(in), in.size(), &n)) return base::fail(SnappyErrc::corrupt);
    return n;
}

base::Result<void> snappy_decompress_into(base::ByteView in, std::size_t max_size, base::Bytes& out) {
    auto n = snappy_uncompressed_length(in);
    PEERLINK_TRY(n);
    if (*n > max_size) return base::fail(SnappyErrc::too_large);
    out.resize(*n);
    // RawUncompress checks that the block decodes to exactly the announced length.
    char empty = 0;
    char* dst = out.empty() ? &empty : reinterpret_cast<char*>(out.data());
    if (!::snappy::RawUncompress(chars(in), in.size(), dst)) return base::fail(SnappyErrc::corrupt);
    return {};
}

base::Result<base::Bytes> snappy_decompress(base::ByteView in, std::size_t max_size) {
    base::Bytes out;
    PEERLINK_TRY(snappy_decompress_into(in, max_size, out));
    return out;
}

}  // namespace peerlink::codec
