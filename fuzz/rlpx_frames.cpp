// Fuzzes the RLPx frame reader after a fixed handshake: the input is cut into frame contents that
// a peer codec seals with the real secrets (write_raw, so any code bytes and payload reach the
// decoder past the MACs); byte 0 toggles snappy and picks the delivery chunk size, byte 1 may
// corrupt one wire byte.
#include <algorithm>

#include "profiles/devp2p/rlpx_frame.hpp"

using namespace peerlink;

namespace {

devp2p::Secrets fixed_secrets() {
    devp2p::Secrets s;
    s.aes_secret = crypto::keccak256(base::as_bytes("aes"));
    s.mac_secret = crypto::keccak256(base::as_bytes("mac"));
    s.egress_mac.update(base::as_bytes("seed"));
    s.ingress_mac.update(base::as_bytes("seed"));
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const bool snappy = data[0] & 1;
    const std::size_t chunk = 1 + (data[0] >> 1) * 13u;
    const std::uint8_t corrupt_at = data[1];
    const std::size_t frame_len = 1 + data[2] * 4u;
    base::ByteView rest(data + 3, size - 3);

    devp2p::FrameCodec writer(fixed_secrets());
    devp2p::FrameCodec reader(fixed_secrets(), {.max_frame_size = 4096, .max_message_size = 8192});
    reader.set_snappy(snappy);
    base::Buffer wire;
    while (!rest.empty()) {
        const std::size_t n = std::min(rest.size(), frame_len);
        if (!writer.write_raw(rest.first(n), wire).ok()) __builtin_trap();
        rest = rest.subspan(n);
    }
    if (corrupt_at != 0 && wire.size() > corrupt_at) wire.mutable_data()[corrupt_at] ^= 0x20;

    base::Buffer received;
    base::ByteView all = wire.data();
    while (!all.empty()) {
        const std::size_t n = std::min(chunk, all.size());
        received.append(all.first(n));
        all = all.subspan(n);
        for (;;) {
            auto step = reader.read(received.data());
            if (!step.ok()) return 0;
            received.consume(step->consumed);
            if (!step->message) break;
            if (step->message->payload.size() > 8192) __builtin_trap();
        }
    }
    return 0;
}
