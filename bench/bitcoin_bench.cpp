// Bitcoin framing cost against its bound: reading a 1 MB message (header, SHA-256d checksum,
// decode) next to SHA-256d of 1 MB alone, which every Bitcoin implementation must pay.
#include <benchmark/benchmark.h>
#include <openssl/sha.h>

#include "profiles/bitcoin/messages.hpp"
#include "profiles/bitcoin/wire.hpp"

namespace peerlink::bitcoin {
namespace {

constexpr std::size_t k_payload = 1 << 20;

base::Bytes payload_bytes() {
    base::Bytes p(k_payload);
    for (std::size_t i = 0; i < p.size(); ++i)
        p[i] = static_cast<std::uint8_t>(i * 131 + 7);
    return p;
}

void BM_BitcoinSha256d1MB(benchmark::State& state) {
    const base::Bytes p = payload_bytes();
    for (auto _ : state)
        benchmark::DoNotOptimize(checksum(p));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * k_payload));
}
BENCHMARK(BM_BitcoinSha256d1MB);

// The same double hash through OpenSSL (SHA-NI where the CPU has it), for comparison with
// crypto::sha256 (libsodium, portable C) that checksum() uses.
void BM_BitcoinSha256d1MBOpenSsl(benchmark::State& state) {
    const base::Bytes p = payload_bytes();
    for (auto _ : state) {
        std::uint8_t first[SHA256_DIGEST_LENGTH];
        std::uint8_t second[SHA256_DIGEST_LENGTH];
        SHA256(p.data(), p.size(), first);
        SHA256(first, sizeof first, second);
        benchmark::DoNotOptimize(second);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * k_payload));
}
BENCHMARK(BM_BitcoinSha256d1MBOpenSsl);

// Reads one framed message per iteration through a long-lived FrameReader, as a connection does.
void read_frames(benchmark::State& state, const base::Bytes& framed) {
    FrameReader reader({.magic = mainnet().magic});
    for (auto _ : state) {
        reader.append(framed);
        auto f = reader.next();
        if (!f || !*f || (*f)->status != FrameStatus::ok) {
            state.SkipWithError("frame not read");
            break;
        }
        auto m = decode_message((*f)->command, (*f)->payload);
        if (!m) {
            state.SkipWithError("decode failed");
            break;
        }
        benchmark::DoNotOptimize(*m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * framed.size()));
}

void BM_BitcoinReadUnknown1MB(benchmark::State& state) {
    read_frames(state, frame(mainnet().magic, "block", payload_bytes()));
}
BENCHMARK(BM_BitcoinReadUnknown1MB);

void BM_BitcoinReadInv1MB(benchmark::State& state) {
    // 29,126 entries of 36 bytes: about 1 MB of inventory.
    Inv inv;
    const base::Bytes p = payload_bytes();
    for (std::size_t i = 0; (i + 1) * 36 + 3 <= k_payload; ++i) {
        InvVect v;
        v.type = 1;
        std::copy_n(p.begin() + static_cast<std::ptrdiff_t>(i * 32 % (k_payload - 32)), 32, v.hash.begin());
        inv.items.push_back(v);
    }
    read_frames(state, frame(mainnet().magic, "inv", encode_payload(inv)));
}
BENCHMARK(BM_BitcoinReadInv1MB);

}  // namespace
}  // namespace peerlink::bitcoin
