// Drives one TCP connection on Asio: the secure channel's handshake under a deadline, then a
// reader and a writer coroutine that move bytes between the socket and a sans-I/O Session.
// Node thread only (the thread running the socket's io_context). Kept alive by its coroutines;
// the owner holds a shared_ptr and calls close().
#pragma once
#include <asio.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>

#include "base/buffer.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "transport/errc.hpp"
#include "transport/secure_channel.hpp"
#include "transport/session.hpp"

namespace peerlink::transport {

struct ConnectionOptions {
    /// Deadline for the whole secure handshake (CometBFT config default 20 s).
    base::Duration handshake_timeout = std::chrono::seconds(20);
    /// Largest single socket read; reads start at 16 KiB and double while they come back full.
    std::size_t read_size = 256 * 1024;
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    struct Callbacks {
        /// The secure channel is up: attach a session (or close). Runs once.
        std::function<void(Connection&)> on_established;
        /// Runs exactly once, with the reason, after the socket is closed.
        std::function<void(Connection&, std::error_code)> on_closed;
    };

    Connection(asio::ip::tcp::socket socket, std::unique_ptr<SecureChannel> secure, ConnectionOptions options,
               Callbacks callbacks);

    /// Starts the handshake. `handshake_error` is reported when the deadline passes.
    void start(std::error_code handshake_timeout_error);
    /// Gives the connection its session; valid from on_established on. A session attached while
    /// another is installed (from inside its callbacks or not) replaces it once the callback
    /// returns and the old session has written all its pending output; the old session's
    /// leftover() bytes go to the new one.
    Session& attach(std::unique_ptr<Session> session);
    /// Closes the connection with `reason` unless clear_deadline() is called before `at`. Covers
    /// handshake steps after the secure channel (e.g. CometBFT's NodeInfo exchange).
    void set_deadline(base::TimePoint at, std::error_code reason);
    void clear_deadline();
    /// Tells the writer the session may have output (after a send on the session).
    void wake();
    /// Stops reading from the socket (back-pressure: TCP flow control slows the peer) or resumes.
    void pause_reading(bool paused);
    /// Closes the socket; on_closed runs with `reason` (the first reason wins).
    void close(std::error_code reason);
    /// Closes once everything the session has queued is written (CometBFT's FlushStop), or at
    /// `limit` at the latest.
    void close_when_flushed(std::error_code reason, base::Duration limit = std::chrono::seconds(5));

    [[nodiscard]] bool closed() const { return m_closed; }
    [[nodiscard]] SecureChannel& secure() { return *m_secure; }
    [[nodiscard]] Session* session() { return m_session.get(); }
    [[nodiscard]] const asio::ip::tcp::endpoint& remote_endpoint() const { return m_remote; }

private:
    asio::awaitable<void> run_handshake();
    asio::awaitable<void> run_reader();
    /// Nothing to read right now (FIONREAD).
    [[nodiscard]] bool socket_is_empty();
    asio::awaitable<void> run_writer();
    /// After close_when_flushed wrote everything and shut down sending: reads and drops input
    /// until the peer closes, then closes with the close_when_flushed reason.
    asio::awaitable<void> drain_until_eof();
    /// Opens whatever complete records are in m_read_buffer and feeds the session.
    base::Result<void> deliver();
    /// Installs a session attached during a callback, feeding it the old one's leftover bytes.
    base::Result<void> switch_session();

    asio::ip::tcp::socket m_socket;
    asio::ip::tcp::endpoint m_remote;
    std::unique_ptr<SecureChannel> m_secure;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<Session> m_next_session;  // attached from inside a session callback
    bool m_in_session = false;
    ConnectionOptions m_options;
    Callbacks m_callbacks;
    asio::steady_timer m_deadline;
    asio::steady_timer m_writer_wake;
    asio::steady_timer m_reader_wake;
    base::Buffer m_read_buffer;
    base::Buffer m_plain_in;
    base::Buffer m_plain_out;
    base::Buffer m_sealed_out;
    static constexpr std::size_t k_min_read = 16 * 1024;
    std::size_t m_read_hint = k_min_read;
    bool m_closed = false;
    bool m_read_paused = false;
    std::optional<std::error_code> m_close_when_flushed;
    bool m_lingering = false;  // everything written and FIN sent; waiting for the peer's FIN
    bool m_writer_waiting = false;
    std::error_code m_deadline_error;
    std::uint64_t m_deadline_generation = 0;
};

/// Connects to `endpoint` within `timeout` (TCP_NODELAY set).
asio::awaitable<base::Result<asio::ip::tcp::socket>> dial(asio::ip::tcp::endpoint endpoint,
                                                          base::Duration timeout);

}  // namespace peerlink::transport
