#include "base/buffer.hpp"

#include <gtest/gtest.h>

namespace peerlink::base {
namespace {

TEST(Buffer, AppendConsumeKeepsOrder) {
    Buffer b;
    b.append(as_bytes("hello "));
    b.append(as_bytes("world"));
    EXPECT_EQ(as_chars(b.data()), "hello world");
    b.consume(6);
    EXPECT_EQ(as_chars(b.data()), "world");
    b.consume(5);
    EXPECT_TRUE(b.empty());
}

TEST(Buffer, PrepareCommitWritesInPlace) {
    Buffer b;
    auto space = b.prepare(3);
    space[0] = 'a';
    space[1] = 'b';
    space[2] = 'c';
    b.commit(2);
    EXPECT_EQ(as_chars(b.data()), "ab");
}

TEST(Buffer, CompactsInsteadOfGrowingWhenFrontIsConsumed) {
    Buffer b(1024);
    const std::size_t capacity = b.capacity();
    b.append(Bytes(capacity - 10, 1));
    b.consume(capacity - 20);  // 10 bytes live
    b.append(Bytes(100, 2));   // fits after compaction
    EXPECT_EQ(b.capacity(), capacity);
    ASSERT_EQ(b.size(), 110u);
    EXPECT_EQ(b.data()[0], 1);
    EXPECT_EQ(b.data()[10], 2);
}

TEST(Buffer, GrowsPreservingUnreadBytes) {
    Buffer b;
    b.append(as_bytes("xyz"));
    b.consume(1);
    b.append(Bytes(10000, 7));
    ASSERT_EQ(b.size(), 10002u);
    EXPECT_EQ(b.data()[0], 'y');
    EXPECT_EQ(b.data()[10001], 7);
}

TEST(Buffer, ShrinkIfEmptyReleasesStorage) {
    Buffer b;
    b.append(Bytes(100000, 0));
    b.shrink_if_empty(4096);
    EXPECT_GT(b.capacity(), 4096u);  // not empty: kept
    b.consume(b.size());
    b.shrink_if_empty(4096);
    EXPECT_EQ(b.capacity(), 0u);
}

}  // namespace
}  // namespace peerlink::base
