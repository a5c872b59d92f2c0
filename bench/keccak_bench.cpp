// Keccak-256 throughput, which bounds RLPx bulk transfer (both frame MACs absorb every ciphertext
// byte), next to the whole RLPx frame seal+open path for 16 KiB messages; plus the secp256k1
// operations of one RLPx handshake.
#include <benchmark/benchmark.h>

#include "crypto/keccak.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/rlpx_frame.hpp"
#include "profiles/devp2p/rlpx_handshake.hpp"

namespace peerlink::devp2p {
namespace {

constexpr std::size_t k_message = 16 * 1024;

void BM_Keccak256_16KiB(benchmark::State& state) {
    const base::Bytes data(k_message, 0x5a);
    for (auto _ : state)
        benchmark::DoNotOptimize(crypto::keccak256(data));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * k_message));
}
BENCHMARK(BM_Keccak256_16KiB);

void BM_KeccakF1600(benchmark::State& state) {
    std::array<std::uint64_t, 25> s{};
    for (auto _ : state) {
        crypto::keccak_f1600(s);
        benchmark::DoNotOptimize(s);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 136));
}
BENCHMARK(BM_KeccakF1600);

Secrets bench_secrets() {
    Secrets s;
    s.aes_secret = crypto::keccak256(base::as_bytes("aes"));
    s.mac_secret = crypto::keccak256(base::as_bytes("mac"));
    s.egress_mac.update(base::as_bytes("seed"));
    s.ingress_mac.update(base::as_bytes("seed"));
    return s;
}

/// One 16 KiB message sealed by one codec and opened by its mirror (both directions' work of a
/// single message: AES-CTR twice, each MAC absorbs the frame once per side).
void BM_RlpxSealOpen_16KiB(benchmark::State& state) {
    FrameCodec writer(bench_secrets());
    FrameCodec reader(bench_secrets());
    const base::Bytes payload(k_message, 0x42);
    base::Buffer wire(2 * k_message);
    for (auto _ : state) {
        if (!writer.write(0x10, payload, wire).ok()) state.SkipWithError("write failed");
        auto step = reader.read(wire.data());
        if (!step.ok() || !step->message) state.SkipWithError("read failed");
        wire.consume(step->consumed);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * k_message));
}
BENCHMARK(BM_RlpxSealOpen_16KiB);

void BM_RlpxSeal_16KiB(benchmark::State& state) {
    FrameCodec writer(bench_secrets());
    const base::Bytes payload(k_message, 0x42);
    base::Buffer wire(2 * k_message);
    for (auto _ : state) {
        if (!writer.write(0x10, payload, wire).ok()) state.SkipWithError("write failed");
        wire.clear();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * k_message));
}
BENCHMARK(BM_RlpxSeal_16KiB);

void BM_RlpxHandshakeBothSides(benchmark::State& state) {
    const auto a = crypto::secp256k1::generate();
    const auto b = crypto::secp256k1::generate();
    for (auto _ : state) {
        auto ha = RlpxHandshake::initiator(a, b.public_key);
        auto hb = RlpxHandshake::recipient(b);
        base::Buffer ab, ba;
        if (!ha.start(ab).ok() || !hb.on_data(ab.data(), ba).ok() || !ha.on_data(ba.data(), ab).ok())
            state.SkipWithError("handshake failed");
        benchmark::DoNotOptimize(ha.take_secrets());
        benchmark::DoNotOptimize(hb.take_secrets());
    }
}
BENCHMARK(BM_RlpxHandshakeBothSides);

}  // namespace
}  // namespace peerlink::devp2p
