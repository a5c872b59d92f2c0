#include "addrbook/netgroup.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace peerlink::addrbook {

namespace {

constexpr std::array<std::uint8_t, 12> k_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool in_v4(std::uint32_t ip, std::uint32_t net, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (ip & mask) == (net & mask);
}

constexpr std::uint32_t v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return (std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d;
}

Reach classify_v4(std::uint32_t ip) {
    if (in_v4(ip, v4(127, 0, 0, 0), 8)) return Reach::local;
    if (in_v4(ip, v4(10, 0, 0, 0), 8) || in_v4(ip, v4(172, 16, 0, 0), 12) ||
        in_v4(ip, v4(192, 168, 0, 0), 16) || in_v4(ip, v4(169, 254, 0, 0), 16)) {
        return Reach::private_net;
    }
    if (in_v4(ip, v4(0, 0, 0, 0), 8) ||        // "this network"
        in_v4(ip, v4(100, 64, 0, 0), 10) ||    // carrier-grade NAT (RFC 6598)
        in_v4(ip, v4(192, 0, 0, 0), 24) ||     // IETF protocol assignments
        in_v4(ip, v4(192, 0, 2, 0), 24) ||     // TEST-NET-1
        in_v4(ip, v4(198, 18, 0, 0), 15) ||    // benchmarking (RFC 2544)
        in_v4(ip, v4(198, 51, 100, 0), 24) ||  // TEST-NET-2
        in_v4(ip, v4(203, 0, 113, 0), 24) ||   // TEST-NET-3
        in_v4(ip, v4(224, 0, 0, 0), 4) ||      // multicast
        in_v4(ip, v4(240, 0, 0, 0), 4)) {      // reserved and broadcast
        return Reach::unroutable;
    }
    return Reach::routable;
}

std::uint32_t label_hash(std::string_view label) {
    std::uint32_t h = 2166136261u;
    for (char c : label)
        h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
    return h;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    std::array<std::uint8_t, 16> bytes{};
    if (text.find(':') == std::string_view::npos) {
        std::array<std::uint8_t, 4> v4bytes{};
        if (::inet_pton(AF_INET, buf, v4bytes.data()) != 1) return std::nullopt;
        std::memcpy(bytes.data(), k_mapped_prefix.data(), k_mapped_prefix.size());
        std::memcpy(bytes.data() + 12, v4bytes.data(), 4);
    } else if (::inet_pton(AF_INET6, buf, bytes.data()) != 1) {
        return std::nullopt;
    }
    return IpAddress(bytes);
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), k_mapped_prefix.data(), k_mapped_prefix.size());
    for (int i = 0; i < 4; ++i)
        bytes[static_cast<std::size_t>(12 + i)] = static_cast<std::uint8_t>(host_order >> (24 - 8 * i));
    return IpAddress(bytes);
}

bool IpAddress::is_v4() const {
    return std::memcmp(m_bytes.data(), k_mapped_prefix.data(), k_mapped_prefix.size()) == 0;
}

std::uint32_t IpAddress::v4_value() const {
    return (std::uint32_t{m_bytes[12]} << 24) | (std::uint32_t{m_bytes[13]} << 16) |
           (std::uint32_t{m_bytes[14]} << 8) | m_bytes[15];
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    const char* out = is_v4() ? ::inet_ntop(AF_INET, m_bytes.data() + 12, buf, sizeof buf)
                              : ::inet_ntop(AF_INET6, m_bytes.data(), buf, sizeof buf);
    return out ? std::string(out) : std::string();
}

Reach classify(const IpAddress& ip) {
    if (ip.is_v4()) return classify_v4(ip.v4_value());
    const auto& b = ip.bytes();
    static constexpr std::array<std::uint8_t, 16> k_loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (b == k_loopback) return Reach::local;
    if ((b[0] & 0xfe) == 0xfc) return Reach::private_net;                  // fc00::/7 unique local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return Reach::private_net;  // fe80::/10 link local
    if (b[0] == 0xff) return Reach::unroutable;                            // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {    // 2001:db8::/32 documentation
        return Reach::unroutable;
    }
    // Everything outside 2000::/3 (global unicast) is unassigned or special: ::, ::/96, 64:ff9b::/96...
    if ((b[0] & 0xe0) != 0x20) return Reach::unroutable;
    return Reach::routable;
}

std::array<std::uint8_t, 5> NetGroup::bytes() const {
    return {static_cast<std::uint8_t>(kind), static_cast<std::uint8_t>(prefix >> 24),
            static_cast<std::uint8_t>(prefix >> 16), static_cast<std::uint8_t>(prefix >> 8),
            static_cast<std::uint8_t>(prefix)};
}

std::string NetGroup::to_string() const {
    switch (kind) {
        case Kind::ipv4:
            return std::to_string(prefix >> 8) + "." + std::to_string(prefix & 0xff) + "/16";
        case Kind::ipv6: {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%x:%x/32", prefix >> 16, prefix & 0xffff);
            return buf;
        }
        case Kind::local:
            return "local";
        case Kind::private_net:
            return "private";
        case Kind::unroutable:
            return "unroutable";
        case Kind::label:
            return "label:" + std::to_string(prefix);
    }
    return "unknown";
}

NetGroup netgroup(const IpAddress& ip) {
    switch (classify(ip)) {
        case Reach::local:
            return {.kind = NetGroup::Kind::local, .prefix = 0};
        case Reach::private_net:
            return {.kind = NetGroup::Kind::private_net, .prefix = 0};
        case Reach::unroutable:
            return {.kind = NetGroup::Kind::unroutable, .prefix = 0};
        case Reach::routable:
            break;
    }
    if (ip.is_v4()) return {.kind = NetGroup::Kind::ipv4, .prefix = ip.v4_value() >> 16};
    const auto& b = ip.bytes();
    const std::uint32_t prefix =
        (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
    return {.kind = NetGroup::Kind::ipv6, .prefix = prefix};
}

NetGroup source_group(std::string_view source) {
    if (auto ip = IpAddress::parse(source)) return netgroup(*ip);
    return {.kind = NetGroup::Kind::label, .prefix = label_hash(source)};
}

}  // namespace peerlink::addrbook
