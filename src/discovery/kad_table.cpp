// The Kademlia table: buckets by log distance, IP limits, replacements and revalidation (geth table.go).
#include "discovery/kad_table.hpp"

#include <algorithm>
#include <bit>

namespace peerlink::discovery {

int log_distance(const KadId& a, const KadId& b) {
    int leading_zeros = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<std::uint8_t>(a[i] ^ b[i]);
        if (x == 0) {
            leading_zeros += 8;
        } else {
            leading_zeros += std::countl_zero(x);
            break;
        }
    }
    return kad::k_hash_bits - leading_zeros;
}

int distance_cmp(const KadId& target, const KadId& a, const KadId& b) {
    for (std::size_t i = 0; i < target.size(); ++i) {
        const auto da = static_cast<std::uint8_t>(a[i] ^ target[i]);
        const auto db = static_cast<std::uint8_t>(b[i] ^ target[i]);
        if (da < db) return -1;
        if (da > db) return 1;
    }
    return 0;
}

bool is_lan(const addrbook::IpAddress& ip) {
    const auto& b = ip.bytes();
    if (ip.is_v4()) {
        const std::uint32_t v = ip.v4_value();
        const auto in = [v](std::uint32_t net, unsigned bits) {
            return (v >> (32 - bits)) == (net >> (32 - bits));
        };
        return in(0x7f000000, 8) || in(0x00000000, 8) || in(0x0a000000, 8) || in(0xac100000, 12) ||
               in(0xc0a80000, 16);
    }
    const bool loopback =
        std::all_of(b.begin(), b.end() - 1, [](std::uint8_t x) { return x == 0; }) && b[15] == 1;
    return loopback || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || (b[0] & 0xfe) == 0xfc;
}

// ---- NetCounter ----

std::array<std::uint8_t, 17> KadTable::NetCounter::key(const addrbook::IpAddress& ip) const {
    // geth masks the 4-byte form of IPv4 addresses and the 16-byte form of the others.
    std::array<std::uint8_t, 17> k{};
    const bool v4 = ip.is_v4();
    k[0] = v4 ? 4 : 6;
    const std::size_t offset = v4 ? 12 : 0;
    const unsigned total_bits = v4 ? 32 : 128;
    const unsigned bits = std::min(m_bits, total_bits);
    for (unsigned i = 0; i < bits; ++i) {
        const std::size_t byte = offset + i / 8;
        const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
        if ((ip.bytes()[byte] & mask) != 0) k[1 + i / 8] = static_cast<std::uint8_t>(k[1 + i / 8] | mask);
    }
    return k;
}

bool KadTable::NetCounter::add(const addrbook::IpAddress& ip) {
    auto& count = m_counts[key(ip)];
    if (count >= m_limit) {
        if (count == 0) m_counts.erase(key(ip));
        return false;
    }
    ++count;
    return true;
}

void KadTable::NetCounter::remove(const addrbook::IpAddress& ip) {
    auto it = m_counts.find(key(ip));
    if (it == m_counts.end()) return;
    if (--it->second == 0) m_counts.erase(it);
}

// ---- KadTable ----

KadTable::KadTable(const KadId& self, KadTableOptions options, base::Random& random)
    : m_self(self), m_options(options), m_random(random), m_ips(options.table_ip_limit, options.subnet_bits) {
    m_buckets.reserve(kad::k_buckets);
    for (std::size_t i = 0; i < kad::k_buckets; ++i)
        m_buckets.push_back(Bucket{{}, {}, NetCounter(options.bucket_ip_limit, options.subnet_bits)});
}

std::size_t KadTable::bucket_index(const KadId& id) const {
    const int d = log_distance(m_self, id);
    if (d <= kad::k_bucket_min_distance) return 0;
    return static_cast<std::size_t>(d - kad::k_bucket_min_distance - 1);
}

bool KadTable::add_ip(Bucket& b, const addrbook::IpAddress& ip) {
    if (m_options.exempt_lan && is_lan(ip)) return true;
    if (!m_ips.add(ip)) return false;
    if (!b.ips.add(ip)) {
        m_ips.remove(ip);
        return false;
    }
    return true;
}

void KadTable::remove_ip(Bucket& b, const addrbook::IpAddress& ip) {
    if (m_options.exempt_lan && is_lan(ip)) return;
    m_ips.remove(ip);
    b.ips.remove(ip);
}

void KadTable::delete_replacement(Bucket& b, const KadId& id) {
    auto it = std::find_if(b.replacements.begin(), b.replacements.end(),
                           [&](const KadNode& r) { return r.id == id; });
    if (it == b.replacements.end()) return;
    remove_ip(b, it->ip);
    b.replacements.erase(it);
}

KadTable::AddResult KadTable::add_replacement(Bucket& b, const KadNode& node) {
    for (const auto& r : b.replacements)
        if (r.id == node.id) return AddResult::replacement;
    if (!add_ip(b, node.ip)) return AddResult::ip_limit;
    b.replacements.insert(b.replacements.begin(), node);
    if (b.replacements.size() > kad::k_max_replacements) {
        remove_ip(b, b.replacements.back().ip);
        b.replacements.pop_back();
    }
    return AddResult::replacement;
}

bool KadTable::bump(Bucket& b, const KadNode& node) {
    auto it = std::find_if(b.entries.begin(), b.entries.end(),
                           [&](const Entry& e) { return e.node.id == node.id; });
    if (it == b.entries.end()) return false;
    if (!(it->node.ip == node.ip)) {
        // The endpoint changed: the new IP must fit the limits, else the entry stays as it was.
        remove_ip(b, it->node.ip);
        if (!add_ip(b, node.ip)) {
            add_ip(b, it->node.ip);
            return false;
        }
    }
    Entry moved = *it;
    moved.node = node;
    b.entries.erase(it);
    b.entries.insert(b.entries.begin(), std::move(moved));
    return true;
}

KadTable::AddResult KadTable::add_seen(const KadNode& node, base::TimePoint now) {
    if (node.id == m_self || node.ip == addrbook::IpAddress()) return AddResult::rejected;
    Bucket& b = bucket_for(node.id);
    if (std::any_of(b.entries.begin(), b.entries.end(), [&](const Entry& e) { return e.node.id == node.id; }))
        return AddResult::already_present;
    if (b.entries.size() >= kad::k_bucket_size) return add_replacement(b, node);
    // A replacement being promoted gives its IP slot back first, so it is not counted twice.
    delete_replacement(b, node.id);
    if (!add_ip(b, node.ip)) return AddResult::ip_limit;
    b.entries.push_back(Entry{node, now, 0});
    return AddResult::added;
}

KadTable::AddResult KadTable::add_verified(const KadNode& node, base::TimePoint now) {
    if (node.id == m_self || node.ip == addrbook::IpAddress()) return AddResult::rejected;
    Bucket& b = bucket_for(node.id);
    if (bump(b, node)) return AddResult::moved_to_front;
    if (std::any_of(b.entries.begin(), b.entries.end(), [&](const Entry& e) { return e.node.id == node.id; }))
        return AddResult::ip_limit;  // present, but its new IP does not fit: left as it was
    if (b.entries.size() >= kad::k_bucket_size) return add_replacement(b, node);
    delete_replacement(b, node.id);
    if (!add_ip(b, node.ip)) return AddResult::ip_limit;
    b.entries.insert(b.entries.begin(), Entry{node, now, 0});
    return AddResult::added;
}

bool KadTable::remove(const KadId& id) {
    Bucket& b = bucket_for(id);
    auto it =
        std::find_if(b.entries.begin(), b.entries.end(), [&](const Entry& e) { return e.node.id == id; });
    if (it == b.entries.end()) return false;
    remove_ip(b, it->node.ip);
    b.entries.erase(it);
    return true;
}

const KadTable::Entry* KadTable::find(const KadId& id) const {
    const Bucket& b = m_buckets[bucket_index(id)];
    for (const auto& e : b.entries)
        if (e.node.id == id) return &e;
    return nullptr;
}

std::vector<KadNode> KadTable::closest(const KadId& target, std::size_t n, bool prefer_live) const {
    std::vector<const Entry*> all;
    bool any_live = false;
    for (const auto& b : m_buckets)
        for (const auto& e : b.entries) {
            all.push_back(&e);
            any_live = any_live || e.liveness_checks > 0;
        }
    if (prefer_live && any_live) std::erase_if(all, [](const Entry* e) { return e->liveness_checks == 0; });
    const std::size_t count = std::min(n, all.size());
    std::partial_sort(
        all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count), all.end(),
        [&](const Entry* a, const Entry* b) { return distance_cmp(target, a->node.id, b->node.id) < 0; });
    std::vector<KadNode> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
        out.push_back(all[i]->node);
    return out;
}

std::optional<KadNode> KadTable::node_to_revalidate() {
    std::vector<std::size_t> non_empty;
    for (std::size_t i = 0; i < m_buckets.size(); ++i)
        if (!m_buckets[i].entries.empty()) non_empty.push_back(i);
    if (non_empty.empty()) return std::nullopt;
    // geth walks a random permutation of the buckets and takes the first non-empty one: a uniform
    // choice among the non-empty buckets.
    const std::size_t bi = non_empty[m_random.uniform(non_empty.size())];
    return m_buckets[bi].entries.back().node;
}

base::Duration KadTable::next_revalidate_delay() {
    const auto bound = static_cast<std::uint64_t>(kad::k_revalidate_interval.count());
    return base::Duration(static_cast<base::Duration::rep>(m_random.uniform(bound)));
}

void KadTable::revalidation_succeeded(const KadNode& node) {
    Bucket& b = bucket_for(node.id);
    for (auto& e : b.entries)
        if (e.node.id == node.id) ++e.liveness_checks;
    bump(b, node);
}

std::optional<KadNode> KadTable::revalidation_failed(const KadId& id, base::TimePoint now) {
    Bucket& b = bucket_for(id);
    // Only the last entry is replaced; if it moved meanwhile, it was revalidated by other means.
    if (b.entries.empty() || b.entries.back().node.id != id) return std::nullopt;
    const addrbook::IpAddress dead_ip = b.entries.back().node.ip;
    if (b.replacements.empty()) {
        remove_ip(b, dead_ip);
        b.entries.pop_back();
        return std::nullopt;
    }
    const std::size_t ri = m_random.uniform(b.replacements.size());
    KadNode r = b.replacements[ri];
    b.replacements.erase(b.replacements.begin() + static_cast<std::ptrdiff_t>(ri));
    // The replacement's IP was counted when it joined the replacement list.
    b.entries.back() = Entry{r, now, 0};
    remove_ip(b, dead_ip);
    return r;
}

std::size_t KadTable::size() const {
    std::size_t n = 0;
    for (const auto& b : m_buckets)
        n += b.entries.size();
    return n;
}

std::vector<KadNode> KadTable::nodes() const {
    std::vector<KadNode> out;
    for (const auto& b : m_buckets)
        for (const auto& e : b.entries)
            out.push_back(e.node);
    return out;
}

KadTable::Stats KadTable::stats() const {
    Stats s;
    for (std::size_t i = 0; i < m_buckets.size(); ++i) {
        s.bucket_sizes[i] = m_buckets[i].entries.size();
        s.nodes += m_buckets[i].entries.size();
        s.replacements += m_buckets[i].replacements.size();
        if (!m_buckets[i].entries.empty()) ++s.non_empty_buckets;
    }
    return s;
}

}  // namespace peerlink::discovery
