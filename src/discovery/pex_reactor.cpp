#include "discovery/pex_reactor.hpp"

#include "base/log.hpp"

namespace peerlink::discovery {

PexReactor::PexReactor(PexReactorOptions options, addrbook::AddrBook& book, std::function<void()> wake_dialer,
                       std::uint64_t seed)
    : m_options(std::move(options)),
      m_book(book),
      m_wake_dialer(std::move(wake_dialer)),
      m_random(seed),
      m_core(m_options.pex, m_book, m_random),
      m_writer([](const std::filesystem::path& path, std::error_code ec) {
          base::log::get(base::log::Category::router)
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
    });
}

void PexReactor::receive(const peer::PeerPtr& peer, mux::ChannelId, base::SharedBytes message) {
    asio::post(m_router->network(), [self = shared_from_this(), peer, message] {
        const auto found = self->m_connected.find(peer->id());
        if (peer->closed() || found == self->m_connected.end() || found->second.connection != peer.get())
            return;
        const std::size_t before = self->m_book.size();
        self->act(self->m_core.on_message(peer->id(), dialable_address(peer->info()), message.view(),
                                          base::SteadyClock::now()),
                  peer);
        // New addresses: let the connection manager consider them now rather than at its next wake.
        if (self->m_book.size() > before && self->m_wake_dialer) self->m_wake_dialer();
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
    if (m_book.needs_more_addresses() && !peers->empty()) {
        const auto& chosen = (*peers)[m_random.uniform(peers->size())];
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
