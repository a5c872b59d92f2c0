#include "profiles/cometbft/secure_mconnection.hpp"

namespace peerlink::cometbft {

std::shared_ptr<transport::Connection> start_secret_connection(asio::ip::tcp::socket socket,
                                                               const crypto::Ed25519KeyPair& identity,
                                                               transport::ConnectionOptions options,
                                                               transport::Connection::Callbacks callbacks) {
    auto connection = std::make_shared<transport::Connection>(
        std::move(socket), std::make_unique<SecretConnection>(identity), options, std::move(callbacks));
    connection->start(make_error_code(Errc::handshake_timeout));
    return connection;
}

const crypto::Ed25519PublicKey& remote_public_key(transport::Connection& connection) {
    return *static_cast<SecretConnection&>(connection.secure()).remote_public_key();
}

mux::MConnection& attach_mconnection(transport::Connection& connection, mux::Options options,
                                     std::vector<mux::ChannelDescriptor> channels,
                                     mux::ReceiveFn on_receive) {
    auto session = std::make_unique<mux::MConnection>(options, std::move(channels), std::move(on_receive),
                                                      base::SteadyClock::now());
    return static_cast<mux::MConnection&>(connection.attach(std::move(session)));
}

}  // namespace peerlink::cometbft
