// Two FrameCodecs facing each other, from a real in-memory RLPx handshake.
#pragma once
#include <gtest/gtest.h>

#include "profiles/devp2p/rlpx_frame.hpp"
#include "profiles/devp2p/rlpx_handshake.hpp"

namespace peerlink::devp2p::test {

struct CodecPair {
    secp::KeyPair ka = secp::generate();
    secp::KeyPair kb = secp::generate();
    std::optional<FrameCodec> a;
    std::optional<FrameCodec> b;

    explicit CodecPair(FrameCodec::Options options = {}) {
        auto ha = RlpxHandshake::initiator(ka, kb.public_key);
        auto hb = RlpxHandshake::recipient(kb);
        base::Buffer ab, ba;
        EXPECT_TRUE(ha.start(ab).ok());
        EXPECT_TRUE(hb.on_data(ab.data(), ba).ok());
        EXPECT_TRUE(ha.on_data(ba.data(), ab).ok());
        a.emplace(ha.take_secrets(), options);
        b.emplace(hb.take_secrets(), options);
    }
};

}  // namespace peerlink::devp2p::test
