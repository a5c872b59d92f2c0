// Fuzzes the SecretConnection handshake input: the bytes a remote sends before authentication,
// delivered in input-chosen chunks. When the input starts with a well-formed ephemeral key message
// the following bytes reach the auth-frame path.
#include <algorithm>

#include "profiles/cometbft/secret_connection.hpp"

using namespace peerlink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = (crypto::init(), true);
    static const crypto::Ed25519KeyPair identity = crypto::ed25519_generate();
    static const crypto::X25519KeyPair ephemeral = crypto::x25519_generate();
    (void)initialised;
    if (size < 1) return 0;
    cometbft::SecretConnection sc(identity, ephemeral);
    base::Buffer out, inbox;
    sc.start_handshake(out);
    const std::size_t chunk = 1 + data[0] % 64;
    base::ByteView rest(data + 1, size - 1);
    while (!rest.empty() && !sc.established()) {
        const std::size_t n = std::min(chunk, rest.size());
        inbox.append(rest.first(n));
        rest = rest.subspan(n);
        auto consumed = sc.handshake(inbox.data(), out);
        if (!consumed) return 0;
        inbox.consume(*consumed);
    }
    return 0;
}
