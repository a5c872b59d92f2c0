// The PEX reactor (channel 0x00): a thin shim between the router and PexCore. Callbacks arrive on
// the reactor's thread and hop to the network thread, where the core, the address book and the
// connection manager live. An ensure-peers loop (every 30 s with jitter, CometBFT's period) asks
// a random peer for addresses while the book needs them and falls back to the seeds when the node
// has neither peers nor addresses.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "base/background_writer.hpp"
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
    /// Where the address book is saved (CometBFT's addr_book_file), every `save_period` and by
    /// save_book(); empty: not saved. Written off the network thread, atomically.
    std::filesystem::path book_file;
    base::Duration save_period = std::chrono::minutes(2);
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
    /// Network thread. Hands a snapshot of the book to the background writer (e.g. at shutdown);
    /// `wait` blocks until it is on disk.
    void save_book(bool wait);

private:
    /// Carries out actions on `peer`, the connection they were decided for: looking the node up
    /// by ID could reach a newer connection to it (after a tie-break), whose state is fresh.
    void act(const std::vector<PexAction>& actions, const peer::PeerPtr& peer);
    void ensure_peers();
    void schedule_ensure_peers(base::Duration after);
    void schedule_save();

    PexReactorOptions m_options;
    addrbook::AddrBook& m_book;
    std::function<void()> m_wake_dialer;
    base::Random m_random;
    PexCore m_core;
    router::Router* m_router = nullptr;
    std::unique_ptr<asio::steady_timer> m_timer;       // on the network thread
    std::unique_ptr<asio::steady_timer> m_save_timer;  // on the network thread
    base::BackgroundWriter m_writer;                   // its destructor still writes a pending snapshot
    struct Connected {
        const peer::Peer* connection;  // identity only: which connection the core's state is for
        base::TimePoint since;
    };
    std::map<peer::NodeId, Connected> m_connected;  // network thread; connected peers only
};

}  // namespace peerlink::discovery
