// Error codes of the Bitcoin profile: framing, message decoding and peer negotiation. Every
// disconnect the peer state machine asks for carries one of these as its reason.
#pragma once
#include "base/error.hpp"

namespace peerlink::bitcoin {

enum class Errc {
    // Framing: fatal for the connection (Bitcoin Core disconnects on both).
    bad_magic = 1,      // header message start bytes are not our network's
    payload_too_large,  // header length above the configured maximum
    // Message decoding.
    malformed_message,   // a known message failed to decode (the text says why)
    too_many_entries,    // addr/addrv2 above 1000 entries, inv/getdata/notfound above 50000
    bad_address_length,  // addrv2 address of the wrong length for its network, or above 512 bytes
    trailing_bytes,      // bytes left after a message that has no optional tail
    // Negotiation and liveness.
    version_not_first,     // a message other than version arrived before it
    duplicate_version,     // a second version message
    duplicate_verack,      // a second verack message
    obsolete_version,      // protocol version below our minimum
    self_connection,       // the version nonce is one we sent: we reached ourselves
    feature_after_verack,  // wtxidrelay or sendaddrv2 after verack
    negotiation_timeout,   // version/verack not completed within the deadline
    idle_timeout,          // nothing received for the idle timeout
    stall_timeout,         // an awaited reply did not arrive in time
};
PEERLINK_DECLARE_ERRC(Errc)

}  // namespace peerlink::bitcoin

PEERLINK_ERROR_ENUM_TRAIT(peerlink::bitcoin::Errc)
