#include "addrbook/addr_book.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace peerlink::addrbook {

namespace {

// 0.66^attempts for 0..8 attempts (Bitcoin Core's GetChance), precomputed: pick_address is hot.
constexpr std::array<double, 9> k_attempt_penalty = {
    1.0, 0.66, 0.4356, 0.287496, 0.18974736, 0.12523326, 0.08265395, 0.05455161, 0.03600406};

using namespace std::chrono_literals;

// Bitcoin Core's IsTerrible thresholds (addrman.h).
constexpr base::Duration k_recent_try = 1min;         // never terrible right after a try
constexpr std::uint32_t k_max_retries = 3;            // failures without any success
constexpr std::uint32_t k_max_failures = 10;          // failures since the last success...
constexpr base::Duration k_min_fail_age = 24h * 7;    // ...when that success is this old
constexpr base::Duration k_stale_horizon = 24h * 30;  // never succeeded and known this long

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Bytes fed to one SipHash call: a tag, then the fields; stays on the stack.
class HashInput {
public:
    void put(std::uint8_t b) { m_buf[m_size++] = b; }
    void put(base::ByteView bytes) {
        if (bytes.empty()) return;  // memcpy from an empty span's null data is undefined
        assert(m_size + bytes.size() <= m_buf.size());
        std::memcpy(m_buf.data() + m_size, bytes.data(), bytes.size());
        m_size += bytes.size();
    }
    void put_u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i)
            put(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    [[nodiscard]] base::ByteView view() const { return {m_buf.data(), m_size}; }

private:
    std::array<std::uint8_t, 256> m_buf{};
    std::size_t m_size = 0;
};

}  // namespace

std::string NetAddress::to_string() const {
    const bool v6 = ip.find(':') != std::string::npos;
    std::string host = v6 ? "[" + ip + "]" : ip;
    std::string out = id.empty() ? std::string() : id + "@";
    return out + host + ":" + std::to_string(port);
}

AddrBook::AddrBook(Options options, SipKey key)
    : m_options(options),
      m_key(key),
      m_new_slots(std::size_t{options.new_bucket_count} * options.bucket_size, k_empty),
      m_old_slots(std::size_t{options.old_bucket_count} * options.bucket_size, k_empty) {
    if (options.new_bucket_count == 0 || options.old_bucket_count == 0 || options.bucket_size == 0 ||
        options.new_buckets_per_source_group == 0 || options.old_buckets_per_group == 0) {
        throw std::invalid_argument("addrbook::Options: bucket counts and sizes must be positive");
    }
    const std::size_t capacity = m_new_slots.size() + m_old_slots.size();
    m_entries.reserve(capacity);
    m_index.reserve(capacity);
    m_new_list.reserve(m_new_slots.size());
    m_old_list.reserve(m_old_slots.size());
}

std::optional<AddrBook::Parsed> AddrBook::parse(const NetAddress& address) const {
    Parsed p;
    auto ip = IpAddress::parse(address.ip);
    if (!ip || address.port == 0 || address.id.size() > k_max_id_hex || address.id.size() % 2 != 0) {
        return std::nullopt;
    }
    p.ip = *ip;
    p.port = address.port;
    p.has_id = !address.id.empty();
    if (p.has_id) {
        for (char c : address.id) {
            if (!is_hex(c)) return std::nullopt;
            p.buf[p.size++] = lower(c);
        }
        return p;
    }
    // Without an ID the endpoint is the identity: canonical IP text and port.
    const std::string text = ip->to_string();  // short enough for the small-string buffer
    const bool v6 = !ip->is_v4();
    if (v6) p.buf[p.size++] = '[';
    std::memcpy(p.buf.data() + p.size, text.data(), text.size());
    p.size += text.size();
    if (v6) p.buf[p.size++] = ']';
    p.buf[p.size++] = ':';
    const std::string port = std::to_string(address.port);
    std::memcpy(p.buf.data() + p.size, port.data(), port.size());
    p.size += port.size();
    return p;
}

bool AddrBook::is_ours(const Parsed& p) const {
    if (m_our_endpoints.contains({p.ip.bytes(), p.port})) return true;
    return p.has_id && m_our_ids.find(p.key()) != m_our_ids.end();
}

std::optional<std::uint32_t> AddrBook::lookup(const NetAddress& address) const {
    auto p = parse(address);
    if (!p) return std::nullopt;
    auto it = m_index.find(p->key());
    if (it == m_index.end()) return std::nullopt;
    return it->second;
}

std::uint64_t AddrBook::hash(std::uint8_t tag, base::ByteView a, base::ByteView b) const {
    HashInput in;
    in.put(tag);
    in.put(a);
    in.put(b);
    return siphash24(m_key, in.view());
}

NetGroup AddrBook::placement_group(const IpAddress& ip, std::uint16_t port) const {
    NetGroup group = netgroup(ip);
    if (m_options.strict ||
        (group.kind != NetGroup::Kind::local && group.kind != NetGroup::Kind::private_net)) {
        return group;
    }
    std::uint32_t h = 2166136261u;  // FNV-1a over the address bytes and the port
    for (const std::uint8_t b : ip.bytes())
        h = (h ^ b) * 16777619u;
    h = (h ^ (port & 0xff)) * 16777619u;
    h = (h ^ (port >> 8)) * 16777619u;
    group.prefix = h;
    return group;
}

std::uint32_t AddrBook::new_slot(const NetGroup& group, const NetGroup& source, std::string_view key) const {
    // Bitcoin Core's GetNewBucket: the pair (group, source group) picks one of the source group's
    // new_buckets_per_source_group buckets, so one source group reaches at most that many buckets.
    const auto g = group.bytes();
    const auto s = source.bytes();
    const std::uint64_t h1 = hash('n', g, s) % m_options.new_buckets_per_source_group;
    std::array<std::uint8_t, 8> h1_bytes{};
    for (std::size_t i = 0; i < 8; ++i)
        h1_bytes[i] = static_cast<std::uint8_t>(h1 >> (8 * i));
    const auto bucket = static_cast<std::uint32_t>(hash('b', s, h1_bytes) % m_options.new_bucket_count);
    std::array<std::uint8_t, 4> bucket_bytes{};
    for (std::size_t i = 0; i < 4; ++i)
        bucket_bytes[i] = static_cast<std::uint8_t>(bucket >> (8 * i));
    const auto position =
        static_cast<std::uint32_t>(hash('N', bucket_bytes, base::as_bytes(key)) % m_options.bucket_size);
    return bucket * m_options.bucket_size + position;
}

std::uint32_t AddrBook::old_slot(const NetGroup& group, std::string_view key) const {
    // Bitcoin Core's GetTriedBucket: an address's group reaches at most old_buckets_per_group buckets.
    const std::uint64_t h1 = hash('o', base::as_bytes(key), {}) % m_options.old_buckets_per_group;
    std::array<std::uint8_t, 8> h1_bytes{};
    for (std::size_t i = 0; i < 8; ++i)
        h1_bytes[i] = static_cast<std::uint8_t>(h1 >> (8 * i));
    const auto bucket =
        static_cast<std::uint32_t>(hash('B', group.bytes(), h1_bytes) % m_options.old_bucket_count);
    std::array<std::uint8_t, 4> bucket_bytes{};
    for (std::size_t i = 0; i < 4; ++i)
        bucket_bytes[i] = static_cast<std::uint8_t>(bucket >> (8 * i));
    const auto position =
        static_cast<std::uint32_t>(hash('K', bucket_bytes, base::as_bytes(key)) % m_options.bucket_size);
    return bucket * m_options.bucket_size + position;
}

bool AddrBook::is_terrible(const Entry& e, base::TimePoint now) const {
    if (e.last_attempt != k_never && now - e.last_attempt < k_recent_try) return false;
    if (e.last_success == k_never) {
        if (e.attempts >= k_max_retries) return true;
        return now - e.added > k_stale_horizon;
    }
    return now - e.last_success > k_min_fail_age && e.attempts >= k_max_failures;
}

std::uint32_t AddrBook::allocate(Entry entry) {
    std::uint32_t index = 0;
    if (!m_free.empty()) {
        index = m_free.back();
        m_free.pop_back();
        m_entries[index] = std::move(entry);
    } else {
        index = static_cast<std::uint32_t>(m_entries.size());
        m_entries.push_back(std::move(entry));
    }
    m_index.emplace(m_entries[index].key, index);
    return index;
}

void AddrBook::place(std::uint32_t index, Table table, std::uint32_t slot) {
    Entry& e = m_entries[index];
    assert(e.table == Table::none);
    auto& slots = table == Table::old ? m_old_slots : m_new_slots;
    auto& list = table == Table::old ? m_old_list : m_new_list;
    assert(slots[slot] == k_empty);
    slots[slot] = index;
    e.table = table;
    e.slot = slot;
    e.list_pos = static_cast<std::uint32_t>(list.size());
    list.push_back(index);
}

void AddrBook::unplace(std::uint32_t index) {
    Entry& e = m_entries[index];
    if (e.table == Table::none) return;
    auto& slots = e.table == Table::old ? m_old_slots : m_new_slots;
    auto& list = e.table == Table::old ? m_old_list : m_new_list;
    slots[e.slot] = k_empty;
    const std::uint32_t moved = list.back();
    list[e.list_pos] = moved;
    m_entries[moved].list_pos = e.list_pos;
    list.pop_back();
    e.table = Table::none;
}

void AddrBook::erase(std::uint32_t index) {
    unplace(index);
    Entry& e = m_entries[index];
    m_index.erase(m_index.find(std::string_view(e.key)));
    e = Entry{};
    m_free.push_back(index);
}

std::error_code AddrBook::try_add_address(const NetAddress& address, std::string_view source,
                                          base::TimePoint now) {
    auto p = parse(address);
    if (!p) return Errc::bad_address;
    const Reach reach = classify(p->ip);
    if (reach == Reach::unroutable || (m_options.strict && reach != Reach::routable)) return Errc::unroutable;
    if (is_ours(*p)) return Errc::own_address;
    if (m_index.find(p->key()) != m_index.end()) return Errc::already_known;
    if (!m_bans.empty()) {
        // Bans are keyed by ID, or by IP for addresses without one.
        if (is_banned(p->key(), now)) return Errc::banned;
        if (is_banned(p->ip.to_string(), now)) return Errc::banned;
    }
    const NetGroup group = placement_group(p->ip, p->port);
    const NetGroup src_group = source_group(source);
    const std::uint32_t slot = new_slot(group, src_group, p->key());
    if (const std::uint32_t occupant = m_new_slots[slot]; occupant != k_empty) {
        // Only a terrible entry (failing, or stale and never reached) gives way; the newcomer
        // is dropped otherwise, so flooding cannot flush entries we already hold.
        if (!is_terrible(m_entries[occupant], now)) return Errc::bucket_full;
        erase(occupant);
    }
    Entry e;
    e.address = NetAddress{
        .id = p->has_id ? std::string(p->key()) : std::string(), .ip = p->ip.to_string(), .port = p->port};
    e.key = std::string(p->key());
    e.source = std::string(source);
    e.ip = p->ip;
    e.group = group;
    e.source_group = src_group;
    e.added = now;
    place(allocate(std::move(e)), Table::fresh, slot);
    return {};
}

void AddrBook::add_our_address(const NetAddress& address) {
    auto p = parse(address);
    if (!p) return;
    m_our_endpoints.insert({p->ip.bytes(), p->port});
    if (p->has_id) m_our_ids.emplace(p->key());
    // Drop anything already stored that matches, by ID or by endpoint.
    std::vector<std::uint32_t> doomed;
    for (std::uint32_t i = 0; i < m_entries.size(); ++i) {
        const Entry& e = m_entries[i];
        if (e.table == Table::none) continue;
        if ((e.ip == p->ip && e.address.port == p->port) || (p->has_id && e.key == p->key()))
            doomed.push_back(i);
    }
    for (auto i : doomed)
        erase(i);
}

bool AddrBook::is_our_address(const NetAddress& address) const {
    auto p = parse(address);
    return p && is_ours(*p);
}

void AddrBook::add_private_id(std::string_view id) {
    std::string lowered(id);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
    m_private_ids.insert(std::move(lowered));
}

bool AddrBook::mark_attempt(const NetAddress& address, base::TimePoint now) {
    auto index = lookup(address);
    if (!index) return false;
    Entry& e = m_entries[*index];
    ++e.attempts;
    e.last_attempt = now;
    return true;
}

bool AddrBook::mark_good(const NetAddress& address, base::TimePoint now) {
    auto index = lookup(address);
    if (!index) return false;
    Entry& e = m_entries[*index];
    e.last_success = now;
    e.last_attempt = now;
    e.attempts = 0;
    if (e.table == Table::old) return true;

    const std::uint32_t slot = old_slot(e.group, e.key);
    const std::uint32_t occupant = m_old_slots[slot];
    if (occupant != k_empty) {
        const Entry& o = m_entries[occupant];
        // Test-before-evict: an occupant proven recently has just passed the test, so the
        // newcomer stays in the new table (still marked good) rather than evicting it.
        if (now - o.last_success < m_options.old_replacement_protection) return true;
        // Otherwise the occupant steps back to the new table instead of being lost.
        unplace(occupant);
        unplace(*index);
        place(*index, Table::old, slot);
        const std::uint32_t back = new_slot(o.group, o.source_group, o.key);
        if (const std::uint32_t p = m_new_slots[back]; p != k_empty) {
            // A proven entry outranks whatever unproven one sits in its new slot; a proven
            // one there stays and the old occupant is dropped.
            if (m_entries[p].last_success != k_never) {
                erase(occupant);
                return true;
            }
            erase(p);
        }
        place(occupant, Table::fresh, back);
        return true;
    }
    unplace(*index);
    place(*index, Table::old, slot);
    return true;
}

void AddrBook::mark_bad(const NetAddress& address, base::TimePoint now, base::Duration duration) {
    auto p = parse(address);
    if (!p) return;
    if (p->has_id) {
        ban(p->key(), now, duration);
    } else {
        ban(p->ip.to_string(), now, duration);
    }
}

namespace {
/// Bans are keyed by canonical IP text, or by the lower-cased ID.
std::string ban_key(std::string_view id_or_ip) {
    if (auto ip = IpAddress::parse(id_or_ip)) return ip->to_string();
    std::string key(id_or_ip);
    std::transform(key.begin(), key.end(), key.begin(), lower);
    return key;
}
}  // namespace

void AddrBook::ban(std::string_view id_or_ip, base::TimePoint now, base::Duration duration) {
    const std::string key = ban_key(id_or_ip);
    if (key.empty()) return;
    prune_bans(now);
    // Capped so a configured "forever" cannot overflow the time arithmetic.
    const base::TimePoint until =
        now + std::clamp<base::Duration>(duration, base::Duration::zero(), 24h * 365 * 100);
    if (auto it = m_bans.find(key); it != m_bans.end()) {
        m_ban_expiry.erase({it->second, it->first});
        it->second = std::max(it->second, until);
        m_ban_expiry.insert({it->second, it->first});
    } else {
        if (m_options.max_bans == 0) return;
        while (m_bans.size() >= m_options.max_bans) {
            // Full: the ban closest to expiring goes first.
            auto first = m_ban_expiry.begin();
            m_bans.erase(first->second);
            m_ban_expiry.erase(first);
        }
        m_bans.emplace(key, until);
        m_ban_expiry.insert({until, key});
    }
    remove_matching(key);
}

void AddrBook::remove_matching(std::string_view banned_key) {
    if (auto it = m_index.find(banned_key); it != m_index.end()) erase(it->second);
    auto ip = IpAddress::parse(banned_key);
    if (!ip) return;
    std::vector<std::uint32_t> doomed;
    for (std::uint32_t i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].table != Table::none && m_entries[i].ip == *ip) doomed.push_back(i);
    }
    for (auto i : doomed)
        erase(i);
}

void AddrBook::prune_bans(base::TimePoint now) {
    while (!m_ban_expiry.empty() && m_ban_expiry.begin()->first <= now) {
        m_bans.erase(m_ban_expiry.begin()->second);
        m_ban_expiry.erase(m_ban_expiry.begin());
    }
}

bool AddrBook::is_banned(std::string_view id_or_ip, base::TimePoint now) const {
    if (m_bans.empty()) return false;
    const std::string canonical = ban_key(id_or_ip);
    auto it = m_bans.find(canonical);
    return it != m_bans.end() && it->second > now;
}

bool AddrBook::unban(std::string_view id_or_ip) {
    const std::string canonical = ban_key(id_or_ip);
    auto it = m_bans.find(canonical);
    if (it == m_bans.end()) return false;
    m_ban_expiry.erase({it->second, it->first});
    m_bans.erase(it);
    return true;
}

bool AddrBook::remove_address(const NetAddress& address) {
    auto index = lookup(address);
    if (!index) return false;
    erase(*index);
    return true;
}

std::optional<NetAddress> AddrBook::pick_address(unsigned new_bias_percent, base::TimePoint now,
                                                 base::Random& rng) const {
    if (size() == 0) return std::nullopt;
    const unsigned bias = std::min(new_bias_percent, 100u);
    bool from_new = false;
    if (m_old_list.empty()) {
        from_new = true;
    } else if (!m_new_list.empty()) {
        from_new = rng.uniform(100) < bias;
    }
    const auto& list = from_new ? m_new_list : m_old_list;
    // Bitcoin Core's Select: a uniform entry, accepted with its chance times a factor that grows
    // 1.2x per rejection, so recently tried and failing entries are drawn less but never starve.
    double factor = 1.0;
    for (int tries = 0; tries < 200; ++tries) {
        const Entry& e = m_entries[list[rng.uniform(list.size())]];
        double chance = 1.0;
        if (e.last_attempt != k_never && now - e.last_attempt < 10min) chance *= 0.01;
        chance *= k_attempt_penalty[std::min<std::uint32_t>(e.attempts, 8)];
        if (rng.uniform_real() < chance * factor) return e.address;
        factor *= 1.2;
    }
    return m_entries[list[rng.uniform(list.size())]].address;
}

std::vector<NetAddress> AddrBook::get_selection(base::Random& rng) const {
    std::vector<std::uint32_t> candidates;
    candidates.reserve(size());
    for (const auto* list : {&m_new_list, &m_old_list}) {
        for (auto i : *list) {
            const Entry& e = m_entries[i];
            if (!e.address.id.empty() && m_private_ids.find(e.address.id) != m_private_ids.end()) continue;
            candidates.push_back(i);
        }
    }
    // CometBFT's getSelection sizing.
    const std::size_t total = candidates.size();
    std::size_t n =
        std::max(std::min(m_options.selection_min, total), total * m_options.selection_percent / 100);
    n = std::min(n, m_options.selection_max);
    std::vector<NetAddress> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = i + rng.uniform(total - i);
        std::swap(candidates[i], candidates[j]);
        out.push_back(m_entries[candidates[i]].address);
    }
    return out;
}

std::optional<AddressInfo> AddrBook::find(const NetAddress& address) const {
    auto index = lookup(address);
    if (!index) return std::nullopt;
    const Entry& e = m_entries[*index];
    AddressInfo info;
    info.address = e.address;
    info.source = e.source;
    info.in_old = e.table == Table::old;
    info.bucket = e.slot / m_options.bucket_size;
    info.attempts = e.attempts;
    if (e.last_attempt != k_never) info.last_attempt = e.last_attempt;
    if (e.last_success != k_never) info.last_success = e.last_success;
    info.added = e.added;
    return info;
}

}  // namespace peerlink::addrbook
