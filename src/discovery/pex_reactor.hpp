// The PEX reactor (channel 0x00): a thin shim between the router and PexCore. Callbacks arrive on
// the reactor's thread and hop to the network thread, where the core, the address book and the
// connection manager live. An ensure-peers loop (every 30 s with jitter, CometBFT's period) asks
// a random peer for addresses while the book needs them and falls back to the seeds when the node
// has neither peers nor addresses.
#pragma once
#include <functional>
#include <map>
#include <memory>

#include "connmgr/book_source.hpp"
#include "discovery/pex_core.hpp"
#include "router/router.hpp"

namespace peerlink::discovery {

struct PexReactorOptions {
    PexOptions pex;
    base::Duration ensure_peers_period = std::chrono::seconds(30);
    std::vector<peer::PeerAddress> seeds;
    /// Seed mode: peers connected longer than this are dropped so the seed keeps crawling
    /// (CometBFT's SeedDisconnectWaitPeriod).
    base::Duration seed_disconnect_wait = std::chrono::hours(28);
};

class PexReactor final : public router::Reactor, public std::enable_shared_from_this<PexReactor> {
public:
    /// `book` and `wake_dialer` are used on the network thread only.
    PexReactor(PexReactorOptions options, addrbook::AddrBook& book, std::function<void()> wake_dialer,
               std::uint64_t seed);

    std::vector<mux::ChannelDescriptor> channels() const override;
    void start(router::Router& router) override;
    void add_peer(const peer::PeerPtr& peer) override;
    void remove_peer(const peer::PeerPtr& peer, std::error_code reason) override;
    void receive(const peer::PeerPtr& peer, mux::ChannelId channel, base::SharedBytes message) override;

private:
    static addrbook::NetAddress dial_address(const peer::PeerInfo& info);
    void act(const std::vector<PexAction>& actions);
    void ensure_peers();
    void schedule_ensure_peers(base::Duration after);

    PexReactorOptions m_options;
    addrbook::AddrBook& m_book;
    std::function<void()> m_wake_dialer;
    base::Random m_random;
    PexCore m_core;
    router::Router* m_router = nullptr;
    std::unique_ptr<asio::steady_timer> m_timer;                // on the network thread
    std::map<peer::NodeId, base::TimePoint> m_connected_since;  // network thread; connected peers only
};

}  // namespace peerlink::discovery
