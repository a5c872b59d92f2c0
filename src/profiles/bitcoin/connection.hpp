// One Bitcoin peer on an Asio TCP socket: a reader coroutine feeding PeerState, a writer draining a
// bounded output queue, and a timer driving PeerState::on_timer. Network thread only; kept alive by
// its coroutines while open; the owner holds a shared_ptr and calls close().
#pragma once
#include <asio.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "profiles/bitcoin/peer_state.hpp"

namespace peerlink::bitcoin {

struct ConnectionOptions {
    /// Bytes queued for writing beyond which the peer is too slow and is dropped.
    std::size_t max_queued_bytes = 16u << 20;
    std::size_t read_size = 64 * 1024;
};

/// The current steady and wall-clock time.
Now now_from_clocks();

class Connection : public std::enable_shared_from_this<Connection> {
public:
    struct Callbacks {
        std::function<void(Connection&, const RemoteInfo&)> on_handshake;
        /// Post-handshake messages PeerState does not consume itself.
        std::function<void(Connection&, Message&&)> on_message;
        /// Exactly once, after the socket is closed.
        std::function<void(Connection&, std::error_code, const std::string&)> on_closed;
    };

    Connection(asio::ip::tcp::socket socket, PeerOptions options, Direction direction, NonceSet& nonces,
               base::Random& random, ConnectionOptions connection_options, Callbacks callbacks);

    /// Starts the coroutines; an outbound connection sends its version.
    void start();
    /// Queues one message; false (and the connection closes) when the queue bound is exceeded.
    bool send(const Message& message);
    /// Closes the socket; on_closed runs with the first reason given.
    void close(std::error_code reason, std::string text);

    [[nodiscard]] bool closed() const { return m_closed; }
    [[nodiscard]] Direction direction() const { return m_state.direction(); }
    [[nodiscard]] const PeerState& state() const { return m_state; }
    [[nodiscard]] PeerState& state() { return m_state; }
    [[nodiscard]] const asio::ip::tcp::endpoint& remote_endpoint() const { return m_remote; }
    /// Our side of the socket: finds the outbound half of a connection to ourselves.
    [[nodiscard]] const asio::ip::tcp::endpoint& local_endpoint() const { return m_local; }
    [[nodiscard]] std::size_t queued_bytes() const { return m_queued_bytes; }

private:
    asio::awaitable<void> run_reader(std::shared_ptr<Connection> self);
    asio::awaitable<void> run_writer(std::shared_ptr<Connection> self);
    asio::awaitable<void> run_timer(std::shared_ptr<Connection> self);
    void apply(Actions&& actions);
    void enqueue(base::Bytes bytes);

    asio::ip::tcp::socket m_socket;
    asio::ip::tcp::endpoint m_remote;
    asio::ip::tcp::endpoint m_local;
    PeerState m_state;
    ConnectionOptions m_options;
    Callbacks m_callbacks;
    asio::steady_timer m_writer_wake;
    asio::steady_timer m_timer;
    std::deque<base::Bytes> m_queue;
    std::size_t m_queued_bytes = 0;
    bool m_closed = false;
    bool m_close_reported = false;
};

}  // namespace peerlink::bitcoin
