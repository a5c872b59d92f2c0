// MConnection: CometBFT's channel multiplexer (p2p/conn/connection.go) as a sans-I/O session.
// Messages are queued per channel, cut into PacketMsg fragments, scheduled by least
// recently_sent/priority, written uvarint-delimited; received packets are reassembled per channel.
// Node thread only; driven by a transport::Connection, which owns the socket and timers.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "mux/flow_rate.hpp"
#include "mux/packet.hpp"
#include "transport/session.hpp"

namespace peerlink::mux {

enum class Errc {
    unknown_channel = 1,  // a PacketMsg for a channel we did not register
    message_too_large,    // reassembled message above the channel's recv_message_capacity
    packet_too_large,     // packet length prefix above the maximum packet size
    malformed_packet,     // undecodable protobuf, no oneof set, or payload above the maximum
    pong_timeout,         // no pong within pong_timeout of our ping
};
PEERLINK_DECLARE_ERRC(Errc)

struct ChannelDescriptor {
    ChannelId id = 0;
    /// Share of the send bandwidth relative to other channels; must be > 0.
    int priority = 1;
    /// Whole messages waiting to be sent on this channel.
    std::size_t send_queue_capacity = 1;
    /// Largest reassembled message accepted (CometBFT default 22020096).
    std::size_t recv_message_capacity = 22020096;
    /// Initial reassembly reservation in bytes.
    std::size_t recv_buffer_capacity = 4096;
};

struct Options {
    /// Largest PacketMsg data; keep it equal to the network's setting (CometBFT rejects larger).
    std::size_t max_packet_msg_payload_size = 1024;
    /// How long written packets may wait before a flush (CometBFT v0.34-v0.38: 100 ms). 0 = at once.
    base::Duration flush_throttle = std::chrono::milliseconds(100);
    /// Buffered output that is flushed without waiting for the throttle.
    std::size_t flush_threshold = 64 * 1024;
    base::Duration ping_interval = std::chrono::seconds(60);
    base::Duration pong_timeout = std::chrono::seconds(45);
    /// Bytes per second; 0 = unlimited.
    std::uint64_t send_rate = 5'120'000;
    std::uint64_t recv_rate = 5'120'000;
    /// recently_sent of every channel is multiplied by 0.8 this often.
    base::Duration stats_decay_period = std::chrono::seconds(2);
    /// Senders parked by send() per channel; more are refused at once.
    std::size_t max_waiting_senders = 64;
};

struct ChannelStats {
    ChannelId id = 0;
    std::size_t send_queue_size = 0;
    std::uint64_t recently_sent = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t bytes_sent = 0;      // whole delimited packets
    std::uint64_t bytes_received = 0;  // whole delimited packets
};

struct ConnectionStats {
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t pings_sent = 0;
    std::uint64_t pongs_received = 0;
    std::vector<ChannelStats> channels;
};

/// Receives whole messages. The view is valid only during the call.
using ReceiveFn = std::function<void(ChannelId, base::ByteView)>;
/// Completes a send(): true once the message is queued, false at the deadline or when refused.
using SendDone = std::function<void(bool queued)>;

class MConnection final : public transport::Session {
public:
    /// Throws std::invalid_argument for a bad descriptor set (duplicate id, priority <= 0,
    /// zero capacities) or options (payload size 0).
    MConnection(Options options, std::vector<ChannelDescriptor> channels, ReceiveFn on_receive,
                base::TimePoint now);

    /// Queues `message` if the channel's queue has room; never waits. False for an unknown channel.
    bool try_send(ChannelId channel, base::SharedBytes message);
    /// Queues `message` now or as soon as the queue has room before `deadline`; `done` runs exactly
    /// once, from try_send's caller stack when queued at once, otherwise from poll().
    void send(ChannelId channel, base::SharedBytes message, base::TimePoint deadline, SendDone done);
    /// Runs (node thread) each time a whole message has been written to the output; lets a
    /// thread-safe front end count its in-flight messages.
    void set_on_sent(std::function<void(ChannelId)> on_sent) { m_on_sent = std::move(on_sent); }
    /// True when something is waiting to be written (queued messages, ping or pong).
    [[nodiscard]] bool has_pending_output() const override;
    [[nodiscard]] ConnectionStats stats() const;
    [[nodiscard]] const Options& options() const { return m_options; }

    // transport::Session
    base::Result<void> on_receive(base::ByteView plaintext, base::TimePoint now) override;
    base::Result<transport::PollResult> poll(base::Buffer& out, base::TimePoint now) override;
    transport::ReceiveAllowance receive_allowance(base::TimePoint now) override;
    /// Stops delivery (nothing reaches on_receive after this) and fails parked senders.
    void on_close() override;

private:
    struct Channel;
    // Channel is defined in mconnection.cpp; only this deleter needs the complete type, so the
    // implicitly generated destructor and move operations compile where Channel is incomplete.
    struct ChannelDeleter {
        void operator()(Channel* c) const;
    };
    // send() completions gathered while poll() updates the queues and run once they are
    // consistent again, so a callback that sends again never sees a half-updated queue.
    struct Completion {
        SendDone done;
        bool queued;
    };

    Channel* channel(ChannelId id);
    /// Decodes and acts on one packet body; `wire_size` includes its length prefix.
    base::Result<void> handle_packet(base::ByteView body, std::size_t wire_size);
    /// The backlogged channel with the least recently_sent/priority, or nullptr.
    Channel* least_channel();
    /// Writes the next fragment of `ch`'s front message; returns the bytes written.
    std::size_t write_next_packet(Channel& ch, base::Buffer& out);
    /// Moves `message` into `ch`'s queue if it has room (leaves it untouched otherwise).
    static bool enqueue(Channel& ch, base::SharedBytes& message);
    void expire_parked(base::TimePoint now);
    [[nodiscard]] base::TimePoint earliest_parked_deadline() const;
    /// On a fatal error: parked senders will never be queued, so they learn it now.
    void fail_parked();
    void run_completions();
    base::Result<void> fail_receive(std::error_code ec);

    Options m_options;
    ReceiveFn m_on_receive;
    std::function<void(ChannelId)> m_on_sent;
    std::vector<std::unique_ptr<Channel, ChannelDeleter>> m_channels;  // registration order breaks ties
    std::array<std::uint8_t, 256> m_index{};  // channel id -> position in m_channels (checked)
    base::Buffer m_partial;                   // received bytes of an incomplete packet
    std::size_t m_max_packet_size = 0;

    FlowRate m_send_flow;
    FlowRate m_recv_flow;

    bool m_stopped = false;
    bool m_pong_pending = false;
    bool m_ping_pending = false;
    base::TimePoint m_next_ping;
    base::TimePoint m_pong_deadline = base::TimePoint::max();
    base::TimePoint m_next_decay;
    base::TimePoint m_unflushed_since = base::TimePoint::max();

    std::size_t m_parked = 0;  // parked senders over all channels
    std::vector<Completion> m_completions;

    std::uint64_t m_bytes_sent = 0;
    std::uint64_t m_bytes_received = 0;
    std::uint64_t m_pings_sent = 0;
    std::uint64_t m_pongs_received = 0;
};

}  // namespace peerlink::mux

PEERLINK_ERROR_ENUM_TRAIT(peerlink::mux::Errc)
