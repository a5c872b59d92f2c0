// Fuzzes the RLP decoder: full validation, the lazy list reader, and the canonical round trip (a
// valid item re-encodes to exactly its input, since canonical RLP is unique).
#include "codec/rlp.hpp"

using namespace peerlink;
namespace rlp = codec::rlp;

namespace {

void reencode(rlp::Encoder& e, const rlp::Item& item, std::size_t depth) {
    if (item.kind == rlp::Kind::string) {
        e.add_bytes(item.payload);
        return;
    }
    e.begin_list();
    rlp::ListReader r(item.payload, depth);
    while (!r.at_end()) {
        auto next = r.next();
        if (!next.ok()) __builtin_trap();  // validate() accepted it
        reencode(e, *next, depth + 1);
    }
    e.end_list();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const base::ByteView in(data, size);
    if (auto list = rlp::decode_list(in); list.ok()) {
        (void)list->read_uint64();
        (void)list->read_array<32>();
        if (auto inner = list->read_list(); inner.ok()) (void)inner->read_bytes();
        (void)list->finish();
    }
    if (!rlp::validate(in).ok()) return 0;
    auto item = rlp::decode_item(in);
    if (!item.ok()) __builtin_trap();
    rlp::Encoder e;
    reencode(e, *item, 1);
    if (e.bytes().size() != size || !std::equal(e.bytes().begin(), e.bytes().end(), data)) __builtin_trap();
    return 0;
}
