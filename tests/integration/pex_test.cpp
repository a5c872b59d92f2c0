// Discovery over real TCP on 127.0.0.1: nodes with an address book, the book-backed address
// source and the PEX reactor, bootstrapping from a seed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "discovery/pex_reactor.hpp"
#include "profiles/cometbft/host.hpp"

namespace peerlink {
namespace {

using namespace std::chrono_literals;

struct PexNode {
    PexNode(asio::io_context& io, std::uint64_t seed, std::vector<peer::PeerAddress> seeds,
            bool seed_mode = false, base::Duration seed_disconnect_wait = std::chrono::hours(28),
            std::filesystem::path book_file = {}, std::size_t max_outbound = 10)
        : key{crypto::ed25519_generate()},
          random(seed),
          book(addrbook::Options{.strict = false}, addrbook::SipKey{seed, seed + 1}),
          source(book, random, [this] { return connmgr.outbound_count(); }),
          connmgr(options(max_outbound), source, random, key.id()),
          router(io, {}) {
        discovery::PexReactorOptions pex_options;
        pex_options.pex.seed_mode = seed_mode;
        pex_options.ensure_peers_period = 300ms;
        pex_options.seeds = std::move(seeds);
        pex_options.seed_disconnect_wait = seed_disconnect_wait;
        pex_options.book_file = std::move(book_file);
        pex_options.save_period = 100ms;
        pex_options.crawl_period = 300ms;
        pex_options.crawl_answer_grace = 100ms;
        pex = std::make_shared<discovery::PexReactor>(
            pex_options, book, [this] { host->wake_dialer(); }, seed,
            [this](const peer::PeerAddress& a) { return connmgr.dial_once(a); });
        router.add_reactor("pex", pex);
        router.start();
        cometbft::HostOptions host_options;
        host_options.network = "pex-test";
        host_options.mux.flush_throttle = 1ms;
        host = std::make_unique<cometbft::Host>(io, host_options, key, router, connmgr);
        EXPECT_TRUE(host->start().ok());
        book.add_our_address({.id = key.id().to_hex(), .ip = "127.0.0.1", .port = host->listen_port()});
    }
    ~PexNode() {
        host->stop();
        router.stop();
    }
    static connmgr::Options options(std::size_t max_outbound) {
        connmgr::Options o;
        o.max_outbound = max_outbound;
        o.allow_duplicate_ip = true;
        o.max_inbound_attempts_per_ip = 1000;
        return o;
    }
    [[nodiscard]] peer::PeerAddress address() const {
        return {.id = key.id(), .host = "127.0.0.1", .port = host->listen_port()};
    }
    [[nodiscard]] bool connected_to(const PexNode& other) const {
        return router.find(other.key.id()) != nullptr;
    }

    cometbft::NodeKey key;
    base::Random random;
    addrbook::AddrBook book;
    connmgr::BookAddressSource source;
    connmgr::ConnManager connmgr;
    router::Router router;
    std::shared_ptr<discovery::PexReactor> pex;
    std::unique_ptr<cometbft::Host> host;
};

class PexTest : public ::testing::Test {
protected:
    asio::io_context io{1};
    bool run_until(const std::function<bool()>& done, base::Duration limit) {
        const auto deadline = base::SteadyClock::now() + limit;
        while (!done() && base::SteadyClock::now() < deadline)
            io.run_one_for(5ms);
        return done();
    }
};

TEST_F(PexTest, NodeThatKnowsOnlyTheSeedLearnsTheOthersAndConnectsToThem) {
    // Given a seed S that A and B bootstrap from
    PexNode s(io, 1, {});
    PexNode a(io, 2, {s.address()});
    PexNode b(io, 3, {s.address()});
    ASSERT_TRUE(run_until([&] { return s.connected_to(a) && s.connected_to(b); }, 5s));
    // When C starts knowing only S
    PexNode c(io, 4, {s.address()});
    // Then C learns A and B from S and connects to both
    ASSERT_TRUE(run_until([&] { return c.connected_to(a) && c.connected_to(b); }, 10s));
    EXPECT_TRUE(c.book.find({.id = a.key.id().to_hex(), .ip = "127.0.0.1", .port = a.host->listen_port()}));
    EXPECT_FALSE(c.book.find({.id = c.key.id().to_hex(), .ip = "127.0.0.1", .port = c.host->listen_port()}));
}

TEST_F(PexTest, SeedModeAnswersThenDisconnects) {
    PexNode s(io, 1, {}, /*seed_mode=*/true);
    PexNode a(io, 2, {s.address()});
    ASSERT_TRUE(run_until([&] { return s.book.size() >= 1; }, 5s));
    PexNode c(io, 3, {s.address()});
    // C gets A's address from the seed, which then drops C once its reply is written (the seed
    // may dial C later itself, as it dials any address in its book); C connects to A.
    bool dropped = false;
    ASSERT_TRUE(run_until(
        [&] {
            for (const auto& e : s.router.events().poll()) {
                dropped = dropped || (e.kind == router::EventKind::peer_down && e.id == c.key.id() &&
                                      e.reason == router::Errc::stopped_gracefully);
            }
            return dropped && c.connected_to(a);
        },
        10s));
}

TEST_F(PexTest, SeedDropsPeersAfterItsDisconnectWait) {
    // A seed with a short wait lets even its outbound peers go, so it keeps crawling.
    PexNode a(io, 2, {});
    PexNode s(io, 1, {a.address()}, /*seed_mode=*/true, /*seed_disconnect_wait=*/200ms);
    bool dropped = false;
    ASSERT_TRUE(run_until(
        [&] {
            for (const auto& e : s.router.events().poll()) {
                dropped = dropped || (e.kind == router::EventKind::peer_down && e.id == a.key.id() &&
                                      e.reason == router::Errc::stopped_gracefully);
            }
            return dropped;
        },
        5s));
}

TEST_F(PexTest, SeedCrawlsItsBookBeyondItsOutboundSlotsAndLetsCrawledPeersGo) {
    // Given a seed with no outbound slots that knows A and B, and A that knows X (a node the seed
    // has never heard of)
    PexNode a(io, 2, {});
    PexNode b(io, 3, {});
    PexNode s(io, 1, {}, /*seed_mode=*/true, std::chrono::hours(28), {}, /*max_outbound=*/0);
    const auto x = peer::PeerAddress{
        .id = cometbft::NodeKey{crypto::ed25519_generate()}.id(), .host = "127.0.0.1", .port = 1};
    a.book.add_address(connmgr::BookAddressSource::to_book(x), "test", base::SteadyClock::now());
    s.book.add_address(connmgr::BookAddressSource::to_book(a.address()), "test", base::SteadyClock::now());
    s.book.add_address(connmgr::BookAddressSource::to_book(b.address()), "test", base::SteadyClock::now());
    // When the seed crawls
    // Then it dials both, learns X from A, and closes the crawl connections once they answered
    std::set<peer::NodeId> dropped;
    ASSERT_TRUE(run_until(
        [&] {
            for (const auto& e : s.router.events().poll()) {
                if (e.kind == router::EventKind::peer_down && e.reason == router::Errc::stopped_gracefully)
                    dropped.insert(e.id);
            }
            return dropped.contains(a.key.id()) && dropped.contains(b.key.id()) &&
                   s.book.find(connmgr::BookAddressSource::to_book(x)).has_value();
        },
        10s));
    EXPECT_EQ(s.connmgr.outbound_count(), 0u);
}

TEST_F(PexTest, TheBookIsSavedPeriodicallyAndLoadsIntoAFreshBook) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("peerlink-pex-book-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    PexNode s(io, 1, {});
    PexNode a(io, 2, {s.address()}, false, std::chrono::hours(28), dir / "addrbook.json");
    // a learns s (its seed) and saves its book within a save period or two
    ASSERT_TRUE(run_until([&] { return std::filesystem::exists(dir / "addrbook.json"); }, 5s));
    a.pex->save_book(/*wait=*/true);
    addrbook::AddrBook fresh(addrbook::Options{.strict = false}, addrbook::SipKey{7, 7});
    auto loaded =
        fresh.load(dir / "addrbook.json", base::SteadyClock::now(), std::chrono::system_clock::now());
    ASSERT_TRUE(loaded.ok());
    EXPECT_TRUE(fresh.find({.id = s.key.id().to_hex(), .ip = "127.0.0.1", .port = s.host->listen_port()}));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peerlink
