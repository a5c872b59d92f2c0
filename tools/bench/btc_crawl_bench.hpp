// peerlink-bench btc-crawl and btc-decode: the Bitcoin profile's crawler handshake rate against
// local listeners, and 1 MB message reading against the SHA-256d bound (see btc_crawl_bench.cpp).
#pragma once

namespace peerlink::bench {

/// Handshakes (version/verack) per second from one crawler node against many listener nodes on
/// 127.0.0.1; 0 unless a dial or handshake failed.
int run_btc_crawl(bool smoke);

/// Header + checksum + decode of 1 MB messages against OpenSSL SHA-256d of 1 MB in the same run;
/// 0 unless a frame failed to read.
int run_btc_decode(bool smoke);

}  // namespace peerlink::bench
