// IP addresses as the address book sees them: parsed to 16 bytes (IPv4 as IPv4-mapped IPv6),
// classified as routable, local, private or unroutable, and reduced to a netgroup, the unit an
// attacker pays for (Bitcoin Core's GetGroup): IPv4 /16, IPv6 /32, one group per special class.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peerlink::addrbook {

class IpAddress {
public:
    /// The unspecified address ::.
    IpAddress() = default;
    /// Dotted IPv4 or IPv6 text, optionally in brackets; nullopt for anything else (names, zones).
    static std::optional<IpAddress> parse(std::string_view text);
    static IpAddress v4(std::uint32_t host_order);
    static IpAddress v6(const std::array<std::uint8_t, 16>& bytes) { return IpAddress(bytes); }

    /// True for IPv4 and IPv4-mapped IPv6, which are the same address here.
    [[nodiscard]] bool is_v4() const;
    /// The IPv4 address in host order; only meaningful when is_v4().
    [[nodiscard]] std::uint32_t v4_value() const;
    [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const { return m_bytes; }
    /// Canonical text: dotted quad for IPv4 (also when given as ::ffff:a.b.c.d), RFC 5952 for IPv6.
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;

private:
    explicit IpAddress(const std::array<std::uint8_t, 16>& bytes) : m_bytes(bytes) {}
    std::array<std::uint8_t, 16> m_bytes{};
};

enum class Reach {
    routable,
    local,        // 127/8, ::1
    private_net,  // RFC 1918, 169.254/16, fc00::/7, fe80::/10
    unroutable,   // 0/8, 100.64/10, documentation and benchmark ranges, multicast, reserved, ::
};
Reach classify(const IpAddress& ip);

/// A netgroup: a routable /16 (IPv4) or /32 (IPv6), one of the three special classes, or a named
/// source such as "seed" or "config" that is not an IP address.
struct NetGroup {
    enum class Kind : std::uint8_t { ipv4, ipv6, local, private_net, unroutable, label };
    Kind kind = Kind::unroutable;
    std::uint32_t prefix = 0;  // the /16 or /32 prefix, or a hash of the label

    /// Bytes fed to the bucket hashes.
    [[nodiscard]] std::array<std::uint8_t, 5> bytes() const;
    /// "1.2/16", "2001:db8/32", "local", "private", "unroutable" or "label:<hash>".
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const NetGroup&, const NetGroup&) = default;
};

NetGroup netgroup(const IpAddress& ip);
/// The group of an address's source: the netgroup of an IP, else a label group for "seed", "self",
/// "config" and similar names (every such name is one group).
NetGroup source_group(std::string_view source);

}  // namespace peerlink::addrbook
