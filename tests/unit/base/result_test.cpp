#include "base/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace peerlink::base {
namespace {

Result<int> parse_positive(int v) {
    if (v <= 0) return fail(std::errc::invalid_argument);
    return v;
}

Result<void> chain(int v) {
    PEERLINK_TRY(parse_positive(v));
    return {};
}

TEST(Result, HoldsValueOrError) {
    auto good = parse_positive(5);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 5);
    auto bad = parse_positive(-1);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), std::errc::invalid_argument);
}

TEST(Result, TryPropagatesTheError) {
    EXPECT_TRUE(chain(1).ok());
    EXPECT_EQ(chain(0).error(), std::errc::invalid_argument);
}

TEST(Result, MovesOutValues) {
    Result<std::string> r(std::string(100, 'x'));
    std::string s = std::move(r).value();
    EXPECT_EQ(s.size(), 100u);
}

}  // namespace
}  // namespace peerlink::base
