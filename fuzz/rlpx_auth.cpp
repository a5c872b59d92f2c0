// Fuzzes the RLPx recipient on arbitrary auth messages. The first input byte picks the mode: odd
// feeds the bytes raw (size prefix, ECIES and all); even seals the rest as the auth plaintext to the
// recipient's key (fixed ephemeral key and IV), so the RLP body parsing and signature recovery
// behind the ECIES MAC are reached.
#include "crypto/ecies.hpp"
#include "profiles/devp2p/rlpx_handshake.hpp"

using namespace peerlink;
namespace secp = crypto::secp256k1;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const secp::KeyPair recipient = *secp::key_pair_from_secret(secp::SecretKey{1, 2, 3, 4});
    static const secp::SecretKey ephemeral{9, 9, 9};
    if (size < 1) return 0;
    const base::ByteView body(data + 1, size - 1);
    base::Bytes packet;
    if (data[0] & 1) {
        packet.assign(body.begin(), body.end());
    } else {
        const std::size_t sealed_size = body.size() + crypto::ecies::k_overhead;
        if (sealed_size > 0xffff) return 0;
        const base::Bytes prefix = {static_cast<std::uint8_t>(sealed_size >> 8),
                                    static_cast<std::uint8_t>(sealed_size)};
        auto sealed = crypto::ecies::encrypt_with(recipient.public_key, body, prefix, ephemeral, {});
        if (!sealed.ok()) __builtin_trap();
        packet = prefix;
        packet.insert(packet.end(), sealed->begin(), sealed->end());
    }
    auto h = devp2p::RlpxHandshake::recipient(recipient, {.ephemeral = ephemeral, .nonce = devp2p::Nonce{}});
    base::Buffer out;
    auto r = h.on_data(packet, out);
    if (r.ok() && h.done()) {
        auto secrets = h.take_secrets();
        (void)secrets;
    } else if (!r.ok() && !out.empty()) {
        __builtin_trap();  // nothing may be sent in answer to a rejected auth
    }
    return 0;
}
