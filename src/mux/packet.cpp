#include "mux/packet.hpp"

#include <cstring>

#include "codec/protobuf.hpp"
#include "mux/mconnection.hpp"

namespace peerlink::mux {

namespace {

// Field numbers and tags of proto/tendermint/p2p/conn.proto.
constexpr std::uint32_t k_packet_ping = 1;
constexpr std::uint32_t k_packet_pong = 2;
constexpr std::uint32_t k_packet_msg = 3;
constexpr std::uint32_t k_msg_channel_id = 1;
constexpr std::uint32_t k_msg_eof = 2;
constexpr std::uint32_t k_msg_data = 3;
constexpr base::Byte k_packet_msg_tag = 0x1a;  // field 3, length-delimited
constexpr base::Byte k_channel_id_tag = 0x08;  // field 1, varint
constexpr base::Byte k_eof_tag = 0x10;         // field 2, varint
constexpr base::Byte k_data_tag = 0x1a;        // field 3, length-delimited

/// Size of the PacketMsg message itself (what the Packet's field 3 wraps).
std::size_t packet_msg_size(ChannelId channel, bool eof, std::size_t data_size) {
    std::size_t n = 0;
    if (channel != 0) n += codec::varint_field_size(k_msg_channel_id, channel);
    if (eof) n += codec::varint_field_size(k_msg_eof, 1);
    if (data_size != 0) n += codec::bytes_field_size(k_msg_data, data_size);
    return n;
}

/// PacketPing and PacketPong have no fields, but gogoproto still parses their bodies, so a body
/// that is not a valid message fails the whole packet there too.
base::Result<void> check_empty_message(base::ByteView body) {
    codec::ProtoReader reader(body);
    for (;;) {
        auto field = reader.next();
        if (!field) return base::fail(field.error());
        if (!*field) return {};
    }
}

base::Result<void> decode_packet_msg(base::ByteView body, Packet& packet) {
    codec::ProtoReader reader(body);
    for (;;) {
        auto next = reader.next();
        if (!next) return base::fail(next.error());
        if (!*next) return {};
        const codec::Field& field = **next;
        switch (field.number) {
            case k_msg_channel_id:
                if (field.type != codec::WireType::varint) return base::fail(codec::Errc::wrong_wire_type);
                // int32 on the wire: a negative id arrives sign-extended to 64 bits. Kept whole so
                // that the range check sees it instead of a truncated value.
                packet.channel_id = static_cast<std::int64_t>(field.value);
                break;
            case k_msg_eof:
                if (field.type != codec::WireType::varint) return base::fail(codec::Errc::wrong_wire_type);
                packet.eof = field.value != 0;
                break;
            case k_msg_data:
                if (field.type != codec::WireType::length_delimited) {
                    return base::fail(codec::Errc::wrong_wire_type);
                }
                packet.data = field.bytes;
                break;
            default:
                break;  // unknown fields are skipped, as gogoproto does
        }
    }
}

void write_empty_member(base::Buffer& out, base::Byte tag) {
    // Delimited Packet of 2 bytes: the member's tag and a zero length.
    const base::MutableByteView p = out.prepare(3);
    p[0] = 0x02;
    p[1] = tag;
    p[2] = 0x00;
    out.commit(3);
}

}  // namespace

base::Result<Packet> decode_packet(base::ByteView body) {
    Packet packet;
    bool set = false;
    codec::ProtoReader reader(body);
    for (;;) {
        auto next = reader.next();
        if (!next) return base::fail(next.error());
        if (!*next) break;
        const codec::Field& field = **next;
        if (field.number < k_packet_ping || field.number > k_packet_msg) continue;
        if (field.type != codec::WireType::length_delimited) return base::fail(codec::Errc::wrong_wire_type);
        // Several oneof members: the last one wins and replaces the earlier one entirely.
        packet = Packet{};
        set = true;
        switch (field.number) {
            case k_packet_ping:
                packet.kind = PacketKind::ping;
                PEERLINK_TRY(check_empty_message(field.bytes));
                break;
            case k_packet_pong:
                packet.kind = PacketKind::pong;
                PEERLINK_TRY(check_empty_message(field.bytes));
                break;
            default:
                packet.kind = PacketKind::msg;
                PEERLINK_TRY(decode_packet_msg(field.bytes, packet));
                break;
        }
    }
    if (!set) return base::fail(Errc::malformed_packet);
    return packet;
}

void write_ping(base::Buffer& out) {
    write_empty_member(out, 0x0a);
}
void write_pong(base::Buffer& out) {
    write_empty_member(out, 0x12);
}

std::size_t packet_msg_body_size(ChannelId channel, bool eof, std::size_t data_size) {
    return codec::bytes_field_size(k_packet_msg, packet_msg_size(channel, eof, data_size));
}

std::size_t write_packet_msg(base::Buffer& out, ChannelId channel, bool eof, base::ByteView data) {
    // Hand-rolled rather than through ProtoWriter: this runs once per packet on the hot path and
    // one prepare() of the exact size avoids per-field capacity checks.
    const std::size_t msg_size = packet_msg_size(channel, eof, data.size());
    const std::size_t body_size = codec::bytes_field_size(k_packet_msg, msg_size);
    const std::size_t total = codec::varint_size(body_size) + body_size;
    base::Byte* p = out.prepare(total).data();
    std::size_t n = codec::put_varint(p, body_size);
    p[n++] = k_packet_msg_tag;
    n += codec::put_varint(p + n, msg_size);
    if (channel != 0) {
        p[n++] = k_channel_id_tag;
        n += codec::put_varint(p + n, channel);
    }
    if (eof) {
        p[n++] = k_eof_tag;
        p[n++] = 0x01;
    }
    if (!data.empty()) {
        p[n++] = k_data_tag;
        n += codec::put_varint(p + n, data.size());
        std::memcpy(p + n, data.data(), data.size());
    }
    out.commit(total);
    return total;
}

}  // namespace peerlink::mux
