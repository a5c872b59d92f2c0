#include "gossip/gossip_reactor.hpp"

#include <stdexcept>

#include "base/log.hpp"
#include "crypto/crypto.hpp"

namespace peerlink::gossip {

namespace {

addrbook::SipKey random_key() {
    std::array<std::uint8_t, 16> bytes{};
    crypto::random_bytes(bytes);
    return addrbook::SipKey::from_bytes(bytes);
}

}  // namespace

GossipReactor::GossipReactor(ReactorOptions options, OnMessage on_message)
    : m_options(options), m_on_message(std::move(on_message)), m_core(options.core, random_key()) {
    if (m_options.priority <= 0) throw std::invalid_argument("gossip: channel priority must be > 0");
    if (m_options.send_queue_capacity == 0)
        throw std::invalid_argument("gossip: send_queue_capacity must be > 0");
}

std::vector<mux::ChannelDescriptor> GossipReactor::channels() const {
    return {{.id = m_options.channel,
             .priority = m_options.priority,
             .send_queue_capacity = m_options.send_queue_capacity,
             .recv_message_capacity = m_options.core.max_message_size,
             .recv_buffer_capacity = std::min<std::size_t>(4096, m_options.core.max_message_size)}};
}

void GossipReactor::start(router::Router& router) {
    m_router = &router;
}

void GossipReactor::add_peer(const peer::PeerPtr& peer) {
    std::lock_guard lock(m_mutex);
    m_peers[peer->id()] = peer;
    m_core.add_peer(peer->id());
}

void GossipReactor::remove_peer(const peer::PeerPtr& peer, std::error_code) {
    std::lock_guard lock(m_mutex);
    // Only if it is the current connection: a newer one to the same node keeps its state.
    const auto found = m_peers.find(peer->id());
    if (found == m_peers.end() || found->second != peer) return;
    m_peers.erase(found);
    m_core.remove_peer(peer->id());
}

void GossipReactor::receive(const peer::PeerPtr& peer, mux::ChannelId, base::SharedBytes message) {
    std::vector<peer::PeerPtr> targets;
    GossipCore::Received received;
    {
        std::lock_guard lock(m_mutex);
        received = m_core.on_message(peer->id(), message.view(), base::SteadyClock::now());
        if (received.kind == GossipCore::Received::Kind::delivered) targets = resolve(received.relay_to);
    }
    switch (received.kind) {
        case GossipCore::Received::Kind::oversized:
            m_rejected.fetch_add(1, std::memory_order_relaxed);
            base::log::get(base::log::Category::router)
                .debug("gossip: {} byte message from {} above the {} byte limit", message.size(),
                       peer->id().to_hex(), m_options.core.max_message_size);
            if (m_router) m_router->stop_peer_for_error(peer, make_error_code(Errc::message_too_large));
            return;
        case GossipCore::Received::Kind::duplicate:
            m_duplicates.fetch_add(1, std::memory_order_relaxed);
            return;
        case GossipCore::Received::Kind::delivered:
            break;
    }
    m_delivered.fetch_add(1, std::memory_order_relaxed);
    // Relayed before delivery: a slow application must not slow the spread.
    send_all(targets, message);
    if (m_on_message) m_on_message(received.id, message, peer->id());
}

base::Result<MessageId> GossipReactor::publish(base::SharedBytes payload) {
    std::vector<peer::PeerPtr> targets;
    MessageId id{};
    {
        std::lock_guard lock(m_mutex);
        auto published = m_core.publish(payload.view(), base::SteadyClock::now());
        if (!published.ok()) return base::fail(published.error());
        id = published->id;
        targets = resolve(published->send_to);
    }
    m_published.fetch_add(1, std::memory_order_relaxed);
    send_all(targets, payload);
    return id;
}

GossipStats GossipReactor::stats() const {
    return {.published = m_published.load(std::memory_order_relaxed),
            .delivered = m_delivered.load(std::memory_order_relaxed),
            .duplicates = m_duplicates.load(std::memory_order_relaxed),
            .relayed = m_relayed.load(std::memory_order_relaxed),
            .dropped = m_dropped.load(std::memory_order_relaxed),
            .rejected = m_rejected.load(std::memory_order_relaxed)};
}

std::size_t GossipReactor::peer_count() const {
    std::lock_guard lock(m_mutex);
    return m_peers.size();
}

void GossipReactor::send_all(const std::vector<peer::PeerPtr>& targets, const base::SharedBytes& message) {
    for (const auto& p : targets) {
        // Never waits: a peer that cannot keep up misses the message rather than holding it queued.
        if (p->try_send(m_options.channel, message)) {
            m_relayed.fetch_add(1, std::memory_order_relaxed);
        } else {
            m_dropped.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

std::vector<peer::PeerPtr> GossipReactor::resolve(const std::vector<peer::NodeId>& ids) const {
    std::vector<peer::PeerPtr> out;
    out.reserve(ids.size());
    for (const auto& id : ids) {
        if (const auto found = m_peers.find(id); found != m_peers.end()) out.push_back(found->second);
    }
    return out;
}

}  // namespace peerlink::gossip
