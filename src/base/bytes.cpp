#include "base/bytes.hpp"

namespace peerlink::base {

std::string to_hex(ByteView b) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out(b.size() * 2, '0');
    for (std::size_t i = 0; i < b.size(); ++i) {
        out[2 * i] = k_digits[b[i] >> 4];
        out[2 * i + 1] = k_digits[b[i] & 0x0f];
    }
    return out;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<Bytes> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(hex[2 * i]);
        int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<Byte>(hi << 4 | lo);
    }
    return out;
}

}  // namespace peerlink::base
