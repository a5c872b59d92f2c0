// Hex literals for the crypto tests: published vectors are quoted as hex, exactly as printed.
#pragma once
#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace peerlink::crypto::test {

/// Bytes of a hex literal; a malformed literal is a bug in the test, so it throws.
inline base::Bytes hex(std::string_view s) {
    auto bytes = base::from_hex(s);
    if (!bytes) throw std::invalid_argument("bad hex literal in test: " + std::string(s));
    return *bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(std::string_view s) {
    const base::Bytes bytes = hex(s);
    if (bytes.size() != N) throw std::invalid_argument("hex literal of the wrong length: " + std::string(s));
    std::array<std::uint8_t, N> out;
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

inline std::string to_hex(base::ByteView b) {
    return base::to_hex(b);
}

}  // namespace peerlink::crypto::test
