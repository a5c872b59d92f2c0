// Fuzzes the Bitcoin peer state machine in both roles: the input (after two control bytes) is the
// byte stream a remote sends, in input-chosen chunks, with the clock stepping between chunks.
// Every Send must be a frame we can read back; nothing may follow a Disconnect.
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "profiles/bitcoin/peer_state.hpp"

using namespace peerlink;

namespace {

void check_sends(const bitcoin::Actions& actions, bool& closed) {
    for (const auto& a : actions) {
        if (closed) std::abort();
        if (std::holds_alternative<bitcoin::action::Disconnect>(a)) closed = true;
        const auto* s = std::get_if<bitcoin::action::Send>(&a);
        if (s == nullptr) continue;
        bitcoin::FrameReader reader({.magic = bitcoin::regtest().magic});
        reader.append(s->bytes);
        auto f = reader.next();
        if (!f || !*f || (*f)->status != bitcoin::FrameStatus::ok) std::abort();
        if (!bitcoin::decode_message((*f)->command, (*f)->payload)) std::abort();
    }
}

void run(bitcoin::Direction direction, std::size_t chunk, std::uint8_t step_s, base::ByteView input) {
    bitcoin::NonceSet nonces;
    base::Random random(1);
    bitcoin::PeerOptions options;
    options.magic = bitcoin::regtest().magic;
    options.max_payload = 1 << 16;
    options.send_rejects = (chunk & 1) != 0;
    bitcoin::PeerState peer(options, direction, bitcoin::NetAddr{}, nonces, random);
    base::ManualClock clock;
    bool closed = false;
    check_sends(peer.start({clock.now(), 1'700'000'000}), closed);
    while (!input.empty() && !closed) {
        const std::size_t n = std::min(chunk, input.size());
        check_sends(peer.feed(input.first(n), {clock.now(), 1'700'000'000}), closed);
        input = input.subspan(n);
        clock.advance(std::chrono::seconds(step_s));
        if (!closed) check_sends(peer.on_timer({clock.now(), 1'700'000'000}), closed);
        if (peer.expected_replies() > options.max_expected_replies) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t chunk = 1 + data[0] % 128;
    const base::ByteView input(data + 2, size - 2);
    run(bitcoin::Direction::inbound, chunk, data[1], input);
    run(bitcoin::Direction::outbound, chunk, data[1], input);
    return 0;
}
