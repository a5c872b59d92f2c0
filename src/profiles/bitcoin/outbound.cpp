// Where a Bitcoin node's outbound peers come from (see outbound.hpp).
#include "profiles/bitcoin/outbound.hpp"

#include "addrbook/netgroup.hpp"

namespace peerlink::bitcoin {

std::optional<std::string> outbound_group(const OutboundCandidate& candidate, bool strict) {
    const auto ip = addrbook::IpAddress::parse(candidate.host);
    if (!ip) return std::nullopt;
    if (ip->is_v4() && !strict) return ip->to_string() + ":" + std::to_string(candidate.port);
    return addrbook::netgroup(*ip).to_string();
}

std::vector<OutboundCandidate> choose_outbound(const std::vector<OutboundCandidate>& candidates,
                                               std::set<std::string>& taken, std::size_t slots, bool strict) {
    std::vector<OutboundCandidate> out;
    for (const auto& candidate : candidates) {
        if (out.size() >= slots) break;
        const auto group = outbound_group(candidate, strict);
        if (!group || !taken.insert(*group).second) continue;
        out.push_back(candidate);
    }
    return out;
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
