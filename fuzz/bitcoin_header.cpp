// Fuzzes the Bitcoin frame reader: arbitrary bytes in input-chosen chunks. Every frame returned must
// lie within the maximum, and an ok frame's payload must match its checksum when re-framed.
#include <algorithm>
#include <cstdlib>

#include "profiles/bitcoin/wire.hpp"

using namespace peerlink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    constexpr std::size_t k_max = 1 << 16;
    bitcoin::FrameReader reader({.magic = bitcoin::mainnet().magic, .max_payload = k_max});
    const std::size_t chunk = 1 + data[0] % 97;
    base::ByteView rest(data + 1, size - 1);
    while (!rest.empty()) {
        const std::size_t n = std::min(chunk, rest.size());
        reader.append(rest.first(n));
        rest = rest.subspan(n);
        while (true) {
            auto f = reader.next();
            if (!f) return 0;  // fatal: the connection would close here
            if (!*f) break;
            if ((*f)->payload.size() > k_max) std::abort();
            if ((*f)->status == bitcoin::FrameStatus::ok) {
                const base::Bytes again =
                    bitcoin::frame(bitcoin::mainnet().magic, (*f)->command, (*f)->payload);
                bitcoin::FrameReader check({.magic = bitcoin::mainnet().magic, .max_payload = k_max});
                check.append(again);
                auto g = check.next();
                if (!g || !*g || (*g)->status != bitcoin::FrameStatus::ok || (*g)->command != (*f)->command)
                    std::abort();
            }
        }
    }
    return 0;
}
