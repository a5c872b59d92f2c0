// Inventory trickling for one peer (see inventory.hpp).
#include "profiles/bitcoin/inventory.hpp"

#include <algorithm>
#include <cmath>

namespace peerlink::bitcoin {

namespace {
bool is_block(const InvVect& item) {
    return (item.type & ~k_msg_witness_flag) == k_msg_block;
}
}  // namespace

std::string KnownInventory::key(const InvVect& item) {
    std::string k(reinterpret_cast<const char*>(item.hash.data()), item.hash.size());
    for (int shift = 0; shift < 32; shift += 8)
        k.push_back(static_cast<char>((item.type >> shift) & 0xff));
    return k;
}

bool KnownInventory::add(const InvVect& item) {
    auto k = key(item);
    if (const auto found = m_index.find(k); found != m_index.end()) {
        m_order.splice(m_order.begin(), m_order, found->second);
        return false;
    }
    m_order.push_front(k);
    m_index.emplace(std::move(k), m_order.begin());
    if (m_index.size() > m_capacity) {
        m_index.erase(m_order.back());
        m_order.pop_back();
    }
    return true;
}

bool KnownInventory::contains(const InvVect& item) const {
    return m_index.contains(key(item));
}

base::Duration InvSchedule::exponential(base::Duration mean, base::Random& random) {
    // -ln(U) x mean with U in (0, 1]; the result is bounded by about 37 means (U >= 2^-53).
    const double u = 1.0 - random.uniform_real();
    const double factor = -std::log(u);
    return std::chrono::duration_cast<base::Duration>(
        std::chrono::duration<double, base::Duration::period>(static_cast<double>(mean.count()) * factor));
}

base::TimePoint InvSchedule::next(Direction direction, base::TimePoint now, base::Random& random) {
    if (direction == Direction::outbound) return now + exponential(m_options.outbound_interval, random);
    if (m_next_inbound <= now) m_next_inbound = now + exponential(m_options.inbound_interval, random);
    return m_next_inbound;
}

InvTrickle::InvTrickle(TrickleOptions options, Direction direction, base::TimePoint first_send)
    : m_options(options), m_direction(direction), m_next_send(first_send), m_known(options.known_capacity) {}

bool InvTrickle::queue(const InvVect& item) {
    if (m_known.contains(item)) return false;
    if (queued() >= m_options.max_queued) {
        ++m_dropped;
        return false;
    }
    if (!m_queued.emplace(item.type, item.hash).second) return false;
    (is_block(item) ? m_blocks : m_tx_queue).push_back(item);
    return true;
}

std::vector<Inv> InvTrickle::poll(base::TimePoint now, InvSchedule& schedule, base::Random& random) {
    std::vector<Inv> out;
    const auto take = [&](std::vector<InvVect>& from, std::size_t limit) {
        Inv inv;
        std::size_t used = 0;
        for (; used < from.size() && inv.items.size() < limit; ++used) {
            const InvVect& item = from[used];
            m_queued.erase({item.type, item.hash});
            if (m_known.add(item)) inv.items.push_back(item);  // skipped: learnt while queued
        }
        from.erase(from.begin(), from.begin() + static_cast<std::ptrdiff_t>(used));
        if (!inv.items.empty()) out.push_back(std::move(inv));
    };
    while (!m_blocks.empty())
        take(m_blocks, k_max_inv_entries);
    if (now >= m_next_send && !m_tx_queue.empty()) {
        // Core: target + 5 per 1000 waiting, at most INVENTORY_BROADCAST_MAX.
        const std::size_t limit =
            std::min(m_options.batch_max, m_options.batch_target + m_tx_queue.size() / 1000 * 5);
        take(m_tx_queue, limit);
        m_next_send = schedule.next(m_direction, now, random);
    }
    return out;
}

base::TimePoint InvTrickle::next_deadline() const {
    if (!m_blocks.empty()) return base::TimePoint::min();
    if (m_tx_queue.empty()) return base::TimePoint::max();
    return m_next_send;
}

}  // namespace peerlink::bitcoin
