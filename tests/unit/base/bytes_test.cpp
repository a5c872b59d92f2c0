#include "base/bytes.hpp"

#include <gtest/gtest.h>

namespace peerlink::base {
namespace {

TEST(Hex, RoundTrips) {
    const Bytes b = {0x00, 0x7f, 0x80, 0xff};
    EXPECT_EQ(to_hex(b), "007f80ff");
    EXPECT_EQ(from_hex("007F80ff"), b);
}

TEST(Hex, RejectsOddLengthAndNonHex) {
    EXPECT_FALSE(from_hex("abc"));
    EXPECT_FALSE(from_hex("zz"));
    EXPECT_TRUE(from_hex("")->empty());
}

TEST(SharedBytes, SlicesShareStorage) {
    SharedBytes whole(Bytes{1, 2, 3, 4, 5});
    SharedBytes middle = whole.slice(1, 3);
    EXPECT_EQ(middle.size(), 3u);
    EXPECT_EQ(middle.view()[0], 2);
    EXPECT_EQ(middle.view().data(), whole.view().data() + 1);
    SharedBytes inner = middle.slice(1, 1);
    EXPECT_EQ(inner.view()[0], 3);
}

TEST(SharedBytes, DefaultIsEmpty) {
    SharedBytes none;
    EXPECT_TRUE(none.empty());
    EXPECT_TRUE(none.view().empty());
}

}  // namespace
}  // namespace peerlink::base
