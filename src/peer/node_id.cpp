#include "peer/node_id.hpp"

#include <algorithm>
#include <charconv>

namespace peerlink::peer {

namespace {
const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::bad_address:
            return "address is not of the form id@host:port";
        case Errc::bad_node_id:
            return "node ID is not hex of the expected length";
        case Errc::bad_port:
            return "port is missing or out of range";
    }
    return "unknown peer error";
}
}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("peer", describe);
    return category;
}

std::optional<NodeId> NodeId::from_bytes(base::ByteView bytes) {
    if (bytes.empty() || bytes.size() > max_size) return std::nullopt;
    NodeId id;
    std::copy(bytes.begin(), bytes.end(), id.m_bytes.begin());
    id.m_size = static_cast<std::uint8_t>(bytes.size());
    return id;
}

std::optional<NodeId> NodeId::from_hex(std::string_view hex) {
    auto bytes = base::from_hex(hex);
    if (!bytes) return std::nullopt;
    return from_bytes(*bytes);
}

std::string NodeId::to_hex() const {
    return base::to_hex(bytes());
}

std::strong_ordering operator<=>(const NodeId& a, const NodeId& b) {
    return std::lexicographical_compare_three_way(a.m_bytes.begin(), a.m_bytes.begin() + a.m_size,
                                                  b.m_bytes.begin(), b.m_bytes.begin() + b.m_size);
}

base::Result<PeerAddress> PeerAddress::parse(std::string_view text, std::size_t id_size) {
    const auto at = text.find('@');
    const auto colon = text.rfind(':');
    if (at == std::string_view::npos || colon == std::string_view::npos || colon < at) {
        return base::fail(Errc::bad_address);
    }
    PeerAddress out;
    const std::string_view id_hex = text.substr(0, at);
    auto id = NodeId::from_hex(id_hex);
    if (!id || id->bytes().size() != id_size) return base::fail(Errc::bad_node_id);
    out.id = *id;
    std::string_view host = text.substr(at + 1, colon - at - 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty() || host.find_first_of("@/ ") != std::string_view::npos)
        return base::fail(Errc::bad_address);
    out.host = std::string(host);
    const std::string_view port = text.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
        return base::fail(Errc::bad_port);
    }
    out.port = static_cast<std::uint16_t>(value);
    return out;
}

std::string PeerAddress::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return id.to_hex() + "@" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace peerlink::peer
