// The router (Tendermint's Switch, geth's Server run loop): the registry of reactors and their
// channels, the set of connected peers, dispatch of received messages to reactors, broadcast,
// and the public event stream. Peer set changes happen on the network thread; reactors run on
// threads of their own; broadcast, peer queries and stop_peer_* may be called from any thread.
#pragma once
#include <asio.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "router/events.hpp"
#include "router/reactor.hpp"

namespace peerlink::router {

enum class Errc {
    stopped_gracefully = 1,  // stop_peer_gracefully
    reactor_error,           // stop_peer_for_error without a more specific reason
    router_stopped,          // the router is shutting down
};
PEERLINK_DECLARE_ERRC(Errc)

struct Options {
    /// Received bytes handed to reactors and not yet processed, per peer; above it the peer's
    /// reads pause (TCP back-pressure on that peer only) until half of it is processed.
    std::size_t max_inbound_bytes_per_peer = 4 * 1024 * 1024;
    std::size_t event_queue_capacity = 1024;
};

struct BroadcastOutcome {
    peer::NodeId id;
    bool queued = false;
};

class Router {
public:
    using PeerList = std::vector<peer::PeerPtr>;

    Router(asio::io_context& network, Options options);
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// Before start(). Throws std::invalid_argument when a channel is already claimed.
    void add_reactor(std::string name, std::shared_ptr<Reactor> reactor);
    /// Every registered channel, for the MConnection of each peer.
    [[nodiscard]] const std::vector<mux::ChannelDescriptor>& channels() const { return m_channels; }
    [[nodiscard]] base::Bytes channel_ids() const;

    /// Starts one thread per reactor and calls Reactor::start there.
    void start();
    /// Stops reactor threads after draining what was posted to them. Peers are not touched.
    void stop();

    // ---- network thread ----
    /// A peer passed every check: InitPeer then AddPeer on every reactor; it joins the peer set.
    void add_peer(const peer::PeerPtr& peer);
    /// The MConnection receive callback of `peer`: copies the message and posts it to its reactor.
    void on_message(const peer::PeerPtr& peer, mux::ChannelId channel, base::ByteView message);
    /// The peer's connection closed: RemovePeer on every reactor, peer_down event.
    void remove_peer(const peer::PeerPtr& peer, std::error_code reason);
    void publish(Event event) { m_events.push(std::move(event)); }

    // ---- any thread ----
    /// try_send to every connected peer; reports each peer's outcome.
    std::vector<BroadcastOutcome> broadcast(mux::ChannelId channel, const base::SharedBytes& message);
    void stop_peer_for_error(const peer::PeerPtr& peer, std::error_code reason);
    void stop_peer_gracefully(const peer::PeerPtr& peer);
    /// A snapshot of the connected peers.
    [[nodiscard]] std::shared_ptr<const PeerList> peers() const { return m_peers.load(); }
    [[nodiscard]] peer::PeerPtr find(const peer::NodeId& id) const;
    [[nodiscard]] std::size_t count(peer::Direction direction) const;
    EventQueue& events() { return m_events; }
    /// The network thread's context: reactors post work that must touch network-thread state
    /// (the address book, the connection manager) here.
    asio::io_context& network() { return m_network; }

private:
    struct Host;  // a reactor and its thread

    void publish_peer_set();
    Host* host_for(mux::ChannelId channel) const { return m_channel_hosts[channel]; }

    asio::io_context& m_network;
    Options m_options;
    std::vector<std::unique_ptr<Host>> m_hosts;
    std::array<Host*, 256> m_channel_hosts{};
    std::vector<mux::ChannelDescriptor> m_channels;
    std::map<peer::NodeId, peer::PeerPtr> m_peer_map;  // network thread
    std::atomic<std::shared_ptr<const PeerList>> m_peers;
    EventQueue m_events;
    bool m_started = false;
    /// Read and written on the network thread only: work that reactor threads post back to it
    /// may run after the router is gone.
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace peerlink::router

PEERLINK_ERROR_ENUM_TRAIT(peerlink::router::Errc)
