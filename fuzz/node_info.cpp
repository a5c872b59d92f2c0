// Decodes arbitrary bytes as a DefaultNodeInfo and validates them, as the handshake does with what a
// peer sends; anything that decodes must survive encode/decode unchanged (valid or not) and be
// compatible with itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "profiles/cometbft/node_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace peerlink::cometbft;
    if (size > k_max_node_info_size) return 0;  // read_delimited refuses these before decode
    auto info = decode(peerlink::base::ByteView(data, size));
    if (!info) return 0;
    const bool valid = validate(*info).ok();
    const peerlink::base::Bytes encoded = encode(*info);
    auto again = decode(encoded);
    if (!again || !(*again == *info) || encode(*again) != encoded) std::abort();
    if (validate(*again).ok() != valid) std::abort();
    if (!check_compatible(*info, *info)) std::abort();
    return 0;
}
