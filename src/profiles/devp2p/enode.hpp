// enode URLs (devp2p enode-url-scheme): enode://<128 hex node id>@<ip>:<tcp port>[?discport=<udp>],
// with IPv4 or bracketed IPv6 literals. Parsing validates every part and the node id's point.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "crypto/secp256k1.hpp"
#include "profiles/devp2p/error.hpp"

namespace peerlink::devp2p {

struct Enode {
    crypto::secp256k1::PublicKey id{};
    std::string ip;  // canonical text form (inet_ntop), without brackets
    bool ipv6 = false;
    std::uint16_t tcp_port = 0;
    std::uint16_t udp_port = 0;  // the discport query, or tcp_port when absent

    friend bool operator==(const Enode&, const Enode&) = default;
};

base::Result<Enode> parse_enode(std::string_view url);
/// Canonical form; adds ?discport= only when the UDP port differs from the TCP port.
std::string format_enode(const Enode& node);

}  // namespace peerlink::devp2p
