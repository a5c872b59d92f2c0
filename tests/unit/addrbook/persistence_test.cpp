#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "addrbook/addr_book.hpp"
#include "base/file.hpp"

namespace peerlink::addrbook {
namespace {

using namespace std::chrono_literals;

const base::TimePoint t0 = base::TimePoint{} + 1000h;
const WallTime w0 = WallTime{} + std::chrono::seconds(1'700'000'000);
const SipKey k_key{.k0 = 11, .k1 = 22};

std::string hex_id(std::uint64_t n) {
    char buf[41];
    std::snprintf(buf, sizeof buf, "%040llx", static_cast<unsigned long long>(n));
    return buf;
}

NetAddress addr(std::uint32_t i) {
    return NetAddress{
        .id = hex_id(i), .ip = IpAddress::v4((30u + i % 60) << 24 | i).to_string(), .port = 26656};
}

class Persistence : public ::testing::Test {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("peerlink-addrbook-test-" + std::to_string(::getpid()) + "-" +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::path path = dir / "addrbook.json";
    void SetUp() override { std::filesystem::create_directories(dir); }
    void TearDown() override { std::filesystem::remove_all(dir); }

    /// A book with 300 new and some old entries, history and a ban.
    static AddrBook sample() {
        AddrBook book({}, k_key);
        for (std::uint32_t i = 0; i < 300; ++i)
            (void)book.add_address(addr(i), "9." + std::to_string(i % 100) + ".0.1", t0 - 10h);
        for (std::uint32_t i = 0; i < 40; ++i)
            book.mark_good(addr(i), t0 - 2h);
        book.mark_attempt(addr(100), t0 - 30min);
        book.mark_attempt(addr(100), t0 - 20min);
        book.ban(hex_id(9999), t0, 1h);
        book.ban("7.7.7.7", t0, 48h);
        return book;
    }
};

TEST_F(Persistence, RoundTripKeepsKeyEntriesTablesHistoryAndBans) {
    const AddrBook before = sample();
    ASSERT_TRUE(before.save(path, t0, w0).ok());

    AddrBook after({}, SipKey{.k0 = 1, .k1 = 1});
    auto report = after.load(path, t0, w0);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->status, LoadReport::Status::loaded);
    EXPECT_EQ(report->skipped, 0u);
    EXPECT_EQ(after.key(), k_key);
    EXPECT_EQ(after.size(), before.size());
    EXPECT_EQ(after.old_count(), before.old_count());
    EXPECT_EQ(after.new_count(), before.new_count());
    EXPECT_EQ(after.ban_count(), 2u);
    for (std::uint32_t i = 0; i < 300; ++i) {
        const auto b = before.find(addr(i));
        const auto a = after.find(addr(i));
        ASSERT_EQ(a.has_value(), b.has_value()) << i;
        if (!a) continue;
        EXPECT_EQ(a->address, b->address);
        EXPECT_EQ(a->source, b->source);
        EXPECT_EQ(a->in_old, b->in_old);
        EXPECT_EQ(a->bucket, b->bucket);
        EXPECT_EQ(a->attempts, b->attempts);
        EXPECT_EQ(a->last_attempt, b->last_attempt);  // whole seconds in the sample
        EXPECT_EQ(a->last_success, b->last_success);
        EXPECT_EQ(a->added, b->added);
    }
    EXPECT_TRUE(after.is_banned(hex_id(9999), t0 + 59min));
    EXPECT_TRUE(after.is_banned("7.7.7.7", t0 + 47h));
    EXPECT_EQ(after.to_json(t0, w0), before.to_json(t0, w0));
}

TEST_F(Persistence, TimesFollowTheWallClockAcrossARestart) {
    ASSERT_TRUE(sample().save(path, t0, w0).ok());
    // The process restarts 3 hours later; its steady clock has a new origin.
    const base::TimePoint t_restart = base::TimePoint{} + 5h;
    AddrBook after({}, k_key);
    ASSERT_TRUE(after.load(path, t_restart, w0 + 3h).ok());
    EXPECT_EQ(after.find(addr(0))->last_success, t_restart - 5h);
    EXPECT_EQ(after.find(addr(100))->last_attempt, t_restart - 3h - 20min);
    EXPECT_FALSE(after.is_banned(hex_id(9999), t_restart));  // a 1 h ban expired while we were down
    EXPECT_TRUE(after.is_banned("7.7.7.7", t_restart + 44h));
    EXPECT_FALSE(after.is_banned("7.7.7.7", t_restart + 45h));
}

TEST_F(Persistence, AMissingFileMeansAnEmptyBook) {
    AddrBook book({}, k_key);
    auto report = book.load(path, t0, w0);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->status, LoadReport::Status::missing);
    EXPECT_EQ(book.size(), 0u);
}

TEST_F(Persistence, ACorruptFileIsSetAsideAndTheBookStartsEmpty) {
    for (const std::string junk : {"{\"version\": 1, \"key\": \"00\", \"addrs\": [", "not json",
                                   "{\"version\": 1, \"addrs\": [], \"bans\": []}", "[1, 2, 3]",
                                   "{\"version\": 99, \"key\": \"000102030405060708090a0b0c0d0e0f\"}"}) {
        ASSERT_TRUE(base::write_file_atomic(path, base::as_bytes(junk)).ok());
        AddrBook book = sample();
        book.add_our_address(addr(250));
        auto report = book.load(path, t0, w0);
        ASSERT_TRUE(report.ok()) << junk;
        EXPECT_EQ(report->status, LoadReport::Status::set_aside) << junk;
        EXPECT_EQ(book.size(), 0u);
        EXPECT_EQ(book.ban_count(), 0u);
        EXPECT_TRUE(book.is_our_address(addr(250)));  // configuration survives
        EXPECT_FALSE(std::filesystem::exists(path));
        EXPECT_EQ(*base::read_file(report->moved_to, 1 << 20), junk);
        EXPECT_NE(report->message.find("moved it to"), std::string::npos) << report->message;
        std::filesystem::remove(report->moved_to);
    }
}

TEST_F(Persistence, InvalidEntriesAreSkippedNotFatal) {
    const std::string text = R"({"version": 1, "key": "000102030405060708090a0b0c0d0e0f", "bans": [],
        "addrs": [{"id": "", "ip": "8.8.8.8", "port": 1, "src": "seed", "table": "new", "attempts": 0,
                   "last_attempt": 0, "last_success": 0, "added": 1},
                  {"id": "zz", "ip": "8.8.4.4", "port": 1, "src": "seed", "table": "new", "attempts": 0,
                   "last_attempt": 0, "last_success": 0, "added": 1},
                  {"ip": "8.8.4.4"}, 7]})";
    AddrBook book({}, k_key);
    auto skipped = book.from_json(text, t0, w0);
    ASSERT_TRUE(skipped.ok());
    EXPECT_EQ(*skipped, 3u);
    EXPECT_EQ(book.size(), 1u);
}

// A crash in the middle of save: base::write_file_atomic writes `<path>.tmp-<pid>`, fsyncs it and
// renames it over the book. Whatever state the crash leaves, the old book or the new one loads.
TEST_F(Persistence, KillDuringWriteLeavesTheOldOrTheNewBookNeverNeither) {
    AddrBook old_book({}, k_key);
    ASSERT_TRUE(old_book.add_address(addr(1), "seed", t0));
    ASSERT_TRUE(old_book.save(path, t0, w0).ok());
    const AddrBook new_book = sample();
    const std::string next = new_book.to_json(t0, w0);
    auto temp = path;
    temp += ".tmp-" + std::to_string(::getpid());

    // Crash before the rename, with any prefix of the new file on disk: the old book loads.
    for (std::size_t cut : {std::size_t{0}, next.size() / 3, next.size() - 1, next.size()}) {
        {
            std::ofstream out(temp, std::ios::binary | std::ios::trunc);
            out.write(next.data(), static_cast<std::streamsize>(cut));
        }
        AddrBook loaded({}, SipKey{});
        auto report = loaded.load(path, t0, w0);
        ASSERT_TRUE(report.ok());
        EXPECT_EQ(report->status, LoadReport::Status::loaded) << cut;
        EXPECT_EQ(loaded.size(), 1u);
        EXPECT_TRUE(loaded.find(addr(1)).has_value());
    }
    // Crash right after the rename: the new book loads.
    std::filesystem::rename(temp, path);
    AddrBook loaded({}, SipKey{});
    auto report = loaded.load(path, t0, w0);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->status, LoadReport::Status::loaded);
    EXPECT_EQ(loaded.size(), new_book.size());
    // And a normal save after the crash replaces the book and leaves no temp file behind.
    ASSERT_TRUE(old_book.save(path, t0, w0).ok());
    EXPECT_FALSE(std::filesystem::exists(temp));
    AddrBook again({}, SipKey{});
    ASSERT_TRUE(again.load(path, t0, w0).ok());
    EXPECT_EQ(again.size(), 1u);
}

TEST_F(Persistence, AnOversizedFileIsSetAside) {
    Options o;
    o.max_file_size = 100;
    ASSERT_TRUE(sample().save(path, t0, w0).ok());
    AddrBook book(o, k_key);
    auto report = book.load(path, t0, w0);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->status, LoadReport::Status::set_aside);
    EXPECT_EQ(book.size(), 0u);
}

}  // namespace
}  // namespace peerlink::addrbook
