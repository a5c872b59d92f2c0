// Textual IPv4/IPv6 addresses and CIDR blocks for connmgr's filters: the allow list
// (NetRestrict-style), the per-IP inbound throttle and the duplicate-IP guard. Parsing only, no sockets.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace peerlink::connmgr {

/// An IP address in 16-byte form. IPv4 is held IPv4-mapped (::ffff:a.b.c.d), so "1.2.3.4" and
/// "::ffff:1.2.3.4" are the same address, as in Go's net.IP.
class IpAddress {
public:
    using Bytes = std::array<std::uint8_t, 16>;

    /// Dotted-quad IPv4 (no leading zeros) or RFC 4291 IPv6 text, with an optional embedded IPv4
    /// tail; an IPv6 zone ("%eth0") is ignored. nullopt for anything else, host names included.
    static std::optional<IpAddress> parse(std::string_view text);

    [[nodiscard]] const Bytes& bytes() const { return m_bytes; }
    /// True for IPv4, including IPv4-mapped IPv6 text.
    [[nodiscard]] bool is_v4() const;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;

private:
    Bytes m_bytes{};
};

/// An address block: "10.0.0.0/8", "2001:db8::/32"; a bare address is a one-address block.
/// Like Go's net.IPNet, an IPv4 block holds only IPv4 addresses and an IPv6 block only IPv6 ones.
class Cidr {
public:
    /// nullopt for a malformed address or a prefix longer than the family allows. Host bits
    /// below the prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8).
    static std::optional<Cidr> parse(std::string_view text);
    [[nodiscard]] bool contains(const IpAddress& ip) const;

private:
    IpAddress m_base;
    unsigned m_prefix = 0;  // bits of the 16-byte form (an IPv4 /8 is 104)
};

}  // namespace peerlink::connmgr

template <>
struct std::hash<peerlink::connmgr::IpAddress> {
    std::size_t operator()(const peerlink::connmgr::IpAddress& ip) const noexcept {
        std::size_t h = 1469598103934665603ULL;
        for (auto b : ip.bytes())
            h = (h ^ b) * 1099511628211ULL;
        return h;
    }
};
