#include "profiles/bitcoin/error.hpp"

namespace peerlink::bitcoin {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::bad_magic:
            return "message start bytes are not this network's";
        case Errc::payload_too_large:
            return "message payload length above the maximum";
        case Errc::malformed_message:
            return "malformed bitcoin message";
        case Errc::too_many_entries:
            return "message lists more entries than allowed";
        case Errc::bad_address_length:
            return "addrv2 address has the wrong length for its network";
        case Errc::trailing_bytes:
            return "bytes left over after the message";
        case Errc::version_not_first:
            return "a version message must precede all others";
        case Errc::duplicate_version:
            return "duplicate version message";
        case Errc::duplicate_verack:
            return "duplicate verack message";
        case Errc::obsolete_version:
            return "peer protocol version below our minimum";
        case Errc::self_connection:
            return "connected to ourselves";
        case Errc::feature_after_verack:
            return "feature negotiation message after verack";
        case Errc::negotiation_timeout:
            return "version negotiation did not complete in time";
        case Errc::idle_timeout:
            return "no message received within the idle timeout";
        case Errc::stall_timeout:
            return "peer did not send an awaited reply in time";
    }
    return "unknown bitcoin error";
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("bitcoin", describe);
    return category;
}

}  // namespace peerlink::bitcoin
