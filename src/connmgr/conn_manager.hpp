// Decides which connections to make and which to accept: inbound admission (pending-handshake cap,
// per-IP throttle, allow list, peer limits, duplicate IP and ID), outbound slots filled from an
// AddressSource, and the reconnect schedules of persistent (CometBFT) and static (geth) peers.
// Sans-I/O: it is told what happened and when, and answers decisions and addresses to dial.
// Node thread only; the AddressSource and Random must outlive it.
#pragma once
#include <algorithm>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "connmgr/address_source.hpp"
#include "connmgr/inbound_throttle.hpp"
#include "connmgr/ip_address.hpp"
#include "connmgr/redial_schedule.hpp"
#include "peer/node_id.hpp"

namespace peerlink::connmgr {

struct Options {
    /// max_num_inbound_peers; unconditional and trusted peers may exceed it.
    std::size_t max_inbound = 40;
    /// max_num_outbound_peers: poll() fills outbound slots up to this, counting dials in flight.
    /// Persistent, static, unconditional and trusted peers may exceed it.
    std::size_t max_outbound = 10;
    /// Inbound handshakes in progress plus dials in flight. Inbound sockets over it are refused and
    /// no new address-source dial starts; persistent and static redials are never held back by
    /// it, so a flood of inbound sockets cannot cut us off from them.
    std::size_t max_pending_handshakes = 50;
    /// At most this many admitted inbound attempts per IP within inbound_attempt_window; 0 = no limit.
    std::size_t max_inbound_attempts_per_ip = 4;
    base::Duration inbound_attempt_window = std::chrono::seconds(30);
    /// geth exempts LAN and loopback addresses from its inbound throttle (netutil.IsLAN); tests on
    /// loopback turn this off to exercise the throttle.
    bool throttle_exempt_lan = false;
    /// Bound of the per-IP attempt table; past it the IP whose last attempt is oldest is forgotten.
    std::size_t max_tracked_ips = 4096;
    bool allow_duplicate_ip = false;
    /// NetRestrict-style allow list ("10.0.0.0/8", "2001:db8::/32"); empty allows every address.
    /// A malformed entry makes the constructor throw std::invalid_argument.
    std::vector<std::string> allow_cidrs{};
    /// TCP connect deadline for the dialer driver; the manager only carries it.
    /// Connect timeout the driver applies to each dial (CometBFT config key dial_timeout).
    base::Duration dial_timeout = std::chrono::seconds(3);
    /// An address from the AddressSource is not dialled again within this of its last dial.
    base::Duration dial_history = std::chrono::seconds(30);
    /// Extra random wait in [0, redial_jitter) before each persistent or static redial (CometBFT's
    /// dialRandomizerIntervalMilliseconds).
    base::Duration redial_jitter = std::chrono::seconds(3);
    /// persistent_peers_max_dial_period: caps every redial wait when non-zero, and then persistent
    /// peers are never given up (CometBFT's PEX keeps dialling them at that period). 0 = no cap.
    base::Duration persistent_max_dial_period{0};
    /// Cap on connected peers of both directions together (the seed documents' max_connections);
    /// 0 = only the two limits above. Exempt peers as for the limits above.
    std::size_t max_connections = 0;
    /// Non-zero: geth's static-node rule instead of the CometBFT schedule. A static peer is
    /// redialled as soon as this much time has passed since its previous dial started (geth's
    /// 35 s dial history), at once when that is already past, and never given up.
    base::Duration static_redial_interval{0};
    /// Non-zero: btcd connmgr's permanent-peer rule instead of the CometBFT schedule. A persistent
    /// peer waits failures x redial_linear_step (capped by persistent_max_dial_period when set)
    /// after each failed dial and after a drop, and is never given up. 0 = CometBFT schedule.
    base::Duration redial_linear_step{0};
    /// Also refuse an accepted socket while established plus handshaking inbound connections reach
    /// max_inbound (Bitcoin Core's AcceptConnection). Off: max_inbound is checked by admit_peer
    /// only, after the handshake (CometBFT, geth). Unconditional and trusted IDs are unknown at
    /// accept, so they cannot be exempted here.
    bool inbound_limit_at_accept = false;
    /// Bound of the queue of dial_once requests waiting for a pending-handshake slot.
    std::size_t max_queued_one_shot = 256;
};

enum class Errc {
    too_many_inbound = 1,  // max_inbound reached
    too_many_outbound,     // max_outbound reached
    too_many_pending,      // max_pending_handshakes reached
    ip_throttled,          // too many inbound attempts from this IP within the window
    ip_not_allowed,        // outside allow_cidrs
    duplicate_ip,          // a peer with this IP is already connected
    already_connected,     // a peer with this node ID is already connected
    self,                  // the remote is this node
    bad_ip,                // not an IPv4 or IPv6 address
    too_many_connections,  // max_connections reached
};
PEERLINK_DECLARE_ERRC(Errc)

class ConnManager {
public:
    struct DialPlan {
        /// Dial each now; each counts as dialling until on_peer_up (outbound) or on_dial_failed.
        std::vector<peer::PeerAddress> dial_now;
        /// Persistent peers whose reconnect schedule ran out since the last poll (CometBFT logs
        /// "Failed to reconnect to peer. Giving up"); reported once.
        std::vector<peer::PeerAddress> gave_up;
        /// Call poll() again at this time, or earlier after any on_* call or when the address
        /// source learns addresses. TimePoint::max() when nothing is scheduled.
        base::TimePoint wake_at = base::TimePoint::max();
    };

    /// Throws std::invalid_argument for a malformed options.allow_cidrs entry.
    ConnManager(Options options, AddressSource& source, base::Random& random, peer::NodeId self);

    /// Kept connected: dialled at the next poll, redialled on the CometBFT schedule after a drop or
    /// a failed dial, given up after 30 failed dials in a row (never while
    /// persistent_max_dial_period or redial_linear_step is set). Adding an ID again replaces its address and
    /// restarts its schedule. Never dialled while its ID or address is ours or it is outside allow_cidrs.
    void add_persistent(peer::PeerAddress address);
    /// Like persistent (geth's static nodes), but never given up.
    void add_static(peer::PeerAddress address);
    /// CometBFT unconditional_peer_ids: admitted over the inbound and outbound limits.
    void add_unconditional(const peer::NodeId& id);
    /// geth trusted nodes: admitted over the inbound and outbound limits.
    void add_trusted(const peer::NodeId& id);

    /// May an accepted socket from `ip` start its handshake? Checks the allow list, the pending
    /// handshake cap and the per-IP attempt limit. On success it holds a pending slot until
    /// on_inbound_handshake_finished.
    [[nodiscard]] base::Result<void> admit_connection(std::string_view ip, base::TimePoint now);
    /// Releases the slot taken by a successful admit_connection, whatever the handshake's outcome.
    void on_inbound_handshake_finished();

    /// May a peer that completed its handshake join? Refuses self, an ID already connected (the
    /// later of two connections to one node loses, as in CometBFT), an IP outside the allow list,
    /// the inbound or outbound limit, and a second peer from one IP. Pure check: call on_peer_up
    /// in the same turn when the peer is added.
    [[nodiscard]] base::Result<void> admit_peer(const peer::NodeId& id, std::string_view ip,
                                                peer::Direction direction) const;
    /// Records a connected peer; an outbound one ends the dial to its ID.
    /// `now` is passed on to the address source's outcome hooks.
    void on_peer_up(const peer::NodeId& id, std::string_view ip, peer::Direction direction,
                    base::TimePoint now = {});
    /// Forgets a peer; a persistent or static one is redialled at once, then on its schedule
    /// (with redial_linear_step, after one step).
    void on_peer_down(const peer::NodeId& id, base::TimePoint now);
    /// Ends a dial returned by poll (connect, handshake or admission failed); persistent and
    /// static peers get their next redial scheduled. Ignored for an address not being dialled.
    void on_dial_failed(const peer::PeerAddress& address, base::TimePoint now);
    /// Dials `address` once at the next poll, outside the outbound slots (CometBFT's
    /// DialPeersAsync and a seed's crawl): the peer it reaches is admitted over max_outbound and is
    /// not redialled. Still bounded by max_pending_handshakes (queued until there is room).
    /// False when it is ours, outside the allow list, connected, being dialled, or when
    /// max_queued_one_shot dials are already queued.
    bool dial_once(peer::PeerAddress address);
    /// `address` turned out to reach this node: its host and port are never dialled again (an
    /// in-flight dial to it ends here, with no redial).
    void on_self_address(const peer::PeerAddress& address);

    /// Inside allow_cidrs (always true when the list is empty); false for a non-IP text.
    [[nodiscard]] bool ip_allowed(std::string_view ip) const {
        const auto parsed = IpAddress::parse(ip);
        return parsed && allowed(*parsed);
    }

    /// Due persistent and static redials, then outbound slots filled from the AddressSource.
    DialPlan poll(base::TimePoint now);

    [[nodiscard]] const Options& options() const { return m_options; }
    [[nodiscard]] std::size_t inbound_count() const { return m_inbound; }
    [[nodiscard]] std::size_t outbound_count() const { return m_outbound; }
    [[nodiscard]] std::size_t dialing_count() const { return m_dialing.size(); }
    /// Inbound handshakes in progress plus dials in flight.
    [[nodiscard]] std::size_t pending_handshakes() const { return m_inbound_pending + m_dialing.size(); }
    [[nodiscard]] bool is_connected(const peer::NodeId& id) const { return m_peers.contains(id); }
    /// The direction of the connected peer `id`, if connected.
    [[nodiscard]] std::optional<peer::Direction> direction_of(const peer::NodeId& id) const {
        const auto found = m_peers.find(id);
        return found == m_peers.end() ? std::nullopt : std::optional(found->second.direction);
    }
    [[nodiscard]] bool is_dialing(const peer::NodeId& id) const { return m_dialing.contains(id); }
    /// A dial_once request still waiting for a pending-handshake slot.
    [[nodiscard]] bool is_queued_one_shot(const peer::NodeId& id) const {
        return std::any_of(m_one_shot_queue.begin(), m_one_shot_queue.end(),
                           [&](const peer::PeerAddress& a) { return a.id == id; });
    }
    /// Connected peers in one direction, in no particular order.
    [[nodiscard]] std::vector<peer::NodeId> peers(peer::Direction direction) const;
    /// Addresses being dialled, in no particular order.
    [[nodiscard]] std::vector<peer::PeerAddress> dialing() const;
    /// IPs in the per-IP attempt table (bounded by Options::max_tracked_ips).
    [[nodiscard]] std::size_t tracked_ip_count() const { return m_throttle.size(); }

private:
    struct Peer {
        std::optional<IpAddress> ip;
        peer::Direction direction;
        std::optional<peer::PeerAddress> dialed;  // outbound: the address we dialled
    };
    struct Redial {
        peer::PeerAddress address;
        bool is_static = false;
        unsigned failures = 0;                     // consecutive failed dials since the last success
        std::optional<base::TimePoint> due;        // nullopt: connected, dialling, given up or self
        std::optional<base::TimePoint> last_dial;  // when the latest dial to it started
    };

    [[nodiscard]] bool allowed(const IpAddress& ip) const;
    [[nodiscard]] bool is_self_endpoint(const peer::PeerAddress& address) const;
    /// Not us and not outside the allow list (host names pass; admit_peer checks their IP).
    [[nodiscard]] bool dialable(const peer::PeerAddress& address) const;
    [[nodiscard]] bool usable_for_fill(const peer::PeerAddress& address) const;
    [[nodiscard]] bool exempt_from_limits(const peer::NodeId& id) const;
    void add_redial(peer::PeerAddress address, bool is_static);
    void remove_peer(std::unordered_map<peer::NodeId, Peer>::iterator found);
    void schedule_redial(Redial& redial, base::TimePoint now);
    /// geth's rule for a static peer when static_redial_interval is set, else nullopt.
    [[nodiscard]] std::optional<base::TimePoint> static_due(const Redial& redial, base::TimePoint now) const;
    [[nodiscard]] bool is_lan(const IpAddress& ip) const;
    void expire_history(base::TimePoint now);
    void remember_dialled(const peer::PeerAddress& address, base::TimePoint now);

    Options m_options;
    AddressSource& m_source;
    base::Random& m_random;
    peer::NodeId m_self;
    std::vector<Cidr> m_allow;
    std::vector<Cidr> m_lan;  // netutil.IsLAN's blocks, when throttle_exempt_lan
    InboundThrottle m_throttle;

    std::unordered_map<peer::NodeId, Peer> m_peers;
    std::unordered_map<IpAddress, std::size_t> m_peers_per_ip;
    std::size_t m_inbound = 0;
    std::size_t m_outbound = 0;
    std::size_t m_inbound_pending = 0;
    std::unordered_map<peer::NodeId, peer::PeerAddress> m_dialing;  // at most one dial per ID
    std::deque<peer::PeerAddress> m_one_shot_queue;                 // dial_once, waiting for a pending slot
    std::unordered_set<peer::NodeId> m_one_shot_dialing;            // dial_once dials in flight

    std::map<peer::NodeId, Redial> m_redials;  // ordered, so redials come out in a stable order
    std::vector<peer::PeerAddress> m_gave_up;  // until the next poll reports them
    std::unordered_set<peer::NodeId> m_unconditional;
    std::unordered_set<peer::NodeId> m_trusted;
    std::deque<std::pair<std::string, std::uint16_t>> m_self_endpoints;  // host, port; bounded

    // Dial history of AddressSource dials: address text -> expiry, plus expiries in dial order.
    std::unordered_map<std::string, base::TimePoint> m_history;
    std::deque<std::pair<base::TimePoint, std::string>> m_history_order;
};

}  // namespace peerlink::connmgr

PEERLINK_ERROR_ENUM_TRAIT(peerlink::connmgr::Errc)
