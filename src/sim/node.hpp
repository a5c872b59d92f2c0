// One simulated CometBFT-profile node. It runs the same sans-I/O cores in the same order as the
// real drivers (cometbft::Host over transport::Connection): dial -> SecretConnection under
// handshake_timeout -> NodeInfo exchange under handshake_timeout -> check_peer -> MConnection,
// with ConnManager deciding what to dial and admit; sim events stand in for sockets and timers.
// With NodeOptions::pex it also runs discovery as discovery::PexReactor does: an AddrBook feeding
// the ConnManager through BookAddressSource, PexCore on channel 0x00 and the ensure-peers loop.
// Single-threaded (the EventLoop's); owned by sim::Simulation, whose loop and network outlive it.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "addrbook/addr_book.hpp"
#include "base/random.hpp"
#include "connmgr/address_source.hpp"
#include "connmgr/book_source.hpp"
#include "connmgr/conn_manager.hpp"
#include "discovery/pex_core.hpp"
#include "mux/mconnection.hpp"
#include "profiles/cometbft/node_info.hpp"
#include "profiles/cometbft/node_key.hpp"
#include "sim/event_loop.hpp"
#include "sim/network.hpp"

namespace peerlink::sim {

inline constexpr mux::ChannelId k_test_channel = 0x50;

/// A book for sim addresses (127.0.1.N), which addr_book_strict would refuse as local.
inline addrbook::Options local_book_options() {
    addrbook::Options options;
    options.strict = false;
    return options;
}

struct NodeOptions {
    std::string network = "peerlink-sim";
    std::string version = "0.38.0";
    /// Per handshake step (SecretConnection, then NodeInfo), as cometbft::HostOptions.
    base::Duration handshake_timeout = std::chrono::seconds(20);
    /// Its dial_timeout is the connect deadline of the node's dials.
    connmgr::Options connmgr{};
    mux::Options mux{};
    std::vector<mux::ChannelDescriptor> channels{{.id = k_test_channel,
                                                  .priority = 1,
                                                  .send_queue_capacity = 64,
                                                  .recv_message_capacity = 1 << 20,
                                                  .recv_buffer_capacity = 4096}};

    /// Discovery. Off: outbound slots come from add_address's list, as before. On: an address book
    /// fills them, PEX (channel 0x00, added to `channels`) fills the book, and the ensure-peers
    /// loop runs from start.
    bool pex = false;
    /// Put into the book (source "seed") when the node has neither peers nor addresses.
    std::vector<peer::PeerAddress> seeds{};
    /// CometBFT seed_mode: answers an inbound peer's request once, then disconnects it.
    bool seed_mode = false;
    base::Duration ensure_peers_period = std::chrono::seconds(30);
    addrbook::Options addrbook = local_book_options();
};

struct ReceivedMessage {
    base::TimePoint at;
    peer::NodeId from;
    mux::ChannelId channel = 0;
    base::Bytes bytes;
};

class Node final : private Host {
public:
    /// Derives the node key, its ephemeral keys and its ConnManager's jitter from `seed`, registers
    /// with `network` and starts (listening, dialling).
    Node(EventLoop& loop, Network& network, std::string name, NodeOptions options, std::uint64_t seed);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    [[nodiscard]] const std::string& name() const { return m_name; }
    [[nodiscard]] peer::NodeId id() const { return m_key.id(); }
    [[nodiscard]] const std::string& ip() const { return m_ip; }
    /// id@127.0.1.N:26656
    [[nodiscard]] peer::PeerAddress address() const;
    [[nodiscard]] const cometbft::NodeInfo& node_info() const { return m_info; }
    [[nodiscard]] bool running() const { return m_running; }

    /// A crash: every connection is reset, all state but the configuration below is dropped.
    /// Call from test code or a scheduled event, not from inside this node's own handling.
    void stop();
    /// Starts again with the same key, address and configuration and a fresh ConnManager, as a
    /// process restarted with the same config.toml would.
    void restart();

    /// persistent_peers: kept across restarts.
    void add_persistent(const peer::PeerAddress& address);
    /// An address for the FixedAddressSource that fills outbound slots; kept across restarts.
    /// With pex, it goes into the address book instead (source "config").
    void add_address(const peer::PeerAddress& address);
    /// Queues `bytes` on a connected peer's channel (MConnection::try_send). False when the peer is
    /// not connected or the queue is full.
    bool send(const peer::NodeId& peer, mux::ChannelId channel, base::Bytes bytes);

    [[nodiscard]] bool is_connected(const peer::NodeId& peer) const;
    /// Connected peers, both directions, sorted.
    [[nodiscard]] std::vector<peer::NodeId> peers() const;
    /// Every message received, in order, across restarts.
    [[nodiscard]] const std::vector<ReceivedMessage>& received() const { return m_received; }
    /// The seed of the Random the ConnManager draws redial jitter from (for replaying a schedule).
    [[nodiscard]] std::uint64_t jitter_seed() const { return m_jitter_seed; }
    /// Valid while running.
    [[nodiscard]] connmgr::ConnManager& conn_manager() { return *m_connmgr; }
    /// With pex only. Kept across restarts, as addrbook.json would be.
    [[nodiscard]] addrbook::AddrBook& addr_book() { return *m_book; }

private:
    struct Conn;  // one connection from accept/dial to close (host.cpp's Pending + Connection)

    // Host
    void on_accepted(SocketId socket, const std::string& remote_ip, std::uint16_t remote_port) override;
    void on_connected(SocketId socket) override;
    void on_dial_failed(SocketId socket, std::error_code reason) override;
    void on_data(SocketId socket, base::ByteView bytes) override;
    void on_closed(SocketId socket, std::error_code reason) override;

    void start();
    /// Runs one event's work; closed connections are dropped once the outermost turn ends.
    template <typename F>
    void turn(F&& work);
    [[nodiscard]] Conn* find(SocketId socket);
    void record(const std::string& what);

    // The dial loop (Host::dial_loop / Host::dial).
    void wake_dialer();
    void schedule_dialer(base::TimePoint at);
    void run_dialer();
    void dial(const peer::PeerAddress& address);

    // One connection (Host::start_handshake ... Host::on_closed over transport::Connection).
    void start_connection(SocketId socket, peer::Direction direction, std::optional<peer::PeerAddress> dialed,
                          std::string ip, std::uint16_t port);
    void read(Conn& c);
    void on_established(Conn& c);
    base::Result<void> deliver(Conn& c);
    base::Result<void> switch_session(Conn& c);
    void attach(Conn& c, std::unique_ptr<transport::Session> session);
    void write_sealed(Conn& c);
    void run_writer(Conn& c);
    void wake(Conn& c);
    void schedule_writer(Conn& c, base::TimePoint at);
    void schedule_reader(Conn& c, base::TimePoint at);
    void set_deadline(Conn& c, base::TimePoint at, std::error_code reason);
    void clear_deadline(Conn& c);
    void on_node_info(Conn& c, base::ByteView message);
    void on_message(SocketId socket, mux::ChannelId channel, base::ByteView bytes);
    void reject(Conn& c, std::error_code reason);
    void close(Conn& c, std::error_code reason);
    [[nodiscard]] std::string who(const Conn& c) const;

    // Discovery (PexReactor's work, on this node's events).
    [[nodiscard]] Conn* find_peer(const peer::NodeId& id);
    void schedule_ensure_peers(base::TimePoint at);
    void ensure_peers();
    /// Carries out the core's actions in a later event at the same time, as the reactor's post.
    void act(SocketId socket, std::vector<discovery::PexAction> actions);
    void on_pex_message(const Conn& c, base::ByteView bytes);

    EventLoop& m_loop;
    Network& m_network;
    std::string m_name;
    NodeOptions m_options;
    cometbft::NodeKey m_key;
    std::uint64_t m_jitter_seed = 0;
    base::Random m_jitter_random;  // the ConnManager's; nothing else draws from it
    base::Random m_key_random;     // ephemeral X25519 keys
    std::string m_ip;
    cometbft::NodeInfo m_info;
    std::vector<peer::PeerAddress> m_persistent;
    std::vector<peer::PeerAddress> m_addresses;
    std::vector<ReceivedMessage> m_received;
    base::Random m_book_random;                // BookAddressSource's picks and backoff jitter
    base::Random m_pex_random;                 // PexCore's selections and the ensure-peers loop
    std::optional<addrbook::AddrBook> m_book;  // with pex

    // Everything below is dropped by stop(). The sources outlive m_connmgr, which refers to one.
    bool m_running = false;
    std::uint64_t m_epoch = 0;  // bumped by stop(): events of an earlier run do nothing
    std::optional<connmgr::FixedAddressSource> m_source;      // without pex
    std::optional<connmgr::BookAddressSource> m_book_source;  // with pex
    std::optional<discovery::PexCore> m_pex;                  // with pex
    std::optional<connmgr::ConnManager> m_connmgr;
    std::map<SocketId, peer::PeerAddress> m_dials;      // connects in flight
    std::map<SocketId, std::unique_ptr<Conn>> m_conns;  // ordered: stable iteration
    std::uint64_t m_dialer_generation = 0;
    std::optional<base::TimePoint> m_dialer_at;  // when the dial loop runs next, if scheduled
    int m_depth = 0;                             // nesting of turn()
};

}  // namespace peerlink::sim
