#include "transport/connection.hpp"

#include <algorithm>
#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <cmath>

#include "base/log.hpp"

namespace peerlink::transport {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::closed_by_peer:
            return "connection closed by peer";
        case Errc::closed_locally:
            return "connection closed locally";
        case Errc::dial_timeout:
            return "dial timed out";
        case Errc::no_session:
            return "no session attached after the handshake";
    }
    return "unknown transport error";
}

auto& logger() {
    return base::log::get(base::log::Category::transport);
}

constexpr auto k_tuple = asio::experimental::as_tuple(asio::use_awaitable);
// Write buffers up to this size are kept between bursts; larger ones are freed when idle.
constexpr std::size_t k_idle_write_buffer = 0;  // an idle connection keeps no write memory

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("transport", describe);
    return category;
}

Connection::Connection(asio::ip::tcp::socket socket, std::unique_ptr<SecureChannel> secure,
                       ConnectionOptions options, Callbacks callbacks)
    : m_socket(std::move(socket)),
      m_secure(std::move(secure)),
      m_options(options),
      m_callbacks(std::move(callbacks)),
      m_deadline(m_socket.get_executor()),
      m_writer_wake(m_socket.get_executor()),
      m_reader_wake(m_socket.get_executor()) {
    std::error_code ec;
    m_remote = m_socket.remote_endpoint(ec);
    m_socket.set_option(asio::ip::tcp::no_delay(true), ec);
}

void Connection::start(std::error_code handshake_timeout_error) {
    set_deadline(base::SteadyClock::now() + m_options.handshake_timeout, handshake_timeout_error);
    asio::co_spawn(
        m_socket.get_executor(), [self = shared_from_this()] { return self->run_handshake(); },
        asio::detached);
}

void Connection::set_deadline(base::TimePoint at, std::error_code reason) {
    m_deadline_error = reason;
    const std::uint64_t generation = ++m_deadline_generation;
    m_deadline.expires_at(at);
    // An expired timer cannot be cancelled once its handler is queued: the generation tells a
    // stale expiry from the current deadline.
    m_deadline.async_wait([weak = weak_from_this(), generation](std::error_code ec) {
        auto self = weak.lock();
        if (!ec && self && self->m_deadline_generation == generation) self->close(self->m_deadline_error);
    });
}

void Connection::clear_deadline() {
    ++m_deadline_generation;
    m_deadline.cancel();
}

Session& Connection::attach(std::unique_ptr<Session> session) {
    if (m_in_session) {
        m_next_session = std::move(session);
        return *m_next_session;
    }
    if (!m_session || m_closed) {
        m_session = std::move(session);
        return *m_session;
    }
    // Replacing a session from outside its callbacks (e.g. after an asynchronous filter): the
    // same switch as from inside, so the old session's leftover bytes and pending output are not
    // lost. The writer switches once the old output is written.
    m_next_session = std::move(session);
    Session& next = *m_next_session;
    if (!m_session->has_pending_output()) {
        if (auto switched = switch_session(); !switched) close(switched.error());
    } else {
        wake();
    }
    return next;
}

base::Result<void> Connection::switch_session() {
    while (m_next_session && !m_closed) {
        std::unique_ptr<Session> old = std::exchange(m_session, std::move(m_next_session));
        const base::ByteView rest = old->leftover();
        if (!rest.empty()) {
            m_in_session = true;
            auto received = m_session->on_receive(rest, base::SteadyClock::now());
            m_in_session = false;
            if (!received) return received;
        }
    }
    wake();
    return {};
}

void Connection::close_when_flushed(std::error_code reason, base::Duration limit) {
    if (m_closed) return;
    m_close_when_flushed = reason;
    set_deadline(base::SteadyClock::now() + limit, reason);
    wake();
}

void Connection::pause_reading(bool paused) {
    m_read_paused = paused;
    if (!paused) m_reader_wake.cancel();
}

void Connection::wake() {
    if (m_writer_waiting) m_writer_wake.cancel();
}

void Connection::close(std::error_code reason) {
    if (m_closed) return;
    m_closed = true;
    std::error_code ignored;
    m_socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    m_socket.close(ignored);
    m_deadline.cancel();
    m_writer_wake.cancel();
    m_reader_wake.cancel();
    if (m_session) m_session->on_close();
    if (m_next_session) m_next_session->on_close();
    logger().debug("connection to {}:{} closed: {}", m_remote.address().to_string(), m_remote.port(),
                   reason.message());
    if (m_callbacks.on_closed) {
        auto on_closed = std::move(m_callbacks.on_closed);
        on_closed(*this, reason);
    }
}

asio::awaitable<void> Connection::run_handshake() {
    m_secure->start_handshake(m_sealed_out);
    auto [write_error, written] = co_await asio::async_write(
        m_socket, asio::buffer(m_sealed_out.data().data(), m_sealed_out.size()), k_tuple);
    m_sealed_out.clear();
    if (write_error) {
        close(write_error);
        co_return;
    }
    while (!m_closed && !m_secure->established()) {
        auto space = m_read_buffer.prepare(4096);
        auto [ec, n] = co_await m_socket.async_read_some(asio::buffer(space.data(), space.size()), k_tuple);
        if (m_closed) co_return;
        if (ec) {
            close(ec == asio::error::eof ? make_error_code(Errc::closed_by_peer) : ec);
            co_return;
        }
        m_read_buffer.commit(n);
        auto consumed = m_secure->handshake(m_read_buffer.data(), m_sealed_out);
        if (!consumed) {
            close(consumed.error());
            co_return;
        }
        m_read_buffer.consume(*consumed);
        if (!m_sealed_out.empty()) {
            auto [ec2, n2] = co_await asio::async_write(
                m_socket, asio::buffer(m_sealed_out.data().data(), m_sealed_out.size()), k_tuple);
            m_sealed_out.clear();
            if (ec2) {
                close(ec2);
                co_return;
            }
        }
    }
    if (m_closed) co_return;
    clear_deadline();
    // on_established may attach a session and set a deadline for the next handshake step.
    if (m_callbacks.on_established) m_callbacks.on_established(*this);
    if (m_closed) co_return;
    if (!m_session) {
        close(make_error_code(Errc::no_session));
        co_return;
    }
    asio::co_spawn(
        m_socket.get_executor(), [self = shared_from_this()] { return self->run_writer(); }, asio::detached);
    // Records that arrived together with the end of the handshake.
    if (auto delivered = deliver(); !delivered) {
        close(delivered.error());
        co_return;
    }
    co_await run_reader();
}

base::Result<void> Connection::deliver() {
    if (m_lingering) {  // closing: input is read only to see the peer's FIN
        m_read_buffer.clear();
        return {};
    }
    auto consumed = m_secure->open(m_read_buffer.data(), m_plain_in);
    if (!consumed) return base::Failure{consumed.error()};
    m_read_buffer.consume(*consumed);
    if (!m_plain_in.empty()) {
        m_in_session = true;
        auto received = m_session->on_receive(m_plain_in.data(), base::SteadyClock::now());
        m_in_session = false;
        m_plain_in.clear();
        if (!received) return received;
        // The old session first writes what it still owes (e.g. our NodeInfo); the writer
        // switches after polling it.
        if (m_next_session && !m_session->has_pending_output()) PEERLINK_TRY(switch_session());
        if (!m_closed && m_session->has_pending_output()) wake();
    }
    return {};
}

bool Connection::socket_is_empty() {
    std::error_code ec;
    return m_socket.available(ec) == 0;  // an error shows up in the wait that follows
}

asio::awaitable<void> Connection::run_reader() {
    const double expansion = m_secure->expansion();
    bool drained = false;  // the last read returned less than asked: the socket is likely empty
    while (!m_closed) {
        if (m_lingering) {
            co_await drain_until_eof();
            co_return;
        }
        if (m_read_paused) {
            m_reader_wake.expires_at(base::TimePoint::max());
            co_await m_reader_wake.async_wait(k_tuple);
            continue;
        }
        const auto allowance = m_session->receive_allowance(base::SteadyClock::now());
        if (allowance.bytes == 0) {
            m_reader_wake.expires_at(allowance.retry_at);
            co_await m_reader_wake.async_wait(k_tuple);
            continue;
        }
        // A read that filled what it asked for may still have emptied the socket: ask the kernel
        // (one ioctl) rather than park a buffer in a read that may wait for hours.
        if (m_read_buffer.empty() && (drained || socket_is_empty())) {
            // Wait for data holding no buffer: an idle connection keeps no read memory.
            m_read_buffer.shrink_if_empty(0);
            m_plain_in.shrink_if_empty(0);
            auto [ec] = co_await m_socket.async_wait(asio::ip::tcp::socket::wait_read, k_tuple);
            if (m_closed) co_return;
            if (ec) {
                close(m_lingering ? *m_close_when_flushed : ec);
                co_return;
            }
        }
        std::size_t want = m_read_hint;
        if (allowance.bytes != SIZE_MAX) {
            const double sealed = std::ceil(static_cast<double>(allowance.bytes) * expansion);
            want = std::clamp(static_cast<std::size_t>(sealed), std::size_t{1}, want);
        }
        auto space = m_read_buffer.prepare(want);
        auto [ec, n] = co_await m_socket.async_read_some(asio::buffer(space.data(), space.size()), k_tuple);
        if (m_closed) co_return;
        if (ec) {
            if (m_lingering) {
                close(*m_close_when_flushed);
            } else {
                close(ec == asio::error::eof ? make_error_code(Errc::closed_by_peer) : ec);
            }
            co_return;
        }
        m_read_buffer.commit(n);
        drained = n < want;
        // Reads that fill the buffer ask for more next time; short ones for less.
        if (n == m_read_hint) {
            m_read_hint = std::min(m_read_hint * 2, m_options.read_size);
        } else if (n < m_read_hint / 4) {
            m_read_hint = std::max(m_read_hint / 2, k_min_read);
        }
        if (auto delivered = deliver(); !delivered) {
            close(delivered.error());
            co_return;
        }
    }
}

asio::awaitable<void> Connection::drain_until_eof() {
    std::array<std::uint8_t, 4096> sink{};
    while (!m_closed) {
        auto [ec, n] = co_await m_socket.async_read_some(asio::buffer(sink), k_tuple);
        if (m_closed) co_return;
        if (ec) {
            close(*m_close_when_flushed);
            co_return;
        }
    }
}

asio::awaitable<void> Connection::run_writer() {
    while (!m_closed) {
        m_in_session = true;
        auto polled = m_session->poll(m_plain_out, base::SteadyClock::now());
        m_in_session = false;
        if (!polled) {
            close(polled.error());
            co_return;
        }
        if (m_next_session && !m_session->has_pending_output()) {
            if (auto switched = switch_session(); !switched) {
                close(switched.error());
                co_return;
            }
            if (!polled->flush) continue;  // let the new session add its output first
        }
        if (polled->flush && !m_plain_out.empty()) {
            if (auto sealed = m_secure->seal(m_plain_out.data(), m_sealed_out); !sealed) {
                close(sealed.error());
                co_return;
            }
            m_plain_out.clear();
            auto [ec, n] = co_await asio::async_write(
                m_socket, asio::buffer(m_sealed_out.data().data(), m_sealed_out.size()), k_tuple);
            m_sealed_out.clear();
            if (m_closed) co_return;
            if (ec) {
                close(ec);
                co_return;
            }
            if (!m_session->has_pending_output()) {
                // Idle again: give back the batch buffers (up to 64 KiB each under load).
                m_plain_out.shrink_if_empty(k_idle_write_buffer);
                m_sealed_out.shrink_if_empty(k_idle_write_buffer);
            }
            continue;
        }
        if (m_close_when_flushed && m_plain_out.empty() && !m_session->has_pending_output()) {
            // Graceful close: FIN after the last byte, then the reader drains until the peer's
            // FIN (or the deadline). Closing with unread input would send a RST, and the peer's
            // stack could drop our last message (e.g. a devp2p Disconnect) before reading it.
            std::error_code ignored;
            m_socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
            m_lingering = true;
            m_reader_wake.cancel();
            co_return;
        }
        m_writer_wake.expires_at(polled->wake_at);
        m_writer_waiting = true;
        co_await m_writer_wake.async_wait(k_tuple);
        m_writer_waiting = false;
    }
}

asio::awaitable<base::Result<asio::ip::tcp::socket>> dial(asio::ip::tcp::endpoint endpoint,
                                                          base::Duration timeout) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::socket socket(executor);
    asio::steady_timer timer(executor);
    bool timed_out = false;
    timer.expires_after(timeout);
    timer.async_wait([&](std::error_code ec) {
        if (!ec) {
            timed_out = true;
            std::error_code ignored;
            socket.close(ignored);
        }
    });
    auto [ec] = co_await socket.async_connect(endpoint, k_tuple);
    timer.cancel();
    if (timed_out) co_return base::fail(Errc::dial_timeout);
    if (ec) co_return base::fail(ec);
    std::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    co_return std::move(socket);
}

}  // namespace peerlink::transport
