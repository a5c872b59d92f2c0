// Errors of the transport layer (the category is defined in connection.cpp).
#pragma once
#include "base/error.hpp"

namespace peerlink::transport {

enum class Errc {
    closed_by_peer = 1,  // orderly end of stream from the remote
    closed_locally,      // close() without another reason
    dial_timeout,        // connect did not finish within the dial timeout
    no_session,          // the established callback attached no session
};
PEERLINK_DECLARE_ERRC(Errc)

}  // namespace peerlink::transport

PEERLINK_ERROR_ENUM_TRAIT(peerlink::transport::Errc)
