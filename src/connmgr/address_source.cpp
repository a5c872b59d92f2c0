#include "connmgr/address_source.hpp"

namespace peerlink::connmgr {

std::vector<peer::PeerAddress> FixedAddressSource::pick_addresses(std::size_t n, base::TimePoint /*now*/,
                                                                  const Usable& usable) {
    std::vector<peer::PeerAddress> picked;
    const std::size_t count = m_addresses.size();
    const std::size_t start = m_next;
    for (std::size_t scanned = 0; scanned < count && picked.size() < n; ++scanned) {
        const std::size_t i = (start + scanned) % count;
        if (!usable(m_addresses[i])) continue;
        picked.push_back(m_addresses[i]);
        m_next = (i + 1) % count;
    }
    return picked;
}

}  // namespace peerlink::connmgr
