// The address book: every peer address we know, kept in Bitcoin Core-style "new" and "old"
// (tried) tables whose buckets are chosen by a secret key, so an attacker controlling a few
// netgroups can fill only a bounded share of it (eclipse resistance; see docs/addrbook.md).
// Sans-I/O except save/load; node thread only; owned by node assembly, lent to connmgr and PEX.
#pragma once
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "addrbook/error.hpp"
#include "addrbook/netgroup.hpp"
#include "addrbook/siphash.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"

namespace peerlink::addrbook {

using WallTime = std::chrono::system_clock::time_point;

/// Where a peer listens, as CometBFT's NetAddress: ID (hex, empty for profiles without IDs), IP, port.
struct NetAddress {
    std::string id;
    std::string ip;
    std::uint16_t port = 0;

    /// `id@ip:port`, or `ip:port` without an ID; IPv6 in brackets.
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const NetAddress&, const NetAddress&) = default;
};

struct Options {
    /// CometBFT's sizes: new 256 x 64, old 64 x 64.
    std::uint32_t new_bucket_count = 256;
    std::uint32_t old_bucket_count = 64;
    std::uint32_t bucket_size = 64;
    /// Addresses told to us by one source group reach at most this many new buckets.
    std::uint32_t new_buckets_per_source_group = 32;
    /// Addresses of one netgroup reach at most this many old buckets.
    std::uint32_t old_buckets_per_group = 8;
    /// addr_book_strict: only routable addresses; false (local testnets) also admits local/private.
    bool strict = true;
    std::size_t max_bans = 10'000;
    base::Duration default_ban = std::chrono::hours(24);
    /// An old entry that connected this recently is not displaced by a newly proven one.
    base::Duration old_replacement_protection = std::chrono::hours(4);
    /// PEX replies (CometBFT getSelection): this percentage of the book, at least min, at most max.
    std::size_t selection_percent = 23;
    std::size_t selection_min = 32;
    std::size_t selection_max = 250;
    /// Below this many addresses, needs_more_addresses() asks PEX for more (CometBFT: 1000).
    std::size_t need_address_threshold = 1000;
    /// addrbook.json larger than this is treated as corrupt.
    std::size_t max_file_size = 64u << 20;
};

/// A snapshot of one entry, for callers that show or test the book.
struct AddressInfo {
    NetAddress address;  // canonical: lower-case ID, canonical IP text
    std::string source;
    bool in_old = false;
    std::uint32_t bucket = 0;
    std::uint32_t attempts = 0;
    std::optional<base::TimePoint> last_attempt;
    std::optional<base::TimePoint> last_success;
    base::TimePoint added{};
};

struct LoadReport {
    enum class Status { loaded, missing, set_aside };
    Status status = Status::missing;
    std::size_t entries = 0;
    std::size_t bans = 0;
    std::size_t skipped = 0;  // entries that were invalid or found no slot
    std::filesystem::path moved_to;
    std::string message;  // one line for the log
};

class AddrBook {
public:
    /// `key` must be secret and random (crypto::random_bytes in production); a loaded book
    /// replaces it with the persisted one so buckets stay stable across restarts.
    AddrBook(Options options, SipKey key);

    /// Adds `address` to the new table as told by `source` (the telling peer's IP, or "seed",
    /// "config", "self"); an empty code means added. If the address's slot is taken, the occupant
    /// is evicted only when terrible (Bitcoin Core's IsTerrible), else the newcomer is dropped.
    std::error_code try_add_address(const NetAddress& address, std::string_view source, base::TimePoint now);
    bool add_address(const NetAddress& address, std::string_view source, base::TimePoint now) {
        return !try_add_address(address, source, now);
    }
    /// Our listen/external addresses: never stored, handed out or picked; removes them if present.
    void add_our_address(const NetAddress& address);
    [[nodiscard]] bool is_our_address(const NetAddress& address) const;
    /// private_peer_ids: may be dialled but never gossiped.
    void add_private_id(std::string_view id);

    /// A dial is starting; returns false for an unknown address.
    bool mark_attempt(const NetAddress& address, base::TimePoint now);
    /// A connection succeeded: moves the entry to the old table (test-before-evict on collision).
    bool mark_good(const NetAddress& address, base::TimePoint now);
    /// Bans the address (its ID, or its IP when it has none) and removes it from the tables.
    void mark_bad(const NetAddress& address, base::TimePoint now) {
        mark_bad(address, now, m_options.default_ban);
    }
    void mark_bad(const NetAddress& address, base::TimePoint now, base::Duration duration);
    /// Bans an ID or IP directly (a misbehaving peer that is not in the book).
    void ban(std::string_view id_or_ip, base::TimePoint now, base::Duration duration);
    [[nodiscard]] bool is_banned(std::string_view id_or_ip, base::TimePoint now) const;
    bool unban(std::string_view id_or_ip);
    bool remove_address(const NetAddress& address);

    /// CometBFT's bias for pick_address: min(outbound, 8) * 10 + 10 percent, so a node with few
    /// outbound peers draws mostly proven (old) addresses.
    static unsigned new_bias_for(std::size_t outbound) {
        return static_cast<unsigned>(std::min<std::size_t>(outbound, 8) * 10 + 10);
    }
    /// An address to dial: from the new table with probability new_bias_percent, else the old one,
    /// favouring entries not tried recently (Bitcoin Core's GetChance). nullopt if the book is empty.
    [[nodiscard]] std::optional<NetAddress> pick_address(unsigned new_bias_percent, base::TimePoint now,
                                                         base::Random& rng) const;
    /// A PEX reply: a random 23% of the book, at least 32 (if there are), at most 250; never
    /// private IDs.
    [[nodiscard]] std::vector<NetAddress> get_selection(base::Random& rng) const;

    [[nodiscard]] std::optional<AddressInfo> find(const NetAddress& address) const;
    [[nodiscard]] std::size_t size() const { return m_new_list.size() + m_old_list.size(); }
    [[nodiscard]] std::size_t new_count() const { return m_new_list.size(); }
    [[nodiscard]] std::size_t old_count() const { return m_old_list.size(); }
    [[nodiscard]] std::size_t ban_count() const { return m_bans.size(); }
    /// Bans in force at `now`: the banned ID or canonical IP and when the ban ends.
    [[nodiscard]] std::vector<std::pair<std::string, base::TimePoint>> bans(base::TimePoint now) const {
        std::vector<std::pair<std::string, base::TimePoint>> out;
        for (const auto& [key, until] : m_bans) {
            if (until > now) out.emplace_back(key, until);
        }
        return out;
    }
    [[nodiscard]] bool needs_more_addresses() const { return size() < m_options.need_address_threshold; }
    /// Calls fn(const NetAddress&) for every address in the new and old tables.
    template <typename Fn>
    void for_each_address(Fn&& fn) const {
        for (const auto& e : m_entries) {
            if (e.table != Table::none) fn(e.address);
        }
    }
    [[nodiscard]] const SipKey& key() const { return m_key; }
    [[nodiscard]] const Options& options() const { return m_options; }

    /// addrbook.json text. Times are stored as Unix seconds: `now` and `wall_now` are the same
    /// instant on the steady and the system clock.
    [[nodiscard]] std::string to_json(base::TimePoint now, WallTime wall_now) const;
    /// Replaces the book's contents (not our addresses or private IDs) with a parsed file;
    /// on failure the book is unchanged. Returns the number of entries skipped.
    base::Result<std::size_t> from_json(std::string_view text, base::TimePoint now, WallTime wall_now);
    /// Writes atomically (temp, fsync, rename): a crash leaves the old file or the new one.
    [[nodiscard]] base::Result<void> save(const std::filesystem::path& path, base::TimePoint now,
                                          WallTime wall_now) const;
    /// Missing file: empty book. Corrupt file: moved aside with base::set_aside, empty book, and
    /// the report says where it went. Fails only when the file cannot be read or moved.
    base::Result<LoadReport> load(const std::filesystem::path& path, base::TimePoint now, WallTime wall_now);

private:
    static constexpr std::uint32_t k_empty = ~std::uint32_t{0};
    static constexpr base::TimePoint k_never = base::TimePoint::min();
    enum class Table : std::uint8_t { none, fresh, old };
    struct Entry {
        NetAddress address;
        std::string key;  // lower-case ID, or canonical ip:port without an ID
        std::string source;
        IpAddress ip;
        NetGroup group;
        NetGroup source_group;
        std::uint32_t attempts = 0;
        base::TimePoint last_attempt = k_never;
        base::TimePoint last_success = k_never;
        base::TimePoint added{};
        Table table = Table::none;
        std::uint32_t slot = 0;      // index into the table's slots
        std::uint32_t list_pos = 0;  // index into m_new_list / m_old_list
    };
    static constexpr std::size_t k_max_id_hex = 128;  // devp2p's 64-byte public keys
    /// An address checked and reduced to what placement needs, without touching the heap.
    struct Parsed {
        IpAddress ip;
        std::uint16_t port = 0;
        bool has_id = false;
        std::array<char, k_max_id_hex + 64> buf{};
        std::size_t size = 0;
        [[nodiscard]] std::string_view key() const { return {buf.data(), size}; }
    };
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    using StringMap = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;
    using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

    [[nodiscard]] std::optional<Parsed> parse(const NetAddress& address) const;
    [[nodiscard]] bool is_ours(const Parsed& p) const;
    [[nodiscard]] std::optional<std::uint32_t> lookup(const NetAddress& address) const;
    [[nodiscard]] std::uint64_t hash(std::uint8_t tag, base::ByteView a, base::ByteView b) const;
    /// The group an address is placed by: its netgroup, except that without strict mode a local or
    /// private address is a group of its own (ip and port): on a one-host testnet every node is
    /// 127.0.0.1, and one group would put them all in one new bucket where they collide.
    [[nodiscard]] NetGroup placement_group(const IpAddress& ip, std::uint16_t port) const;
    [[nodiscard]] std::uint32_t new_slot(const NetGroup& group, const NetGroup& source,
                                         std::string_view key) const;
    [[nodiscard]] std::uint32_t old_slot(const NetGroup& group, std::string_view key) const;
    [[nodiscard]] bool is_terrible(const Entry& e, base::TimePoint now) const;
    std::uint32_t allocate(Entry entry);
    void place(std::uint32_t index, Table table, std::uint32_t slot);
    void unplace(std::uint32_t index);
    void erase(std::uint32_t index);
    void remove_matching(std::string_view banned_key);
    void prune_bans(base::TimePoint now);
    std::error_code insert_loaded(Entry entry, bool old);

    Options m_options;
    SipKey m_key;
    std::vector<Entry> m_entries;       // slab; freed entries have table == none
    std::vector<std::uint32_t> m_free;  // free slab indices
    StringMap m_index;                  // entry key -> slab index
    std::vector<std::uint32_t> m_new_slots;
    std::vector<std::uint32_t> m_old_slots;
    std::vector<std::uint32_t> m_new_list;  // slab indices in the new table, for uniform picks
    std::vector<std::uint32_t> m_old_list;
    StringSet m_our_ids;
    std::set<std::pair<std::array<std::uint8_t, 16>, std::uint16_t>> m_our_endpoints;
    StringSet m_private_ids;
    std::map<std::string, base::TimePoint, std::less<>> m_bans;      // ID or canonical IP -> until
    std::set<std::pair<base::TimePoint, std::string>> m_ban_expiry;  // the same, oldest expiry first
};

}  // namespace peerlink::addrbook
