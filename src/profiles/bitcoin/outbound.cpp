// Where a Bitcoin node's outbound peers come from (see outbound.hpp).
#include "profiles/bitcoin/outbound.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "addrbook/netgroup.hpp"
#include "connmgr/ip_address.hpp"
#include "crypto/crypto.hpp"

namespace peerlink::bitcoin {

std::optional<std::string> outbound_group(std::string_view host, std::uint16_t port, bool strict) {
    const auto ip = addrbook::IpAddress::parse(host);
    if (!ip) return std::nullopt;
    if (ip->is_v4() && !strict) return ip->to_string() + ":" + std::to_string(port);
    return addrbook::netgroup(*ip).to_string();
}

peer::NodeId endpoint_id(std::string_view host, std::uint16_t port, EndpointRole role) {
    const auto port_hi = static_cast<std::uint8_t>(port >> 8);
    const auto port_lo = static_cast<std::uint8_t>(port & 0xff);
    if (const auto ip = connmgr::IpAddress::parse(host)) {
        std::array<std::uint8_t, 19> bytes{};
        bytes[0] = role == EndpointRole::dialable ? 0x01 : 0x02;
        std::copy(ip->bytes().begin(), ip->bytes().end(), bytes.begin() + 1);
        bytes[17] = port_hi;
        bytes[18] = port_lo;
        return *peer::NodeId::from_bytes(bytes);
    }
    // A name (permanent peers may be given as one): case does not matter in DNS.
    std::string text(host);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    text += ':';
    text.append(std::to_string(port));
    const auto digest = crypto::sha256(base::as_bytes(text));
    std::array<std::uint8_t, 33> bytes{};
    bytes[0] = 0x03;
    std::copy(digest.begin(), digest.end(), bytes.begin() + 1);
    return *peer::NodeId::from_bytes(bytes);
}

peer::NodeId self_id() {
    constexpr std::array<std::uint8_t, 1> bytes{0x00};
    return *peer::NodeId::from_bytes(bytes);
}

Seeder::Seeder(SeedOptions options, bool has_dns_seeds, bool has_fixed_seeds, base::TimePoint start)
    : m_options(options),
      m_dns_enabled(options.dns_seeds && has_dns_seeds),
      m_dns_pending(m_dns_enabled),
      m_fixed_pending(options.fixed_seeds && has_fixed_seeds),
      m_start(start) {}

Seeder::Step Seeder::poll(base::TimePoint now, std::size_t book_size) {
    if (m_dns_pending) {
        // Core seeds from DNS only when the book has nothing to dial (else after a wait, when
        // too few outbound connections came up; we keep the simple rule).
        m_dns_pending = false;
        if (book_size == 0) return Step::query_dns;
    }
    if (!m_fixed_pending) return Step::none;
    if (book_size != 0) return Step::none;  // checked again later: the book may empty out
    if (!m_dns_enabled || now - m_start >= m_options.fixed_seed_delay) {
        m_fixed_pending = false;
        return Step::add_fixed;
    }
    return Step::none;
}

}  // namespace peerlink::bitcoin
