// Flood gossip as a sans-I/O state machine: which messages are new, which peers still need each
// one, and which messages break the size rule. GossipReactor drives it; tests drive it directly.
// Not thread-safe: one owner serialises every call (GossipReactor holds a mutex around it).
#pragma once
#include <map>
#include <memory>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "gossip/message_sets.hpp"
#include "peer/node_id.hpp"

namespace peerlink::gossip {

enum class Errc {
    message_too_large = 1,  // a payload above max_message_size (received or offered to publish)
};
PEERLINK_DECLARE_ERRC(Errc)

struct CoreOptions {
    /// Largest payload; the channel's recv_message_capacity is set to it as well.
    std::size_t max_message_size = 64 * 1024;
    /// IDs remembered per peer as known to it (btcd's maxKnownInventory).
    std::size_t known_per_peer = 1000;
    /// How long a message ID stays in the seen-cache. A copy arriving later is new again, so this
    /// must exceed the time a message takes to cross the network (gossipsub's seen TTL: 2 min).
    base::Duration seen_ttl = std::chrono::minutes(2);
    /// Bound on the seen-cache (about 100 bytes each); the oldest IDs go first when it is full.
    std::size_t seen_capacity = 100'000;
};

/// The content address of a payload: SHA-256 (crypto::sha256).
MessageId message_id(base::ByteView payload);

class GossipCore {
public:
    /// Throws std::invalid_argument for zero sizes or capacities. `key` keys the ID hash tables.
    GossipCore(CoreOptions options, addrbook::SipKey key);

    /// A peer connected; it starts knowing nothing. A second call for the same ID (a newer
    /// connection to that node) starts it over.
    void add_peer(const peer::NodeId& peer);
    void remove_peer(const peer::NodeId& peer);

    struct Received {
        enum class Kind {
            delivered,  // first receipt: hand to the application and send to `relay_to`
            duplicate,  // already seen: nothing to do
            oversized,  // above max_message_size: disconnect the sender
        };
        Kind kind = Kind::duplicate;
        MessageId id{};
        /// Connected peers not known to have it, never the sender; now marked as knowing it.
        std::vector<peer::NodeId> relay_to;
    };
    /// A message from `from`, marked as knowing it.
    Received on_message(const peer::NodeId& from, base::ByteView payload, base::TimePoint now);

    struct Published {
        MessageId id{};
        std::vector<peer::NodeId> send_to;
    };
    /// A message of our own: marked seen, sent to every peer not known to have it. Publishing a
    /// seen message again reaches only peers that connected since. Fails for an oversized payload.
    base::Result<Published> publish(base::ByteView payload, base::TimePoint now);

    [[nodiscard]] bool knows(const peer::NodeId& peer, const MessageId& id) const;
    [[nodiscard]] std::size_t peer_count() const { return m_known.size(); }
    [[nodiscard]] std::size_t seen_size() const { return m_seen.size(); }
    [[nodiscard]] const CoreOptions& options() const { return m_options; }

private:
    /// Every peer except `except` not known to have `id`, each marked as knowing it.
    std::vector<peer::NodeId> targets(const MessageId& id, const peer::NodeId* except);

    CoreOptions m_options;
    addrbook::SipKey m_key;
    SeenCache m_seen;
    std::map<peer::NodeId, std::unique_ptr<MruSet>> m_known;
};

}  // namespace peerlink::gossip

PEERLINK_ERROR_ENUM_TRAIT(peerlink::gossip::Errc)
