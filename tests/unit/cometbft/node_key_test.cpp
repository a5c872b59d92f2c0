#include "profiles/cometbft/node_key.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>

#include "base/file.hpp"

namespace peerlink::cometbft {
namespace {

namespace fs = std::filesystem;

// RFC 8032 section 7.1, TEST 1.
constexpr std::string_view k_seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view k_public_hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
// python3: hashlib.sha256(bytes.fromhex(k_public_hex)).hexdigest()[:40]
constexpr std::string_view k_node_id_hex = "21fe31dfa154a261626bf854046fd2271b7bed4b";
// python3: base64.b64encode(bytes.fromhex(k_seed_hex + k_public_hex))
constexpr std::string_view k_priv_key_base64 =
    "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";

std::array<std::uint8_t, 32> fixed_seed() {
    std::array<std::uint8_t, 32> seed{};
    const auto bytes = base::from_hex(k_seed_hex);
    std::copy(bytes->begin(), bytes->end(), seed.begin());
    return seed;
}

std::string base64(base::ByteView bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
}

std::string key_json(std::string_view type, std::string_view value) {
    return R"({"priv_key":{"type":")" + std::string(type) + R"(","value":")" + std::string(value) + R"("}})";
}

class NodeKeyTest : public ::testing::Test {
protected:
    fs::path dir =
        fs::temp_directory_path() / ("peerlink-node-key-test-" + std::to_string(::getpid()) + "-" +
                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::path path = dir / "node_key.json";
    void SetUp() override { fs::create_directories(dir); }
    void TearDown() override { fs::remove_all(dir); }

    void write(std::string_view contents) const {
        ASSERT_TRUE(base::write_file_atomic(path, base::as_bytes(contents), 0600).ok());
    }
    std::string contents() const { return *base::read_file(path, 1 << 20); }
};

TEST(NodeId, IsTheFirstTwentyBytesOfTheSha256OfThePublicKey) {
    // Given a fixed public key
    const auto pair = crypto::ed25519_from_seed(fixed_seed());
    ASSERT_EQ(base::to_hex(pair.public_key), k_public_hex);
    // When its node ID is taken
    const peer::NodeId id = node_id_of(pair.public_key);
    // Then it is SHA-256 truncated to 20 bytes, and matches the value computed with Python
    const auto digest = crypto::sha256(pair.public_key);
    EXPECT_EQ(base::to_hex(id.bytes()), base::to_hex(base::ByteView(digest.data(), 20)));
    EXPECT_EQ(id.to_hex(), k_node_id_hex);
    EXPECT_EQ(NodeKey{pair}.id(), id);
}

TEST_F(NodeKeyTest, CreatesAKeyWhenTheFileIsMissing) {
    ASSERT_FALSE(fs::exists(path));
    auto created = load_or_create_node_key(path);
    ASSERT_TRUE(created.ok()) << created.error().message();
    EXPECT_TRUE(fs::exists(path));
    // The file holds the same key, and a second call loads rather than regenerates it.
    auto again = load_or_create_node_key(path);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->key.secret_key, created->key.secret_key);
    EXPECT_EQ(again->id(), created->id());
}

TEST_F(NodeKeyTest, WritesTheFileWithMode0600) {
    ASSERT_TRUE(load_or_create_node_key(path).ok());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(NodeKeyTest, SaveThenLoadRoundTrips) {
    const NodeKey key{crypto::ed25519_generate()};
    ASSERT_TRUE(save_node_key(path, key).ok());
    auto loaded = load_node_key(path);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->key.public_key, key.key.public_key);
    EXPECT_EQ(loaded->key.secret_key, key.key.secret_key);
}

TEST_F(NodeKeyTest, WritesCompactJsonTheWayCometBftDoes) {
    ASSERT_TRUE(save_node_key(path, NodeKey{crypto::ed25519_from_seed(fixed_seed())}).ok());
    EXPECT_EQ(contents(), key_json("tendermint/PrivKeyEd25519", k_priv_key_base64));
}

TEST_F(NodeKeyTest, LoadsACometBftKeyFile) {
    // Given a file as CometBFT writes it, built from a fixed seed
    const auto pair = crypto::ed25519_from_seed(fixed_seed());
    write(key_json("tendermint/PrivKeyEd25519", base64(pair.secret_key)));
    // When it is loaded
    auto loaded = load_or_create_node_key(path);
    // Then it is that key and that ID
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    EXPECT_EQ(loaded->key.secret_key, pair.secret_key);
    EXPECT_EQ(loaded->key.public_key, pair.public_key);
    EXPECT_EQ(loaded->id().to_hex(), k_node_id_hex);
}

TEST_F(NodeKeyTest, AcceptsPrettyPrintedJsonAndUnknownFields) {
    write("{\n  \"priv_key\": {\n    \"type\": \"tendermint/PrivKeyEd25519\",\n    \"value\": \"" +
          std::string(k_priv_key_base64) + "\"\n  },\n  \"extra\": 1\n}\n");
    auto loaded = load_node_key(path);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    EXPECT_EQ(loaded->id().to_hex(), k_node_id_hex);
}

TEST_F(NodeKeyTest, MissingFileIsASystemErrorForLoadNodeKey) {
    EXPECT_EQ(load_node_key(path).error(), std::errc::no_such_file_or_directory);
    EXPECT_FALSE(fs::exists(path));
}

TEST_F(NodeKeyTest, CorruptFilesAreReportedAndLeftUnchanged) {
    const auto pair = crypto::ed25519_from_seed(fixed_seed());
    auto mismatched = pair.secret_key;
    mismatched[40] ^= 1;  // public half no longer belongs to the seed
    const std::string cases[] = {
        "",
        "not json",
        R"({"priv_key":{"type":"tendermint/PrivKeyEd25519","value":")",  // truncated
        "[]",
        R"({"priv_key":"x"})",
        R"({"priv_key":{"value":"AAAA"}})",
        key_json("tendermint/PrivKeySecp256k1", k_priv_key_base64),
        key_json("tendermint/PrivKeyEd25519", base64(base::ByteView(pair.secret_key.data(), 32))),  // short
        key_json("tendermint/PrivKeyEd25519", base64(base::Bytes(65, 7))),                          // long
        key_json("tendermint/PrivKeyEd25519", "!!!!"),                                   // not base64
        key_json("tendermint/PrivKeyEd25519", std::string(k_priv_key_base64) + "AAAA"),  // trailing
        key_json("tendermint/PrivKeyEd25519", base64(mismatched)),
        R"({"priv_key":{"type":"tendermint/PrivKeyEd25519","value":7}})",
    };
    for (const auto& text : cases) {
        SCOPED_TRACE(text);
        write(text);
        // When the node starts with this file
        auto loaded = load_or_create_node_key(path);
        // Then it refuses, with the distinct error, and the file is exactly as it was
        EXPECT_EQ(loaded.error(), NodeKeyErrc::corrupt_node_key);
        EXPECT_EQ(load_node_key(path).error(), NodeKeyErrc::corrupt_node_key);
        EXPECT_EQ(contents(), text);
    }
}

TEST_F(NodeKeyTest, OversizedFileIsCorruptAndKept) {
    const std::string big(k_max_node_key_file_size + 1, ' ');
    write(big);
    EXPECT_EQ(load_or_create_node_key(path).error(), NodeKeyErrc::corrupt_node_key);
    EXPECT_EQ(fs::file_size(path), big.size());
}

TEST_F(NodeKeyTest, DanglingSymlinkIsNotReplacedByANewKey) {
    // Given a key file that is a link to a volume that is not mounted
    fs::create_symlink(dir / "unmounted" / "node_key.json", path);
    // When the node starts
    auto loaded = load_or_create_node_key(path);
    // Then it fails instead of minting a new identity, and the link is still there
    EXPECT_EQ(loaded.error(), std::errc::no_such_file_or_directory);
    EXPECT_TRUE(fs::is_symlink(path));
}

TEST(NodeKeyErrc, HasItsOwnCategory) {
    const std::error_code ec = NodeKeyErrc::corrupt_node_key;
    EXPECT_STREQ(ec.category().name(), "cometbft.nodekey");
    EXPECT_FALSE(ec.message().empty());
}

}  // namespace
}  // namespace peerlink::cometbft
