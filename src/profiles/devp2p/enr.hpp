// Ethereum Node Records (EIP-778) with the "v4" identity scheme: [signature, seq, k, v, ...] with
// sorted unique keys, signed with secp256k1 over keccak256(rlp([seq, k, v, ...])); at most 300 bytes.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "addrbook/netgroup.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"
#include "crypto/secp256k1.hpp"

namespace peerlink::devp2p::enr {

enum class Errc {
    too_large = 1,    // the record is above 300 bytes
    malformed,        // not RLP [signature, seq, k, v, ...] with string keys
    keys_not_sorted,  // keys out of order or repeated
    unknown_scheme,   // "id" missing or not "v4"
    bad_public_key,   // "secp256k1" missing or not a 33-byte curve point
    bad_signature,    // the signature is not 64 bytes or does not verify
    bad_text,         // the text form is not enr:<base64url>
};
PEERLINK_DECLARE_ERRC(Errc)

inline constexpr std::size_t k_max_size = 300;

/// One key and its value, kept as the value's RLP encoding (values may be lists, e.g. "eth").
struct Pair {
    std::string key;
    base::Bytes value;
    friend bool operator==(const Pair&, const Pair&) = default;
};

class Record {
public:
    /// Signs a v4 record holding `pairs` plus "id" and "secp256k1" (which `pairs` must not hold).
    static base::Result<Record> sign(const crypto::secp256k1::SecretKey& key, std::uint64_t seq,
                                     std::vector<Pair> pairs);
    /// A record with the endpoint keys: "ip"/"tcp"/"udp" for IPv4, "ip6"/"tcp6"/"udp6" for IPv6;
    /// a zero port is left out.
    static base::Result<Record> sign_endpoint(const crypto::secp256k1::SecretKey& key, std::uint64_t seq,
                                              const addrbook::IpAddress& ip, std::uint16_t tcp_port,
                                              std::uint16_t udp_port);

    /// Decodes and verifies a record. Extra bytes after the record are an error.
    static base::Result<Record> decode(base::ByteView encoded);
    /// Parses "enr:<base64url without padding>" and verifies.
    static base::Result<Record> from_text(std::string_view text);

    [[nodiscard]] const base::Bytes& encoded() const { return m_encoded; }
    [[nodiscard]] std::string text() const;
    [[nodiscard]] std::uint64_t seq() const { return m_seq; }
    [[nodiscard]] const std::vector<Pair>& pairs() const { return m_pairs; }
    /// The RLP encoding of the value of `key`, or nullopt.
    [[nodiscard]] std::optional<base::ByteView> get(std::string_view key) const;
    /// The 64-byte key (x || y) of the "secp256k1" entry.
    [[nodiscard]] const crypto::secp256k1::PublicKey& public_key() const { return m_public_key; }
    /// keccak256 of public_key(): the node ID of the v4 scheme.
    [[nodiscard]] std::array<std::uint8_t, 32> node_id() const;
    /// "ip" (4 bytes) or else "ip6" (16 bytes), when present and well-formed.
    [[nodiscard]] std::optional<addrbook::IpAddress> ip() const;
    /// "tcp"/"udp" for the IPv4 address, else "tcp6"/"udp6"; nullopt when absent or malformed.
    [[nodiscard]] std::optional<std::uint16_t> tcp_port() const;
    [[nodiscard]] std::optional<std::uint16_t> udp_port() const;

    friend bool operator==(const Record& a, const Record& b) { return a.m_encoded == b.m_encoded; }

private:
    [[nodiscard]] std::optional<std::uint16_t> port(std::string_view v4_key, std::string_view v6_key) const;

    base::Bytes m_encoded;
    std::uint64_t m_seq = 0;
    std::vector<Pair> m_pairs;  // every pair, "id" and "secp256k1" included, sorted by key
    crypto::secp256k1::PublicKey m_public_key{};
};

/// base64url without padding (RFC 4648 section 5), as the text form uses.
std::string base64url_encode(base::ByteView in);
std::optional<base::Bytes> base64url_decode(std::string_view in);

}  // namespace peerlink::devp2p::enr

PEERLINK_ERROR_ENUM_TRAIT(peerlink::devp2p::enr::Errc)
