// CometBFT's PEX (peer exchange, channel 0x00) as a sans-I/O core: the wire messages and the
// rules (p2p/pex/pex_reactor.go): answer requests with a selection of the address book, tolerate
// the first requests and then one per min_request_interval, refuse unsolicited or oversized
// address lists, add received addresses with the sender as source. Network thread only; a
// reactor shim (pex_reactor) feeds it and carries out its actions.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "addrbook/addr_book.hpp"
#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "peer/node_id.hpp"
#include "peer/peer_info.hpp"

namespace peerlink::discovery {

inline constexpr std::uint8_t k_pex_channel = 0x00;
/// The PEX channel's receive capacity in CometBFT.
inline constexpr std::size_t k_pex_recv_message_capacity = 64000;
inline constexpr std::size_t k_max_addresses_per_message = 250;

enum class PexErrc {
    malformed = 1,       // not a PEX Message, or an address list entry that does not decode
    request_too_soon,    // a third request sooner than min_request_interval after the previous
    unsolicited_addrs,   // addresses we did not ask for
    too_many_addresses,  // more than 250 addresses in one message
};
PEERLINK_DECLARE_ERRC(PexErrc)

/// Message{oneof sum{PexRequest pex_request = 1; PexAddrs pex_addrs = 2;}},
/// PexAddrs{repeated NetAddress addrs = 1}, NetAddress{string id = 1; string ip = 2; uint32 port = 3}.
struct PexMessage {
    enum class Kind { request, addrs } kind = Kind::request;
    std::vector<addrbook::NetAddress> addrs;
};
base::Bytes encode(const PexMessage& message);
/// At most k_max_addresses_per_message + 1 entries are decoded (more is reported as
/// too_many_addresses by the core); nothing is allocated per entry beyond the bound.
base::Result<PexMessage> decode_pex(base::ByteView bytes);

struct PexOptions {
    /// CometBFT: a third of the 30 s ensure-peers period.
    base::Duration min_request_interval = std::chrono::seconds(10);
    bool seed_mode = false;
    base::Duration ban_duration = std::chrono::hours(24);
};

/// What the core asks its driver to do. Each action names a connected peer by ID.
struct PexAction {
    enum class Kind { send, disconnect_and_ban, disconnect_gracefully } kind = Kind::send;
    peer::NodeId peer;
    base::Bytes message;  // send: the encoded PEX message
    std::error_code reason;
};

/// Where a connected peer can be dialled: for an outbound peer the address we reached it at;
/// for an inbound one its advertised listen port, at its advertised host, or at the IP it came
/// from when it advertises an unspecified host (real nodes send tcp://0.0.0.0:26656).
addrbook::NetAddress dialable_address(const peer::PeerInfo& info);

class PexCore {
public:
    PexCore(PexOptions options, addrbook::AddrBook& book, base::Random& random);

    /// A peer came up. `address` is its dialable address (from NodeInfo.listen_addr for inbound
    /// peers, the dialled address for outbound ones). Outbound peers are asked for addresses when
    /// the book needs them; inbound peers' own addresses go into the book (source: themselves).
    std::vector<PexAction> on_peer_up(const peer::NodeId& id, const addrbook::NetAddress& address,
                                      bool outbound, base::TimePoint now);
    void on_peer_down(const peer::NodeId& id);
    /// A message on the PEX channel from `id` (whose address is `address`).
    std::vector<PexAction> on_message(const peer::NodeId& id, const addrbook::NetAddress& address,
                                      base::ByteView message, base::TimePoint now);
    /// Ask `id` for addresses (remembered, so its answer is not unsolicited).
    std::vector<PexAction> request_addresses(const peer::NodeId& id);
    [[nodiscard]] bool requested(const peer::NodeId& id) const;

private:
    PexOptions m_options;
    addrbook::AddrBook& m_book;
    base::Random& m_random;
    /// Per connected peer: requests we sent and are waiting for, and its request history.
    struct PeerState {
        bool awaiting_addrs = false;
        int requests_received = 0;  // saturates at 2: the rate rule only needs first/second/later
        base::TimePoint last_request{};
        bool outbound = false;  // a seed answers inbound peers once and disconnects them
    };
    std::vector<PexAction> on_request(const peer::NodeId& id, PeerState& state,
                                      const addrbook::NetAddress& address, base::TimePoint now);
    std::vector<PexAction> on_addrs(const peer::NodeId& id, PeerState& state,
                                    const addrbook::NetAddress& address,
                                    const std::vector<addrbook::NetAddress>& addrs, base::TimePoint now);
    /// Bans `address` in the book and asks the driver to drop the peer.
    std::vector<PexAction> ban(const peer::NodeId& id, const addrbook::NetAddress& address,
                               base::TimePoint now, PexErrc reason);
    [[nodiscard]] PexAction send(const peer::NodeId& id, const PexMessage& message) const;
    [[nodiscard]] PexMessage selection() const;

    std::map<peer::NodeId, PeerState> m_peers;
};

}  // namespace peerlink::discovery

PEERLINK_ERROR_ENUM_TRAIT(peerlink::discovery::PexErrc)
