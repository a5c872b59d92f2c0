// The address book as the connection manager's AddressSource: draws with CometBFT's new/old
// bias, spreads outbound peers over netgroups (one per group unless the book has no other
// choice, or strictly one: Bitcoin), backs off per address (2^attempts s + jitter, like CometBFT's PEX
// dialer) and records every outcome in the book (attempt, good, bad after too many failures). Network thread
// only.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "addrbook/addr_book.hpp"
#include "addrbook/netgroup.hpp"
#include "connmgr/address_source.hpp"

namespace peerlink::connmgr {

// Every default is CometBFT's behaviour; the Bitcoin profile changes them (see its node.cpp).
struct BookSourceOptions {
    /// CometBFT's maxAttemptsToDial: after this many failed dials in a row an address is marked
    /// bad. 0: never (Bitcoin's addrman lets failing addresses age out instead).
    unsigned max_attempts = 16;
    /// Added at random to each backoff (CometBFT: dialRandomizerIntervalMilliseconds).
    base::Duration backoff_jitter = std::chrono::seconds(3);
    /// CometBFT's 2^failures s (+ jitter) wait before an address that failed is picked again.
    bool backoff = true;
    /// Profiles without node IDs (Bitcoin): the book's entries carry no ID, each address is given
    /// this one, and the book is addressed by IP and port alone. Empty: IDs are the book's (hex).
    std::function<peer::NodeId(const std::string& host, std::uint16_t port)> derive_id{};
    /// The key of the one-outbound-per-group rule; nullopt skips the address. Empty: the address's
    /// addrbook::netgroup (its host when it has none).
    std::function<std::optional<std::string>(const peer::PeerAddress&)> group_key{};
    /// True: a second outbound peer in a group is allowed when the book offers nothing else
    /// (CometBFT, fine for a local testnet); false: never (Bitcoin Core).
    bool group_fallback = true;
    /// Addresses being dialled (ConnManager::dialing): their groups count as taken. Empty: only
    /// connected outbound peers take a group.
    std::function<std::vector<peer::PeerAddress>()> dialing{};
};

class BookAddressSource final : public AddressSource {
public:
    /// `outbound_count` tells the current number of outbound peers (for the new/old bias).
    BookAddressSource(addrbook::AddrBook& book, base::Random& random,
                      std::function<std::size_t()> outbound_count, BookSourceOptions options = {});

    std::vector<peer::PeerAddress> pick_addresses(std::size_t n, base::TimePoint now,
                                                  const Usable& usable) override;
    void on_dial_started(const peer::PeerAddress& address, base::TimePoint now) override;
    void on_dial_failed(const peer::PeerAddress& address, base::TimePoint now) override;
    void on_connected(const peer::PeerAddress& address, base::TimePoint now) override;
    void on_disconnected(const peer::PeerAddress& address) override;

    static addrbook::NetAddress to_book(const peer::PeerAddress& address);
    static std::optional<peer::PeerAddress> from_book(const addrbook::NetAddress& address);

private:
    struct DialHistory {
        unsigned failures = 0;
        base::TimePoint last{};
        base::Duration jitter{};
    };
    [[nodiscard]] bool too_early(const peer::PeerAddress& address, base::TimePoint now) const;
    [[nodiscard]] std::optional<std::string> group_key(const peer::PeerAddress& address) const;
    [[nodiscard]] std::optional<peer::PeerAddress> to_peer(const addrbook::NetAddress& address) const;
    [[nodiscard]] addrbook::NetAddress book_address(const peer::PeerAddress& address) const;

    addrbook::AddrBook& m_book;
    base::Random& m_random;
    std::function<std::size_t()> m_outbound_count;
    BookSourceOptions m_options;
    std::map<std::string, DialHistory> m_history;          // failing addresses only; bounded by the book
    std::map<std::string, std::size_t> m_outbound_groups;  // netgroup -> connected outbound peers
};

}  // namespace peerlink::connmgr
