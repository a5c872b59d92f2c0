// Feeds arbitrary bytes to the protobuf field reader (descending into every length-delimited
// field as if it were a message) and to the delimited-frame reader a transport runs on socket data.
#include <cstddef>
#include <cstdint>

#include "codec/protobuf.hpp"

namespace {

constexpr int k_max_depth = 4;
constexpr std::size_t k_max_frame = 4096;

void walk(peerlink::base::ByteView message, int depth) {
    peerlink::codec::ProtoReader reader(message);
    for (;;) {
        auto field = reader.next();
        if (!field.ok() || !*field) return;
        if ((*field)->type == peerlink::codec::WireType::length_delimited && depth < k_max_depth) {
            walk((*field)->bytes, depth + 1);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const peerlink::base::ByteView input(data, size);
    walk(input, 0);
    for (peerlink::base::ByteView rest = input;;) {
        auto frame = peerlink::codec::read_delimited(rest, k_max_frame);
        if (!frame.ok() || !*frame) break;
        walk((*frame)->message, 0);
        rest = rest.subspan((*frame)->consumed);
    }
    return 0;
}
