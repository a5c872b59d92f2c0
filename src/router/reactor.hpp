// What an application plugs into the router (Tendermint's Reactor): it owns channels and hears
// about peers and their messages. Every callback of one reactor runs on that reactor's own
// thread, in order, so a slow or blocking reactor delays only itself (and, through back-pressure,
// the peers whose messages wait for it).
#pragma once
#include <system_error>
#include <vector>

#include "mux/mconnection.hpp"
#include "peer/peer.hpp"

namespace peerlink::router {

class Router;

class Reactor {
public:
    virtual ~Reactor() = default;
    /// The channels this reactor owns; two reactors claiming one channel is a configuration error.
    [[nodiscard]] virtual std::vector<mux::ChannelDescriptor> channels() const = 0;
    /// Once, before any peer callback; `router` outlives the reactor's callbacks.
    virtual void start(Router& router) { (void)router; }
    /// A peer passed the handshake and filters; InitPeer runs before any reactor's add_peer.
    virtual void init_peer(const peer::PeerPtr& peer) { (void)peer; }
    virtual void add_peer(const peer::PeerPtr& peer) { (void)peer; }
    virtual void remove_peer(const peer::PeerPtr& peer, std::error_code reason) {
        (void)peer;
        (void)reason;
    }
    /// A whole message on one of this reactor's channels.
    virtual void receive(const peer::PeerPtr& peer, mux::ChannelId channel, base::SharedBytes message) = 0;
};

}  // namespace peerlink::router
