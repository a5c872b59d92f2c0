// Where a Bitcoin node's outbound peers come from, as sans-I/O decisions for the shared
// connmgr::ConnManager: the identity it tracks a Bitcoin peer by (which has none of its own), the
// key of the one-outbound-per-netgroup rule (Core's ThreadOpenConnections), and when to ask the
// DNS seeds or fall back to the fixed seeds (Core's ThreadDNSAddressSeed and -fixedseeds).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "peer/node_id.hpp"

namespace peerlink::bitcoin {

/// The key of the one-outbound-per-group rule: the IPv4 /16 or IPv6 /32 (addrbook::netgroup), or,
/// when `strict` is false (a one-host test network, where every peer shares 127.0.0.0/16), the
/// whole IPv4 endpoint. nullopt for a host that is not an IP literal.
std::optional<std::string> outbound_group(std::string_view host, std::uint16_t port, bool strict);

/// What an endpoint ID names: a place to dial, or one inbound connection (remote IP and its
/// ephemeral port), which must never be taken for the listener at that IP.
enum class EndpointRole { dialable, inbound };

/// The connection manager's ID for a Bitcoin peer, derived from where it is: a tag byte (0x01
/// dialable, 0x02 inbound) and the 16-byte IP (IPv4-mapped, so every spelling of one address gives
/// one ID) and big-endian port; a host name gives 0x03 and SHA-256 of "lowercase-name:port".
peer::NodeId endpoint_id(std::string_view host, std::uint16_t port,
                         EndpointRole role = EndpointRole::dialable);
/// The ID the node gives the connection manager as its own; no endpoint ID can equal it.
peer::NodeId self_id();

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
