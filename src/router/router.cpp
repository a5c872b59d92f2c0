#include "router/router.hpp"

#include <stdexcept>

#include "base/log.hpp"

namespace peerlink::router {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::stopped_gracefully:
            return "peer stopped gracefully";
        case Errc::reactor_error:
            return "peer stopped by a reactor for an error";
        case Errc::router_stopped:
            return "router stopped";
    }
    return "unknown router error";
}

std::string hex_channel(mux::ChannelId id) {
    return fmt::format("{:#04x}", id);
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("router", describe);
    return category;
}

struct Router::Host {
    std::string name;
    std::shared_ptr<Reactor> reactor;
    asio::io_context context{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread thread;
};

Router::Router(asio::io_context& network, Options options)
    : m_network(network),
      m_options(options),
      m_peers(std::make_shared<const PeerList>()),
      m_events(options.event_queue_capacity) {}

Router::~Router() {
    stop();
    *m_alive = false;
}

void Router::add_reactor(std::string name, std::shared_ptr<Reactor> reactor) {
    if (m_started) throw std::logic_error("router: add_reactor after start");
    auto host = std::make_unique<Host>();
    for (const auto& c : reactor->channels()) {
        if (Host* owner = m_channel_hosts[c.id]) {
            throw std::invalid_argument("router: channel " + hex_channel(c.id) + " claimed by both " +
                                        owner->name + " and " + name);
        }
    }
    for (const auto& c : reactor->channels()) {
        m_channel_hosts[c.id] = host.get();
        m_channels.push_back(c);
    }
    host->name = std::move(name);
    host->reactor = std::move(reactor);
    m_hosts.push_back(std::move(host));
}

base::Bytes Router::channel_ids() const {
    base::Bytes ids;
    for (const auto& c : m_channels)
        ids.push_back(c.id);
    return ids;
}

void Router::start() {
    if (m_started) return;
    m_started = true;
    for (auto& host : m_hosts) {
        host->work.emplace(host->context.get_executor());
        Host* h = host.get();
        asio::post(h->context, [this, h] { h->reactor->start(*this); });
        h->thread = std::thread([h] { h->context.run(); });
    }
}

void Router::stop() {
    for (auto& host : m_hosts) {
        host->work.reset();
        if (host->thread.joinable()) host->thread.join();
    }
}

void Router::publish_peer_set() {
    auto list = std::make_shared<PeerList>();
    list->reserve(m_peer_map.size());
    for (const auto& [id, p] : m_peer_map)
        list->push_back(p);
    m_peers.store(std::move(list));
}

void Router::add_peer(const peer::PeerPtr& peer) {
    m_peer_map[peer->id()] = peer;
    publish_peer_set();
    // InitPeer on every reactor happens-before AddPeer on any: each host gets both posts in order,
    // and a reactor's add_peer is posted only after every init_peer was posted.
    for (auto& host : m_hosts) {
        asio::post(host->context, [reactor = host->reactor, peer] { reactor->init_peer(peer); });
    }
    for (auto& host : m_hosts) {
        asio::post(host->context, [reactor = host->reactor, peer] { reactor->add_peer(peer); });
    }
    const auto& info = peer->info();
    m_events.push({.kind = EventKind::peer_up,
                   .time = base::SteadyClock::now(),
                   .id = info.id,
                   .address = info.remote_ip + ":" + std::to_string(info.remote_port),
                   .direction = info.direction,
                   .reason = {}});
}

void Router::on_message(const peer::PeerPtr& peer, mux::ChannelId channel, base::ByteView message) {
    Host* host = host_for(channel);
    if (host == nullptr) return;  // MConnection only accepts registered channels
    // The view dies with this call; the reactor's thread needs its own copy.
    base::SharedBytes copy = base::SharedBytes::copy_of(message);
    const std::size_t size = message.size();
    peer->inbound_bytes += size;
    if (peer->inbound_bytes > m_options.max_inbound_bytes_per_peer) peer->connection().pause_reading(true);
    asio::post(host->context,
               [this, alive = m_alive, reactor = host->reactor, peer, channel, copy = std::move(copy), size] {
                   reactor->receive(peer, channel, copy);
                   // m_network outlives the router (it is the node's io_context); `this` may not.
                   asio::post(m_network, [this, alive, peer, size] {
                       if (!*alive) return;
                       peer->inbound_bytes -= size;
                       if (peer->inbound_bytes <= m_options.max_inbound_bytes_per_peer / 2) {
                           peer->connection().pause_reading(false);
                       }
                   });
               });
}

void Router::remove_peer(const peer::PeerPtr& peer, std::error_code reason) {
    peer->mark_closed();
    auto it = m_peer_map.find(peer->id());
    if (it == m_peer_map.end() || it->second != peer) return;
    m_peer_map.erase(it);
    publish_peer_set();
    for (auto& host : m_hosts) {
        asio::post(host->context,
                   [reactor = host->reactor, peer, reason] { reactor->remove_peer(peer, reason); });
    }
    const auto& info = peer->info();
    m_events.push({.kind = EventKind::peer_down,
                   .time = base::SteadyClock::now(),
                   .id = info.id,
                   .address = info.remote_ip + ":" + std::to_string(info.remote_port),
                   .direction = info.direction,
                   .reason = reason});
}

std::vector<BroadcastOutcome> Router::broadcast(mux::ChannelId channel, const base::SharedBytes& message) {
    const auto list = peers();
    std::vector<BroadcastOutcome> outcomes;
    outcomes.reserve(list->size());
    for (const auto& p : *list)
        outcomes.push_back({p->id(), p->try_send(channel, message)});
    return outcomes;
}

void Router::stop_peer_for_error(const peer::PeerPtr& peer, std::error_code reason) {
    base::log::get(base::log::Category::router)
        .debug("stopping peer {} for error: {}", peer->id().to_hex(), reason.message());
    peer->close(reason ? reason : make_error_code(Errc::reactor_error));
}

void Router::stop_peer_gracefully(const peer::PeerPtr& peer) {
    peer->close_gracefully(make_error_code(Errc::stopped_gracefully));
}

peer::PeerPtr Router::find(const peer::NodeId& id) const {
    for (const auto& p : *peers()) {
        if (p->id() == id) return p;
    }
    return nullptr;
}

std::size_t Router::count(peer::Direction direction) const {
    std::size_t n = 0;
    for (const auto& p : *peers())
        n += p->info().direction == direction ? 1 : 0;
    return n;
}

}  // namespace peerlink::router
