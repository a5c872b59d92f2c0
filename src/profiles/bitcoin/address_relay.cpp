// Bitcoin address relay for one peer (see address_relay.hpp).
#include "profiles/bitcoin/address_relay.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "addrbook/netgroup.hpp"

namespace peerlink::bitcoin {

std::optional<addrbook::NetAddress> to_book(const NetAddr& addr) {
    if (addr.port == 0) return std::nullopt;
    return addrbook::NetAddress{"", addrbook::IpAddress::v6(addr.ip).to_string(), addr.port};
}

std::optional<NetAddr> to_netaddr(const AddrV2Entry& entry) {
    NetAddr addr;
    addr.services = entry.services;
    addr.port = entry.port;
    if (entry.network == static_cast<std::uint8_t>(Bip155Net::ipv4) && entry.addr.size() == 4) {
        addr.ip = ipv4_mapped(entry.addr[0], entry.addr[1], entry.addr[2], entry.addr[3]);
    } else if (entry.network == static_cast<std::uint8_t>(Bip155Net::ipv6) && entry.addr.size() == 16) {
        std::copy(entry.addr.begin(), entry.addr.end(), addr.ip.begin());
    } else {
        return std::nullopt;
    }
    return addr;
}

std::optional<addrbook::NetAddress> to_book(const AddrV2Entry& entry) {
    const auto addr = to_netaddr(entry);
    if (!addr) return std::nullopt;
    return to_book(*addr);
}

AddrV2 to_addrv2(const Addr& addr) {
    static constexpr std::array<std::uint8_t, 12> k_v4_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    AddrV2 out;
    out.entries.reserve(addr.entries.size());
    for (const auto& e : addr.entries) {
        AddrV2Entry v;
        v.time = e.time;
        v.services = e.addr.services;
        v.port = e.addr.port;
        if (std::equal(k_v4_prefix.begin(), k_v4_prefix.end(), e.addr.ip.begin())) {
            v.network = static_cast<std::uint8_t>(Bip155Net::ipv4);
            v.addr.assign(e.addr.ip.begin() + 12, e.addr.ip.end());
        } else {
            v.network = static_cast<std::uint8_t>(Bip155Net::ipv6);
            v.addr.assign(e.addr.ip.begin(), e.addr.ip.end());
        }
        out.entries.push_back(std::move(v));
    }
    return out;
}

std::optional<NetAddr> to_wire(const addrbook::NetAddress& address, std::uint64_t services) {
    const auto ip = addrbook::IpAddress::parse(address.ip);
    if (!ip) return std::nullopt;
    return NetAddr{services, ip->bytes(), address.port};
}

AddrRelay::AddrRelay(AddrRelayOptions options, Direction direction, std::string peer_ip, base::TimePoint now)
    : m_options(options),
      m_direction(direction),
      m_peer_ip(std::move(peer_ip)),
      m_tokens(options.bucket_initial),
      m_last_refill(now) {}

bool AddrRelay::remember(const NetAddr& address) {
    std::string key(reinterpret_cast<const char*>(address.ip.data()), address.ip.size());
    key.push_back(static_cast<char>(address.port >> 8));
    key.push_back(static_cast<char>(address.port & 0xff));
    if (!m_known.insert(key).second) return false;
    m_known_order.push_back(std::move(key));
    if (m_known_order.size() > m_options.known_capacity) {
        m_known.erase(m_known_order.front());
        m_known_order.pop_front();
    }
    return true;
}

std::vector<TimedNetAddr> AddrRelay::filter_unknown(const std::vector<TimedNetAddr>& entries) {
    std::vector<TimedNetAddr> out;
    for (const auto& entry : entries) {
        if (remember(entry.addr)) out.push_back(entry);
    }
    return out;
}

std::vector<Message> AddrRelay::on_handshake(const std::optional<NetAddr>& own, std::int64_t unix_now) {
    std::vector<Message> out;
    if (own) {
        const auto t = static_cast<std::uint32_t>(std::clamp<std::int64_t>(unix_now, 0, UINT32_MAX));
        remember(*own);
        out.emplace_back(Addr{{TimedNetAddr{t, *own}}});
    }
    // Core asks only outbound peers (inbound ones could feed us a self-chosen book) and lets the
    // answer through the rate limit.
    if (m_direction == Direction::outbound) {
        out.emplace_back(GetAddr{});
        m_tokens += static_cast<double>(m_options.max_entries);
    }
    return out;
}

void AddrRelay::refill(base::TimePoint now) {
    if (now <= m_last_refill) return;
    const double elapsed = std::chrono::duration<double>(now - m_last_refill).count();
    m_last_refill = now;
    if (m_tokens < m_options.bucket_max)
        m_tokens = std::min(m_options.bucket_max, m_tokens + elapsed * m_options.rate_per_second);
}

bool AddrRelay::take_token() {
    if (m_tokens < 1.0) {
        ++m_rate_limited;
        return false;
    }
    m_tokens -= 1.0;
    return true;
}

void AddrRelay::learn(const addrbook::NetAddress& address, base::TimePoint now, addrbook::AddrBook& book,
                      Outcome& out) {
    ++m_processed;
    out.learned.push_back(address);
    (void)book.try_add_address(address, m_peer_ip, now);  // refusals (unroutable, ours, full) are normal
}

AddrRelay::Outcome AddrRelay::on_getaddr(std::int64_t unix_now, const addrbook::AddrBook& book,
                                         base::Random& random) {
    Outcome out;
    // Core answers inbound peers only (an outbound getaddr could fingerprint us) and only once.
    if (m_direction != Direction::inbound || m_answered_getaddr) return out;
    m_answered_getaddr = true;
    auto selection = book.get_selection(random);
    const std::size_t share = book.size() * m_options.reply_percent / 100;
    const std::size_t limit =
        std::min({m_options.max_entries, std::max<std::size_t>(share, 1), selection.size()});
    selection.resize(limit);
    Addr reply;
    const auto t = static_cast<std::uint32_t>(std::clamp<std::int64_t>(unix_now, 0, UINT32_MAX));
    for (const auto& address : selection) {
        if (auto wire = to_wire(address, k_node_network | k_node_witness)) {
            remember(*wire);
            reply.entries.push_back({t, *wire});
        }
    }
    if (!reply.entries.empty()) out.replies.emplace_back(std::move(reply));
    return out;
}

AddrRelay::Outcome AddrRelay::on_message(const Message& message, base::TimePoint now, std::int64_t unix_now,
                                         addrbook::AddrBook& book, base::Random& random) {
    if (std::holds_alternative<GetAddr>(message)) return on_getaddr(unix_now, book, random);
    Outcome out;
    if (const auto* addr = std::get_if<Addr>(&message)) {
        if (addr->entries.size() > m_options.max_entries) {
            out.misbehaviour = "addr with " + std::to_string(addr->entries.size()) + " entries";
            return out;
        }
        refill(now);
        const bool small = addr->entries.size() <= m_options.relay_max_entries;
        for (const auto& entry : addr->entries) {
            remember(entry.addr);
            if (!take_token()) continue;
            const auto book_address = to_book(entry.addr);
            if (!book_address) continue;
            learn(*book_address, now, book, out);
            const auto age = unix_now - static_cast<std::int64_t>(entry.time);
            if (small && age <= m_options.relay_max_age_seconds && age >= -m_options.relay_max_age_seconds)
                out.relay.push_back(entry);
        }
        return out;
    }
    if (const auto* addrv2 = std::get_if<AddrV2>(&message)) {
        if (addrv2->entries.size() > m_options.max_entries) {
            out.misbehaviour = "addrv2 with " + std::to_string(addrv2->entries.size()) + " entries";
            return out;
        }
        refill(now);
        const bool small = addrv2->entries.size() <= m_options.relay_max_entries;
        for (const auto& entry : addrv2->entries) {
            const auto addr = to_netaddr(entry);  // Tor, I2P and CJDNS are neither kept nor relayed
            if (addr) remember(*addr);
            if (!take_token()) continue;
            if (!addr) continue;
            const auto book_address = to_book(*addr);
            if (!book_address) continue;
            learn(*book_address, now, book, out);
            const auto age = unix_now - static_cast<std::int64_t>(entry.time);
            if (small && age <= m_options.relay_max_age_seconds && age >= -m_options.relay_max_age_seconds)
                out.relay.push_back(TimedNetAddr{entry.time, *addr});
        }
    }
    return out;
}

}  // namespace peerlink::bitcoin
