#include "profiles/bitcoin/peer_state.hpp"

#include <algorithm>
#include <limits>

namespace peerlink::bitcoin {

void NonceSet::add(std::uint64_t nonce) {
    if (contains(nonce)) return;
    if (m_nonces.size() == m_capacity) m_nonces.pop_front();
    m_nonces.push_back(nonce);
}

bool NonceSet::contains(std::uint64_t nonce) const {
    return std::find(m_nonces.begin(), m_nonces.end(), nonce) != m_nonces.end();
}

MessageCounts& MessageCounts::operator+=(const MessageCounts& other) {
    for (std::size_t i = 0; i < received.size(); ++i) {
        received[i] += other.received[i];
        sent[i] += other.sent[i];
    }
    return *this;
}

std::string_view message_label(std::size_t index) {
    if (index < std::size(k_known_commands)) return k_known_commands[index];
    return "other";
}

namespace {

// a - b without signed overflow: peers choose `a`.
std::int64_t saturating_sub(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (!__builtin_sub_overflow(a, b, &r)) return r;
    return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

}  // namespace

PeerState::PeerState(PeerOptions options, Direction direction, NetAddr remote, NonceSet& sent_nonces,
                     base::Random& random)
    : m_options(std::move(options)),
      m_direction(direction),
      m_remote_addr(remote),
      m_sent_nonces(sent_nonces),
      m_random(random),
      m_reader({.magic = m_options.magic, .max_payload = m_options.max_payload}) {}

Actions PeerState::start(const Now& now) {
    Actions out;
    if (m_state != State::idle) return out;
    m_state = State::negotiating;
    m_negotiation_deadline = now.steady + m_options.negotiation_timeout;
    m_last_receive = now.steady;
    // btcd: the outbound side speaks first; the inbound side answers the peer's version.
    if (m_direction == Direction::outbound) send_version(now, out);
    return out;
}

Actions PeerState::feed(base::ByteView bytes, const Now& now) {
    Actions out;
    if (m_state == State::closed) return out;
    if (m_state == State::idle) {
        const Actions started = start(now);
        out.insert(out.end(), started.begin(), started.end());
    }
    if (!bytes.empty()) m_last_receive = now.steady;
    m_reader.append(bytes);
    while (m_state != State::closed) {
        auto frame = m_reader.next();
        if (!frame) {
            // bad_magic or payload_too_large: the stream cannot be resynchronised.
            disconnect(frame.error(), frame.error().message(), out);
            break;
        }
        if (!*frame) break;
        const Frame& f = **frame;
        // Core drops messages with a bad checksum or command and reads on.
        if (f.status != FrameStatus::ok) continue;
        // Trailing bytes are ignored, as Core does: a peer extending a message is not misbehaving.
        auto message = decode_message(f.command, f.payload, /*allow_trailing=*/true);
        if (!message) {
            reject_and_disconnect(f.command, k_reject_malformed, Errc::malformed_message,
                                  f.command + ": " + message.error().message(), out);
            break;
        }
        ++m_counts.received[message->index()];
        handle(std::move(*message), now, out);
    }
    return out;
}

void PeerState::handle(Message&& message, const Now& now, Actions& out) {
    if (!m_got_version) {
        if (const auto* v = std::get_if<Version>(&message)) return on_version(*v, now, out);
        // btcd: "A version message must precede all others" (with a malformed reject).
        return reject_and_disconnect(command_of(message), k_reject_malformed, Errc::version_not_first,
                                     "a version message must precede all others", out);
    }
    if (std::holds_alternative<Version>(message))
        return reject_and_disconnect("version", k_reject_duplicate, Errc::duplicate_version,
                                     "duplicate version message", out);
    if (std::holds_alternative<Verack>(message)) {
        if (m_got_verack)
            return reject_and_disconnect("verack", k_reject_duplicate, Errc::duplicate_verack,
                                         "duplicate verack message", out);
        m_got_verack = true;
        // Our verack went out with our answer to their version, so both sides are done.
        m_state = State::established;
        m_next_ping = now.steady + m_options.ping_interval;
        out.emplace_back(action::HandshakeComplete{m_remote});
        return;
    }
    // Feature negotiation belongs between version and verack (Core disconnects otherwise).
    if (std::holds_alternative<WtxidRelay>(message) || std::holds_alternative<SendAddrV2>(message)) {
        if (m_got_verack)
            return disconnect(Errc::feature_after_verack,
                              std::string(command_of(message)) + " received after verack", out);
        if (std::holds_alternative<SendAddrV2>(message)) {
            m_remote.wants_addrv2 = true;
        } else if (m_remote.negotiated_version >= k_feature_negotiation_version) {
            m_remote.wtxid_relay = true;
        }
        return;
    }
    // Between version and verack Core ignores everything else; so do we.
    if (!m_got_verack) return;

    if (const auto* ping = std::get_if<Ping>(&message)) return send(Pong{ping->nonce}, out);
    if (const auto* pong = std::get_if<Pong>(&message)) {
        // btcd: only a pong for the outstanding ping counts; others are ignored.
        if (m_ping_nonce != 0 && pong->nonce == m_ping_nonce) {
            m_last_rtt = now.steady - m_ping_sent;
            m_ping_nonce = 0;
        }
        return;
    }
    const std::string_view command = command_of(message);
    const auto awaited = std::find_if(m_expected.begin(), m_expected.end(),
                                      [&](const Expected& e) { return e.command == command; });
    if (awaited != m_expected.end()) m_expected.erase(awaited);
    out.emplace_back(action::Deliver{std::move(message)});
}

void PeerState::on_version(const Version& v, const Now& now, Actions& out) {
    if (m_sent_nonces.contains(v.nonce))
        return disconnect(Errc::self_connection, "version nonce is one we sent", out);
    if (v.version < m_options.min_protocol_version)
        return reject_and_disconnect(
            "version", k_reject_obsolete, Errc::obsolete_version,
            "protocol version must be " + std::to_string(m_options.min_protocol_version) + " or greater",
            out);
    m_got_version = true;
    m_remote.version = v.version;
    m_remote.negotiated_version = std::min(v.version, m_options.protocol_version);
    m_remote.services = v.services;
    m_remote.user_agent = v.user_agent;
    m_remote.start_height = v.start_height;
    m_remote.relay = v.relay.value_or(true);
    m_remote.time_offset = saturating_sub(v.timestamp, now.unix_seconds);
    m_remote.addr_recv = v.addr_recv;

    if (!m_sent_version) send_version(now, out);
    if (m_remote.negotiated_version >= k_feature_negotiation_version) {
        if (m_options.send_wtxidrelay) send(WtxidRelay{}, out);
        if (m_options.send_addrv2) send(SendAddrV2{}, out);
    }
    send(Verack{}, out);
}

Actions PeerState::on_timer(const Now& now) {
    Actions out;
    if (m_state == State::closed || m_state == State::idle) return out;
    if (m_state == State::negotiating && now.steady >= m_negotiation_deadline) {
        disconnect(Errc::negotiation_timeout, "version negotiation timed out", out);
        return out;
    }
    if (now.steady - m_last_receive >= m_options.idle_timeout) {
        disconnect(Errc::idle_timeout, "no message received within the idle timeout", out);
        return out;
    }
    for (const auto& e : m_expected) {
        if (now.steady >= e.deadline) {
            disconnect(Errc::stall_timeout, "no " + e.command + " reply in time", out);
            return out;
        }
    }
    if (m_state == State::established && now.steady >= m_next_ping) {
        // A new ping replaces an unanswered one (btcd); the idle timeout catches a silent peer.
        m_ping_nonce = fresh_nonce();
        m_ping_sent = now.steady;
        m_next_ping = now.steady + m_options.ping_interval;
        send(Ping{m_ping_nonce}, out);
    }
    return out;
}

base::TimePoint PeerState::next_deadline() const {
    if (m_state == State::closed || m_state == State::idle) return base::TimePoint::max();
    base::TimePoint t = m_last_receive + m_options.idle_timeout;
    if (m_state == State::negotiating) t = std::min(t, m_negotiation_deadline);
    if (m_state == State::established) t = std::min(t, m_next_ping);
    for (const auto& e : m_expected)
        t = std::min(t, e.deadline);
    return t;
}

base::Bytes PeerState::encode(const Message& message) const {
    ++m_counts.sent[message.index()];
    return frame(m_options.magic, command_of(message), encode_payload(message));
}

bool PeerState::expect_reply(std::string command, base::Duration timeout, const Now& now) {
    if (m_expected.size() >= m_options.max_expected_replies) return false;
    m_expected.push_back({std::move(command), now.steady + timeout});
    return true;
}

void PeerState::send(const Message& message, Actions& out) const {
    out.emplace_back(action::Send{encode(message)});
}

void PeerState::send_version(const Now& now, Actions& out) {
    Version v;
    v.version = m_options.protocol_version;
    v.services = m_options.services;
    v.timestamp = now.unix_seconds;
    v.addr_recv = m_remote_addr;
    v.addr_from = NetAddr{m_options.services, {}, 0};  // Core also leaves our address empty
    v.nonce = fresh_nonce();
    v.user_agent = m_options.user_agent;
    v.start_height = m_options.start_height;
    v.relay = m_options.relay;
    m_sent_nonces.add(v.nonce);
    m_sent_version = true;
    send(v, out);
}

void PeerState::disconnect(std::error_code reason, std::string text, Actions& out) {
    m_state = State::closed;
    m_expected.clear();
    out.emplace_back(action::Disconnect{reason, std::move(text)});
}

void PeerState::reject_and_disconnect(std::string_view command, std::uint8_t code, Errc reason,
                                      std::string text, Actions& out) {
    if (m_options.send_rejects) {
        Reject r;
        // The reject's fields have Core's old bounds; keep ours within them so peers can read it.
        r.message = std::string(command.substr(0, k_max_reject_message));
        r.code = code;
        r.reason = text.substr(0, k_max_reject_reason);
        send(r, out);
    }
    disconnect(reason, std::move(text), out);
}

std::uint64_t PeerState::fresh_nonce() {
    std::uint64_t n = 0;
    while (n == 0)
        n = m_random.next_u64();  // 0 marks "no ping outstanding"
    return n;
}

}  // namespace peerlink::bitcoin
