#include "connmgr/ip_address.hpp"

#include <algorithm>

namespace peerlink::connmgr {

namespace {

constexpr std::size_t k_v4_offset = 12;  // IPv4 sits in the last four bytes of ::ffff:0:0/96
constexpr unsigned k_v4_prefix_base = 96;

bool parse_v4(std::string_view text, std::uint8_t* out) {
    std::size_t octet = 0;
    std::size_t pos = 0;
    while (octet < 4) {
        std::size_t digits = 0;
        unsigned value = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 3) {
            value = value * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
            ++digits;
        }
        if (digits == 0 || value > 255) return false;
        if (digits > 1 && text[pos - digits] == '0') return false;  // leading zero: octal to some parsers
        out[octet++] = static_cast<std::uint8_t>(value);
        if (octet < 4) {
            if (pos >= text.size() || text[pos] != '.') return false;
            ++pos;
        }
    }
    return pos == text.size();
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Colon-separated hex groups, written as bytes into `out`; the last group may be a dotted quad
// (two groups' worth) when `v4_tail` is set. Empty text is zero groups. Returns the byte count
// written, or nullopt on malformed text or more than `max_bytes`.
std::optional<std::size_t> parse_groups(std::string_view text, bool v4_tail, std::uint8_t* out,
                                        std::size_t max_bytes) {
    if (text.empty()) return 0;
    std::size_t written = 0;
    for (;;) {
        const std::size_t colon = text.find(':');
        const std::string_view group = text.substr(0, colon);
        const bool last = colon == std::string_view::npos;
        if (last && v4_tail && group.find('.') != std::string_view::npos) {
            if (written + 4 > max_bytes || !parse_v4(group, out + written)) return std::nullopt;
            return written + 4;
        }
        if (group.empty() || group.size() > 4 || written + 2 > max_bytes) return std::nullopt;
        unsigned value = 0;
        for (char c : group) {
            const int v = hex_value(c);
            if (v < 0) return std::nullopt;
            value = value * 16 + static_cast<unsigned>(v);
        }
        out[written++] = static_cast<std::uint8_t>(value >> 8);
        out[written++] = static_cast<std::uint8_t>(value & 0xff);
        if (last) return written;
        text.remove_prefix(colon + 1);
    }
}

bool parse_v6(std::string_view text, IpAddress::Bytes& out) {
    const std::size_t ellipsis = text.find("::");
    if (ellipsis == std::string_view::npos) {
        const auto n = parse_groups(text, true, out.data(), out.size());
        return n && *n == out.size();
    }
    if (text.find("::", ellipsis + 1) != std::string_view::npos) return false;
    IpAddress::Bytes head{};
    IpAddress::Bytes tail{};
    // "::" stands for at least one zero group, so the written groups fill at most 14 bytes.
    const auto h = parse_groups(text.substr(0, ellipsis), false, head.data(), out.size() - 2);
    if (!h) return false;
    const auto t = parse_groups(text.substr(ellipsis + 2), true, tail.data(), out.size() - 2 - *h);
    if (!t) return false;
    out.fill(0);
    std::copy_n(head.begin(), *h, out.begin());
    std::copy_n(tail.begin(), *t, out.end() - static_cast<std::ptrdiff_t>(*t));
    return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    IpAddress ip;
    if (text.find(':') == std::string_view::npos) {
        if (!parse_v4(text, ip.m_bytes.data() + k_v4_offset)) return std::nullopt;
        ip.m_bytes[10] = 0xff;
        ip.m_bytes[11] = 0xff;
        return ip;
    }
    if (const auto zone = text.find('%'); zone != std::string_view::npos) {
        if (zone + 1 == text.size()) return std::nullopt;
        text = text.substr(0, zone);
    }
    if (!parse_v6(text, ip.m_bytes)) return std::nullopt;
    return ip;
}

bool IpAddress::is_v4() const {
    return std::all_of(m_bytes.begin(), m_bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
           m_bytes[10] == 0xff && m_bytes[11] == 0xff;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    const std::size_t slash = text.find('/');
    const std::string_view address = text.substr(0, slash);
    // Go's ParseCIDR takes no zones; neither do we.
    if (address.find('%') != std::string_view::npos) return std::nullopt;
    auto ip = IpAddress::parse(address);
    if (!ip) return std::nullopt;
    const bool v4_text = address.find(':') == std::string_view::npos;
    const unsigned family_bits = v4_text ? 32 : 128;
    unsigned prefix = family_bits;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0'))
            return std::nullopt;
        prefix = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') return std::nullopt;
            prefix = prefix * 10 + static_cast<unsigned>(c - '0');
        }
        if (prefix > family_bits) return std::nullopt;
    }
    Cidr cidr;
    cidr.m_prefix = v4_text ? k_v4_prefix_base + prefix : prefix;
    cidr.m_base = *ip;
    return cidr;
}

bool Cidr::contains(const IpAddress& ip) const {
    // IPv6 text such as "::ffff:10.0.0.0/104" reads as IPv4 (as in Go), so the family test compares
    // what the block's base is, not how it was written.
    if (ip.is_v4() != m_base.is_v4()) return false;
    const auto& a = ip.bytes();
    const auto& b = m_base.bytes();
    const unsigned whole = m_prefix / 8;
    if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
    const unsigned rest = m_prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace peerlink::connmgr
