// Costs of the primitives behind the connection figures: the handshake's four public-key
// operations, the key schedule, and AEAD on SecretConnection-sized records.
#include <benchmark/benchmark.h>

#include "crypto/crypto.hpp"
#include "crypto/keccak.hpp"
#include "crypto/merlin.hpp"

namespace peerlink::crypto {
namespace {

const bool g_init = (init(), true);

void BM_X25519Generate(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(x25519_generate());
}
BENCHMARK(BM_X25519Generate);

void BM_X25519Shared(benchmark::State& state) {
    const auto a = x25519_generate();
    const auto b = x25519_generate();
    for (auto _ : state)
        benchmark::DoNotOptimize(x25519(a.secret_key, b.public_key));
}
BENCHMARK(BM_X25519Shared);

void BM_Ed25519Sign(benchmark::State& state) {
    const auto k = ed25519_generate();
    const std::array<std::uint8_t, 32> challenge{};
    for (auto _ : state)
        benchmark::DoNotOptimize(ed25519_sign(k.secret_key, challenge));
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
    const auto k = ed25519_generate();
    const std::array<std::uint8_t, 32> challenge{};
    const auto sig = ed25519_sign(k.secret_key, challenge);
    for (auto _ : state)
        benchmark::DoNotOptimize(ed25519_verify(k.public_key, challenge, sig));
}
BENCHMARK(BM_Ed25519Verify);

void BM_KeySchedule(benchmark::State& state) {
    // The SecretConnection transcript + HKDF work per handshake.
    const std::array<std::uint8_t, 32> lo{1}, hi{2}, dh{3};
    for (auto _ : state) {
        MerlinTranscript t("TENDERMINT_SECRET_CONNECTION_TRANSCRIPT_HASH");
        t.append_message("EPHEMERAL_LOWER_PUBLIC_KEY", lo);
        t.append_message("EPHEMERAL_UPPER_PUBLIC_KEY", hi);
        t.append_message("DH_SECRET", dh);
        std::array<std::uint8_t, 32> challenge{};
        t.extract_bytes("SECRET_CONNECTION_MAC", challenge);
        std::array<std::uint8_t, 96> okm{};
        hkdf_sha256(dh, {}, base::as_bytes("TENDERMINT_SECRET_CONNECTION_KEY_AND_CHALLENGE_GEN"), okm);
        benchmark::DoNotOptimize(okm);
        benchmark::DoNotOptimize(challenge);
    }
}
BENCHMARK(BM_KeySchedule);

void BM_AeadSealOpenSsl(benchmark::State& state) {
    ChaCha20Poly1305 aead(ChaCha20Poly1305::Key{7});
    ChaCha20Poly1305::Nonce nonce{};
    std::vector<std::uint8_t> in(static_cast<std::size_t>(state.range(0)), 1), out(in.size() + 16);
    for (auto _ : state)
        aead.seal(nonce, in, {}, out);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_AeadSealOpenSsl)->Arg(1028)->Arg(16384);

void BM_AeadOpenOpenSsl(benchmark::State& state) {
    ChaCha20Poly1305 aead(ChaCha20Poly1305::Key{7});
    ChaCha20Poly1305::Nonce nonce{};
    std::vector<std::uint8_t> plain(static_cast<std::size_t>(state.range(0)), 1), sealed(plain.size() + 16);
    aead.seal(nonce, plain, {}, sealed);
    for (auto _ : state)
        benchmark::DoNotOptimize(aead.open(nonce, sealed, {}, plain));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_AeadOpenOpenSsl)->Arg(1028);

void BM_AeadSealSodium(benchmark::State& state) {
    const ChaCha20Poly1305::Key key{7};
    ChaCha20Poly1305::Nonce nonce{};
    std::vector<std::uint8_t> in(static_cast<std::size_t>(state.range(0)), 1), out(in.size() + 16);
    for (auto _ : state)
        sodium_chacha20poly1305_seal(key, nonce, in, out);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_AeadSealSodium)->Arg(1028)->Arg(16384);

void BM_Keccak256(benchmark::State& state) {
    std::vector<std::uint8_t> in(static_cast<std::size_t>(state.range(0)), 1);
    for (auto _ : state)
        benchmark::DoNotOptimize(keccak256(in));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(4096);

}  // namespace
}  // namespace peerlink::crypto
