// Bitcoin address relay for one peer, sans-I/O (Bitcoin Core net_processing.cpp): getaddr answered
// once per connection and only for inbound peers, addr/addrv2 rate-limited by a token bucket,
// learned addresses stored in the shared AddrBook, our own address advertised after the handshake.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "addrbook/addr_book.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "profiles/bitcoin/messages.hpp"
#include "profiles/bitcoin/peer_state.hpp"

namespace peerlink::bitcoin {

struct AddrRelayOptions {
    /// MAX_ADDR_TO_SEND: more entries in one addr/addrv2 is misbehaviour.
    std::size_t max_entries = k_max_addr_entries;
    /// MAX_ADDR_RATE_PER_SECOND and MAX_ADDR_PROCESSING_TOKEN_BUCKET.
    double rate_per_second = 0.1;
    double bucket_max = 1000.0;
    /// Core starts each peer's bucket at one token (m_addr_token_bucket{1.0}).
    double bucket_initial = 1.0;
    /// getaddr replies: this percentage of the book (MAX_PCT_ADDR_TO_SEND), at most max_entries,
    /// cut from the book's get_selection (whose own percentage must not be smaller).
    std::size_t reply_percent = 23;
    /// An addr with at most this many entries, all fresh, is relayed on (Core: 10 entries, 10 min).
    std::size_t relay_max_entries = 10;
    std::int64_t relay_max_age_seconds = 600;
    /// Addresses remembered as known to the peer (Core's m_addr_known rolling filter holds 5000):
    /// never relayed back to it, which is what stops two nodes echoing an address forever.
    std::size_t known_capacity = 5000;
};

/// Book form of a wire address; nullopt for networks the book cannot hold (Tor, I2P, CJDNS).
std::optional<addrbook::NetAddress> to_book(const NetAddr& addr);
std::optional<addrbook::NetAddress> to_book(const AddrV2Entry& entry);
/// The addr form of an addrv2 entry: IPv4 and IPv6 only (nullopt for Tor, I2P, CJDNS).
std::optional<NetAddr> to_netaddr(const AddrV2Entry& entry);
/// The same addresses as BIP155 addrv2 (IPv4-mapped addresses become network 1, 4 bytes), for
/// peers that sent sendaddrv2.
AddrV2 to_addrv2(const Addr& addr);
/// Wire form of a book address (IPv4 becomes ::ffff:a.b.c.d); nullopt if the IP does not parse.
std::optional<NetAddr> to_wire(const addrbook::NetAddress& address, std::uint64_t services);

class AddrRelay {
public:
    struct Outcome {
        std::vector<Message> replies;
        /// Set when the peer misbehaved: disconnect and discourage it.
        std::optional<std::string> misbehaviour;
        /// Fresh addresses to pass on to other peers (unsolicited, small messages only).
        std::vector<TimedNetAddr> relay;
        /// Every address taken from this message (within the rate limit), for crawlers.
        std::vector<addrbook::NetAddress> learned;
    };

    /// `peer_ip` is the book's source for what this peer tells us.
    AddrRelay(AddrRelayOptions options, Direction direction, std::string peer_ip, base::TimePoint now);

    /// After the handshake: our address (when we listen) and, to outbound peers, getaddr; sending
    /// getaddr grants the peer max_entries tokens for its answer.
    std::vector<Message> on_handshake(const std::optional<NetAddr>& own, std::int64_t unix_now);
    /// getaddr/addr/addrv2 from the peer; any other message gives an empty outcome.
    Outcome on_message(const Message& message, base::TimePoint now, std::int64_t unix_now,
                       addrbook::AddrBook& book, base::Random& random);

    /// Drops the entries the peer already knows and remembers the rest as known; call before
    /// relaying `entries` to this peer.
    std::vector<TimedNetAddr> filter_unknown(const std::vector<TimedNetAddr>& entries);

    [[nodiscard]] std::size_t processed() const { return m_processed; }
    [[nodiscard]] std::size_t rate_limited() const { return m_rate_limited; }
    [[nodiscard]] bool answered_getaddr() const { return m_answered_getaddr; }
    [[nodiscard]] double tokens() const { return m_tokens; }

private:
    void refill(base::TimePoint now);
    /// Takes one token per address; false (counted) when the bucket is empty.
    bool take_token();
    Outcome on_getaddr(std::int64_t unix_now, const addrbook::AddrBook& book, base::Random& random);
    void learn(const addrbook::NetAddress& address, base::TimePoint now, addrbook::AddrBook& book,
               Outcome& out);

    /// True if `address` was not yet known to the peer (and now is).
    bool remember(const NetAddr& address);

    AddrRelayOptions m_options;
    Direction m_direction;
    std::string m_peer_ip;
    double m_tokens;
    base::TimePoint m_last_refill;
    bool m_answered_getaddr = false;
    std::size_t m_processed = 0;
    std::size_t m_rate_limited = 0;
    std::unordered_set<std::string> m_known;
    std::deque<std::string> m_known_order;  // oldest first, for the bound
};

}  // namespace peerlink::bitcoin
