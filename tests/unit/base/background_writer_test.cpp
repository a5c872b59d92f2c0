#include "base/background_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/file.hpp"

namespace peerlink::base {
namespace {

class BackgroundWriterTest : public ::testing::Test {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("peerlink-bgw-" + std::to_string(::getpid()) + "-" +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    void SetUp() override { std::filesystem::create_directories(dir); }
    void TearDown() override { std::filesystem::remove_all(dir); }
};

TEST_F(BackgroundWriterTest, WritesAndFlushWaitsForIt) {
    BackgroundWriter writer;
    writer.write(dir / "a.json", "one");
    writer.flush();
    EXPECT_EQ(*read_file(dir / "a.json", 100), "one");
}

TEST_F(BackgroundWriterTest, TheNewestSnapshotWins) {
    BackgroundWriter writer;
    for (int i = 0; i < 1000; ++i)
        writer.write(dir / "book.json", std::to_string(i));
    writer.flush();
    EXPECT_EQ(*read_file(dir / "book.json", 100), "999");
}

TEST_F(BackgroundWriterTest, DestructorWritesWhatIsPending) {
    {
        BackgroundWriter writer;
        writer.write(dir / "last.json", "at shutdown");
    }
    EXPECT_EQ(*read_file(dir / "last.json", 100), "at shutdown");
}

TEST_F(BackgroundWriterTest, ReportsFailedWrites) {
    std::error_code seen;
    {
        BackgroundWriter writer([&](const std::filesystem::path&, std::error_code ec) { seen = ec; });
        writer.write(dir / "missing" / "dir" / "x.json", "x");
    }
    EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace peerlink::base
