// Fuzzes every Bitcoin message decoder: the first byte picks the command (or an unknown one), the
// rest is the payload. Whatever decodes must re-encode to bytes that decode to the same message.
#include <cstdlib>
#include <iterator>

#include "profiles/bitcoin/messages.hpp"

using namespace peerlink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t known = std::size(bitcoin::k_known_commands);
    const std::size_t pick = data[0] % (known + 1);
    const std::string_view command = pick < known ? bitcoin::k_known_commands[pick] : "getheaders";
    auto message = bitcoin::decode_message(command, base::ByteView(data + 1, size - 1));
    if (!message) return 0;
    if (bitcoin::command_of(*message) != command) std::abort();
    const base::Bytes encoded = bitcoin::encode_payload(*message);
    auto again = bitcoin::decode_message(command, encoded);
    if (!again || !(*again == *message)) std::abort();
    if (bitcoin::encode_payload(*again) != encoded) std::abort();
    return 0;
}
