// Snappy block format (not the framed stream format) over libsnappy, as devp2p p2p v5 uses it for
// message payloads. Decompression reads the announced length and checks it against the caller's
// maximum before allocating anything.
#pragma once
#include <cstddef>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"

namespace peerlink::codec {

enum class SnappyErrc {
    corrupt = 1,  // not a valid snappy block (bad header, bad copy offset, length mismatch)
    too_large,    // the announced uncompressed length is above the caller's maximum
};
PEERLINK_DECLARE_ERRC(SnappyErrc)

/// Largest compressed size of `input_size` bytes of input.
std::size_t snappy_max_compressed_size(std::size_t input_size);
/// Appends the snappy block encoding of `in` to `out`.
void snappy_compress(base::ByteView in, base::Bytes& out);
base::Bytes snappy_compress(base::ByteView in);
/// Writes the compression of `in` to `out` (at least snappy_max_compressed_size(in.size()) bytes);
/// returns the compressed size.
std::size_t snappy_compress_to(base::ByteView in, base::MutableByteView out);

/// The uncompressed length announced in the block's header (corrupt if the varint is bad).
base::Result<std::size_t> snappy_uncompressed_length(base::ByteView in);
/// Decompresses a whole block; too_large (before any allocation) when the announced length is
/// above `max_size`.
base::Result<base::Bytes> snappy_decompress(base::ByteView in, std::size_t max_size);
/// As snappy_decompress, replacing the contents of `out` (its capacity is reused).
base::Result<void> snappy_decompress_into(base::ByteView in, std::size_t max_size, base::Bytes& out);

}  // namespace peerlink::codec

PEERLINK_ERROR_ENUM_TRAIT(peerlink::codec::SnappyErrc)
