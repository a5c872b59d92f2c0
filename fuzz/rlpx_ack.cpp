// Fuzzes the RLPx initiator on arbitrary ack messages, after it sent its auth. As in rlpx_auth,
// the first byte picks raw bytes (odd) or the rest sealed as the ack plaintext to our key (even).
#include "crypto/ecies.hpp"
#include "profiles/devp2p/rlpx_handshake.hpp"

using namespace peerlink;
namespace secp = crypto::secp256k1;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const secp::KeyPair initiator = *secp::key_pair_from_secret(secp::SecretKey{5, 6, 7});
    static const secp::KeyPair remote = *secp::key_pair_from_secret(secp::SecretKey{1, 2, 3, 4});
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
        auto sealed = crypto::ecies::encrypt_with(initiator.public_key, body, prefix, ephemeral, {});
        if (!sealed.ok()) __builtin_trap();
        packet = prefix;
        packet.insert(packet.end(), sealed->begin(), sealed->end());
    }
    auto h = devp2p::RlpxHandshake::initiator(initiator, remote.public_key,
                                              {.ephemeral = ephemeral, .nonce = devp2p::Nonce{}});
    base::Buffer out;
    if (!h.start(out).ok()) __builtin_trap();
    auto r = h.on_data(packet, out);
    if (r.ok() && h.done()) (void)h.take_secrets();
    return 0;
}
