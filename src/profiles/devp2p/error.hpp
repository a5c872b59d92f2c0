// Error values of the devp2p profile: RLPx handshake and frames, the base protocol and enode URLs.
// Every failure a remote peer can cause has its own value (the driver maps them to disconnects).
#pragma once
#include "base/error.hpp"

namespace peerlink::devp2p {

enum class Errc {
    // RLPx handshake (EIP-8)
    bad_size_prefix = 1,    // handshake size prefix below the ECIES overhead or above 2048
    decrypt_failed,         // the ECIES layer of an auth/ack does not authenticate
    malformed_auth,         // the auth body is not RLP [sig, pubkey, nonce, version, ...]
    malformed_ack,          // the ack body is not RLP [ephemeral pubkey, nonce, version, ...]
    invalid_public_key,     // a static or ephemeral key in auth/ack is not a curve point
    bad_signature,          // the auth signature is malformed or recovers no key
    handshake_not_running,  // handshake input after it finished or failed
    // RLPx frames
    bad_header_mac,        // frame header MAC mismatch
    bad_frame_mac,         // frame body MAC mismatch
    frame_too_large,       // a frame above 2^24-1 bytes or the configured maximum
    message_too_large,     // a (decompressed) message above the configured maximum
    invalid_message_code,  // the frame does not start with a canonical RLP integer
    bad_compression,       // a snappy payload does not decode
    codec_failed,          // reads/writes after an earlier failure
    // base protocol
    malformed_hello,       // Hello is not RLP [version, name, caps, port, id, ...]
    hello_too_large,       // Hello above 2 KiB
    invalid_identity,      // Hello node id is not 64 bytes or not a curve point
    node_id_mismatch,      // Hello node id differs from the RLPx-authenticated key
    malformed_disconnect,  // Disconnect payload is neither [reason] nor reason
    unexpected_message,    // a message other than Hello/Disconnect before Hello
    unknown_message_code,  // a message code outside the base protocol and every matched protocol
    // enode URLs
    enode_bad_scheme,   // not enode://
    enode_bad_node_id,  // node id not 128 hex characters or not a curve point
    enode_bad_host,     // host missing or not an IPv4/bracketed IPv6 literal
    enode_bad_port,     // TCP port missing or not in 0..65535
    enode_bad_query,    // query other than discport=<0..65535>
};
PEERLINK_DECLARE_ERRC(Errc)

}  // namespace peerlink::devp2p

PEERLINK_ERROR_ENUM_TRAIT(peerlink::devp2p::Errc)
