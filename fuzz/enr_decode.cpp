// Fuzzes ENR decoding (binary and text form); a record that verifies must re-encode to the same bytes
// and its accessors must not fail on any content.
#include <string>

#include "profiles/devp2p/enr.hpp"

using namespace peerlink;
namespace enr = devp2p::enr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const base::ByteView in(data, size);
    if (auto record = enr::Record::decode(in); record.ok()) {
        if (record->encoded().size() != size) __builtin_trap();
        auto back = enr::Record::from_text(record->text());
        if (!back.ok() || !(*back == *record)) __builtin_trap();
        (void)record->ip();
        (void)record->tcp_port();
        (void)record->udp_port();
        (void)record->node_id();
    }
    (void)enr::Record::from_text(std::string(base::as_chars(in)));
    if (auto bytes = enr::base64url_decode(base::as_chars(in)); bytes) {
        if (enr::base64url_encode(*bytes) != base::as_chars(in)) __builtin_trap();
    }
    return 0;
}
