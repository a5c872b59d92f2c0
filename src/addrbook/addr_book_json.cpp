// addrbook.json: the book's key, every entry with its table and history, and the bans. Entries are
// re-placed on load with the persisted key, so the buckets come back as they were.
#include <nlohmann/json.hpp>

#include <limits>

#include "addrbook/addr_book.hpp"
#include "base/file.hpp"

namespace peerlink::addrbook {

namespace {

constexpr int k_version = 1;
constexpr base::TimePoint k_never = base::TimePoint::min();
constexpr std::int64_t k_max_unix = std::int64_t{1} << 33;  // year 2242; nanoseconds still fit in 64 bits
constexpr std::uint32_t k_max_attempts = 1000;
constexpr base::Duration k_max_ban = std::chrono::hours(24 * 365 * 10);

using nlohmann::json;

std::int64_t to_unix(base::TimePoint t, base::TimePoint now, WallTime wall_now) {
    if (t == k_never) return 0;
    const WallTime wall = wall_now + std::chrono::duration_cast<WallTime::duration>(t - now);
    return std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count();
}

/// Unix seconds back to the steady clock; 0 is never, the future is clamped to now.
base::TimePoint from_unix(std::int64_t s, base::TimePoint now, WallTime wall_now) {
    if (s <= 0) return k_never;
    const WallTime wall{std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(s))};
    if (wall >= wall_now) return now;
    return now - std::chrono::duration_cast<base::Duration>(wall_now - wall);
}

const json* member(const json& j, const char* name) {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
}

std::optional<std::string> get_string(const json& j, const char* name) {
    const json* m = member(j, name);
    if (!m || !m->is_string()) return std::nullopt;
    return m->get<std::string>();
}

std::optional<std::int64_t> get_int(const json& j, const char* name, std::int64_t lo, std::int64_t hi) {
    const json* m = member(j, name);
    if (!m || !m->is_number_integer()) return std::nullopt;
    const auto v = m->get<std::int64_t>();
    if (v < lo || v > hi) return std::nullopt;
    return v;
}

}  // namespace

std::string AddrBook::to_json(base::TimePoint now, WallTime wall_now) const {
    json addrs = json::array();
    for (const auto* list : {&m_old_list, &m_new_list}) {
        for (auto i : *list) {
            const Entry& e = m_entries[i];
            addrs.push_back({{"id", e.address.id},
                             {"ip", e.address.ip},
                             {"port", e.address.port},
                             {"src", e.source},
                             {"table", e.table == Table::old ? "old" : "new"},
                             {"bucket", e.slot / m_options.bucket_size},
                             {"attempts", e.attempts},
                             {"last_attempt", to_unix(e.last_attempt, now, wall_now)},
                             {"last_success", to_unix(e.last_success, now, wall_now)},
                             {"added", to_unix(e.added, now, wall_now)}});
        }
    }
    json bans = json::array();
    for (const auto& [until, who] : m_ban_expiry) {
        if (until <= now) continue;
        bans.push_back({{"who", who}, {"until", to_unix(until, now, wall_now)}});
    }
    const auto key = m_key.to_bytes();
    const json doc = {{"version", k_version},
                      {"key", base::to_hex(key)},
                      {"addrs", std::move(addrs)},
                      {"bans", std::move(bans)}};
    return doc.dump(1);
}

std::error_code AddrBook::insert_loaded(Entry entry, bool old) {
    const Reach reach = classify(entry.ip);
    if (reach == Reach::unroutable || (m_options.strict && reach != Reach::routable)) return Errc::unroutable;
    if (m_index.find(std::string_view(entry.key)) != m_index.end()) return Errc::already_known;
    if (old) {
        const std::uint32_t slot = old_slot(entry.group, entry.key);
        if (m_old_slots[slot] == k_empty) {
            place(allocate(std::move(entry)), Table::old, slot);
            return {};
        }
    }
    const std::uint32_t slot = new_slot(entry.group, entry.source_group, entry.key);
    if (m_new_slots[slot] != k_empty) return Errc::bucket_full;
    place(allocate(std::move(entry)), Table::fresh, slot);
    return {};
}

base::Result<std::size_t> AddrBook::from_json(std::string_view text, base::TimePoint now, WallTime wall_now) {
    const json doc = json::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return base::fail(Errc::corrupt_file);
    const auto version = get_int(doc, "version", 0, std::numeric_limits<int>::max());
    if (!version) return base::fail(Errc::corrupt_file);
    if (*version != k_version) return base::fail(Errc::unsupported_version);
    const auto key_hex = get_string(doc, "key");
    const auto key_bytes = key_hex ? base::from_hex(*key_hex) : std::nullopt;
    const json* addrs = member(doc, "addrs");
    const json* bans = member(doc, "bans");
    if (!key_bytes || key_bytes->size() != 16 || !addrs || !addrs->is_array() || !bans || !bans->is_array()) {
        return base::fail(Errc::corrupt_file);
    }
    std::array<std::uint8_t, 16> key{};
    std::copy(key_bytes->begin(), key_bytes->end(), key.begin());

    AddrBook fresh(m_options, SipKey::from_bytes(key));
    fresh.m_our_ids = m_our_ids;
    fresh.m_our_endpoints = m_our_endpoints;
    fresh.m_private_ids = m_private_ids;

    for (const json& b : *bans) {
        if (!b.is_object()) continue;
        const auto who = get_string(b, "who");
        const auto until = get_int(b, "until", 0, k_max_unix);
        if (!who || !until) continue;
        const auto remaining = std::chrono::seconds(*until) -
                               std::chrono::duration_cast<std::chrono::seconds>(wall_now.time_since_epoch());
        if (remaining <= std::chrono::seconds(0)) continue;  // expired while we were down
        fresh.ban(*who, now, std::min<base::Duration>(remaining, k_max_ban));
    }

    std::size_t skipped = 0;
    const std::size_t limit = 2 * (fresh.m_new_slots.size() + fresh.m_old_slots.size());
    std::size_t seen = 0;
    for (const json& a : *addrs) {
        if (++seen > limit) {
            ++skipped;
            continue;
        }
        if (!a.is_object()) {
            ++skipped;
            continue;
        }
        auto id = get_string(a, "id");
        auto ip = get_string(a, "ip");
        auto port = get_int(a, "port", 1, 65535);
        auto src = get_string(a, "src");
        auto table = get_string(a, "table");
        auto attempts = get_int(a, "attempts", 0, std::numeric_limits<std::int32_t>::max());
        auto last_attempt = get_int(a, "last_attempt", 0, k_max_unix);
        auto last_success = get_int(a, "last_success", 0, k_max_unix);
        auto added = get_int(a, "added", 0, k_max_unix);
        if (!id || !ip || !port || !src || !table || !attempts || !last_attempt || !last_success || !added) {
            ++skipped;
            continue;
        }
        const NetAddress address{.id = *id, .ip = *ip, .port = static_cast<std::uint16_t>(*port)};
        auto p = fresh.parse(address);
        if (!p || fresh.is_ours(*p) || fresh.is_banned(p->key(), now) ||
            fresh.is_banned(p->ip.to_string(), now)) {
            ++skipped;
            continue;
        }
        Entry e;
        e.address = NetAddress{.id = p->has_id ? std::string(p->key()) : std::string(),
                               .ip = p->ip.to_string(),
                               .port = p->port};
        e.key = std::string(p->key());
        e.source = *src;
        e.ip = p->ip;
        e.group = placement_group(p->ip, p->port);
        e.source_group = source_group(*src);
        e.attempts = static_cast<std::uint32_t>(std::min<std::int64_t>(*attempts, k_max_attempts));
        e.last_attempt = from_unix(*last_attempt, now, wall_now);
        e.last_success = from_unix(*last_success, now, wall_now);
        const base::TimePoint added_at = from_unix(*added, now, wall_now);
        e.added = added_at == k_never ? now : added_at;
        if (fresh.insert_loaded(std::move(e), *table == "old")) ++skipped;
    }
    *this = std::move(fresh);
    return skipped;
}

base::Result<void> AddrBook::save(const std::filesystem::path& path, base::TimePoint now,
                                  WallTime wall_now) const {
    const std::string text = to_json(now, wall_now);
    return base::write_file_atomic(path, base::as_bytes(text));
}

base::Result<LoadReport> AddrBook::load(const std::filesystem::path& path, base::TimePoint now,
                                        WallTime wall_now) {
    LoadReport report;
    auto text = base::read_file(path, m_options.max_file_size);
    std::error_code why;
    if (!text) {
        if (text.error() == std::errc::no_such_file_or_directory) {
            report.status = LoadReport::Status::missing;
            report.message = "no address book at " + path.string() + "; starting with an empty book";
            return report;
        }
        if (text.error() != std::errc::file_too_large) return base::fail(text.error());
        why = text.error();
    } else {
        auto loaded = from_json(*text, now, wall_now);
        if (loaded) {
            report.status = LoadReport::Status::loaded;
            report.entries = size();
            report.bans = ban_count();
            report.skipped = *loaded;
            report.message = "loaded " + std::to_string(report.entries) + " addresses and " +
                             std::to_string(report.bans) + " bans from " + path.string();
            if (report.skipped) report.message += " (" + std::to_string(report.skipped) + " skipped)";
            return report;
        }
        why = loaded.error();
    }
    auto moved = base::set_aside(path);
    if (!moved) return base::fail(moved.error());
    // Start empty but keep our own addresses, private IDs and the key we were given.
    AddrBook empty(m_options, m_key);
    empty.m_our_ids = std::move(m_our_ids);
    empty.m_our_endpoints = std::move(m_our_endpoints);
    empty.m_private_ids = std::move(m_private_ids);
    *this = std::move(empty);
    report.status = LoadReport::Status::set_aside;
    report.moved_to = *moved;
    report.message = "address book " + path.string() + " is unreadable (" + why.message() +
                     "); moved it to " + moved->string() + " and starting with an empty book";
    return report;
}

}  // namespace peerlink::addrbook
