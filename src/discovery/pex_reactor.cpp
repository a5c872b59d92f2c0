#include "discovery/pex_reactor.hpp"

#include "base/log.hpp"

namespace peerlink::discovery {

PexReactor::PexReactor(PexReactorOptions options, addrbook::AddrBook& book, std::function<void()> wake_dialer,
                       std::uint64_t seed, DialOnce dial_once)
    : m_options(std::move(options)),
      m_book(book),
      m_wake_dialer(std::move(wake_dialer)),
      m_dial_once(std::move(dial_once)),
      m_random(seed),
      m_core(m_options.pex, m_book, m_random),
      m_writer([](const std::filesystem::path& path, std::error_code ec) {
          base::log::get(base::log::Category::discovery)
              .warn("could not save {}: {}", path.string(), ec.message());
      }) {}

std::vector<mux::ChannelDescriptor> PexReactor::channels() const {
    return {{.id = k_pex_channel,
             .priority = 1,
             .send_queue_capacity = 10,
             .recv_message_capacity = k_pex_recv_message_capacity,
             .recv_buffer_capacity = 4096}};
}

void PexReactor::start(router::Router& router) {
    m_router = &router;
    asio::post(router.network(), [self = shared_from_this()] {
        self->m_timer = std::make_unique<asio::steady_timer>(self->m_router->network());
        self->schedule_ensure_peers(base::Duration::zero());
        if (!self->m_options.book_file.empty()) {
            self->m_save_timer = std::make_unique<asio::steady_timer>(self->m_router->network());
            self->schedule_save();
        }
        if (self->m_options.pex.seed_mode && self->m_dial_once) {
            self->m_crawl_timer = std::make_unique<asio::steady_timer>(self->m_router->network());
            self->schedule_crawl(self->m_options.crawl_period / 10);
        }
    });
}

void PexReactor::add_peer(const peer::PeerPtr& peer) {
    asio::post(m_router->network(), [self = shared_from_this(), peer] {
        const auto& info = peer->info();
        if (peer->closed()) return;
        self->m_connected[info.id] = {peer.get(), base::SteadyClock::now()};
        self->act(
            self->m_core.on_peer_up(info.id, dialable_address(info),
                                    info.direction == peer::Direction::outbound, base::SteadyClock::now()),
            peer);
    });
}

void PexReactor::remove_peer(const peer::PeerPtr& peer, std::error_code) {
    asio::post(m_router->network(), [self = shared_from_this(), peer] {
        // Only if this is the connection the core knows: a newer one to the same node keeps its state.
        const auto found = self->m_connected.find(peer->id());
        if (found == self->m_connected.end() || found->second.connection != peer.get()) return;
        self->m_connected.erase(found);
        self->m_core.on_peer_down(peer->id());
        self->m_crawled.erase(peer->id());
    });
}

void PexReactor::receive(const peer::PeerPtr& peer, mux::ChannelId, base::SharedBytes message) {
    asio::post(m_router->network(), [self = shared_from_this(), peer, message] {
        const auto found = self->m_connected.find(peer->id());
        if (peer->closed() || found == self->m_connected.end() || found->second.connection != peer.get())
            return;
        const std::size_t before = self->m_book.size();
        const bool was_asked = self->m_core.requested(peer->id());
        self->act(self->m_core.on_message(peer->id(), dialable_address(peer->info()), message.view(),
                                          base::SteadyClock::now()),
                  peer);
        // New addresses: let the connection manager consider them now rather than at its next wake.
        if (self->m_book.size() > before && self->m_wake_dialer) self->m_wake_dialer();
        base::log::get(base::log::Category::discovery)
            .debug("pex: message from {}: book {} -> {}", peer->id().to_hex(), before, self->m_book.size());
        if (const auto crawled = self->m_crawled.find(peer->id());
            crawled != self->m_crawled.end() && was_asked && !self->m_core.requested(peer->id())) {
            crawled->second.answered = base::SteadyClock::now();
        }
    });
}

void PexReactor::act(const std::vector<PexAction>& actions, const peer::PeerPtr& peer) {
    for (const PexAction& action : actions) {
        if (action.peer != peer->id() || peer->closed()) continue;
        switch (action.kind) {
            case PexAction::Kind::send:
                (void)peer->try_send(k_pex_channel, base::SharedBytes(action.message));
                break;
            case PexAction::Kind::disconnect_and_ban:
                m_router->stop_peer_for_error(peer, action.reason);
                break;
            case PexAction::Kind::disconnect_gracefully:
                m_router->stop_peer_gracefully(peer);
                break;
        }
    }
}

void PexReactor::schedule_ensure_peers(base::Duration after) {
    m_timer->expires_after(after);
    m_timer->async_wait([weak = weak_from_this()](std::error_code ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        self->ensure_peers();
        // CometBFT jitters each period by up to a tenth of it... here by up to 3 s, as its dialer.
        const auto jitter = std::chrono::milliseconds(self->m_random.uniform(3000));
        self->schedule_ensure_peers(self->m_options.ensure_peers_period + jitter);
    });
}

void PexReactor::schedule_save() {
    m_save_timer->expires_after(m_options.save_period);
    m_save_timer->async_wait([weak = weak_from_this()](std::error_code ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        self->save_book(false);
        self->schedule_save();
    });
}

void PexReactor::schedule_crawl(base::Duration after) {
    m_crawl_timer->expires_after(after);
    m_crawl_timer->async_wait([weak = weak_from_this()](std::error_code ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        self->crawl();
        self->schedule_crawl(self->m_options.crawl_period);
    });
}

void PexReactor::crawl() {
    const auto now = base::SteadyClock::now();
    // Connections made for an earlier crawl go once they answered (after a grace period for the
    // peer's own request) or after crawl_hold without an answer.
    for (auto it = m_crawled.begin(); it != m_crawled.end();) {
        const auto connected = m_connected.find(it->first);
        if (connected == m_connected.end()) {
            // Still dialling; the dial ends in add_peer or never (then forget it after a hold).
            it = m_crawled.erase(it);
            continue;
        }
        const bool done =
            (it->second.answered && now - *it->second.answered >= m_options.crawl_answer_grace) ||
            now - connected->second.since >= m_options.crawl_hold;
        if (done) {
            if (auto p = m_router->find(it->first)) m_router->stop_peer_gracefully(p);
        }
        ++it;
    }
    std::erase_if(m_last_crawl,
                  [&](const auto& entry) { return now - entry.second >= m_options.min_time_between_crawls; });

    std::size_t dials = 0;
    for (const auto& address : m_book.get_selection(m_random)) {
        const auto target = connmgr::BookAddressSource::from_book(address);
        if (!target || m_last_crawl.contains(target->id)) continue;
        if (auto p = m_router->find(target->id)) {
            m_last_crawl[target->id] = now;
            if (!m_core.requested(target->id)) act(m_core.request_addresses(target->id), p);
        } else if (dials < m_options.crawl_dials_per_round && m_dial_once(*target)) {
            m_last_crawl[target->id] = now;
            m_crawled[target->id] = {};
            ++dials;
        }
    }
    if (dials > 0) {
        base::log::get(base::log::Category::discovery).debug("pex: seed crawl dials {} addresses", dials);
        if (m_wake_dialer) m_wake_dialer();
    }
}

void PexReactor::save_book(bool wait) {
    if (m_options.book_file.empty()) return;
    // Serialised here (the book is network-thread state); written on the writer's thread.
    m_writer.write(m_options.book_file,
                   m_book.to_json(base::SteadyClock::now(), std::chrono::system_clock::now()), 0600);
    if (wait) m_writer.flush();
}

void PexReactor::ensure_peers() {
    const auto peers = m_router->peers();
    const auto now = base::SteadyClock::now();
    base::log::get(base::log::Category::discovery)
        .debug("pex: ensure peers: {} peers, book {}", peers->size(), m_book.size());
    if (m_book.needs_more_addresses() && !peers->empty()) {
        const auto& chosen = (*peers)[m_random.uniform(peers->size())];
        base::log::get(base::log::Category::discovery)
            .debug("pex: asking {} for addresses (already asked: {})", chosen->id().to_hex(),
                   m_core.requested(chosen->id()));
        act(m_core.request_addresses(chosen->id()), chosen);
    }
    if (m_options.pex.seed_mode) {
        // A seed does not keep peers: past the wait it lets them go and crawls on.
        for (const auto& p : *peers) {
            const auto since = m_connected.find(p->id());
            if (since != m_connected.end() && now - since->second.since >= m_options.seed_disconnect_wait) {
                m_router->stop_peer_gracefully(p);
            }
        }
    }
    // Nothing to dial and nobody to ask: fall back to the seeds (they enter the book, and the
    // connection manager dials them from there).
    if (peers->empty() && m_book.size() == 0 && !m_options.seeds.empty()) {
        for (const auto& seed : m_options.seeds) {
            m_book.add_address(connmgr::BookAddressSource::to_book(seed), "seed", now);
        }
        if (m_wake_dialer) m_wake_dialer();
    }
}

}  // namespace peerlink::discovery
