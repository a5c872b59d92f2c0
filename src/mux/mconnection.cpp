#include "mux/mconnection.hpp"

#include <algorithm>
#include <limits>
#include <list>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/log.hpp"
#include "codec/protobuf.hpp"

namespace peerlink::mux {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::unknown_channel:
            return "PacketMsg for an unregistered channel";
        case Errc::message_too_large:
            return "reassembled message above the channel's receive capacity";
        case Errc::packet_too_large:
            return "packet length prefix above the maximum packet size";
        case Errc::malformed_packet:
            return "malformed packet (undecodable, no member set, or payload above the maximum)";
        case Errc::pong_timeout:
            return "no pong received within the pong timeout";
    }
    return "unknown mux error";
}

spdlog::logger& logger() {
    return base::log::get(base::log::Category::mux);
}

std::string channel_hex(std::int64_t id) {
    return fmt::format("{:#04x}", id);
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("mux", describe);
    return category;
}

struct MConnection::Channel {
    struct Parked {
        base::SharedBytes message;
        base::TimePoint deadline;
        SendDone done;
    };

    explicit Channel(const ChannelDescriptor& d, std::size_t max_payload)
        : desc(d),
          // A 2-byte channel id makes our packet one byte larger than CometBFT's bound, which it
          // computes with channel 0x01; one byte less data keeps us within it.
          max_fragment(d.id >= 0x80 ? std::max<std::size_t>(1, max_payload - 1) : max_payload) {}

    [[nodiscard]] bool full() const { return count == desc.send_queue_capacity; }

    ChannelDescriptor desc;
    std::size_t max_fragment;

    // Send side: a ring of whole messages; the front one is sent from `offset` on. It starts
    // empty and doubles when full, up to send_queue_capacity, so an idle peer holds no queue.
    std::vector<base::SharedBytes> queue;
    std::size_t head = 0;
    std::size_t count = 0;
    std::size_t offset = 0;
    std::list<Parked> parked;  // send() callers waiting for room, FIFO (a list holds nothing when empty)

    base::Bytes recving;  // reassembly of a fragmented message

    std::uint64_t recently_sent = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
};

void MConnection::ChannelDeleter::operator()(Channel* c) const {
    delete c;
}

MConnection::MConnection(Options options, std::vector<ChannelDescriptor> channels, ReceiveFn on_receive,
                         base::TimePoint now)
    : m_options(options),
      m_on_receive(std::move(on_receive)),
      m_max_packet_size(packet_msg_body_size(0xff, true, options.max_packet_msg_payload_size)),
      m_send_flow(options.send_rate, std::max<std::uint64_t>(options.send_rate / 10, 2 * m_max_packet_size),
                  now),
      m_recv_flow(options.recv_rate, std::max<std::uint64_t>(options.recv_rate / 10, 2 * m_max_packet_size),
                  now),
      m_next_ping(now + options.ping_interval),
      m_next_decay(now + options.stats_decay_period) {
    if (m_options.max_packet_msg_payload_size == 0) {
        throw std::invalid_argument("mux: max_packet_msg_payload_size must be > 0");
    }
    m_channels.reserve(channels.size());
    for (const ChannelDescriptor& d : channels) {
        const std::string id = channel_hex(d.id);
        if (channel(d.id) != nullptr) throw std::invalid_argument("mux: duplicate channel id " + id);
        if (d.priority <= 0) throw std::invalid_argument("mux: channel " + id + " priority must be > 0");
        if (d.send_queue_capacity == 0) {
            throw std::invalid_argument("mux: channel " + id + " send_queue_capacity must be > 0");
        }
        if (d.recv_message_capacity == 0) {
            throw std::invalid_argument("mux: channel " + id + " recv_message_capacity must be > 0");
        }
        m_channels.emplace_back(new Channel(d, m_options.max_packet_msg_payload_size));
        m_index[d.id] = static_cast<std::uint8_t>(m_channels.size() - 1);
    }
}

MConnection::Channel* MConnection::channel(ChannelId id) {
    const std::size_t position = m_index[id];
    if (position >= m_channels.size() || m_channels[position]->desc.id != id) return nullptr;
    return m_channels[position].get();
}

bool MConnection::enqueue(Channel& ch, base::SharedBytes& message) {
    if (ch.full()) return false;
    if (ch.count == ch.queue.size()) {
        // Grow the ring (in order, from its head): 4 slots first, then double, up to the capacity.
        std::vector<base::SharedBytes> grown(
            std::min(ch.desc.send_queue_capacity, std::max<std::size_t>(4, 2 * ch.queue.size())));
        for (std::size_t i = 0; i < ch.count; ++i)
            grown[i] = std::move(ch.queue[(ch.head + i) % ch.queue.size()]);
        ch.queue = std::move(grown);
        ch.head = 0;
    }
    std::size_t slot = ch.head + ch.count;
    if (slot >= ch.queue.size()) slot -= ch.queue.size();
    ch.queue[slot] = std::move(message);
    ++ch.count;
    return true;
}

bool MConnection::try_send(ChannelId channel_id, base::SharedBytes message) {
    Channel* ch = channel(channel_id);
    return ch != nullptr && !m_stopped && enqueue(*ch, message);
}

void MConnection::send(ChannelId channel_id, base::SharedBytes message, base::TimePoint deadline,
                       SendDone done) {
    Channel* ch = channel(channel_id);
    if (ch == nullptr || m_stopped) {
        done(false);
        return;
    }
    // Parked senders exist only while the queue is full, so this cannot overtake them.
    if (enqueue(*ch, message)) {
        done(true);
        return;
    }
    if (ch->parked.size() >= m_options.max_waiting_senders) {
        done(false);
        return;
    }
    ch->parked.push_back({std::move(message), deadline, std::move(done)});
    ++m_parked;
}

bool MConnection::has_pending_output() const {
    if (m_ping_pending || m_pong_pending) return true;
    return std::any_of(m_channels.begin(), m_channels.end(), [](const auto& ch) { return ch->count > 0; });
}

ConnectionStats MConnection::stats() const {
    ConnectionStats s;
    s.bytes_sent = m_bytes_sent;
    s.bytes_received = m_bytes_received;
    s.pings_sent = m_pings_sent;
    s.pongs_received = m_pongs_received;
    s.channels.reserve(m_channels.size());
    for (const auto& ch : m_channels) {
        s.channels.push_back({.id = ch->desc.id,
                              .send_queue_size = ch->count,
                              .recently_sent = ch->recently_sent,
                              .messages_sent = ch->messages_sent,
                              .messages_received = ch->messages_received,
                              .bytes_sent = ch->bytes_sent,
                              .bytes_received = ch->bytes_received});
    }
    return s;
}

// ---- receive ----

base::Result<void> MConnection::fail_receive(std::error_code ec) {
    fail_parked();
    run_completions();
    return base::fail(ec);
}

void MConnection::on_close() {
    m_stopped = true;
    fail_parked();
    run_completions();
}

base::Result<void> MConnection::on_receive(base::ByteView plaintext, base::TimePoint now) {
    if (m_stopped) return {};
    (void)now;  // the receive rate is enforced through receive_allowance(); spending needs no time
    m_recv_flow.spend(plaintext.size());

    // Reads one delimited packet from the front of `in`; nullopt when incomplete.
    const auto read = [this](base::ByteView in) -> base::Result<std::optional<codec::Delimited>> {
        auto r = codec::read_delimited(in, m_max_packet_size);
        if (r) return r;
        if (r.error() == codec::Errc::message_too_large) {
            logger().debug("packet length prefix above {} bytes", m_max_packet_size);
            return base::fail(Errc::packet_too_large);
        }
        logger().debug("bad packet length prefix: {}", r.error().message());
        return base::fail(Errc::malformed_packet);
    };

    // Finish the packet started by an earlier call. Bytes are taken only up to its end so that
    // whole packets after it are decoded straight from `plaintext`.
    while (!m_partial.empty() && !m_stopped) {
        auto r = read(m_partial.data());
        if (!r) return fail_receive(r.error());
        if (*r) {
            PEERLINK_TRY(handle_packet((*r)->message, (*r)->consumed));
            m_partial.clear();
            break;
        }
        if (plaintext.empty()) return {};
        const codec::VarintRead len = codec::get_varint(m_partial.data());
        // Until the prefix is complete its length is unknown: feed it byte by byte (<= 10 bytes).
        std::size_t take = 1;
        if (len.status == codec::VarintStatus::ok) {
            take = len.size + static_cast<std::size_t>(len.value) - m_partial.size();
        }
        take = std::min(take, plaintext.size());
        m_partial.append(plaintext.first(take));
        plaintext = plaintext.subspan(take);
    }

    while (!plaintext.empty() && !m_stopped) {  // a receive callback may close the connection
        auto r = read(plaintext);
        if (!r) return fail_receive(r.error());
        if (!*r) {
            m_partial.append(plaintext);
            return {};
        }
        PEERLINK_TRY(handle_packet((*r)->message, (*r)->consumed));
        plaintext = plaintext.subspan((*r)->consumed);
    }
    return {};
}

base::Result<void> MConnection::handle_packet(base::ByteView body, std::size_t wire_size) {
    const base::Result<Packet> decoded = decode_packet(body);
    if (!decoded) {
        logger().debug("undecodable packet: {}", decoded.error().message());
        return fail_receive(Errc::malformed_packet);
    }
    const Packet& packet = *decoded;
    m_bytes_received += wire_size;
    switch (packet.kind) {
        case PacketKind::ping:
            // One pending pong at most, like CometBFT's 1-slot pong channel.
            m_pong_pending = true;
            return {};
        case PacketKind::pong:
            m_pong_deadline = base::TimePoint::max();
            ++m_pongs_received;
            return {};
        case PacketKind::msg:
            break;
    }

    Channel* ch = packet.channel_id >= 0 && packet.channel_id <= 0xff
                      ? channel(static_cast<ChannelId>(packet.channel_id))
                      : nullptr;
    if (ch == nullptr) {
        logger().debug("PacketMsg for unknown channel {}", packet.channel_id);
        return fail_receive(Errc::unknown_channel);
    }
    if (packet.data.size() > m_options.max_packet_msg_payload_size) {
        logger().debug("PacketMsg payload of {} bytes on channel {}", packet.data.size(),
                       channel_hex(packet.channel_id));
        return fail_receive(Errc::malformed_packet);
    }
    // Checked before appending so a peer cannot make us allocate past the capacity.
    if (ch->recving.size() + packet.data.size() > ch->desc.recv_message_capacity) {
        logger().debug("message on channel {} exceeds {} bytes", channel_hex(packet.channel_id),
                       ch->desc.recv_message_capacity);
        return fail_receive(Errc::message_too_large);
    }
    ch->bytes_received += wire_size;
    if (!packet.eof) {
        // Reserved on the first fragment, not per channel up front: idle peers hold no buffers.
        if (ch->recving.capacity() == 0) {
            ch->recving.reserve(std::min(ch->desc.recv_buffer_capacity, ch->desc.recv_message_capacity));
        }
        ch->recving.insert(ch->recving.end(), packet.data.begin(), packet.data.end());
        return {};
    }
    ++ch->messages_received;
    if (ch->recving.empty()) {
        m_on_receive(ch->desc.id, packet.data);  // single-packet message: no copy
        return {};
    }
    ch->recving.insert(ch->recving.end(), packet.data.begin(), packet.data.end());
    m_on_receive(ch->desc.id, ch->recving);
    const std::size_t message_size = ch->recving.size();
    ch->recving.clear();
    // Don't let one large message pin its buffer for the connection's lifetime, but keep it while
    // messages of about its size keep coming (regrowing it per message costs a copy per doubling).
    if (ch->recving.capacity() > 4 * std::max<std::size_t>(ch->desc.recv_buffer_capacity, 1024) &&
        message_size < ch->recving.capacity() / 4) {
        base::Bytes().swap(ch->recving);
    }
    return {};
}

transport::ReceiveAllowance MConnection::receive_allowance(base::TimePoint now) {
    if (m_recv_flow.unlimited()) return {};
    // Wait for room for a whole packet rather than reading a few bytes per refill: a read of
    // less than one sealed frame decrypts nothing and costs a system call.
    const std::uint64_t available = m_recv_flow.available(now);
    if (available < m_max_packet_size) {
        return {.bytes = 0, .retry_at = m_recv_flow.next_available(now, m_max_packet_size)};
    }
    return {.bytes = static_cast<std::size_t>(
                std::min<std::uint64_t>(available, std::numeric_limits<std::size_t>::max()))};
}

// ---- send ----

MConnection::Channel* MConnection::least_channel() {
    Channel* best = nullptr;
    float least = 0;
    for (const auto& ch : m_channels) {
        if (ch->count == 0) continue;
        // float32 like CometBFT, so equal ratios (and thus tie-breaking) match it.
        const float ratio = static_cast<float>(ch->recently_sent) / static_cast<float>(ch->desc.priority);
        if (best == nullptr || ratio < least) {
            best = ch.get();
            least = ratio;
        }
    }
    return best;
}

std::size_t MConnection::write_next_packet(Channel& ch, base::Buffer& out) {
    const base::ByteView message = ch.queue[ch.head].view();
    const std::size_t remaining = message.size() - ch.offset;
    const std::size_t n = std::min(remaining, ch.max_fragment);
    const bool eof = n == remaining;
    const std::size_t written = write_packet_msg(out, ch.desc.id, eof, message.subspan(ch.offset, n));
    ch.offset += n;
    ch.recently_sent += written;
    ch.bytes_sent += written;
    m_bytes_sent += written;
    if (eof) {
        ++ch.messages_sent;
        if (m_on_sent) m_on_sent(ch.desc.id);
        ch.queue[ch.head] = base::SharedBytes{};  // drop our reference now, not when the slot is reused
        if (++ch.head == ch.queue.size()) ch.head = 0;
        --ch.count;
        ch.offset = 0;
        while (!ch.parked.empty() && !ch.full()) {
            Channel::Parked& p = ch.parked.front();
            enqueue(ch, p.message);
            m_completions.push_back({std::move(p.done), true});
            ch.parked.pop_front();
            --m_parked;
        }
    }
    return written;
}

void MConnection::expire_parked(base::TimePoint now) {
    for (const auto& ch : m_channels) {
        auto& parked = ch->parked;
        for (auto it = parked.begin(); it != parked.end();) {
            if (now < it->deadline) {
                ++it;
                continue;
            }
            m_completions.push_back({std::move(it->done), false});
            it = parked.erase(it);
            --m_parked;
        }
    }
}

base::TimePoint MConnection::earliest_parked_deadline() const {
    base::TimePoint earliest = base::TimePoint::max();
    for (const auto& ch : m_channels) {
        for (const auto& p : ch->parked)
            earliest = std::min(earliest, p.deadline);
    }
    return earliest;
}

void MConnection::fail_parked() {
    for (const auto& ch : m_channels) {
        for (auto& p : ch->parked)
            m_completions.push_back({std::move(p.done), false});
        ch->parked.clear();
    }
    m_parked = 0;
}

void MConnection::run_completions() {
    if (m_completions.empty()) return;
    // Swapped out first: a callback may send() again (which may complete inline, never into this
    // list) or even poll(); either way it must not see the list being walked.
    std::vector<Completion> pending = std::exchange(m_completions, {});
    for (Completion& c : pending)
        c.done(c.queued);
    pending.clear();
    if (m_completions.empty()) m_completions = std::move(pending);  // keep the capacity
}

base::Result<transport::PollResult> MConnection::poll(base::Buffer& out, base::TimePoint now) {
    // The driver empties `out` once it has flushed it.
    if (out.empty()) m_unflushed_since = base::TimePoint::max();

    if (now >= m_pong_deadline) {
        logger().debug("no pong within {} ms",
                       std::chrono::duration_cast<std::chrono::milliseconds>(m_options.pong_timeout).count());
        fail_parked();
        run_completions();
        return base::fail(Errc::pong_timeout);
    }
    if (now >= m_next_ping) {
        m_ping_pending = true;
        if (m_pong_deadline == base::TimePoint::max()) m_pong_deadline = now + m_options.pong_timeout;
        m_next_ping = now + m_options.ping_interval;
    }
    if (now >= m_next_decay) {
        for (const auto& ch : m_channels) {
            // Truncated like Go's int64(float64(recentlySent) * 0.8).
            ch->recently_sent = static_cast<std::uint64_t>(static_cast<double>(ch->recently_sent) * 0.8);
        }
        m_next_decay = now + m_options.stats_decay_period;
    }
    if (m_parked > 0) expire_parked(now);

    bool urgent = false;
    if (m_pong_pending) {
        write_pong(out);
        m_pong_pending = false;
        m_bytes_sent += 3;
        m_send_flow.spend(3);
        urgent = true;
    }
    if (m_ping_pending) {
        write_ping(out);
        m_ping_pending = false;
        ++m_pings_sent;
        m_bytes_sent += 3;
        m_send_flow.spend(3);
        urgent = true;
    }

    bool rate_limited = false;
    const bool unlimited = m_send_flow.unlimited();
    for (;;) {
        while (out.size() < m_options.flush_threshold) {
            Channel* ch = least_channel();
            if (ch == nullptr) break;
            // The check is per packet, so one packet may overdraw the bucket; it is paid back first.
            if (!unlimited && m_send_flow.available(now) == 0) {
                rate_limited = true;
                break;
            }
            m_send_flow.spend(write_next_packet(*ch, out));
        }
        // send() callbacks run before the result is computed: whatever they queue goes out in this
        // poll or is covered by its wake_at, since the driver cannot be woken while it polls.
        if (m_completions.empty()) break;
        run_completions();
    }

    if (!out.empty() && m_unflushed_since == base::TimePoint::max()) m_unflushed_since = now;
    const base::Duration throttle = m_options.flush_throttle;
    transport::PollResult result;
    result.flush = !out.empty() &&
                   (out.size() >= m_options.flush_threshold || urgent || throttle == base::Duration::zero() ||
                    rate_limited || now >= m_unflushed_since + throttle);
    result.wake_at = std::min({m_next_ping, m_pong_deadline, m_next_decay});
    if (m_parked > 0) result.wake_at = std::min(result.wake_at, earliest_parked_deadline());
    if (!out.empty() && !result.flush)
        result.wake_at = std::min(result.wake_at, m_unflushed_since + throttle);
    if (rate_limited) result.wake_at = std::min(result.wake_at, m_send_flow.next_available(now));
    return result;
}

}  // namespace peerlink::mux
