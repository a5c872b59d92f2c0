// RLPx frames after the handshake (devp2p rlpx.md "Framing", go-ethereum p2p/rlpx): AES-256-CTR
// over header and body, Keccak-256/AES-ECB header and frame MACs, one message per frame, message
// code as an RLP integer, optional snappy payloads (p2p v5). Sans-I/O: bytes in, messages out.
// Node thread only; owned by the connection after RlpxHandshake hands over its Secrets.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/aes.hpp"
#include "crypto/keccak.hpp"
#include "profiles/devp2p/error.hpp"
#include "profiles/devp2p/rlpx_handshake.hpp"

namespace peerlink::devp2p {

/// The 24-bit frame size field caps a frame at 2^24 - 1 bytes (code + payload).
inline constexpr std::size_t k_max_frame_size = (std::size_t{1} << 24) - 1;
/// go-ethereum rejects decompressed messages above 2^24 - 1 bytes (errPlainMessageTooLarge).
inline constexpr std::size_t k_max_message_size = (std::size_t{1} << 24) - 1;
inline constexpr std::size_t k_frame_header_size = 32;  // 16 encrypted header + 16 MAC
inline constexpr std::size_t k_frame_mac_size = 16;

/// One decoded message. `payload` views the codec's buffer and is valid until the next read().
struct Message {
    std::uint64_t code = 0;
    base::ByteView payload;     // decompressed when snappy is on
    std::size_t wire_size = 0;  // frame bytes on the wire for this message (header, MACs, padding)
};

class FrameCodec {
public:
    struct Options {
        /// Frames announcing more than this (code + payload as sent) fail before any body byte
        /// is buffered.
        std::size_t max_frame_size = k_max_frame_size;
        /// Messages (after decompression) above this fail; checked from the snappy header before
        /// decompressing, and on the write side before compressing.
        std::size_t max_message_size = k_max_message_size;
    };

    explicit FrameCodec(Secrets secrets) : FrameCodec(std::move(secrets), Options{}) {}
    FrameCodec(Secrets secrets, Options options);

    /// p2p v5: compress every later message's payload (both directions) with snappy.
    void set_snappy(bool on) { m_snappy = on; }
    [[nodiscard]] bool snappy() const { return m_snappy; }

    /// Appends one frame carrying `code` and `payload` to `out` (compressed if snappy is on). Call
    /// repeatedly to batch several messages into one write.
    base::Result<void> write(std::uint64_t code, base::ByteView payload, base::Buffer& out);
    /// As write() but never compressed (the Hello message).
    base::Result<void> write_uncompressed(std::uint64_t code, base::ByteView payload, base::Buffer& out);
    /// Seals `frame_content` verbatim (no message code added): tests and fuzzers use it to send
    /// frames a correct peer would not.
    base::Result<void> write_raw(base::ByteView frame_content, base::Buffer& out);

    struct ReadStep {
        std::size_t consumed = 0;        // bytes of `in` used; drop them from the input
        std::optional<Message> message;  // a whole message, if one completed
    };
    /// Consumes from the front of `in`, any amount at a time; yields at most one message per call
    /// (so a caller can turn snappy on right after Hello). After an error the codec is unusable.
    base::Result<ReadStep> read(base::ByteView in);
    /// Bytes still needed to complete the frame in progress (a read-size hint for drivers).
    [[nodiscard]] std::size_t bytes_needed() const;

    [[nodiscard]] const secp::PublicKey& remote_public_key() const { return m_remote; }

private:
    /// The RLPx MAC "contraption": keccak state, AES-ECB(mac-secret) of its digest XOR seed.
    struct Mac {
        crypto::Keccak256 hash;
        /// hash.digest() while the state is unchanged since it was taken. Each frame's header MAC
        /// starts from the digest of the state its predecessor's frame MAC ended with, so keeping
        /// it saves one Keccak permutation per frame and direction (of about five for a small one).
        std::optional<std::array<std::uint8_t, 32>> current;
        std::array<std::uint8_t, 16> header(crypto::AesBlockEncryptor& cipher,
                                            std::span<const std::uint8_t, 16> header_ciphertext);
        std::array<std::uint8_t, 16> frame(crypto::AesBlockEncryptor& cipher,
                                           base::ByteView frame_ciphertext);
        std::array<std::uint8_t, 16> compute(crypto::AesBlockEncryptor& cipher,
                                             std::span<const std::uint8_t, 16> sum,
                                             std::span<const std::uint8_t, 16> seed);
    };

    base::Result<void> write_frame(base::ByteView code, base::ByteView body, base::Buffer& out);
    base::Result<ReadStep> fail(Errc e);

    Options m_options;
    secp::PublicKey m_remote;
    crypto::AesCtr m_enc;
    crypto::AesCtr m_dec;
    crypto::AesBlockEncryptor m_mac_cipher;
    Mac m_egress;
    Mac m_ingress;
    bool m_snappy = false;
    bool m_failed = false;
    std::optional<std::size_t> m_frame_size;  // set once a header was authenticated
    base::Bytes m_plain;                      // decrypted frame of the last message
    base::Bytes m_scratch;                    // compression / decompression
};

}  // namespace peerlink::devp2p
