#include "profiles/devp2p/error.hpp"

namespace peerlink::devp2p {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::bad_size_prefix:
            return "RLPx handshake size prefix out of range";
        case Errc::decrypt_failed:
            return "RLPx handshake message does not decrypt (ECIES authentication failed)";
        case Errc::malformed_auth:
            return "RLPx auth message body is malformed";
        case Errc::malformed_ack:
            return "RLPx ack message body is malformed";
        case Errc::invalid_public_key:
            return "RLPx handshake carries an invalid secp256k1 public key";
        case Errc::bad_signature:
            return "RLPx auth signature is invalid";
        case Errc::handshake_not_running:
            return "RLPx handshake input after the handshake finished or failed";
        case Errc::bad_header_mac:
            return "RLPx frame header MAC mismatch";
        case Errc::bad_frame_mac:
            return "RLPx frame MAC mismatch";
        case Errc::frame_too_large:
            return "RLPx frame larger than allowed";
        case Errc::message_too_large:
            return "devp2p message larger than allowed";
        case Errc::invalid_message_code:
            return "RLPx frame does not start with a canonical message code";
        case Errc::bad_compression:
            return "devp2p message payload is not valid snappy";
        case Errc::codec_failed:
            return "RLPx frame codec used after an earlier failure";
        case Errc::malformed_hello:
            return "devp2p Hello is malformed";
        case Errc::hello_too_large:
            return "devp2p Hello larger than 2 KiB";
        case Errc::invalid_identity:
            return "devp2p Hello node id is not a valid public key";
        case Errc::node_id_mismatch:
            return "devp2p Hello node id differs from the RLPx-authenticated key";
        case Errc::malformed_disconnect:
            return "devp2p Disconnect payload is malformed";
        case Errc::unexpected_message:
            return "devp2p message other than Hello or Disconnect before Hello";
        case Errc::unknown_message_code:
            return "devp2p message code outside every negotiated protocol";
        case Errc::enode_bad_scheme:
            return "enode URL does not start with enode://";
        case Errc::enode_bad_node_id:
            return "enode URL node id is not 128 hex characters of a valid public key";
        case Errc::enode_bad_host:
            return "enode URL host is missing or not an IP literal";
        case Errc::enode_bad_port:
            return "enode URL TCP port is missing or out of range";
        case Errc::enode_bad_query:
            return "enode URL query is not discport=<port>";
    }
    return "unknown devp2p error";
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("devp2p", describe);
    return category;
}

}  // namespace peerlink::devp2p
