// The address book's error category: why an address was refused, and why a saved book was not
// loaded. Refusals are routine (a peer gossiping junk), so callers log them at debug.
#pragma once
#include "base/error.hpp"

namespace peerlink::addrbook {

enum class Errc {
    bad_address = 1,  // IP not parseable, port 0, or ID not hex
    unroutable,       // unroutable, or local/private while addr_book_strict
    own_address,      // one of our own addresses
    banned,           // its ID or IP is banned
    already_known,    // already in the book (nothing changed)
    bucket_full,      // its slot holds an entry we keep
    corrupt_file,     // addrbook.json does not parse or lacks required fields
    unsupported_version,
};
PEERLINK_DECLARE_ERRC(Errc)

}  // namespace peerlink::addrbook

PEERLINK_ERROR_ENUM_TRAIT(peerlink::addrbook::Errc)
