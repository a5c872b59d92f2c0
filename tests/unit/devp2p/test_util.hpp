// Helpers for the devp2p tests: hex literals and the published vectors under tests/vectors/devp2p.
#pragma once
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/bytes.hpp"

namespace peerlink::devp2p::test {

/// Bytes of a hex literal (an optional 0x prefix is dropped); a bad literal is a test bug.
inline base::Bytes hex(std::string_view s) {
    if (s.substr(0, 2) == "0x") s.remove_prefix(2);
    auto bytes = base::from_hex(s);
    if (!bytes) throw std::invalid_argument("bad hex literal in test: " + std::string(s));
    return *bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(std::string_view s) {
    const base::Bytes bytes = hex(s);
    if (bytes.size() != N) throw std::invalid_argument("hex literal of the wrong length: " + std::string(s));
    std::array<std::uint8_t, N> out{};
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

inline nlohmann::json load_vectors(const std::string& name) {
    std::ifstream in(std::string(PEERLINK_VECTORS_DIR) + "/devp2p/" + name);
    if (!in) throw std::runtime_error("cannot open vector file " + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
}

}  // namespace peerlink::devp2p::test
