#include "peer/peer.hpp"

#include <stdexcept>

namespace peerlink::peer {

Peer::Peer(PeerInfo info, std::shared_ptr<transport::Connection> connection, mux::MConnection& mconnection,
           const std::vector<mux::ChannelDescriptor>& channels, asio::io_context::executor_type network)
    : m_info(std::move(info)),
      m_connection(std::move(connection)),
      m_mconnection(mconnection),
      m_network(network) {
    for (const auto& c : channels)
        m_capacity[c.id] = static_cast<std::uint32_t>(c.send_queue_capacity);
    // The MConnection (and so this callback) lives inside the connection this peer owns.
    m_mconnection.set_on_sent([this](mux::ChannelId channel) { on_sent(channel); });
}

bool Peer::try_send(mux::ChannelId channel, base::SharedBytes message) {
    if (closed()) return false;
    const std::uint32_t capacity = m_capacity[channel];
    std::uint32_t current = m_in_flight[channel].load(std::memory_order_relaxed);
    do {
        if (current >= capacity) return false;
    } while (!m_in_flight[channel].compare_exchange_weak(current, current + 1, std::memory_order_acq_rel));

    if (on_network_thread()) {
        const bool queued = m_mconnection.try_send(channel, std::move(message));
        if (!queued) m_in_flight[channel].fetch_sub(1, std::memory_order_acq_rel);
        m_connection->wake();
        return queued;
    }
    asio::post(m_network, [self = shared_from_this(), channel, message = std::move(message)]() mutable {
        if (self->closed()) return;
        // Cannot fail: in-flight messages never exceed the queue's capacity.
        if (!self->m_mconnection.try_send(channel, std::move(message))) {
            self->m_in_flight[channel].fetch_sub(1, std::memory_order_acq_rel);
        }
        self->m_connection->wake();
    });
    return true;
}

bool Peer::send(mux::ChannelId channel, base::SharedBytes message, base::Duration timeout) {
    if (on_network_thread())
        throw std::logic_error("Peer::send would block the network thread; use try_send");
    const auto deadline = base::SteadyClock::now() + timeout;
    ++m_waiting_senders;
    std::unique_lock lock(m_send_mutex);
    bool queued = false;
    while (!(queued = try_send(channel, message)) && !closed()) {
        if (m_send_room.wait_until(lock, deadline) == std::cv_status::timeout) {
            queued = try_send(channel, message);
            break;
        }
    }
    --m_waiting_senders;
    return queued;
}

void Peer::on_sent(mux::ChannelId channel) {
    m_in_flight[channel].fetch_sub(1, std::memory_order_acq_rel);
    if (m_waiting_senders.load(std::memory_order_acquire) > 0) {
        std::lock_guard lock(m_send_mutex);
        m_send_room.notify_all();
    }
}

void Peer::close(std::error_code reason) {
    if (on_network_thread()) {
        m_connection->close(reason);
        return;
    }
    asio::post(m_network, [self = shared_from_this(), reason] { self->m_connection->close(reason); });
}

void Peer::close_gracefully(std::error_code reason) {
    asio::post(m_network,
               [self = shared_from_this(), reason] { self->m_connection->close_when_flushed(reason); });
}

void Peer::mark_closed() {
    m_closed.store(true, std::memory_order_release);
    std::lock_guard lock(m_send_mutex);
    m_send_room.notify_all();
}

void Peer::set(const std::string& key, std::any value) {
    std::lock_guard lock(m_data_mutex);
    m_data[key] = std::move(value);
}

std::any Peer::get(const std::string& key) const {
    std::lock_guard lock(m_data_mutex);
    auto it = m_data.find(key);
    return it == m_data.end() ? std::any{} : it->second;
}

}  // namespace peerlink::peer
