// discv4 packet framing: Keccak-256 hash, recoverable secp256k1 signature, and the six RLP bodies.
#include "profiles/devp2p/discv4_packet.hpp"

#include <algorithm>

#include "codec/rlp.hpp"
#include "crypto/keccak.hpp"

namespace peerlink::devp2p::discv4 {

namespace rlp = codec::rlp;
namespace secp = crypto::secp256k1;

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::too_small:
            return "discv4 packet shorter than its header";
        case Errc::too_large:
            return "discv4 packet above 1280 bytes";
        case Errc::bad_hash:
            return "discv4 packet hash mismatch";
        case Errc::bad_signature:
            return "discv4 packet signature recovers no key";
        case Errc::unknown_type:
            return "discv4 packet of an unknown type";
        case Errc::malformed:
            return "discv4 packet data is malformed";
        case Errc::bad_endpoint:
            return "discv4 endpoint IP or port is invalid";
        case Errc::too_many_nodes:
            return "discv4 Neighbors with more than 12 nodes";
        case Errc::expired:
            return "discv4 packet expired";
        case Errc::unsolicited:
            return "discv4 reply matches no pending request";
        case Errc::unknown_node:
            return "discv4 query from a node without a recent endpoint proof";
    }
    return "unknown discv4 error";
}

void add_ip(rlp::Encoder& e, const addrbook::IpAddress& ip) {
    const auto& b = ip.bytes();
    // IPv4 goes on the wire in its 4-byte form, as geth's NewEndpoint does.
    e.add_bytes(ip.is_v4() ? base::ByteView(b).subspan(12) : base::ByteView(b));
}

void add_endpoint(rlp::Encoder& e, const Endpoint& ep) {
    e.begin_list();
    add_ip(e, ep.ip);
    e.add_uint(ep.udp_port).add_uint(ep.tcp_port).end_list();
}

base::Result<addrbook::IpAddress> read_ip(rlp::ListReader& r) {
    auto b = r.read_bytes();
    if (!b.ok()) return base::fail(Errc::malformed);
    if (b->size() == 4)
        return addrbook::IpAddress::v4((std::uint32_t{(*b)[0]} << 24) | (std::uint32_t{(*b)[1]} << 16) |
                                       (std::uint32_t{(*b)[2]} << 8) | (*b)[3]);
    if (b->size() == 16) {
        std::array<std::uint8_t, 16> a{};
        std::copy(b->begin(), b->end(), a.begin());
        return addrbook::IpAddress::v6(a);
    }
    return base::fail(Errc::bad_endpoint);
}

base::Result<std::uint16_t> read_port(rlp::ListReader& r) {
    auto v = r.read_uint64();
    if (!v.ok()) return base::fail(Errc::malformed);
    if (*v > 0xffff) return base::fail(Errc::bad_endpoint);
    return static_cast<std::uint16_t>(*v);
}

/// [ip, udp, tcp]; strict, as geth's Endpoint has no tail.
base::Result<Endpoint> read_endpoint(rlp::ListReader& outer) {
    auto list = outer.read_list();
    if (!list.ok()) return base::fail(Errc::malformed);
    Endpoint ep;
    auto ip = read_ip(*list);
    PEERLINK_TRY(ip);
    ep.ip = *ip;
    auto udp = read_port(*list);
    PEERLINK_TRY(udp);
    auto tcp = read_port(*list);
    PEERLINK_TRY(tcp);
    if (!list->finish().ok()) return base::fail(Errc::malformed);
    ep.udp_port = *udp;
    ep.tcp_port = *tcp;
    return ep;
}

base::Result<std::uint64_t> read_uint(rlp::ListReader& r) {
    auto v = r.read_uint64();
    if (!v.ok()) return base::fail(Errc::malformed);
    return *v;
}

template <std::size_t N>
base::Result<std::array<std::uint8_t, N>> read_array(rlp::ListReader& r) {
    auto a = r.read_array<N>();
    if (!a.ok()) return base::fail(Errc::malformed);
    return *a;
}

/// An optional trailing integer (geth's `rlp:"optional"` ENRSeq): absent when the list ends; a
/// non-integer there is tolerated as an EIP-8 extra element.
std::optional<std::uint64_t> read_optional_uint(rlp::ListReader& r) {
    if (r.at_end()) return std::nullopt;
    auto v = r.read_uint64();
    if (!v.ok()) return std::nullopt;
    return *v;
}

base::Result<Message> decode_ping(rlp::ListReader& r) {
    Ping p;
    auto version = read_uint(r);
    PEERLINK_TRY(version);
    p.version = *version;
    auto from = read_endpoint(r);
    PEERLINK_TRY(from);
    p.from = *from;
    auto to = read_endpoint(r);
    PEERLINK_TRY(to);
    p.to = *to;
    auto expiration = read_uint(r);
    PEERLINK_TRY(expiration);
    p.expiration = *expiration;
    p.enr_seq = read_optional_uint(r);
    return Message{std::move(p)};
}

base::Result<Message> decode_pong(rlp::ListReader& r) {
    Pong p;
    auto to = read_endpoint(r);
    PEERLINK_TRY(to);
    p.to = *to;
    auto hash = read_array<32>(r);
    PEERLINK_TRY(hash);
    p.ping_hash = *hash;
    auto expiration = read_uint(r);
    PEERLINK_TRY(expiration);
    p.expiration = *expiration;
    p.enr_seq = read_optional_uint(r);
    return Message{std::move(p)};
}

base::Result<Message> decode_find_node(rlp::ListReader& r) {
    FindNode f;
    auto target = read_array<64>(r);
    PEERLINK_TRY(target);
    f.target = *target;
    auto expiration = read_uint(r);
    PEERLINK_TRY(expiration);
    f.expiration = *expiration;
    return Message{std::move(f)};
}

base::Result<Message> decode_neighbors(rlp::ListReader& r) {
    Neighbors n;
    auto nodes = r.read_list();
    if (!nodes.ok()) return base::fail(Errc::malformed);
    // No count check is needed: every node takes at least 70 bytes of a packet of at most 1280.
    while (!nodes->at_end()) {
        auto node = nodes->read_list();
        if (!node.ok()) return base::fail(Errc::malformed);
        NeighborNode nn;
        auto ip = read_ip(*node);
        PEERLINK_TRY(ip);
        nn.endpoint.ip = *ip;
        auto udp = read_port(*node);
        PEERLINK_TRY(udp);
        nn.endpoint.udp_port = *udp;
        auto tcp = read_port(*node);
        PEERLINK_TRY(tcp);
        nn.endpoint.tcp_port = *tcp;
        auto id = read_array<64>(*node);
        PEERLINK_TRY(id);
        nn.id = *id;
        if (!node->finish().ok()) return base::fail(Errc::malformed);
        n.nodes.push_back(nn);
    }
    auto expiration = read_uint(r);
    PEERLINK_TRY(expiration);
    n.expiration = *expiration;
    return Message{std::move(n)};
}

base::Result<Message> decode_enr_request(rlp::ListReader& r) {
    auto expiration = read_uint(r);
    PEERLINK_TRY(expiration);
    return Message{EnrRequest{*expiration}};
}

base::Result<Message> decode_enr_response(rlp::ListReader& r) {
    EnrResponse e;
    auto hash = read_array<32>(r);
    PEERLINK_TRY(hash);
    e.request_hash = *hash;
    auto raw = r.read_raw();
    if (!raw.ok()) return base::fail(Errc::malformed);
    auto record = enr::Record::decode(*raw);
    PEERLINK_TRY(record);
    e.record = std::move(*record);
    return Message{std::move(e)};
}

void encode_body(rlp::Encoder& e, const Message& message) {
    e.begin_list();
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Ping>) {
                e.add_uint(m.version);
                add_endpoint(e, m.from);
                add_endpoint(e, m.to);
                e.add_uint(m.expiration);
                if (m.enr_seq) e.add_uint(*m.enr_seq);
            } else if constexpr (std::is_same_v<T, Pong>) {
                add_endpoint(e, m.to);
                e.add_bytes(m.ping_hash).add_uint(m.expiration);
                if (m.enr_seq) e.add_uint(*m.enr_seq);
            } else if constexpr (std::is_same_v<T, FindNode>) {
                e.add_bytes(m.target).add_uint(m.expiration);
            } else if constexpr (std::is_same_v<T, Neighbors>) {
                e.begin_list();
                for (const auto& n : m.nodes) {
                    e.begin_list();
                    add_ip(e, n.endpoint.ip);
                    e.add_uint(n.endpoint.udp_port).add_uint(n.endpoint.tcp_port).add_bytes(n.id).end_list();
                }
                e.end_list().add_uint(m.expiration);
            } else if constexpr (std::is_same_v<T, EnrRequest>) {
                e.add_uint(m.expiration);
            } else {
                e.add_bytes(m.request_hash).add_raw(m.record.encoded());
            }
        },
        message);
    e.end_list();
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("devp2p.discv4", describe);
    return category;
}

PacketType type_of(const Message& message) {
    return static_cast<PacketType>(message.index() + 1);
}

std::optional<std::uint64_t> expiration_of(const Message& message) {
    return std::visit(
        [](const auto& m) -> std::optional<std::uint64_t> {
            if constexpr (std::is_same_v<std::decay_t<decltype(m)>, EnrResponse>)
                return std::nullopt;
            else
                return m.expiration;
        },
        message);
}

bool is_expired(const Message& message, std::uint64_t now_unix) {
    const auto expiration = expiration_of(message);
    return expiration && *expiration < now_unix;
}

base::Result<Encoded> encode(const Message& message, const secp::SecretKey& key) {
    if (const auto* n = std::get_if<Neighbors>(&message); n && n->nodes.size() > k_max_neighbors)
        return base::fail(Errc::too_many_nodes);
    rlp::Encoder body;
    encode_body(body, message);
    if (k_header_size + body.bytes().size() > k_max_packet_size) return base::fail(Errc::too_large);

    Encoded out;
    out.bytes.resize(k_header_size);
    out.bytes[k_header_size - 1] = static_cast<std::uint8_t>(type_of(message));
    out.bytes.insert(out.bytes.end(), body.bytes().begin(), body.bytes().end());
    const base::ByteView signed_part = base::ByteView(out.bytes).subspan(k_header_size - 1);
    auto signature = secp::sign_recoverable(key, crypto::keccak256(signed_part));
    PEERLINK_TRY(signature);
    std::copy(signature->begin(), signature->end(), out.bytes.begin() + 32);
    out.hash = crypto::keccak256(base::ByteView(out.bytes).subspan(32));
    std::copy(out.hash.begin(), out.hash.end(), out.bytes.begin());
    return out;
}

base::Result<Packet> decode(base::ByteView datagram) {
    if (datagram.size() > k_max_packet_size) return base::fail(Errc::too_large);
    if (datagram.size() < k_header_size) return base::fail(Errc::too_small);
    Packet out;
    std::copy_n(datagram.begin(), 32, out.hash.begin());
    if (crypto::keccak256(datagram.subspan(32)) != out.hash) return base::fail(Errc::bad_hash);
    secp::Signature signature{};
    std::copy_n(datagram.begin() + 32, 65, signature.begin());
    auto sender = secp::recover(signature, crypto::keccak256(datagram.subspan(97)));
    if (!sender.ok()) return base::fail(Errc::bad_signature);
    out.sender = *sender;

    const std::uint8_t type = datagram[97];
    if (type < 1 || type > 6) return base::fail(Errc::unknown_type);
    // Only the first item is the packet data; bytes after it are ignored (EIP-8).
    auto first = rlp::split(datagram.subspan(k_header_size));
    if (!first.ok() || first->item.kind != rlp::Kind::list) return base::fail(Errc::malformed);
    rlp::ListReader r(first->item.payload);
    base::Result<Message> message = base::fail(Errc::unknown_type);
    switch (static_cast<PacketType>(type)) {
        case PacketType::ping:
            message = decode_ping(r);
            break;
        case PacketType::pong:
            message = decode_pong(r);
            break;
        case PacketType::find_node:
            message = decode_find_node(r);
            break;
        case PacketType::neighbors:
            message = decode_neighbors(r);
            break;
        case PacketType::enr_request:
            message = decode_enr_request(r);
            break;
        case PacketType::enr_response:
            message = decode_enr_response(r);
            break;
    }
    PEERLINK_TRY(message);
    out.message = std::move(*message);
    return out;
}

}  // namespace peerlink::devp2p::discv4
