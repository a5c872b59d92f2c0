// The HTTP server under the JSON API and the metrics endpoint: cpp-httplib on a thread of its own
// with a small worker pool, a body cap and timeouts. httplib stays out of this header.
// start() and stop() from one controlling thread; handlers run on the pool's threads.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "base/error.hpp"
#include "base/result.hpp"

namespace httplib {
class Server;
}

namespace peerlink::node {

enum class HttpErrc {
    bind_failed = 1,  // the listen address could not be bound
};
PEERLINK_DECLARE_ERRC(HttpErrc)

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0: an ephemeral port, see HttpServer::port()
    /// Requests served at once; more wait for a worker.
    std::size_t threads = 2;
    /// Larger request bodies are refused with 413 before they are read; chunked bodies
    /// (which httplib would not cap) with 411.
    std::size_t max_body_bytes = 64 * 1024;
    std::chrono::seconds read_timeout{5};
    std::chrono::seconds write_timeout{5};
};

class HttpServer {
public:
    explicit HttpServer(HttpServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Where routes and the error handler are registered, before start().
    httplib::Server& server() { return *m_server; }
    /// Binds and starts serving; returns once the server accepts connections.
    base::Result<void> start();
    /// Stops accepting, finishes requests in progress and joins the threads. Idempotent.
    void stop();
    /// The bound port (the ephemeral one when options.port was 0); 0 before start().
    [[nodiscard]] std::uint16_t port() const { return m_port; }
    [[nodiscard]] const HttpServerOptions& options() const { return m_options; }

private:
    HttpServerOptions m_options;
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
    std::uint16_t m_port = 0;
};

}  // namespace peerlink::node

PEERLINK_ERROR_ENUM_TRAIT(peerlink::node::HttpErrc)
