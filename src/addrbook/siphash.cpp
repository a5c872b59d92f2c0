#include "addrbook/siphash.hpp"

namespace peerlink::addrbook {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) {
    return (x << b) | (x >> (64 - b));
}

std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

struct State {
    std::uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void compress(std::uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

}  // namespace

SipKey SipKey::from_bytes(const std::array<std::uint8_t, 16>& bytes) {
    return SipKey{.k0 = load_le64(bytes.data()), .k1 = load_le64(bytes.data() + 8)};
}

std::array<std::uint8_t, 16> SipKey::to_bytes() const {
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < 8; ++i) {
        out[i] = static_cast<std::uint8_t>(k0 >> (8 * i));
        out[8 + i] = static_cast<std::uint8_t>(k1 >> (8 * i));
    }
    return out;
}

std::uint64_t siphash24(const SipKey& key, base::ByteView message) {
    State s{.v0 = key.k0 ^ 0x736f6d6570736575ULL,
            .v1 = key.k1 ^ 0x646f72616e646f6dULL,
            .v2 = key.k0 ^ 0x6c7967656e657261ULL,
            .v3 = key.k1 ^ 0x7465646279746573ULL};
    const std::size_t full = message.size() / 8 * 8;
    for (std::size_t i = 0; i < full; i += 8)
        s.compress(load_le64(message.data() + i));
    // The last block carries the remaining bytes and the message length modulo 256 in its top byte.
    std::uint64_t last = static_cast<std::uint64_t>(message.size() & 0xff) << 56;
    for (std::size_t i = full; i < message.size(); ++i)
        last |= static_cast<std::uint64_t>(message[i]) << (8 * (i - full));
    s.compress(last);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i)
        s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace peerlink::addrbook
