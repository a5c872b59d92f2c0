// Bitcoin P2P message framing (Bitcoin Core protocol.h, net.cpp V1Transport): the 24-byte header
// (magic, NUL-padded command, length, SHA-256d checksum), an incremental frame reader and a writer.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/result.hpp"
#include "profiles/bitcoin/error.hpp"
#include "profiles/bitcoin/network.hpp"

namespace peerlink::bitcoin {

inline constexpr std::size_t k_header_size = 24;
inline constexpr std::size_t k_command_size = 12;
/// Bitcoin Core's MAX_PROTOCOL_MESSAGE_LENGTH (btcd allows 32 MiB; we keep Core's bound).
inline constexpr std::size_t k_default_max_payload = 4'000'000;

using Checksum = std::array<std::uint8_t, 4>;
/// First four bytes of SHA-256(SHA-256(payload)).
Checksum checksum(base::ByteView payload);

/// Core's IsMessageTypeValid: printable ASCII (0x20..0x7e) up to the first NUL, only NULs after it.
bool command_valid(std::span<const std::uint8_t, k_command_size> raw);

struct Header {
    Magic magic{};
    std::string command;  // without padding; meaningful only when command_ok
    bool command_ok = false;
    std::uint32_t length = 0;
    Checksum checksum{};
};
/// Parses 24 header bytes. Fails with bad_magic or payload_too_large (both fatal); an invalid
/// command is reported through command_ok because Core drops such a message and carries on.
base::Result<Header> decode_header(std::span<const std::uint8_t, k_header_size> raw, const Magic& magic,
                                   std::size_t max_payload);

/// Appends header + payload. `command` must be at most 12 printable ASCII characters (a programmer
/// error otherwise: throws std::invalid_argument).
void write_frame(base::Bytes& out, const Magic& magic, std::string_view command, base::ByteView payload);
base::Bytes frame(const Magic& magic, std::string_view command, base::ByteView payload);

enum class FrameStatus {
    ok,            // checksum matches: hand the payload to the decoder
    bad_checksum,  // drop this message and keep reading (as Bitcoin Core does)
    bad_command,   // command bytes not valid: drop and keep reading (Core's "invalid message type")
};

struct Frame {
    FrameStatus status = FrameStatus::ok;
    std::string command;
    base::ByteView payload;  // into the reader's buffer; valid until the next append() or next()
};

/// Splits a byte stream into frames. Partial input is fine: append what arrives, then call next()
/// until it returns nullopt. Fatal errors (bad magic, oversized length) are sticky: the caller must
/// disconnect. The claimed length is checked against the maximum before the reader waits for
/// (and so before it buffers) the payload.
class FrameReader {
public:
    struct Options {
        Magic magic{};
        std::size_t max_payload = k_default_max_payload;
    };
    explicit FrameReader(Options options) : m_options(options) {}

    void append(base::ByteView bytes);
    base::Result<std::optional<Frame>> next();
    /// Bytes received but not yet returned as frames.
    [[nodiscard]] std::size_t buffered() const { return m_buffer.size() - m_pending_consume; }
    /// Frees a buffer grown by a large message once nothing is pending (idle peers stay small).
    /// Invalidates the payload of the frame last returned.
    void release_idle_memory(std::size_t keep);
    /// Bytes of buffer memory held.
    [[nodiscard]] std::size_t capacity() const { return m_buffer.capacity(); }

private:
    Options m_options;
    base::Buffer m_buffer;
    std::size_t m_pending_consume = 0;  // the frame last returned, released on the next call
    std::error_code m_failed;
};

}  // namespace peerlink::bitcoin
