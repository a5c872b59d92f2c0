#include "profiles/devp2p/rlpx_frame.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "codec/rlp.hpp"
#include "codec/snappy.hpp"
#include "crypto/crypto.hpp"

namespace peerlink::devp2p {

namespace {

constexpr std::array<std::uint8_t, 16> k_zero_iv{};
/// header-data = RLP [capability-id = 0, context-id = 0], which every implementation sends.
constexpr std::array<std::uint8_t, 3> k_header_data = {0xc2, 0x80, 0x80};

constexpr std::size_t padded(std::size_t n) {
    return (n + 15) / 16 * 16;
}

/// The RLP integer encoding of a message code, without a heap allocation per message.
struct CodeBytes {
    std::array<std::uint8_t, 9> bytes{};
    std::size_t size = 0;
    [[nodiscard]] base::ByteView view() const { return base::ByteView(bytes.data(), size); }
};

CodeBytes encode_code(std::uint64_t code) {
    CodeBytes out;
    if (code == 0) {
        out.bytes[0] = 0x80;
        out.size = 1;
    } else if (code < 0x80) {
        out.bytes[0] = static_cast<std::uint8_t>(code);
        out.size = 1;
    } else {
        std::size_t n = 0;
        for (std::uint64_t v = code; v != 0; v >>= 8)
            ++n;
        out.bytes[0] = static_cast<std::uint8_t>(0x80 + n);
        for (std::size_t i = 0; i < n; ++i)
            out.bytes[1 + i] = static_cast<std::uint8_t>(code >> (8 * (n - 1 - i)));
        out.size = 1 + n;
    }
    return out;
}

bool equal16(const std::uint8_t* a, const std::uint8_t* b) {
    return CRYPTO_memcmp(a, b, 16) == 0;
}

}  // namespace

// ---- MAC ----------------------------------------------------------------------------------------

std::array<std::uint8_t, 16> FrameCodec::Mac::compute(crypto::AesBlockEncryptor& cipher,
                                                      std::span<const std::uint8_t, 16> sum,
                                                      std::span<const std::uint8_t, 16> seed) {
    std::array<std::uint8_t, 16> block{};
    cipher.encrypt(sum, block);
    for (std::size_t i = 0; i < 16; ++i)
        block[i] ^= seed[i];
    hash.update(block);
    current = hash.digest();
    std::array<std::uint8_t, 16> out{};
    std::copy_n(current->begin(), 16, out.begin());
    return out;
}

std::array<std::uint8_t, 16> FrameCodec::Mac::header(crypto::AesBlockEncryptor& cipher,
                                                     std::span<const std::uint8_t, 16> header_ciphertext) {
    if (!current) current = hash.digest();
    const auto sum = *current;
    return compute(cipher, std::span<const std::uint8_t, 16>(sum.data(), 16), header_ciphertext);
}

std::array<std::uint8_t, 16> FrameCodec::Mac::frame(crypto::AesBlockEncryptor& cipher,
                                                    base::ByteView frame_ciphertext) {
    hash.update(frame_ciphertext);
    current.reset();
    const auto seed = hash.digest();
    const std::span<const std::uint8_t, 16> first(seed.data(), 16);
    return compute(cipher, first, first);
}

// ---- FrameCodec ---------------------------------------------------------------------------------

FrameCodec::FrameCodec(Secrets secrets, Options options)
    : m_options(options),
      m_remote(secrets.remote_public_key),
      m_enc(secrets.aes_secret, k_zero_iv),
      m_dec(secrets.aes_secret, k_zero_iv),
      m_mac_cipher(secrets.mac_secret),
      m_egress{std::move(secrets.egress_mac), std::nullopt},
      m_ingress{std::move(secrets.ingress_mac), std::nullopt} {
    m_options.max_frame_size = std::min(m_options.max_frame_size, k_max_frame_size);
    crypto::wipe(secrets.aes_secret);
    crypto::wipe(secrets.mac_secret);
}

base::Result<void> FrameCodec::write(std::uint64_t code, base::ByteView payload, base::Buffer& out) {
    if (!m_snappy) return write_uncompressed(code, payload, out);
    if (m_failed) return base::fail(Errc::codec_failed);
    if (payload.size() > m_options.max_message_size) return base::fail(Errc::message_too_large);
    m_scratch.resize(codec::snappy_max_compressed_size(payload.size()));
    m_scratch.resize(codec::snappy_compress_to(payload, m_scratch));
    return write_frame(encode_code(code).view(), m_scratch, out);
}

base::Result<void> FrameCodec::write_uncompressed(std::uint64_t code, base::ByteView payload,
                                                  base::Buffer& out) {
    if (m_failed) return base::fail(Errc::codec_failed);
    if (payload.size() > m_options.max_message_size) return base::fail(Errc::message_too_large);
    return write_frame(encode_code(code).view(), payload, out);
}

base::Result<void> FrameCodec::write_raw(base::ByteView frame_content, base::Buffer& out) {
    if (m_failed) return base::fail(Errc::codec_failed);
    return write_frame({}, frame_content, out);
}

base::Result<void> FrameCodec::write_frame(base::ByteView code, base::ByteView body, base::Buffer& out) {
    const std::size_t code_size = code.size();
    if (body.size() > k_max_frame_size - code_size) return base::fail(Errc::frame_too_large);
    const std::size_t frame_size = code_size + body.size();
    const std::size_t frame_padded = padded(frame_size);
    const std::size_t total = k_frame_header_size + frame_padded + k_frame_mac_size;

    base::MutableByteView dst = out.prepare(total);
    std::memset(dst.data(), 0, k_frame_header_size);
    dst[0] = static_cast<std::uint8_t>(frame_size >> 16);
    dst[1] = static_cast<std::uint8_t>(frame_size >> 8);
    dst[2] = static_cast<std::uint8_t>(frame_size);
    std::copy(k_header_data.begin(), k_header_data.end(), dst.begin() + 3);
    const std::span<std::uint8_t, 16> header(dst.data(), 16);
    m_enc.apply_in_place(header);
    const auto header_mac = m_egress.header(m_mac_cipher, header);
    std::copy(header_mac.begin(), header_mac.end(), dst.begin() + 16);

    const base::MutableByteView frame = dst.subspan(k_frame_header_size, frame_padded);
    std::copy(code.begin(), code.end(), frame.begin());
    if (!body.empty()) std::memcpy(frame.data() + code_size, body.data(), body.size());
    std::memset(frame.data() + frame_size, 0, frame_padded - frame_size);
    m_enc.apply_in_place(frame);
    const auto frame_mac = m_egress.frame(m_mac_cipher, frame);
    std::copy(frame_mac.begin(), frame_mac.end(), dst.begin() + static_cast<std::ptrdiff_t>(total - 16));
    out.commit(total);
    return {};
}

base::Result<FrameCodec::ReadStep> FrameCodec::fail(Errc e) {
    m_failed = true;
    return base::fail(e);
}

std::size_t FrameCodec::bytes_needed() const {
    if (!m_frame_size) return k_frame_header_size;
    return padded(*m_frame_size) + k_frame_mac_size;
}

base::Result<FrameCodec::ReadStep> FrameCodec::read(base::ByteView in) {
    if (m_failed) return base::fail(Errc::codec_failed);
    ReadStep step;
    if (!m_frame_size) {
        if (in.size() < k_frame_header_size) return step;
        std::array<std::uint8_t, 16> header{};
        std::copy_n(in.begin(), 16, header.begin());
        const auto want = m_ingress.header(m_mac_cipher, header);
        if (!equal16(want.data(), in.data() + 16)) return fail(Errc::bad_header_mac);
        m_dec.apply_in_place(header);
        const std::size_t frame_size = std::size_t{header[0]} << 16 | std::size_t{header[1]} << 8 | header[2];
        // header-data is not interpreted (go-ethereum ignores it too).
        if (frame_size > m_options.max_frame_size) return fail(Errc::frame_too_large);
        m_frame_size = frame_size;
        step.consumed = k_frame_header_size;
        in = in.subspan(k_frame_header_size);
    }
    const std::size_t frame_size = *m_frame_size;
    const std::size_t frame_padded = padded(frame_size);
    if (in.size() < frame_padded + k_frame_mac_size) return step;

    const base::ByteView frame = in.first(frame_padded);
    const auto want = m_ingress.frame(m_mac_cipher, frame);
    if (!equal16(want.data(), in.data() + frame_padded)) return fail(Errc::bad_frame_mac);
    m_plain.resize(frame_padded);
    m_dec.apply(frame, m_plain);
    m_frame_size.reset();
    step.consumed += frame_padded + k_frame_mac_size;

    auto code = codec::rlp::split(base::ByteView(m_plain).first(frame_size));
    if (!code.ok() || code->item.kind != codec::rlp::Kind::string) return fail(Errc::invalid_message_code);
    auto code_value = codec::rlp::decode_uint64(code->item.payload);
    if (!code_value.ok()) return fail(Errc::invalid_message_code);

    Message msg;
    msg.code = *code_value;
    msg.payload = code->rest;
    msg.wire_size = k_frame_header_size + frame_padded + k_frame_mac_size;
    if (m_snappy) {
        auto r = codec::snappy_decompress_into(msg.payload, m_options.max_message_size, m_scratch);
        if (!r.ok()) {
            return fail(r.error() == make_error_code(codec::SnappyErrc::too_large) ? Errc::message_too_large
                                                                                   : Errc::bad_compression);
        }
        msg.payload = m_scratch;
    } else if (msg.payload.size() > m_options.max_message_size) {
        return fail(Errc::message_too_large);
    }
    step.message = msg;
    return step;
}

}  // namespace peerlink::devp2p
