// Where a Bitcoin node's outbound peers come from, as sans-I/O decisions: the one-per-netgroup
// choice among address-book candidates (Core's ThreadOpenConnections) and when to ask the DNS
// seeds or fall back to the fixed seeds (Core's ThreadDNSAddressSeed and -fixedseeds).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.hpp"

namespace peerlink::bitcoin {

struct OutboundCandidate {
    std::string host;  // an IP literal
    std::uint16_t port = 0;
};

/// The key of the one-outbound-per-group rule: the IPv4 /16 or IPv6 /32 (addrbook::netgroup), or,
/// when `strict` is false (a one-host test network, where every peer shares 127.0.0.0/16), the
/// whole IPv4 endpoint. nullopt for a host that is not an IP literal.
std::optional<std::string> outbound_group(const OutboundCandidate& candidate, bool strict);

/// Picks up to `slots` candidates, in the order given (the book's random draws), skipping any whose
/// group is in `taken` (the groups of current outbound peers and dials in flight) or was picked
/// already. `taken` is updated with the groups of the chosen candidates.
std::vector<OutboundCandidate> choose_outbound(const std::vector<OutboundCandidate>& candidates,
                                               std::set<std::string>& taken, std::size_t slots, bool strict);

struct SeedOptions {
    /// Query the network's DNS seeds when the book is empty at start (Core -dnsseed).
    bool dns_seeds = false;
    /// Add the network's fixed seeds when the book is still empty (Core -fixedseeds).
    bool fixed_seeds = false;
    /// Core: "Adding fixed seeds as 60 seconds have passed and addrman is empty".
    base::Duration fixed_seed_delay = std::chrono::seconds(60);
};

/// Decides, from the book's size and the time, when to seed. One per node.
class Seeder {
public:
    enum class Step { none, query_dns, add_fixed };

    /// `has_dns_seeds`/`has_fixed_seeds`: whether the network lists any.
    Seeder(SeedOptions options, bool has_dns_seeds, bool has_fixed_seeds, base::TimePoint start);

    /// What to do now. query_dns at most once (the first call with an empty book); add_fixed at
    /// most once, when the book is empty `fixed_seed_delay` after start, or at once when there
    /// is no DNS seeding to wait for.
    Step poll(base::TimePoint now, std::size_t book_size);

private:
    SeedOptions m_options;
    bool m_dns_enabled;
    bool m_dns_pending;
    bool m_fixed_pending;
    base::TimePoint m_start;
};

}  // namespace peerlink::bitcoin
