// The CometBFT peer lifecycle on Asio: accept or dial -> SecretConnection -> NodeInfo exchange ->
// checks (authenticated ID, dialled ID, self, network, versions, channels) -> ConnManager
// admission -> Peer with an MConnection -> Router::add_peer ... -> Router::remove_peer.
// Network thread only (the io_context's thread), except where noted.
#pragma once
#include <asio.hpp>
#include <memory>
#include <unordered_set>

#include "connmgr/conn_manager.hpp"
#include "profiles/cometbft/node_info.hpp"
#include "profiles/cometbft/node_key.hpp"
#include "profiles/cometbft/peer_checks.hpp"
#include "router/router.hpp"
#include "transport/connection.hpp"

namespace peerlink::cometbft {

/// A filter answers by calling `done` (from any thread) with no error to admit, or with a reason.
using FilterDone = std::function<void(std::error_code)>;
/// Runs on each accepted socket before its handshake (CometBFT's conn filters).
using ConnFilter = std::function<void(const std::string& ip, FilterDone done)>;
/// Runs on each peer that passed the NodeInfo checks, before AddPeer (CometBFT's peer filters).
using PeerFilter = std::function<void(const peer::PeerInfo& info, FilterDone done)>;

struct HostOptions {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 0;  // 0: any free port
    /// Advertised in NodeInfo.listen_addr; empty: tcp://<listen host>:<bound port>.
    std::string external_address;
    std::string network = "peerlink-testnet";
    std::string moniker = "peerlink";
    std::string version = "0.38.0";
    /// Per handshake step (SecretConnection, then NodeInfo), as CometBFT applies its timeout.
    base::Duration handshake_timeout = std::chrono::seconds(20);
    mux::Options mux;
    std::vector<ConnFilter> conn_filters;
    std::vector<PeerFilter> peer_filters;
    /// A filter that has not answered by then rejects (CometBFT: 5 s).
    base::Duration filter_timeout = std::chrono::seconds(5);
};

class Host {
public:
    /// `router` has its reactors registered; `connmgr` was built with this node's ID.
    Host(asio::io_context& io, HostOptions options, NodeKey key, router::Router& router,
         connmgr::ConnManager& connmgr);
    ~Host();

    /// Binds the listener and starts the accept and dial loops.
    base::Result<void> start();
    /// Stops accepting and dialling and closes every connection.
    void stop();

    [[nodiscard]] std::uint16_t listen_port() const { return m_listen_port; }
    [[nodiscard]] const NodeInfo& node_info() const { return m_info; }
    [[nodiscard]] peer::NodeId id() const { return m_key.id(); }
    /// Tells the dial loop to look at the connection manager now (after adding peers to dial).
    void wake_dialer();

private:
    struct Pending;  // a connection between accept/dial and AddPeer

    // `alive` is a parameter so that it is in the coroutine frame before the first resumption.
    asio::awaitable<void> accept_loop(std::shared_ptr<bool> alive);
    asio::awaitable<void> dial_loop(std::shared_ptr<bool> alive);
    asio::awaitable<void> dial(peer::PeerAddress address, std::shared_ptr<bool> alive);
    void start_handshake(asio::ip::tcp::socket socket, peer::Direction direction,
                         std::optional<peer::PeerAddress> dialed);
    void on_node_info(const std::shared_ptr<Pending>& pending, base::ByteView message);
    void add_peer(const std::shared_ptr<Pending>& pending, CheckedPeer checked);
    /// Runs `filters` concurrently; `decide` gets the first error, a timeout, or success, once,
    /// on the network thread.
    template <typename Arg, typename Filter>
    void run_filters(const std::vector<Filter>& filters, const Arg& arg,
                     std::function<void(std::error_code)> decide);
    void reject(const std::shared_ptr<Pending>& pending, std::error_code reason);
    void on_closed(const std::shared_ptr<Pending>& pending, std::error_code reason);

    asio::io_context& m_io;
    HostOptions m_options;
    NodeKey m_key;
    router::Router& m_router;
    connmgr::ConnManager& m_connmgr;
    NodeInfo m_info;
    asio::ip::tcp::acceptor m_acceptor;
    asio::steady_timer m_dial_wake;
    std::uint16_t m_listen_port = 0;
    bool m_stopped = false;
    /// False once the host is destroyed: suspended coroutines and late callbacks check it before
    /// touching the host (they may resume after it is gone, with operation_aborted).
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
    std::unordered_set<std::shared_ptr<transport::Connection>> m_connections;
};

}  // namespace peerlink::cometbft
