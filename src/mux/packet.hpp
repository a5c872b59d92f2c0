// CometBFT's MConnection packets (proto/tendermint/p2p/conn.proto):
//   Packet { oneof sum { PacketPing packet_ping = 1; PacketPong packet_pong = 2; PacketMsg packet_msg = 3; }
//   } PacketMsg { int32 channel_id = 1; bool eof = 2; bytes data = 3; }
// written uvarint-delimited. Proto3: zero channel_id, false eof and empty data are omitted.
#pragma once
#include <cstdint>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/result.hpp"

namespace peerlink::mux {

using ChannelId = std::uint8_t;

enum class PacketKind { ping, pong, msg };

struct Packet {
    PacketKind kind = PacketKind::ping;
    std::int64_t channel_id = 0;  // as received: may be out of the 0..255 range
    bool eof = false;
    base::ByteView data;  // view into the decoded buffer
};

/// Decodes the body of one Packet (without its length prefix). Errors are codec errors or
/// mux::Errc::malformed_packet (no oneof member set).
base::Result<Packet> decode_packet(base::ByteView body);

/// Appends a delimited Ping / Pong packet.
void write_ping(base::Buffer& out);
void write_pong(base::Buffer& out);
/// Appends a delimited PacketMsg; returns the bytes written (prefix included).
std::size_t write_packet_msg(base::Buffer& out, ChannelId channel, bool eof, base::ByteView data);
/// Size of a delimited PacketMsg body for the given fields (without the length prefix).
std::size_t packet_msg_body_size(ChannelId channel, bool eof, std::size_t data_size);

}  // namespace peerlink::mux
