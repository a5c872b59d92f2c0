// The gossip reactor: floods application messages to every connected peer on one channel (0x50
// by default), each message at most once per link and direction, never back to its sender.
//
// Wire: one MConnection message per gossip message, the application payload as is (no envelope).
// A message's ID is SHA-256 of its payload, so identical payloads are one message.
//
// Threads: add_peer/remove_peer/receive and the on_message callback run on the reactor's own
// thread (router::Reactor); publish() and stats() may be called from any thread. The GossipCore
// state is guarded by one mutex, held only while deciding; sends (Peer::try_send, thread-safe and
// non-blocking) and the callback run outside it, so the callback may call publish().
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <mutex>

#include "gossip/gossip_core.hpp"
#include "router/router.hpp"

namespace peerlink::gossip {

constexpr mux::ChannelId k_gossip_channel = 0x50;

struct ReactorOptions {
    /// Not 0x30 when peers run CometBFT: that is its mempool channel.
    mux::ChannelId channel = k_gossip_channel;
    int priority = 5;
    /// Whole messages queued per peer; a send to a full queue is dropped and counted.
    std::size_t send_queue_capacity = 100;
    /// max_message_size is also the channel's recv_message_capacity, so the MConnection stops a
    /// peer reassembling anything larger before it is buffered.
    CoreOptions core;
};

/// Counters since start; read from any thread.
struct GossipStats {
    std::uint64_t published = 0;   // publish() calls that succeeded
    std::uint64_t delivered = 0;   // first receipts handed to on_message
    std::uint64_t duplicates = 0;  // receipts of seen messages
    std::uint64_t relayed = 0;     // messages queued to peers (our own and relayed ones)
    std::uint64_t dropped = 0;     // sends refused by a full (or closing) peer queue
    std::uint64_t rejected = 0;    // oversized messages; the sender was disconnected
};

/// A first receipt: its ID, the payload (shared, no copy) and the peer it came from.
using OnMessage =
    std::function<void(const MessageId& id, const base::SharedBytes& payload, const peer::NodeId& from)>;

class GossipReactor final : public router::Reactor {
public:
    /// Throws std::invalid_argument for bad options. `on_message` may be empty.
    GossipReactor(ReactorOptions options, OnMessage on_message);

    std::vector<mux::ChannelDescriptor> channels() const override;
    void start(router::Router& router) override;
    void add_peer(const peer::PeerPtr& peer) override;
    void remove_peer(const peer::PeerPtr& peer, std::error_code reason) override;
    void receive(const peer::PeerPtr& peer, mux::ChannelId channel, base::SharedBytes message) override;

    /// Any thread. Marks the payload seen and queues it to every connected peer (the publisher
    /// does not deliver it to itself). Fails with Errc::message_too_large.
    base::Result<MessageId> publish(base::SharedBytes payload);
    [[nodiscard]] GossipStats stats() const;
    /// Any thread. Peers this reactor has been told about (add_peer) and not yet lost.
    [[nodiscard]] std::size_t peer_count() const;
    [[nodiscard]] const ReactorOptions& options() const { return m_options; }

private:
    /// Queues `message` to `targets` and counts each outcome.
    void send_all(const std::vector<peer::PeerPtr>& targets, const base::SharedBytes& message);
    /// Under m_mutex: the connections for `ids`.
    std::vector<peer::PeerPtr> resolve(const std::vector<peer::NodeId>& ids) const;

    ReactorOptions m_options;
    OnMessage m_on_message;
    router::Router* m_router = nullptr;

    mutable std::mutex m_mutex;
    GossipCore m_core;                              // guarded by m_mutex
    std::map<peer::NodeId, peer::PeerPtr> m_peers;  // guarded by m_mutex; the current connection per node

    std::atomic<std::uint64_t> m_published{0};
    std::atomic<std::uint64_t> m_delivered{0};
    std::atomic<std::uint64_t> m_duplicates{0};
    std::atomic<std::uint64_t> m_relayed{0};
    std::atomic<std::uint64_t> m_dropped{0};
    std::atomic<std::uint64_t> m_rejected{0};
};

}  // namespace peerlink::gossip
