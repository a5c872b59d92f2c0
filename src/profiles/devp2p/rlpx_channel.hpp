// RLPx as a transport::SecureChannel: the EIP-8 handshake, then FrameCodec frames. Above it the
// plaintext stream is a sequence of internal message records (code, length, payload) that the
// devp2p session writes and reads; the channel turns each record into one RLPx frame.
#pragma once
#include <cstdint>
#include <optional>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/result.hpp"
#include "profiles/devp2p/base_protocol.hpp"
#include "profiles/devp2p/rlpx_frame.hpp"
#include "profiles/devp2p/rlpx_handshake.hpp"
#include "transport/secure_channel.hpp"

namespace peerlink::devp2p {

/// Internal record header: 8-byte big-endian message code, 4-byte big-endian payload length.
inline constexpr std::size_t k_record_header_size = 12;

/// Appends one record carrying `code` and `payload` (payload size must fit in 32 bits).
void append_record(base::Buffer& out, std::uint64_t code, base::ByteView payload);
/// Reads the record at the front of `in`; nullopt while it is incomplete.
struct Record {
    std::uint64_t code = 0;
    base::ByteView payload;
    std::size_t size = 0;  // header + payload
};
std::optional<Record> peek_record(base::ByteView in);

class RlpxChannel final : public transport::SecureChannel {
public:
    /// Dialing side: `remote` is the node id we dial (the ECIES handshake authenticates it).
    /// `our_version` is the p2p version our Hello announces (snappy needs both at >= 5).
    static std::unique_ptr<RlpxChannel> initiator(const secp::KeyPair& identity,
                                                  const secp::PublicKey& remote, FrameCodec::Options options,
                                                  std::uint64_t our_version = k_base_protocol_version);
    static std::unique_ptr<RlpxChannel> recipient(const secp::KeyPair& identity, FrameCodec::Options options,
                                                  std::uint64_t our_version = k_base_protocol_version);

    void start_handshake(base::Buffer& out) override;
    base::Result<std::size_t> handshake(base::ByteView in, base::Buffer& out) override;
    [[nodiscard]] bool established() const override { return m_codec.has_value(); }
    /// Seals every whole record of `plaintext`; Hello (code 0) always goes uncompressed.
    base::Result<void> seal(base::ByteView plaintext, base::Buffer& out) override;
    /// Opens frames into records. After the peer's Hello (valid, version >= 5, node id equal to
    /// the authenticated key) every later message in both directions is snappy-compressed; the
    /// switch happens here, between two frames, so frames that arrived with the Hello decode right.
    /// A Disconnect that does not decompress is taken as sent uncompressed (ethereumjs).
    base::Result<std::size_t> open(base::ByteView in, base::Buffer& plaintext) override;
    [[nodiscard]] double expansion() const override { return 1.1; }

    /// The peer's authenticated static key (its node id); valid once established().
    [[nodiscard]] const secp::PublicKey& remote_id() const { return m_remote; }
    [[nodiscard]] bool snappy() const { return m_snappy; }
    /// Test hook: the frame codec, to send frames a correct peer would not.
    [[nodiscard]] FrameCodec* codec() { return m_codec ? &*m_codec : nullptr; }

private:
    RlpxChannel(RlpxHandshake handshake, FrameCodec::Options options, std::uint64_t our_version)
        : m_handshake(std::move(handshake)), m_options(options), m_our_version(our_version) {}

    RlpxHandshake m_handshake;
    FrameCodec::Options m_options;
    std::uint64_t m_our_version;
    std::optional<FrameCodec> m_codec;
    secp::PublicKey m_remote{};
    bool m_start_failed = false;
    bool m_saw_hello = false;
    // Compression lives here rather than in FrameCodec so that an uncompressed Disconnect after
    // p2p v5 (ethereumjs sends those) can still be read.
    bool m_snappy = false;
    base::Bytes m_scratch;
};

}  // namespace peerlink::devp2p
