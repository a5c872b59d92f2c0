// The node's long-term ed25519 identity and CometBFT's file for it (config/node_key.json, p2p/key.go).
// Read once at start-up; a key file that exists but does not parse is an error and is never replaced.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string_view>

#include "base/error.hpp"
#include "base/result.hpp"
#include "crypto/crypto.hpp"
#include "peer/node_id.hpp"

namespace peerlink::cometbft {

enum class NodeKeyErrc {
    // The file exists but is not a CometBFT ed25519 node key: bad JSON, another key type, a value
    // that is not 64 bytes of base64, a public half that does not belong to the seed, or too large.
    corrupt_node_key = 1,
};
PEERLINK_DECLARE_ERRC(NodeKeyErrc)

/// A real node_key.json is about 150 bytes; anything near this bound is not one.
inline constexpr std::size_t k_max_node_key_file_size = 64 * 1024;
/// The amino JSON type name CometBFT writes for an ed25519 private key.
inline constexpr std::string_view k_priv_key_ed25519_type = "tendermint/PrivKeyEd25519";

struct NodeKey {
    crypto::Ed25519KeyPair key;
    /// The CometBFT node ID: the first 20 bytes of SHA-256 of the public key.
    [[nodiscard]] peer::NodeId id() const;
};

/// The CometBFT node ID of an ed25519 public key (p2p.PubKeyToID).
peer::NodeId node_id_of(const crypto::Ed25519PublicKey& public_key);

/// Loads the key at `path`, or generates one and writes it (mode 0600) if no file is there. A file
/// that is present but unreadable or corrupt is left untouched and reported: a node must not change
/// identity behind its operator's back.
base::Result<NodeKey> load_or_create_node_key(const std::filesystem::path& path);
/// Loads an existing key; I/O errors pass through as system errors, bad contents are corrupt_node_key.
base::Result<NodeKey> load_node_key(const std::filesystem::path& path);
/// Writes `key` atomically with mode 0600, in the compact JSON CometBFT writes.
base::Result<void> save_node_key(const std::filesystem::path& path, const NodeKey& key);

}  // namespace peerlink::cometbft

PEERLINK_ERROR_ENUM_TRAIT(peerlink::cometbft::NodeKeyErrc)
