// Who a peer is and where to reach it: NodeId (CometBFT: the first 20 bytes of SHA-256 of the
// ed25519 public key, written as 40 hex digits; devp2p later: the 64-byte public key) and the
// `id@host:port` address form shared by CometBFT and geth's tooling.
#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/result.hpp"

namespace peerlink::peer {

class NodeId {
public:
    static constexpr std::size_t max_size = 64;
    NodeId() = default;
    /// nullopt for an empty or longer than max_size input.
    static std::optional<NodeId> from_bytes(base::ByteView bytes);
    /// Lower- or upper-case hex; nullopt for anything else or a wrong length.
    static std::optional<NodeId> from_hex(std::string_view hex);

    [[nodiscard]] base::ByteView bytes() const { return {m_bytes.data(), m_size}; }
    [[nodiscard]] std::string to_hex() const;
    [[nodiscard]] bool empty() const { return m_size == 0; }

    friend bool operator==(const NodeId& a, const NodeId& b) {
        return a.m_size == b.m_size &&
               std::equal(a.m_bytes.begin(), a.m_bytes.begin() + a.m_size, b.m_bytes.begin());
    }
    friend std::strong_ordering operator<=>(const NodeId& a, const NodeId& b);

private:
    std::array<std::uint8_t, max_size> m_bytes{};
    std::uint8_t m_size = 0;
};

enum class Errc {
    bad_address = 1,  // not id@host:port
    bad_node_id,      // id is not hex of the expected length
    bad_port,         // port missing, zero or above 65535
};
PEERLINK_DECLARE_ERRC(Errc)

/// `id@host:port`; host is a name, an IPv4 address or a bracketed IPv6 address.
struct PeerAddress {
    NodeId id;
    std::string host;
    std::uint16_t port = 0;

    /// `id_size` is the expected ID length in bytes (20 for CometBFT).
    static base::Result<PeerAddress> parse(std::string_view text, std::size_t id_size = 20);
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

enum class Direction { inbound, outbound };

}  // namespace peerlink::peer

PEERLINK_ERROR_ENUM_TRAIT(peerlink::peer::Errc)

template <>
struct std::hash<peerlink::peer::NodeId> {
    std::size_t operator()(const peerlink::peer::NodeId& id) const noexcept {
        std::size_t h = 1469598103934665603ULL;
        for (auto b : id.bytes())
            h = (h ^ b) * 1099511628211ULL;
        return h;
    }
};
