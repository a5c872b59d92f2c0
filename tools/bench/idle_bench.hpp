// peerlink-bench idle: memory per idle peer of a real node (see idle_bench.cpp).
#pragma once
#include <cstddef>

namespace peerlink::bench {

/// Connects `peers` idle CometBFT peers to a node and prints its heap and RSS per peer; 0 when
/// every peer connected.
int run_idle(std::size_t peers);

}  // namespace peerlink::bench
