#include "profiles/devp2p/base_protocol.hpp"

#include <algorithm>
#include <limits>

#include "codec/rlp.hpp"

namespace peerlink::devp2p {

namespace {

namespace rlp = codec::rlp;
namespace secp = crypto::secp256k1;

base::Result<Capability> read_capability(rlp::ListReader& caps) {
    auto entry = caps.read_list();
    PEERLINK_TRY(entry);
    auto name = entry->read_bytes();
    PEERLINK_TRY(name);
    auto version = entry->read_uint64();
    PEERLINK_TRY(version);
    PEERLINK_TRY(entry->finish());
    return Capability{std::string(base::as_chars(*name)), *version};
}

base::Result<Hello> parse_hello(base::ByteView payload) {
    auto list = rlp::decode_list(payload);
    PEERLINK_TRY(list);
    Hello hello;
    auto version = list->read_uint64();
    PEERLINK_TRY(version);
    hello.protocol_version = *version;
    auto name = list->read_bytes();
    PEERLINK_TRY(name);
    hello.client_id.assign(base::as_chars(*name));
    auto caps = list->read_list();
    PEERLINK_TRY(caps);
    while (!caps->at_end()) {
        auto cap = read_capability(*caps);
        PEERLINK_TRY(cap);
        hello.capabilities.push_back(std::move(*cap));
    }
    auto port = list->read_uint64();
    PEERLINK_TRY(port);
    hello.listen_port = *port;
    auto id = list->read_bytes();
    PEERLINK_TRY(id);
    if (id->size() != hello.node_id.size()) return base::fail(Errc::invalid_identity);
    std::copy(id->begin(), id->end(), hello.node_id.begin());
    // Further elements are a newer peer's additions (EIP-8 forward compatibility).
    return hello;
}

}  // namespace

base::Bytes encode_hello(const Hello& hello) {
    rlp::Encoder e;
    e.begin_list().add_uint(hello.protocol_version).add_string(hello.client_id).begin_list();
    for (const auto& cap : hello.capabilities)
        e.begin_list().add_string(cap.name).add_uint(cap.version).end_list();
    e.end_list().add_uint(hello.listen_port).add_bytes(hello.node_id).end_list();
    return e.take();
}

base::Result<Hello> decode_hello(base::ByteView payload) {
    if (payload.size() > k_max_base_message_size) return base::fail(Errc::hello_too_large);
    auto hello = parse_hello(payload);
    if (!hello.ok()) {
        if (hello.error() == make_error_code(Errc::invalid_identity)) return hello;
        return base::fail(Errc::malformed_hello);
    }
    if (!secp::validate_public_key(hello->node_id).ok()) return base::fail(Errc::invalid_identity);
    return hello;
}

base::Result<void> check_hello_identity(const Hello& hello, const secp::PublicKey& authenticated) {
    if (hello.node_id != authenticated) return base::fail(Errc::node_id_mismatch);
    return {};
}

bool use_snappy(std::uint64_t our_version, std::uint64_t their_version) {
    return our_version >= k_snappy_protocol_version && their_version >= k_snappy_protocol_version;
}

std::string_view disconnect_reason_name(std::uint8_t reason) {
    switch (reason) {
        case 0x00:
            return "disconnect requested";
        case 0x01:
            return "network error";
        case 0x02:
            return "breach of protocol";
        case 0x03:
            return "useless peer";
        case 0x04:
            return "too many peers";
        case 0x05:
            return "already connected";
        case 0x06:
            return "incompatible p2p protocol version";
        case 0x07:
            return "invalid node identity";
        case 0x08:
            return "client quitting";
        case 0x09:
            return "unexpected identity";
        case 0x0a:
            return "connected to self";
        case 0x0b:
            return "read timeout";
        case 0x10:
            return "subprotocol error";
        default:
            return "unknown disconnect reason";
    }
}

base::Bytes encode_disconnect(DisconnectReason reason) {
    rlp::Encoder e;
    e.begin_list().add_uint(static_cast<std::uint8_t>(reason)).end_list();
    return e.take();
}

base::Result<std::uint8_t> decode_disconnect(base::ByteView payload) {
    if (payload.size() > k_max_base_message_size) return base::fail(Errc::malformed_disconnect);
    auto item = rlp::decode_item(payload);
    if (!item.ok()) return base::fail(Errc::malformed_disconnect);
    base::Result<std::uint64_t> reason = base::fail(Errc::malformed_disconnect);
    if (item->kind == rlp::Kind::list) {
        rlp::ListReader r(item->payload);
        reason = r.read_uint64();
    } else {
        reason = rlp::decode_uint64(item->payload);
    }
    if (!reason.ok() || *reason > std::numeric_limits<std::uint8_t>::max())
        return base::fail(Errc::malformed_disconnect);
    return static_cast<std::uint8_t>(*reason);
}

base::Bytes encode_ping() {
    return {0xc0};
}

base::Bytes encode_pong() {
    return {0xc0};
}

std::vector<MatchedProtocol> match_protocols(std::span<const Protocol> ours,
                                             std::span<const Capability> theirs) {
    std::vector<Capability> caps(theirs.begin(), theirs.end());
    std::sort(caps.begin(), caps.end());
    // Walking the peer's caps in (name, version) order, a later version of a name replaces the
    // earlier match and takes back its offset range, as go-ethereum does.
    std::vector<MatchedProtocol> result;
    std::uint64_t offset = k_base_protocol_length;
    for (const auto& cap : caps) {
        for (std::size_t i = 0; i < ours.size(); ++i) {
            const Protocol& p = ours[i];
            if (p.name != cap.name || p.version != cap.version) continue;
            if (!result.empty() && result.back().name == cap.name) {
                offset -= result.back().length;
                result.pop_back();
            }
            // Our own lengths are configuration; saturate instead of wrapping on absurd values.
            if (p.length > std::numeric_limits<std::uint64_t>::max() - offset) break;
            result.push_back(MatchedProtocol{p.name, p.version, offset, p.length, i});
            offset += p.length;
            break;
        }
    }
    return result;
}

base::Result<Route> route_message(std::span<const MatchedProtocol> matched, std::uint64_t wire_code) {
    for (std::size_t i = 0; i < matched.size(); ++i) {
        const auto& m = matched[i];
        if (wire_code >= m.offset && wire_code - m.offset < m.length) return Route{i, wire_code - m.offset};
    }
    return base::fail(Errc::unknown_message_code);
}

}  // namespace peerlink::devp2p
