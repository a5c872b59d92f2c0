// Assembles the CometBFT connection stack on a TCP socket: transport::Connection running a
// SecretConnection, with an MConnection attached once the handshake is done.
// Node thread only.
#pragma once
#include <memory>

#include "mux/mconnection.hpp"
#include "profiles/cometbft/secret_connection.hpp"
#include "transport/connection.hpp"

namespace peerlink::cometbft {

/// A started connection: the handshake runs under options.handshake_timeout, then
/// callbacks.on_established runs (attach an MConnection there with attach_mconnection).
std::shared_ptr<transport::Connection> start_secret_connection(asio::ip::tcp::socket socket,
                                                               const crypto::Ed25519KeyPair& identity,
                                                               transport::ConnectionOptions options,
                                                               transport::Connection::Callbacks callbacks);

/// The peer's authenticated key of an established connection started above.
const crypto::Ed25519PublicKey& remote_public_key(transport::Connection& connection);

/// Attaches an MConnection to an established connection and returns it (owned by the connection).
mux::MConnection& attach_mconnection(transport::Connection& connection, mux::Options options,
                                     std::vector<mux::ChannelDescriptor> channels, mux::ReceiveFn on_receive);

}  // namespace peerlink::cometbft
