#include <sodium.h>

#include "crypto/crypto.hpp"

namespace peerlink::crypto {

void wipe(base::MutableByteView secret) {
    sodium_memzero(secret.data(), secret.size());
}

}  // namespace peerlink::crypto
