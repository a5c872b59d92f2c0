// Feeds arbitrary bytes to an MConnection as received plaintext, cut into 2-3 reads at points
// taken from the first two input bytes, then lets it answer once; also decodes the input as a
// single Packet body.
#include <cstddef>
#include <cstdint>

#include "mux/mconnection.hpp"

using namespace peerlink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const base::ByteView input(data, size);
    (void)mux::decode_packet(input);
    if (size < 2) return 0;

    const base::TimePoint now{};
    constexpr std::size_t k_capacity = 64 * 1024;
    mux::MConnection conn(
        {},
        {{.id = 0x00, .recv_message_capacity = k_capacity},
         {.id = 0x20, .recv_message_capacity = k_capacity},
         {.id = 0x30, .recv_message_capacity = k_capacity}},
        [](mux::ChannelId, base::ByteView message) {
            if (message.size() > k_capacity) __builtin_trap();
        },
        now);
    const base::ByteView stream = input.subspan(2);
    const std::size_t first = data[0] % (stream.size() + 1);
    const std::size_t second = first + data[1] % (stream.size() - first + 1);
    if (conn.on_receive(stream.first(first), now) &&
        conn.on_receive(stream.subspan(first, second - first), now)) {
        (void)conn.on_receive(stream.subspan(second), now);
    }
    base::Buffer out;
    (void)conn.poll(out, now + std::chrono::seconds(61));  // past the first ping and decay
    return 0;
}
