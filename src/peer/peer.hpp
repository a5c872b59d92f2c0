// A connected, handshaken peer as reactors see it: thread-safe sends per channel, per-peer data
// for reactors, statistics and close with a reason. Created on the network thread once the
// profile's handshake and the admission checks passed; shared with reactors by shared_ptr.
#pragma once
#include <any>
#include <array>
#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mux/mconnection.hpp"
#include "peer/node_id.hpp"
#include "peer/peer_info.hpp"
#include "transport/connection.hpp"

namespace peerlink::peer {

class Peer : public std::enable_shared_from_this<Peer> {
public:
    /// Network thread. `mconnection` is owned by `connection`, which this peer keeps alive.
    Peer(PeerInfo info, std::shared_ptr<transport::Connection> connection, mux::MConnection& mconnection,
         const std::vector<mux::ChannelDescriptor>& channels, asio::io_context::executor_type network);

    [[nodiscard]] const PeerInfo& info() const { return m_info; }
    [[nodiscard]] const NodeId& id() const { return m_info.id; }

    /// Any thread. Queues `message` if the channel has room and never waits; false for a full
    /// queue, an unknown channel or a closed peer.
    bool try_send(mux::ChannelId channel, base::SharedBytes message);
    /// Any thread but the network thread (it would deadlock). Waits up to `timeout` for room,
    /// like CometBFT's Peer.Send (10 s there).
    bool send(mux::ChannelId channel, base::SharedBytes message,
              base::Duration timeout = std::chrono::seconds(10));
    /// Any thread. Closes the connection; the router then removes the peer with `reason`.
    void close(std::error_code reason);
    /// Any thread. Closes once what is queued to this peer is written (e.g. a seed's reply).
    void close_gracefully(std::error_code reason);
    [[nodiscard]] bool closed() const { return m_closed.load(std::memory_order_acquire); }

    /// Any thread. Per-peer data for reactors (e.g. "pex.last_request").
    void set(const std::string& key, std::any value);
    [[nodiscard]] std::any get(const std::string& key) const;

    /// Network thread only.
    [[nodiscard]] mux::ConnectionStats stats() const { return m_mconnection.stats(); }
    [[nodiscard]] transport::Connection& connection() { return *m_connection; }

    /// Network thread: the connection closed (called by the owner of the on_closed callback).
    void mark_closed();

    /// Bytes received and handed to reactors but not yet processed (network thread only).
    std::size_t inbound_bytes = 0;

private:
    void on_sent(mux::ChannelId channel);
    bool on_network_thread() const { return m_network.running_in_this_thread(); }

    PeerInfo m_info;
    std::shared_ptr<transport::Connection> m_connection;
    mux::MConnection& m_mconnection;
    asio::io_context::executor_type m_network;
    std::atomic<bool> m_closed{false};

    // Messages accepted by try_send and not yet fully written, per channel; bounded by the
    // channel's send_queue_capacity, so the MConnection queue always has room when they arrive.
    std::array<std::atomic<std::uint32_t>, 256> m_in_flight{};
    std::array<std::uint32_t, 256> m_capacity{};

    std::mutex m_send_mutex;  // only senders that wait (send()) and on_sent touch it
    std::condition_variable m_send_room;
    std::atomic<int> m_waiting_senders{0};

    mutable std::mutex m_data_mutex;
    std::unordered_map<std::string, std::any> m_data;
};

using PeerPtr = std::shared_ptr<Peer>;

}  // namespace peerlink::peer
