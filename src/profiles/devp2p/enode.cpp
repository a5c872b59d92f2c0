#include "profiles/devp2p/enode.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>

#include "base/bytes.hpp"

namespace peerlink::devp2p {

namespace {

constexpr std::string_view k_scheme = "enode://";

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// Decimal 0..65535 with no sign, no leading '+', at least one digit, at most 5.
bool parse_port(std::string_view s, std::uint16_t& out) {
    if (s.empty() || s.size() > 5) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || ptr != s.data() + s.size() || value > 65535) return false;
    out = static_cast<std::uint16_t>(value);
    return true;
}

/// Canonical text of an IP literal; false if `host` is not one of the expected family.
bool canonical_ip(std::string_view host, bool v6, std::string& out) {
    if (host.empty() || host.size() > 45) return false;
    const std::string text(host);
    std::array<unsigned char, 16> addr{};
    const int family = v6 ? AF_INET6 : AF_INET;
    if (inet_pton(family, text.c_str(), addr.data()) != 1) return false;
    std::array<char, INET6_ADDRSTRLEN> buf{};
    if (inet_ntop(family, addr.data(), buf.data(), static_cast<socklen_t>(buf.size())) == nullptr)
        return false;
    out = buf.data();
    return true;
}

}  // namespace

base::Result<Enode> parse_enode(std::string_view url) {
    if (url.substr(0, k_scheme.size()) != k_scheme) return base::fail(Errc::enode_bad_scheme);
    url.remove_prefix(k_scheme.size());

    const auto at = url.find('@');
    if (at == std::string_view::npos) return base::fail(Errc::enode_bad_host);
    const std::string_view id_hex = url.substr(0, at);
    if (id_hex.size() != 128) return base::fail(Errc::enode_bad_node_id);
    for (const char c : id_hex)
        if (!is_hex(c)) return base::fail(Errc::enode_bad_node_id);
    const auto id_bytes = base::from_hex(id_hex);
    if (!id_bytes) return base::fail(Errc::enode_bad_node_id);
    auto id = crypto::secp256k1::parse_public_key(*id_bytes);
    if (!id.ok()) return base::fail(Errc::enode_bad_node_id);

    Enode node;
    node.id = *id;
    std::string_view rest = url.substr(at + 1);
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }

    std::string_view host;
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return base::fail(Errc::enode_bad_host);
        host = rest.substr(1, close - 1);
        node.ipv6 = true;
        rest = rest.substr(close + 1);
        if (rest.empty() || rest.front() != ':') return base::fail(Errc::enode_bad_port);
        port = rest.substr(1);
    } else {
        const auto colon = rest.rfind(':');
        if (colon == std::string_view::npos) {
            if (rest.empty()) return base::fail(Errc::enode_bad_host);
            return base::fail(Errc::enode_bad_port);
        }
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (!canonical_ip(host, node.ipv6, node.ip)) return base::fail(Errc::enode_bad_host);
    if (!parse_port(port, node.tcp_port)) return base::fail(Errc::enode_bad_port);
    node.udp_port = node.tcp_port;

    if (!query.empty()) {
        constexpr std::string_view k_discport = "discport=";
        if (query.substr(0, k_discport.size()) != k_discport) return base::fail(Errc::enode_bad_query);
        if (!parse_port(query.substr(k_discport.size()), node.udp_port))
            return base::fail(Errc::enode_bad_query);
    }
    return node;
}

std::string format_enode(const Enode& node) {
    std::string out(k_scheme);
    out += base::to_hex(node.id);
    out += '@';
    if (node.ipv6) {
        out += '[';
        out += node.ip;
        out += ']';
    } else {
        out += node.ip;
    }
    out += ':';
    out += std::to_string(node.tcp_port);
    if (node.udp_port != node.tcp_port) {
        out += "?discport=";
        out += std::to_string(node.udp_port);
    }
    return out;
}

}  // namespace peerlink::devp2p
