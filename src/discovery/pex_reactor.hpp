// The PEX reactor (channel 0x00): a thin shim between the router and PexCore. Callbacks arrive on
// the reactor's thread and hop to the network thread, where the core, the address book and the
// connection manager live. An ensure-peers loop (every 30 s with jitter, CometBFT's period) asks
// a random peer for addresses while the book needs them and falls back to the seeds when the node
// has neither peers nor addresses. In seed mode a crawl (every 30 s, CometBFT's crawlPeerPeriod)
// asks each address of a book selection for its addresses: connected peers are asked directly,
// the others dialled once outside the outbound slots and let go once they answered.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>

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
    /// Seed mode: how often the book is crawled, and how soon one address is crawled again
    /// (CometBFT's crawlPeerPeriod and minTimeBetweenCrawls).
    base::Duration crawl_period = std::chrono::seconds(30);
    base::Duration min_time_between_crawls = std::chrono::minutes(2);
    /// Seed mode: at most this many crawl dials a round.
    std::size_t crawl_dials_per_round = 32;
    /// Seed mode: a connection made for a crawl is closed this long after its answer (the peer
    /// may still be asking us), or this long after it came up without one.
    base::Duration crawl_answer_grace = std::chrono::seconds(5);
    base::Duration crawl_hold = std::chrono::minutes(1);
};

class PexReactor final : public router::Reactor, public std::enable_shared_from_this<PexReactor> {
public:
    /// Dials an address once, outside the outbound slots (ConnManager::dial_once); false when
    /// it will not be dialled.
    using DialOnce = std::function<bool(const peer::PeerAddress&)>;
    /// `book`, `wake_dialer` and `dial_once` are used on the network thread only; `dial_once` is
    /// needed by the seed-mode crawl only.
    PexReactor(PexReactorOptions options, addrbook::AddrBook& book, std::function<void()> wake_dialer,
               std::uint64_t seed, DialOnce dial_once = {});

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
    void crawl();
    void schedule_crawl(base::Duration after);

    PexReactorOptions m_options;
    addrbook::AddrBook& m_book;
    std::function<void()> m_wake_dialer;
    DialOnce m_dial_once;
    base::Random m_random;
    PexCore m_core;
    router::Router* m_router = nullptr;
    std::unique_ptr<asio::steady_timer> m_timer;        // on the network thread
    std::unique_ptr<asio::steady_timer> m_save_timer;   // on the network thread
    std::unique_ptr<asio::steady_timer> m_crawl_timer;  // on the network thread; seed mode
    base::BackgroundWriter m_writer;                    // its destructor still writes a pending snapshot
    struct Connected {
        const peer::Peer* connection;  // identity only: which connection the core's state is for
        base::TimePoint since;
    };
    std::map<peer::NodeId, Connected> m_connected;  // network thread; connected peers only
    // Seed mode, network thread. Last crawl of each node (entries older than
    // min_time_between_crawls are dropped each round, so at most a few selections' worth), and the
    // crawl dials in flight or connected with the time their answer came.
    std::map<peer::NodeId, base::TimePoint> m_last_crawl;
    struct Crawled {
        std::optional<base::TimePoint> answered;
    };
    std::map<peer::NodeId, Crawled> m_crawled;
};

}  // namespace peerlink::discovery
