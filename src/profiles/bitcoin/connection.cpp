// One Bitcoin peer on an Asio TCP socket (see connection.hpp).
#include "profiles/bitcoin/connection.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <chrono>

#include "base/log.hpp"

namespace peerlink::bitcoin {
namespace {
constexpr auto k_tuple = asio::experimental::as_tuple(asio::use_awaitable);

NetAddr to_net_addr(const asio::ip::tcp::endpoint& endpoint) {
    NetAddr out;
    out.port = endpoint.port();
    const auto address = endpoint.address();
    if (address.is_v4()) {
        const auto b = address.to_v4().to_bytes();
        out.ip = ipv4_mapped(b[0], b[1], b[2], b[3]);
    } else {
        out.ip = address.to_v6().to_bytes();
    }
    return out;
}
}  // namespace

Now now_from_clocks() {
    return Now{base::SteadyClock::now(), std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count()};
}

Connection::Connection(asio::ip::tcp::socket socket, PeerOptions options, Direction direction,
                       NonceSet& nonces, base::Random& random, ConnectionOptions connection_options,
                       Callbacks callbacks)
    : m_socket(std::move(socket)),
      m_remote([this] {
          std::error_code ec;
          auto endpoint = m_socket.remote_endpoint(ec);
          return endpoint;
      }()),
      m_local([this] {
          std::error_code ec;
          auto endpoint = m_socket.local_endpoint(ec);
          return endpoint;
      }()),
      m_state(std::move(options), direction, to_net_addr(m_remote), nonces, random),
      m_options(connection_options),
      m_callbacks(std::move(callbacks)),
      m_writer_wake(m_socket.get_executor()),
      m_timer(m_socket.get_executor()) {
    m_writer_wake.expires_at(asio::steady_timer::time_point::max());
}

void Connection::start() {
    auto self = shared_from_this();
    apply(m_state.start(now_from_clocks()));
    asio::co_spawn(m_socket.get_executor(), run_reader(self), asio::detached);
    asio::co_spawn(m_socket.get_executor(), run_writer(self), asio::detached);
    asio::co_spawn(m_socket.get_executor(), run_timer(self), asio::detached);
}

void Connection::enqueue(base::Bytes bytes) {
    if (m_closed) return;
    m_queued_bytes += bytes.size();
    m_queue.push_back(std::move(bytes));
    if (m_queued_bytes > m_options.max_queued_bytes) {
        close(std::make_error_code(std::errc::no_buffer_space), "output queue full");
        return;
    }
    m_writer_wake.cancel();
}

bool Connection::send(const Message& message) {
    if (m_closed) return false;
    enqueue(m_state.encode(message));
    return !m_closed;
}

void Connection::close(std::error_code reason, std::string text) {
    if (m_closed) return;
    m_closed = true;
    std::error_code ignored;
    m_socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    m_socket.close(ignored);
    m_writer_wake.cancel();
    m_timer.cancel();
    if (!m_close_reported) {
        m_close_reported = true;
        if (m_callbacks.on_closed) m_callbacks.on_closed(*this, reason, text);
    }
}

void Connection::apply(Actions&& actions) {
    for (auto& a : actions) {
        if (m_closed) return;
        if (auto* send_action = std::get_if<action::Send>(&a)) {
            enqueue(std::move(send_action->bytes));
        } else if (auto* disconnect = std::get_if<action::Disconnect>(&a)) {
            close(disconnect->reason, disconnect->text);
        } else if (auto* done = std::get_if<action::HandshakeComplete>(&a)) {
            if (m_callbacks.on_handshake) m_callbacks.on_handshake(*this, done->info);
        } else if (auto* deliver = std::get_if<action::Deliver>(&a)) {
            if (m_callbacks.on_message) m_callbacks.on_message(*this, std::move(deliver->message));
        }
    }
    // PeerState may have moved its next deadline (handshake done, ping sent).
    if (!m_closed) m_timer.cancel();
}

asio::awaitable<void> Connection::run_reader(std::shared_ptr<Connection> self) {
    std::vector<std::uint8_t> buffer(m_options.read_size);
    while (!m_closed) {
        auto [ec, n] = co_await m_socket.async_read_some(asio::buffer(buffer), k_tuple);
        if (m_closed) break;
        if (ec) {
            close(ec, ec == asio::error::eof ? "peer closed the connection" : ec.message());
            break;
        }
        apply(m_state.feed(base::ByteView(buffer.data(), n), now_from_clocks()));
    }
    (void)self;
}

asio::awaitable<void> Connection::run_writer(std::shared_ptr<Connection> self) {
    while (!m_closed) {
        if (m_queue.empty()) {
            m_writer_wake.expires_at(asio::steady_timer::time_point::max());
            co_await m_writer_wake.async_wait(k_tuple);
            continue;
        }
        base::Bytes bytes = std::move(m_queue.front());
        m_queue.pop_front();
        auto [ec, n] = co_await asio::async_write(m_socket, asio::buffer(bytes), k_tuple);
        m_queued_bytes -= std::min(m_queued_bytes, bytes.size());
        if (ec) {
            close(ec, "write failed: " + ec.message());
            break;
        }
        (void)n;
    }
    (void)self;
}

asio::awaitable<void> Connection::run_timer(std::shared_ptr<Connection> self) {
    while (!m_closed) {
        m_timer.expires_at(m_state.next_deadline());
        auto [ec] = co_await m_timer.async_wait(k_tuple);
        if (m_closed) break;
        if (ec) continue;  // cancelled: the deadline may have moved
        apply(m_state.on_timer(now_from_clocks()));
        // apply() cancels the timer; nothing is pending on it here, so that is harmless.
    }
    (void)self;
}

}  // namespace peerlink::bitcoin
