#include "transport/delimited_exchange.hpp"

#include <gtest/gtest.h>

#include "codec/protobuf.hpp"

namespace peerlink::transport {
namespace {

base::Bytes delimited(std::string_view body) {
    base::Buffer out;
    codec::write_delimited(out, base::as_bytes(body));
    return base::Bytes(out.data().begin(), out.data().end());
}

TEST(DelimitedExchange, SendsOursOnceAndFlushes) {
    DelimitedExchange x(base::Bytes{1, 2, 3}, 100, [](base::ByteView) {});
    EXPECT_TRUE(x.has_pending_output());
    base::Buffer out;
    auto first = x.poll(out, {});
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(first->flush);
    EXPECT_EQ(base::Bytes(out.data().begin(), out.data().end()), (base::Bytes{3, 1, 2, 3}));
    out.clear();
    EXPECT_FALSE(x.poll(out, {})->flush);
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(x.has_pending_output());
}

TEST(DelimitedExchange, ReportsTheirMessageAndKeepsWhatFollows) {
    std::string got;
    DelimitedExchange x({}, 100, [&](base::ByteView m) { got = std::string(base::as_chars(m)); });
    base::Bytes wire = delimited("hello");
    wire.push_back(0xaa);
    wire.push_back(0xbb);
    ASSERT_TRUE(x.on_receive(wire, {}).ok());
    EXPECT_EQ(got, "hello");
    EXPECT_EQ(base::Bytes(x.leftover().begin(), x.leftover().end()), (base::Bytes{0xaa, 0xbb}));
    ASSERT_TRUE(x.on_receive(base::Bytes{0xcc}, {}).ok());
    EXPECT_EQ(x.leftover().size(), 3u);
}

TEST(DelimitedExchange, AssemblesAMessageDeliveredByteByByte) {
    int calls = 0;
    std::string got;
    DelimitedExchange x({}, 100, [&](base::ByteView m) {
        ++calls;
        got = std::string(base::as_chars(m));
    });
    for (auto b : delimited("split message"))
        ASSERT_TRUE(x.on_receive(base::ByteView(&b, 1), {}).ok());
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(got, "split message");
    EXPECT_TRUE(x.leftover().empty());
}

TEST(DelimitedExchange, RejectsAnOversizedMessageFromItsPrefix) {
    DelimitedExchange x({}, 10, [](base::ByteView) { FAIL() << "no message expected"; });
    const base::Bytes prefix = {0x80, 0x01};  // 128 bytes announced
    EXPECT_EQ(x.on_receive(prefix, {}).error(), codec::Errc::message_too_large);
}

}  // namespace
}  // namespace peerlink::transport
