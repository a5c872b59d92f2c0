// Fuzzes the devp2p base protocol decoders (Hello, Disconnect) and enode URL parsing; a decoded
// Hello must survive an encode/decode round trip.
#include <string>

#include "profiles/devp2p/base_protocol.hpp"
#include "profiles/devp2p/enode.hpp"

using namespace peerlink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const base::ByteView in(data, size);
    if (auto hello = devp2p::decode_hello(in); hello.ok()) {
        const auto again = devp2p::decode_hello(devp2p::encode_hello(*hello));
        if (!again.ok() && again.error() != make_error_code(devp2p::Errc::hello_too_large)) __builtin_trap();
        if (again.ok() && (again->capabilities != hello->capabilities || again->node_id != hello->node_id))
            __builtin_trap();
    }
    (void)devp2p::decode_disconnect(in);
    if (auto node = devp2p::parse_enode(std::string(base::as_chars(in))); node.ok()) {
        auto back = devp2p::parse_enode(devp2p::format_enode(*node));
        if (!back.ok() || !(*back == *node)) __builtin_trap();
    }
    return 0;
}
