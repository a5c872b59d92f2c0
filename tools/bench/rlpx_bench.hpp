// peerlink-bench rlpx: RLPx (devp2p) bulk MB/s, small messages/s and handshakes/s over loopback,
// both ends in one process, next to Keccak-256 and AES-256-CTR speed (see rlpx_bench.cpp).
#pragma once
#include <string_view>

namespace peerlink::bench {

/// Runs every phase (or only `only`: bulk, small or handshake) and prints the figures against
/// their targets; 0 unless a phase failed (a protocol error, a stalled transfer), whether or not
/// the targets were met.
int run_rlpx(bool smoke, std::string_view only);

}  // namespace peerlink::bench
