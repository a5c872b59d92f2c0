#include "profiles/cometbft/node_key.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/file.hpp"
#include "base/log.hpp"

namespace peerlink::cometbft {

namespace {

const char* describe(int value) {
    switch (static_cast<NodeKeyErrc>(value)) {
        case NodeKeyErrc::corrupt_node_key:
            return "node key file is corrupt (not a CometBFT ed25519 node key); it was left untouched";
    }
    return "unknown node key error";
}

auto& logger() {
    return base::log::get(base::log::Category::cometbft);
}

constexpr std::size_t k_seed_size = 32;
constexpr std::size_t k_priv_key_size = std::tuple_size_v<crypto::Ed25519SecretKey>;  // seed || public key
constexpr int k_base64_variant = sodium_base64_VARIANT_ORIGINAL;  // Go's base64.StdEncoding

// The file text and its decoded bytes hold the secret seed; clear them before they are freed.
void wipe(std::string& s) {
    crypto::wipe(base::MutableByteView(reinterpret_cast<base::Byte*>(s.data()), s.size()));
}

struct Parsed {
    std::optional<crypto::Ed25519KeyPair> key;
    const char* problem = nullptr;  // for the operator's log when key is empty
};

Parsed parse_node_key(const std::string& text) {
    // Go's encoding/json ignores unknown fields and any whitespace, and so do we.
    const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return {{}, "not a JSON object"};
    const auto priv = doc.find("priv_key");
    if (priv == doc.end() || !priv->is_object()) return {{}, "no priv_key object"};
    const auto type = priv->find("type");
    if (type == priv->end() || !type->is_string() ||
        type->get_ref<const std::string&>() != k_priv_key_ed25519_type) {
        return {{}, "priv_key.type is not tendermint/PrivKeyEd25519"};
    }
    const auto value = priv->find("value");
    if (value == priv->end() || !value->is_string()) return {{}, "priv_key.value is not a string"};
    const auto& encoded = value->get_ref<const std::string&>();

    // A few spare bytes so that a longer value decodes and is then rejected for its length.
    std::array<base::Byte, k_priv_key_size + 8> raw{};
    std::size_t raw_size = 0;
    // Go's base64 decoder skips CR and LF; libsodium does the same when told to ignore them.
    const int rc = sodium_base642bin(raw.data(), raw.size(), encoded.data(), encoded.size(), "\r\n",
                                     &raw_size, nullptr, k_base64_variant);
    Parsed out;
    if (rc != 0 || raw_size != k_priv_key_size) {
        out.problem = "priv_key.value is not 64 bytes of base64";
    } else {
        const auto pair =
            crypto::ed25519_from_seed(std::span<const base::Byte, k_seed_size>(raw.data(), k_seed_size));
        // CometBFT never checks this, but a public half from another key would give us an ID
        // that our signatures do not back; better to stop than to be rejected by every peer.
        if (!std::equal(pair.public_key.begin(), pair.public_key.end(), raw.begin() + k_seed_size)) {
            out.problem = "the public half of priv_key.value does not belong to its seed";
        } else {
            out.key = pair;
        }
    }
    crypto::wipe(raw);
    return out;
}

base::Failure corrupt(const std::filesystem::path& path, const char* problem) {
    logger().error(
        "node key file {} is corrupt ({}); it was left untouched. Restore it from a backup, or move it "
        "away to start over with a new node ID",
        path.string(), problem);
    return base::fail(NodeKeyErrc::corrupt_node_key);
}

}  // namespace

const std::error_category& NodeKeyErrc_category() {
    static const base::MessageCategory category("cometbft.nodekey", describe);
    return category;
}

peer::NodeId node_id_of(const crypto::Ed25519PublicKey& public_key) {
    const crypto::Sha256Digest digest = crypto::sha256(public_key);
    // crypto.AddressSize: tmhash.SumTruncated keeps the first 20 bytes.
    constexpr std::size_t k_address_size = 20;
    return *peer::NodeId::from_bytes(base::ByteView(digest.data(), k_address_size));
}

peer::NodeId NodeKey::id() const {
    return node_id_of(key.public_key);
}

base::Result<NodeKey> load_node_key(const std::filesystem::path& path) {
    auto text = base::read_file(path, k_max_node_key_file_size);
    if (!text) {
        if (text.error() == std::errc::file_too_large) return corrupt(path, "larger than any node key");
        logger().error("cannot read node key file {}: {}", path.string(), text.error().message());
        return base::fail(text.error());
    }
    Parsed parsed = parse_node_key(*text);
    wipe(*text);
    if (!parsed.key) return corrupt(path, parsed.problem);
    return NodeKey{*parsed.key};
}

base::Result<void> save_node_key(const std::filesystem::path& path, const NodeKey& key) {
    std::array<char, sodium_base64_ENCODED_LEN(k_priv_key_size, k_base64_variant)> encoded{};
    sodium_bin2base64(encoded.data(), encoded.size(), key.key.secret_key.data(), key.key.secret_key.size(),
                      k_base64_variant);
    // Compact, field for field what cmtjson.Marshal writes for a NodeKey.
    std::string json = R"({"priv_key":{"type":")";
    json += k_priv_key_ed25519_type;
    json += R"(","value":")";
    json += encoded.data();
    json += R"("}})";
    auto written = base::write_file_atomic(path, base::as_bytes(json), 0600);
    wipe(json);
    crypto::wipe(base::MutableByteView(reinterpret_cast<base::Byte*>(encoded.data()), encoded.size()));
    return written;
}

base::Result<NodeKey> load_or_create_node_key(const std::filesystem::path& path) {
    std::error_code ec;
    // symlink_status, so that a dangling link (say, to an unmounted volume) counts as present and
    // fails to read instead of being replaced by a fresh identity.
    const auto status = std::filesystem::symlink_status(path, ec);
    if (status.type() != std::filesystem::file_type::not_found) {
        if (ec) {
            logger().error("cannot inspect node key file {}: {}", path.string(), ec.message());
            return base::fail(ec);
        }
        return load_node_key(path);
    }
    NodeKey key{crypto::ed25519_generate()};
    if (auto saved = save_node_key(path, key); !saved) {
        logger().error("cannot write new node key file {}: {}", path.string(), saved.error().message());
        return base::fail(saved.error());
    }
    logger().info("generated a new node key in {}; node ID {}", path.string(), key.id().to_hex());
    return key;
}

}  // namespace peerlink::cometbft
