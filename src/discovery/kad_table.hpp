// A sans-I/O Kademlia node table as geth's p2p/discover/table.go (v1.12): 17 buckets of 16 nodes by log
// distance, replacement lists, /24 IP limits per bucket and per table, and revalidation bookkeeping.
// Generic: IDs are 32-byte hashes (discv4: Keccak-256 of the public key); no crypto, no sockets.
// Network thread only; time and randomness are passed in.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "addrbook/netgroup.hpp"
#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"

namespace peerlink::discovery {

/// A node's position in the keyspace.
using KadId = std::array<std::uint8_t, 32>;

/// The number of the highest differing bit of a XOR b, 1-based (0 when equal, 256 at most).
int log_distance(const KadId& a, const KadId& b);
/// -1 if a is closer to target than b, 1 if farther, 0 if equally far (same ID).
int distance_cmp(const KadId& target, const KadId& a, const KadId& b);

/// geth's netutil.IsLAN: loopback, 0/8, 10/8, 172.16/12, 192.168/16, fe80::/10, fc00::/7.
bool is_lan(const addrbook::IpAddress& ip);

namespace kad {
inline constexpr std::size_t k_bucket_size = 16;
inline constexpr std::size_t k_max_replacements = 10;
inline constexpr int k_hash_bits = 256;
inline constexpr std::size_t k_buckets = k_hash_bits / 15;                               // 17
inline constexpr int k_bucket_min_distance = k_hash_bits - static_cast<int>(k_buckets);  // 239
inline constexpr base::Duration k_revalidate_interval = std::chrono::seconds(10);
}  // namespace kad

/// A node as the table stores it. `key` is the profile's public key the ID derives from (discv4: the
/// 64-byte uncompressed secp256k1 key without prefix); the table never looks into it.
struct KadNode {
    KadId id{};
    base::Bytes key;
    addrbook::IpAddress ip;
    std::uint16_t udp_port = 0;
    std::uint16_t tcp_port = 0;
    friend bool operator==(const KadNode&, const KadNode&) = default;
};

struct KadTableOptions {
    /// geth exempts LAN addresses from the IP limits; tests turn this off.
    bool exempt_lan = true;
    std::size_t bucket_ip_limit = 2;
    std::size_t table_ip_limit = 10;
    /// Prefix length of the IP limits, for IPv4 and IPv6 alike (geth's DistinctNetSet).
    unsigned subnet_bits = 24;
};

class KadTable {
public:
    enum class AddResult {
        added,            // a new bucket entry
        moved_to_front,   // add_verified of a present node
        already_present,  // add_seen of a present node: nothing changes
        replacement,      // bucket full: kept in (or already in) its replacement list
        ip_limit,         // refused: its /24 is at the bucket or table limit
        rejected,         // our own ID, or no IP address
    };

    struct Entry {
        KadNode node;
        base::TimePoint added_at{};
        std::uint32_t liveness_checks = 0;
    };

    struct Stats {
        std::size_t nodes = 0;
        std::size_t replacements = 0;
        std::size_t non_empty_buckets = 0;
        std::array<std::size_t, kad::k_buckets> bucket_sizes{};
    };

    KadTable(const KadId& self, KadTableOptions options, base::Random& random);

    [[nodiscard]] const KadId& self() const { return m_self; }

    /// A node we heard of but have not verified: appended to the end of its bucket if there is room,
    /// else kept as a replacement.
    AddResult add_seen(const KadNode& node, base::TimePoint now);
    /// A node that just proved it is alive (answered us, or pinged us and was bonded): moved or added to
    /// the front of its bucket, else kept as a replacement. A changed endpoint must fit the IP limits.
    AddResult add_verified(const KadNode& node, base::TimePoint now);
    /// Removes a bucket entry (not a replacement); false if absent.
    bool remove(const KadId& id);

    [[nodiscard]] const Entry* find(const KadId& id) const;
    [[nodiscard]] bool contains(const KadId& id) const { return find(id) != nullptr; }

    /// The `n` entries closest to `target` by XOR distance, closest first. With `prefer_live`, only
    /// nodes that passed a liveness check, unless there are none (geth's findnodeByID).
    [[nodiscard]] std::vector<KadNode> closest(const KadId& target, std::size_t n,
                                               bool prefer_live = false) const;

    /// The node to ping next: the last entry of a random non-empty bucket; nullopt when empty.
    [[nodiscard]] std::optional<KadNode> node_to_revalidate();
    /// Delay to the next revalidation: uniform in [0, 10 s) as geth's nextRevalidateTime.
    [[nodiscard]] base::Duration next_revalidate_delay();
    /// The node answered the revalidation ping: counted live and moved to the front. `node` may
    /// carry an updated endpoint.
    void revalidation_succeeded(const KadNode& node);
    /// The node did not answer: if it is still the last entry of its bucket it is replaced by a random
    /// replacement (returned), or removed when there is none.
    std::optional<KadNode> revalidation_failed(const KadId& id, base::TimePoint now);

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::size_t bucket_index(const KadId& id) const;
    [[nodiscard]] const std::vector<Entry>& bucket_entries(std::size_t index) const {
        return m_buckets.at(index).entries;
    }
    [[nodiscard]] const std::vector<KadNode>& bucket_replacements(std::size_t index) const {
        return m_buckets.at(index).replacements;
    }
    [[nodiscard]] std::vector<KadNode> nodes() const;
    [[nodiscard]] Stats stats() const;

private:
    /// Counts addresses per subnet (geth's netutil.DistinctNetSet).
    class NetCounter {
    public:
        NetCounter(std::size_t limit, unsigned subnet_bits) : m_limit(limit), m_bits(subnet_bits) {}
        bool add(const addrbook::IpAddress& ip);
        void remove(const addrbook::IpAddress& ip);

    private:
        std::array<std::uint8_t, 17> key(const addrbook::IpAddress& ip) const;
        std::size_t m_limit;
        unsigned m_bits;
        std::map<std::array<std::uint8_t, 17>, std::size_t> m_counts;
    };

    struct Bucket {
        std::vector<Entry> entries;         // most recently active first
        std::vector<KadNode> replacements;  // most recently seen first
        NetCounter ips;
    };

    Bucket& bucket_for(const KadId& id) { return m_buckets[bucket_index(id)]; }
    bool add_ip(Bucket& b, const addrbook::IpAddress& ip);
    void remove_ip(Bucket& b, const addrbook::IpAddress& ip);
    AddResult add_replacement(Bucket& b, const KadNode& node);
    bool bump(Bucket& b, const KadNode& node);
    void delete_replacement(Bucket& b, const KadId& id);

    KadId m_self;
    KadTableOptions m_options;
    base::Random& m_random;
    std::vector<Bucket> m_buckets;
    NetCounter m_ips;
};

}  // namespace peerlink::discovery
