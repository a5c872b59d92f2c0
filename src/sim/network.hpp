// The simulator's in-memory TCP: hosts on addresses 127.0.1.N (strings only, nothing is sent
// anywhere), reliable ordered byte streams with a one-way latency per pair of hosts, partitions
// and dial loss. A reliable stream never loses bytes, so loss applies to connection set-up only.
// Single-threaded (the EventLoop's); owned by sim::Simulation, registered hosts outlive it.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "peer/node_id.hpp"
#include "sim/event_loop.hpp"

namespace peerlink::sim {

/// One end of a simulated TCP connection; unique over the whole simulation, never reused.
using SocketId = std::uint64_t;

/// Every host listens on this port.
inline constexpr std::uint16_t k_listen_port = 26656;

/// What the network tells a host. Each call is made from an event, never from inside a call the
/// host made into the network, so a host may call back into the network from any of them.
class Host {
public:
    /// A connection reached our listener (only while listening).
    virtual void on_accepted(SocketId socket, const std::string& remote_ip, std::uint16_t remote_port) = 0;
    /// A dial returned by Network::dial connected.
    virtual void on_connected(SocketId socket) = 0;
    /// A dial failed: transport::Errc::dial_timeout or std::errc::connection_refused.
    virtual void on_dial_failed(SocketId socket, std::error_code reason) = 0;
    virtual void on_data(SocketId socket, base::ByteView bytes) = 0;
    /// The other end closed (transport::Errc::closed_by_peer) or the connection was reset
    /// (std::errc::connection_reset). Not called for our own close() or reset_host().
    virtual void on_closed(SocketId socket, std::error_code reason) = 0;

protected:
    ~Host() = default;
};

enum class PartitionMode {
    reset,  // connections across groups are reset at once (both ends see connection_reset)
    hold,   // bytes across groups are held silently and delivered at heal(), as TCP would retransmit
};

struct NetworkOptions {
    /// One-way latency between hosts unless set_latency says otherwise.
    base::Duration latency = std::chrono::milliseconds(10);
    /// false: both ends of a new connection are up one RTT after the dial. true: the listener
    /// learns of it when the dialler's ACK arrives, half an RTT after the dialler, as in real TCP.
    bool accept_at_ack = false;
};

class Network {
public:
    Network(EventLoop& loop, std::uint64_t seed, NetworkOptions options);
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    /// Registers `host` under the next address 127.0.1.N and returns that address. `name` and `id`
    /// only make traces readable. Not listening until set_listening(ip, true).
    std::string add_host(Host& host, std::string name, peer::NodeId id);
    void set_listening(std::string_view ip, bool listening);

    /// Starts a TCP connect from host `from_ip`: after one round trip the dialler gets
    /// on_connected and the listener on_accepted (at once, or one latency later with
    /// NetworkOptions::accept_at_ack). Refused after one round trip when nobody listens there; dial_timeout
    /// after `timeout` when no host has that address, the groups are partitioned, or loss drops the attempt.
    SocketId dial(std::string_view from_ip, std::string_view host, std::uint16_t port,
                  base::Duration timeout);
    /// Sends bytes to the other end; they arrive after the pair's latency, in order.
    void write(SocketId socket, base::ByteView bytes);
    /// Orderly close: the other end sees closed_by_peer after the latency. Idempotent.
    void close(SocketId socket);
    /// A crash: every socket of the host is gone at once, the other ends see connection_reset
    /// after the latency, dials in flight from it vanish.
    void reset_host(std::string_view ip);

    void set_latency(std::string_view ip_a, std::string_view ip_b, base::Duration latency);
    /// Isolates each group of IPs from every other host; hosts in no group form one more group.
    /// Replaces any earlier partition.
    void partition(const std::vector<std::vector<std::string>>& groups, PartitionMode mode);
    /// Ends the partition; held bytes (and closes) are delivered from now on, in order.
    void heal();
    /// Probability in [0, 1] that a dial is lost (it then times out).
    void set_loss(double probability) { m_loss = probability; }

    [[nodiscard]] std::size_t open_connections() const;
    /// The name a host was registered with, or the text itself for an unknown IP or ID.
    [[nodiscard]] std::string name_of_ip(std::string_view ip) const;
    [[nodiscard]] std::string name_of(const peer::NodeId& id) const;

private:
    enum class State { connecting, open, closed };
    struct Segment {
        base::Bytes bytes;
        std::optional<std::error_code> close;  // set: the end of the stream, with the reason
    };
    struct Socket {
        std::size_t host = 0;
        SocketId peer = 0;  // the other end, once the listener side exists
        State state = State::connecting;
        base::TimePoint last_arrival{};  // of what this end sent: keeps the stream in order
        std::deque<Segment> held;        // sent while a hold partition separated the ends
    };
    struct HostEntry {
        Host* host = nullptr;
        std::string name;
        std::string ip;
        peer::NodeId id;
        bool listening = false;
    };

    [[nodiscard]] std::optional<std::size_t> find_host(std::string_view ip) const;
    [[nodiscard]] Socket* find(SocketId id);
    [[nodiscard]] base::Duration latency(std::size_t a, std::size_t b) const;
    [[nodiscard]] bool blocked(std::size_t a, std::size_t b) const;
    void on_syn(SocketId dialer, std::size_t target, base::TimePoint deadline);
    void establish(SocketId dialer, SocketId listener, base::TimePoint deadline);
    void time_out_at(SocketId dialer, base::TimePoint deadline);
    void fail_dial(SocketId dialer, std::error_code reason);
    /// Sends a segment from `from` to its peer: held, or scheduled after the latency.
    void send(SocketId from, Segment segment);
    void transmit(Socket& from, Segment segment);
    void arrive(SocketId to, const Segment& segment);
    /// Drops a closed socket once nothing of it is held any more.
    void forget_if_done(SocketId id);

    EventLoop& m_loop;
    base::Random m_random;
    NetworkOptions m_options;
    std::vector<HostEntry> m_hosts;
    std::map<SocketId, Socket> m_sockets;  // ordered: heal() replays held bytes in a stable order
    std::map<std::pair<std::size_t, std::size_t>, base::Duration> m_latency;
    SocketId m_next_socket = 1;
    std::uint16_t m_next_port = 40000;  // ephemeral ports of dialled connections
    double m_loss = 0;
    bool m_partitioned = false;
    PartitionMode m_mode = PartitionMode::reset;
    std::vector<int> m_group;  // per host; -1 for hosts in no group
};

}  // namespace peerlink::sim
