#include "node/http_server.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <atomic>

namespace peerlink::node {

namespace {

const char* describe(int value) {
    switch (static_cast<HttpErrc>(value)) {
        case HttpErrc::bind_failed:
            return "could not bind the HTTP listen address";
    }
    return "unknown HTTP server error";
}

}  // namespace

const std::error_category& HttpErrc_category() {
    static const base::MessageCategory category("http", describe);
    return category;
}

HttpServer::HttpServer(HttpServerOptions options)
    : m_options(std::move(options)), m_server(std::make_unique<httplib::Server>()) {
    const std::size_t threads = std::max<std::size_t>(1, m_options.threads);
    m_server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    m_server->set_payload_max_length(m_options.max_body_bytes);
    m_server->set_read_timeout(m_options.read_timeout);
    m_server->set_write_timeout(m_options.write_timeout);
    m_server->set_keep_alive_timeout(m_options.read_timeout.count());
    // httplib caps only bodies that declare a Content-Length (a request without one has no body):
    // a chunked body would grow without bound, so it is refused before any of it is read.
    m_server->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!req.has_header("Transfer-Encoding")) return httplib::Server::HandlerResponse::Unhandled;
        res.status = 411;  // Length Required; the body comes from the error handler
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
    });
    // httplib's default adds SO_REUSEPORT, which lets a second process bind the same port and
    // share its connections: SO_REUSEADDR alone (quick restarts) and a taken port fails to bind.
    m_server->set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
}

HttpServer::~HttpServer() {
    stop();
}

base::Result<void> HttpServer::start() {
    if (m_thread.joinable()) return {};
    int port = m_options.port;
    if (port == 0) {
        port = m_server->bind_to_any_port(m_options.host);
        if (port <= 0) return base::fail(HttpErrc::bind_failed);
    } else if (!m_server->bind_to_port(m_options.host, port)) {
        return base::fail(HttpErrc::bind_failed);
    }
    m_port = static_cast<std::uint16_t>(port);
    auto finished = std::make_shared<std::atomic<bool>>(false);
    m_thread = std::thread([this, finished] {
        m_server->listen_after_bind();
        finished->store(true);
    });
    // stop() before the thread marks the server running would be lost (httplib ignores it), so
    // start() returns only once it runs (or has already given up).
    while (!m_server->is_running() && !finished->load())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (finished->load()) {
        m_thread.join();
        return base::fail(HttpErrc::bind_failed);
    }
    return {};
}

void HttpServer::stop() {
    if (!m_thread.joinable()) return;
    m_server->stop();
    m_thread.join();
}

}  // namespace peerlink::node
