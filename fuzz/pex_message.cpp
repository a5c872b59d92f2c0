// Decodes arbitrary bytes as a PEX message: whatever decodes must survive encode/decode unchanged,
// and a PexCore with a small book must take it from an asked and an unasked peer without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "discovery/pex_core.hpp"

namespace {

using namespace peerlink;

void feed_core(base::ByteView input) {
    addrbook::Options options;
    options.new_bucket_count = 4;
    options.old_bucket_count = 2;
    options.bucket_size = 8;
    options.strict = false;
    addrbook::AddrBook book(options, addrbook::SipKey{.k0 = 1, .k1 = 2});
    book.add_our_address(addrbook::NetAddress{.id = std::string(40, 'a'), .ip = "10.0.0.1", .port = 26656});
    base::Random random(7);
    discovery::PexCore core(discovery::PexOptions{}, book, random);
    const base::TimePoint now = base::TimePoint{} + std::chrono::hours(1);

    const auto asked = *peer::NodeId::from_hex(std::string(40, 'b'));
    const addrbook::NetAddress asked_addr{.id = std::string(40, 'b'), .ip = "10.0.0.2", .port = 26656};
    if (core.on_peer_up(asked, asked_addr, true, now).size() != 1) std::abort();
    (void)core.on_message(asked, asked_addr, input, now);
    (void)core.on_message(asked, asked_addr, input, now + std::chrono::seconds(1));

    const auto unasked = *peer::NodeId::from_hex(std::string(40, 'c'));
    const addrbook::NetAddress unasked_addr{.id = std::string(40, 'c'), .ip = "10.0.0.3", .port = 26656};
    (void)core.on_peer_up(unasked, unasked_addr, false, now);
    for (const auto& action : core.on_message(unasked, unasked_addr, input, now)) {
        // Whatever we send must itself decode, and never carry our own address.
        if (action.kind != discovery::PexAction::Kind::send) continue;
        auto sent = discovery::decode_pex(action.message);
        if (!sent) std::abort();
        for (const auto& a : sent->addrs)
            if (a.ip == "10.0.0.1") std::abort();
    }
    core.on_peer_down(asked);
    core.on_peer_down(unasked);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The PEX channel refuses larger messages before they reach the reactor.
    if (size > discovery::k_pex_recv_message_capacity) return 0;
    const base::ByteView input(data, size);
    auto message = discovery::decode_pex(input);
    if (message) {
        if (message->addrs.size() > discovery::k_max_addresses_per_message + 1) std::abort();
        const base::Bytes encoded = discovery::encode(*message);
        auto again = discovery::decode_pex(encoded);
        if (!again || again->kind != message->kind || again->addrs != message->addrs) std::abort();
        if (discovery::encode(*again) != encoded) std::abort();
    }
    feed_core(input);
    return 0;
}
