#include "connmgr/book_source.hpp"

#include <algorithm>
#include <set>

namespace peerlink::connmgr {

namespace {
constexpr std::size_t k_max_history = 4096;
}

BookAddressSource::BookAddressSource(addrbook::AddrBook& book, base::Random& random,
                                     std::function<std::size_t()> outbound_count, BookSourceOptions options)
    : m_book(book), m_random(random), m_outbound_count(std::move(outbound_count)), m_options(options) {}

addrbook::NetAddress BookAddressSource::to_book(const peer::PeerAddress& address) {
    return {.id = address.id.to_hex(), .ip = address.host, .port = address.port};
}

std::optional<peer::PeerAddress> BookAddressSource::from_book(const addrbook::NetAddress& address) {
    auto id = peer::NodeId::from_hex(address.id);
    if (!id || address.port == 0) return std::nullopt;  // nothing to authenticate or dial
    return peer::PeerAddress{.id = *id, .host = address.ip, .port = address.port};
}

std::optional<peer::PeerAddress> BookAddressSource::to_peer(const addrbook::NetAddress& address) const {
    if (!m_options.derive_id) return from_book(address);
    if (address.port == 0) return std::nullopt;
    return peer::PeerAddress{
        .id = m_options.derive_id(address.ip, address.port), .host = address.ip, .port = address.port};
}

addrbook::NetAddress BookAddressSource::book_address(const peer::PeerAddress& address) const {
    if (!m_options.derive_id) return to_book(address);
    return {.id = "", .ip = address.host, .port = address.port};
}

std::optional<std::string> BookAddressSource::group_key(const peer::PeerAddress& address) const {
    if (m_options.group_key) return m_options.group_key(address);
    const auto ip = addrbook::IpAddress::parse(address.host);
    if (!ip) return address.host;
    return addrbook::netgroup(*ip).to_string();
}

bool BookAddressSource::too_early(const peer::PeerAddress& address, base::TimePoint now) const {
    const auto found = m_history.find(address.to_string());
    if (found == m_history.end() || found->second.failures == 0) return false;
    // CometBFT: jitter + 2^attempts seconds since the last dial.
    const unsigned shift = std::min(found->second.failures, 30u);
    const base::Duration backoff = std::chrono::seconds(std::int64_t{1} << shift) + found->second.jitter;
    return now - found->second.last < backoff;
}

std::vector<peer::PeerAddress> BookAddressSource::pick_addresses(std::size_t n, base::TimePoint now,
                                                                 const Usable& usable) {
    const unsigned bias = addrbook::AddrBook::new_bias_for(m_outbound_count ? m_outbound_count() : 0);
    std::vector<peer::PeerAddress> chosen;
    std::vector<peer::PeerAddress> same_group;  // used only if nothing more diverse turns up
    std::set<std::string> seen;
    std::set<std::string> groups;
    for (const auto& [group, count] : m_outbound_groups)
        groups.insert(group);
    if (m_options.dialing) {
        for (const auto& dialing : m_options.dialing()) {
            if (auto key = group_key(dialing)) groups.insert(std::move(*key));
        }
    }
    // Draws are random, may repeat and mostly hit the old table at low bias; a generous but
    // bounded number of them per wanted address (each is a few hundred nanoseconds).
    for (std::size_t draws = 0; chosen.size() < n && draws < 256 * n + 512; ++draws) {
        const auto picked = m_book.pick_address(bias, now, m_random);
        if (!picked) {
            if (m_book.size() == 0) break;
            continue;  // an unlucky draw; the bound on draws still holds
        }
        auto address = to_peer(*picked);
        if (!address || !seen.insert(address->to_string()).second) continue;
        if ((m_options.backoff && too_early(*address, now)) || !usable(*address)) continue;
        // A ban set by the operator (or a Bitcoin discouragement) leaves the address in the book.
        if (m_book.is_banned(address->host, now) ||
            (!picked->id.empty() && m_book.is_banned(picked->id, now)))
            continue;
        auto key = group_key(*address);
        if (!key) continue;
        if (!groups.insert(std::move(*key)).second) {
            if (m_options.group_fallback) same_group.push_back(std::move(*address));
            continue;
        }
        chosen.push_back(std::move(*address));
    }
    // One outbound peer per netgroup unless the book offers nothing else (e.g. a local testnet).
    for (auto& address : same_group) {
        if (chosen.size() >= n) break;
        chosen.push_back(std::move(address));
    }
    return chosen;
}

void BookAddressSource::on_dial_started(const peer::PeerAddress& address, base::TimePoint now) {
    m_book.mark_attempt(book_address(address), now);
}

void BookAddressSource::on_dial_failed(const peer::PeerAddress& address, base::TimePoint now) {
    if (m_history.size() >= k_max_history && !m_history.contains(address.to_string())) {
        m_history.erase(m_history.begin());  // bounded: forget an arbitrary old failure
    }
    DialHistory& h = m_history[address.to_string()];
    ++h.failures;
    h.last = now;
    const auto jitter_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(m_options.backoff_jitter).count());
    h.jitter = std::chrono::milliseconds(jitter_ms == 0 ? 0 : m_random.uniform(jitter_ms));
    if (m_options.max_attempts != 0 && h.failures >= m_options.max_attempts) {
        m_book.mark_bad(book_address(address), now);
        m_history.erase(address.to_string());
    }
}

void BookAddressSource::on_connected(const peer::PeerAddress& address, base::TimePoint now) {
    m_book.mark_good(book_address(address), now);
    m_history.erase(address.to_string());
    if (auto key = group_key(address)) ++m_outbound_groups[std::move(*key)];
}

void BookAddressSource::on_disconnected(const peer::PeerAddress& address) {
    const auto key = group_key(address);
    if (!key) return;
    const auto found = m_outbound_groups.find(*key);
    if (found != m_outbound_groups.end() && --found->second == 0) m_outbound_groups.erase(found);
}

}  // namespace peerlink::connmgr
