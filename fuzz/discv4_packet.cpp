// Fuzzes discv4 packet decoding: the raw input (size, hash and signature checks), and the input framed
// with a valid hash and signature (first byte = packet type) so that the RLP bodies are reached. A
// decoded message must survive an encode/decode round trip.
#include <algorithm>

#include "crypto/keccak.hpp"
#include "profiles/devp2p/discv4_packet.hpp"

using namespace peerlink;
namespace discv4 = devp2p::discv4;

namespace {

const crypto::secp256k1::SecretKey k_key = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

void check(base::ByteView datagram) {
    auto packet = discv4::decode(datagram);
    if (!packet.ok()) return;
    auto encoded = discv4::encode(packet->message, k_key);
    if (!encoded.ok()) {
        if (encoded.error() != make_error_code(discv4::Errc::too_many_nodes)) __builtin_trap();
        return;
    }
    auto again = discv4::decode(encoded->bytes);
    if (!again.ok() || !(again->message == packet->message)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const base::ByteView in(data, size);
    check(in);
    if (size == 0 || size > discv4::k_max_packet_size - discv4::k_header_size + 1) return 0;
    base::Bytes framed(discv4::k_header_size - 1 + size, 0);
    std::copy(in.begin(), in.end(), framed.begin() + discv4::k_header_size - 1);
    auto sig = crypto::secp256k1::sign_recoverable(
        k_key, crypto::keccak256(base::ByteView(framed).subspan(discv4::k_header_size - 1)));
    if (!sig.ok()) __builtin_trap();
    std::copy(sig->begin(), sig->end(), framed.begin() + 32);
    const auto hash = crypto::keccak256(base::ByteView(framed).subspan(32));
    std::copy(hash.begin(), hash.end(), framed.begin());
    check(framed);
    return 0;
}
