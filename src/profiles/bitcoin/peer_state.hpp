// btcd-style Bitcoin peer negotiation and liveness as a sans-I/O state machine: version/verack
// with feature negotiation (wtxidrelay, sendaddrv2), self-connection detection, ping/pong RTT,
// idle and stall deadlines. Bytes and time in, actions out. Node thread only; one per connection.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "peer/node_id.hpp"
#include "profiles/bitcoin/error.hpp"
#include "profiles/bitcoin/messages.hpp"
#include "profiles/bitcoin/network.hpp"
#include "profiles/bitcoin/wire.hpp"

namespace peerlink::bitcoin {

/// BIP339 wtxidrelay and BIP155 sendaddrv2 are sent only to peers at this version or above.
inline constexpr std::int32_t k_feature_negotiation_version = 70016;

/// Nonces of the version messages we sent recently, shared by every peer of one node (btcd's
/// sentNonces, 50 entries): a version that carries one of them means we reached ourselves.
class NonceSet {
public:
    explicit NonceSet(std::size_t capacity = 50) : m_capacity(capacity == 0 ? 1 : capacity) {}
    void add(std::uint64_t nonce);
    [[nodiscard]] bool contains(std::uint64_t nonce) const;
    [[nodiscard]] std::size_t size() const { return m_nonces.size(); }

private:
    std::size_t m_capacity;
    std::deque<std::uint64_t> m_nonces;  // oldest first
};

/// The same enum as every other profile's, so the connection manager takes it as it is.
using Direction = peer::Direction;

/// The current time: steady for deadlines, wall-clock seconds only for version timestamps and the
/// peer's clock offset (which we record and never apply).
struct Now {
    base::TimePoint steady;
    std::int64_t unix_seconds = 0;
};

struct PeerOptions {
    Magic magic = mainnet().magic;
    std::size_t max_payload = k_default_max_payload;
    std::int32_t protocol_version = 70016;
    /// Peers below this are disconnected ("obsolete"). btcd accepts from 209
    /// (MinAcceptableProtocolVersion), Core from 31800 (MIN_PEER_PROTO_VERSION); we require 70001
    /// (BIP37, as bcoin does): every field of version, including relay, is then defined, and no
    /// reachable node of today's network runs anything older.
    std::int32_t min_protocol_version = 70001;
    std::uint64_t services = 0;
    std::string user_agent = "/peerlink:0.1.0/";
    std::int32_t start_height = 0;
    bool relay = true;
    /// btcd sends a BIP61 reject before it disconnects for a protocol violation; Core no longer does.
    bool send_rejects = false;
    bool send_addrv2 = true;                                        // announce BIP155 support
    bool send_wtxidrelay = true;                                    // announce BIP339 support
    base::Duration negotiation_timeout = std::chrono::seconds(30);  // btcd negotiateTimeout
    base::Duration idle_timeout = std::chrono::minutes(5);          // btcd idleTimeout
    base::Duration ping_interval = std::chrono::minutes(2);         // btcd pingInterval
    std::size_t max_expected_replies = 64;
};

/// What the peer told us in its version and feature messages.
struct RemoteInfo {
    std::int32_t version = 0;
    std::int32_t negotiated_version = 0;  // min(ours, theirs)
    std::uint64_t services = 0;
    std::string user_agent;
    std::int32_t start_height = 0;
    bool relay = true;
    std::int64_t time_offset = 0;  // their clock minus ours, seconds (saturated)
    NetAddr addr_recv;             // how the peer sees us
    bool wants_addrv2 = false;     // sent sendaddrv2
    bool wtxid_relay = false;      // sent wtxidrelay and the negotiated version allows it
};

/// Messages by type (Message's alternatives, in order; Unknown counts every other command).
struct MessageCounts {
    std::array<std::uint64_t, std::variant_size_v<Message>> received{};
    std::array<std::uint64_t, std::variant_size_v<Message>> sent{};
    MessageCounts& operator+=(const MessageCounts& other);
};
/// The metrics label of alternative `index`: its command, or "other" for Unknown.
std::string_view message_label(std::size_t index);

namespace action {
/// One framed message to write, in order.
struct Send {
    base::Bytes bytes;
};
/// Close the connection; nothing more will come from this PeerState.
struct Disconnect {
    std::error_code reason;
    std::string text;
};
struct HandshakeComplete {
    RemoteInfo info;
};
/// A message for the application (everything after the handshake that negotiation does not consume).
struct Deliver {
    Message message;
};
}  // namespace action
using Action = std::variant<action::Send, action::Disconnect, action::HandshakeComplete, action::Deliver>;
using Actions = std::vector<Action>;

class PeerState {
public:
    /// `remote` is the peer's address as we know it (our version's addr_recv). `sent_nonces` and
    /// `random` belong to the node and outlive this object.
    PeerState(PeerOptions options, Direction direction, NetAddr remote, NonceSet& sent_nonces,
              base::Random& random);

    /// The connection is up: arms the deadlines; an outbound peer sends its version.
    Actions start(const Now& now);
    /// Bytes from the socket. Partial messages are kept until the rest arrives.
    Actions feed(base::ByteView bytes, const Now& now);
    /// Checks deadlines and sends due pings; call at next_deadline() or later.
    Actions on_timer(const Now& now);
    /// The earliest time on_timer has work to do.
    [[nodiscard]] base::TimePoint next_deadline() const;

    /// Frames an application message for this peer.
    [[nodiscard]] base::Bytes encode(const Message& message) const;
    /// Stall tracking (btcd's stallHandler): the application sent a request and expects `command`
    /// within `timeout`; a missing reply disconnects. False when max_expected_replies are pending.
    bool expect_reply(std::string command, base::Duration timeout, const Now& now);

    [[nodiscard]] bool established() const { return m_state == State::established; }
    [[nodiscard]] bool closed() const { return m_state == State::closed; }
    [[nodiscard]] Direction direction() const { return m_direction; }
    [[nodiscard]] const RemoteInfo& remote() const { return m_remote; }
    /// Round trip of the last ping answered by a matching pong.
    [[nodiscard]] std::optional<base::Duration> last_rtt() const { return m_last_rtt; }
    [[nodiscard]] std::size_t expected_replies() const { return m_expected.size(); }
    /// Messages decoded from and framed for this peer.
    [[nodiscard]] const MessageCounts& counts() const { return m_counts; }

private:
    enum class State { idle, negotiating, established, closed };
    struct Expected {
        std::string command;
        base::TimePoint deadline;
    };

    void handle(Message&& message, const Now& now, Actions& out);
    void on_version(const Version& v, const Now& now, Actions& out);
    void send(const Message& message, Actions& out) const;
    void send_version(const Now& now, Actions& out);
    void disconnect(std::error_code reason, std::string text, Actions& out);
    void disconnect(Errc reason, std::string text, Actions& out) {
        disconnect(make_error_code(reason), std::move(text), out);
    }
    void reject_and_disconnect(std::string_view command, std::uint8_t code, Errc reason, std::string text,
                               Actions& out);
    std::uint64_t fresh_nonce();

    PeerOptions m_options;
    Direction m_direction;
    NetAddr m_remote_addr;
    NonceSet& m_sent_nonces;
    base::Random& m_random;
    FrameReader m_reader;

    State m_state = State::idle;
    bool m_sent_version = false;
    bool m_got_version = false;
    bool m_got_verack = false;
    RemoteInfo m_remote;

    base::TimePoint m_negotiation_deadline{};
    base::TimePoint m_last_receive{};
    base::TimePoint m_next_ping{};
    std::uint64_t m_ping_nonce = 0;  // 0: no ping outstanding
    base::TimePoint m_ping_sent{};
    std::optional<base::Duration> m_last_rtt;
    std::deque<Expected> m_expected;
    mutable MessageCounts m_counts;  // encode() is const and counts what it frames
};

}  // namespace peerlink::bitcoin
