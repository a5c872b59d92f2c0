// The connection stack without sockets: SecretConnection sealing/opening a 64 KiB batch, and
// MConnection moving 128-byte and 16 KiB messages from try_send through poll() into a peer's
// on_receive. Subtracting these from peerlink-bench's figures shows what the kernel costs.
#include <benchmark/benchmark.h>

#include "mux/mconnection.hpp"
#include "profiles/cometbft/secret_connection.hpp"

namespace peerlink {
namespace {

const bool g_init = (crypto::init(), true);

/// Runs both ends of a SecretConnection handshake in memory.
void handshake(cometbft::SecretConnection& a, cometbft::SecretConnection& b) {
    base::Buffer ab, ba;
    a.start_handshake(ab);
    b.start_handshake(ba);
    for (int i = 0; i < 4; ++i) {
        if (!b.established()) ab.consume(*b.handshake(ab.data(), ba));
        if (!a.established()) ba.consume(*a.handshake(ba.data(), ab));
    }
}

struct Established {
    cometbft::SecretConnection a{crypto::ed25519_generate()};
    cometbft::SecretConnection b{crypto::ed25519_generate()};
    Established() { handshake(a, b); }
};

void BM_SecretConnectionSealOpen64KiB(benchmark::State& state) {
    Established pair;
    const base::Bytes plain(64 * 1024, 0x5a);
    base::Buffer wire, out;
    for (auto _ : state) {
        wire.clear();
        out.clear();
        (void)pair.a.seal(plain, wire);
        (void)pair.b.open(wire.data(), out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 64 * 1024);
}
BENCHMARK(BM_SecretConnectionSealOpen64KiB);

void BM_SecretConnectionHandshake(benchmark::State& state) {
    const auto ka = crypto::ed25519_generate();
    const auto kb = crypto::ed25519_generate();
    for (auto _ : state) {
        cometbft::SecretConnection a(ka), b(kb);
        handshake(a, b);
        benchmark::DoNotOptimize(a.established());
    }
}
BENCHMARK(BM_SecretConnectionHandshake);

void BM_MConnectionMessages(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    mux::Options o;
    o.send_rate = 0;
    o.recv_rate = 0;
    o.flush_throttle = base::Duration::zero();
    const std::vector<mux::ChannelDescriptor> channels = {
        {.id = 0x20, .priority = 1, .send_queue_capacity = 1024, .recv_message_capacity = 1 << 20}};
    std::uint64_t received = 0;
    const base::TimePoint now = base::SteadyClock::now();
    mux::MConnection tx(
        o, channels, [](mux::ChannelId, base::ByteView) {}, now);
    mux::MConnection rx(
        o, channels, [&](mux::ChannelId, base::ByteView) { ++received; }, now);
    const base::SharedBytes message(base::Bytes(size, 0x42));
    base::Buffer wire;
    for (auto _ : state) {
        while (tx.try_send(0x20, message)) {
        }
        while (tx.has_pending_output()) {
            wire.clear();
            (void)tx.poll(wire, now);
            (void)rx.on_receive(wire.data(), now);
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(received));
    state.SetBytesProcessed(static_cast<std::int64_t>(received * size));
}
BENCHMARK(BM_MConnectionMessages)->Arg(128)->Arg(16384);

}  // namespace
}  // namespace peerlink
