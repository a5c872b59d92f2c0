#include "base/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace peerlink::base {
namespace {

class FileTest : public ::testing::Test {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("peerlink-file-test-" + std::to_string(::getpid()) + "-" +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    void SetUp() override { std::filesystem::create_directories(dir); }
    void TearDown() override { std::filesystem::remove_all(dir); }
};

TEST_F(FileTest, WritesAndReplacesAtomically) {
    const auto path = dir / "key.json";
    ASSERT_TRUE(write_file_atomic(path, as_bytes("first")).ok());
    ASSERT_TRUE(write_file_atomic(path, as_bytes("second")).ok());
    EXPECT_EQ(*read_file(path, 1024), "second");
    // No temp file is left behind.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
        ++entries;
    EXPECT_EQ(entries, 1u);
}

TEST_F(FileTest, AppliesTheRequestedMode) {
    const auto path = dir / "secret";
    ASSERT_TRUE(write_file_atomic(path, as_bytes("k"), 0600).ok());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileTest, ReadRefusesFilesAboveTheBound) {
    const auto path = dir / "big";
    ASSERT_TRUE(write_file_atomic(path, Bytes(2000, 'x')).ok());
    EXPECT_EQ(read_file(path, 1999).error(), std::errc::file_too_large);
    EXPECT_EQ(read_file(path, 2000)->size(), 2000u);
}

TEST_F(FileTest, MissingFileIsAnError) {
    EXPECT_EQ(read_file(dir / "none", 10).error(), std::errc::no_such_file_or_directory);
}

TEST_F(FileTest, SetAsideKeepsTheContentsUnderANewName) {
    const auto path = dir / "book.json";
    ASSERT_TRUE(write_file_atomic(path, as_bytes("{broken")).ok());
    auto moved = set_aside(path);
    ASSERT_TRUE(moved.ok());
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_EQ(*read_file(*moved, 100), "{broken");
    // A second corrupt file in the same second gets its own name.
    ASSERT_TRUE(write_file_atomic(path, as_bytes("{again")).ok());
    auto moved_again = set_aside(path);
    ASSERT_TRUE(moved_again.ok());
    EXPECT_NE(*moved, *moved_again);
}

TEST_F(FileTest, WriteIntoMissingDirectoryFails) {
    EXPECT_FALSE(write_file_atomic(dir / "no" / "such" / "file", as_bytes("x")).ok());
}

}  // namespace
}  // namespace peerlink::base
