#include "profiles/bitcoin/wire.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "crypto/crypto.hpp"

namespace peerlink::bitcoin {

Checksum checksum(base::ByteView payload) {
    const crypto::Sha256Digest first = crypto::sha256(payload);
    const crypto::Sha256Digest second = crypto::sha256(first);
    return {second[0], second[1], second[2], second[3]};
}

bool command_valid(std::span<const std::uint8_t, k_command_size> raw) {
    std::size_t i = 0;
    for (; i < raw.size() && raw[i] != 0; ++i)
        if (raw[i] < 0x20 || raw[i] > 0x7e) return false;
    for (; i < raw.size(); ++i)
        if (raw[i] != 0) return false;
    return true;
}

namespace {

std::uint32_t load_u32le(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
           std::uint32_t{p[3]} << 24;
}

}  // namespace

base::Result<Header> decode_header(std::span<const std::uint8_t, k_header_size> raw, const Magic& magic,
                                   std::size_t max_payload) {
    Header h;
    std::copy_n(raw.begin(), 4, h.magic.begin());
    if (h.magic != magic) return base::fail(Errc::bad_magic);
    h.length = load_u32le(raw.data() + 16);
    if (h.length > max_payload) return base::fail(Errc::payload_too_large);
    const auto command = raw.subspan<4, k_command_size>();
    h.command_ok = command_valid(command);
    if (h.command_ok) {
        const auto end = std::find(command.begin(), command.end(), std::uint8_t{0});
        h.command.assign(command.begin(), end);
    }
    std::copy_n(raw.begin() + 20, 4, h.checksum.begin());
    return h;
}

void write_frame(base::Bytes& out, const Magic& magic, std::string_view command, base::ByteView payload) {
    if (command.size() > k_command_size || payload.size() > 0xffffffffu)
        throw std::invalid_argument("bitcoin frame: command longer than 12 bytes or payload too large");
    for (const char c : command)
        if (c < 0x20 || c > 0x7e) throw std::invalid_argument("bitcoin frame: command not printable ASCII");
    const std::size_t start = out.size();
    out.resize(start + k_header_size + payload.size());
    std::uint8_t* p = out.data() + start;
    std::memcpy(p, magic.data(), 4);
    std::memset(p + 4, 0, k_command_size);
    std::memcpy(p + 4, command.data(), command.size());
    const auto length = static_cast<std::uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i)
        p[16 + i] = static_cast<std::uint8_t>(length >> (8 * i));
    const Checksum sum = checksum(payload);
    std::memcpy(p + 20, sum.data(), 4);
    if (!payload.empty()) std::memcpy(p + k_header_size, payload.data(), payload.size());
}

base::Bytes frame(const Magic& magic, std::string_view command, base::ByteView payload) {
    base::Bytes out;
    out.reserve(k_header_size + payload.size());
    write_frame(out, magic, command, payload);
    return out;
}

void FrameReader::append(base::ByteView bytes) {
    if (m_pending_consume != 0) {
        m_buffer.consume(m_pending_consume);
        m_pending_consume = 0;
    }
    if (m_failed) return;  // nothing after a fatal error is ever read
    m_buffer.append(bytes);
}

void FrameReader::release_idle_memory(std::size_t keep) {
    if (m_pending_consume != 0) {
        m_buffer.consume(m_pending_consume);
        m_pending_consume = 0;
    }
    m_buffer.shrink_if_empty(keep);
}

base::Result<std::optional<Frame>> FrameReader::next() {
    if (m_pending_consume != 0) {
        m_buffer.consume(m_pending_consume);
        m_pending_consume = 0;
    }
    if (m_failed) return base::fail(m_failed);
    const base::ByteView in = m_buffer.data();
    // Check the magic as soon as it is here, so garbage is refused without waiting for 24 bytes.
    if (in.size() >= 4 && !std::equal(in.begin(), in.begin() + 4, m_options.magic.begin())) {
        m_failed = make_error_code(Errc::bad_magic);
        return base::fail(m_failed);
    }
    if (in.size() < k_header_size) return std::optional<Frame>{};
    auto header = decode_header(in.first<k_header_size>(), m_options.magic, m_options.max_payload);
    if (!header) {
        m_failed = header.error();
        return base::fail(m_failed);
    }
    if (in.size() - k_header_size < header->length) return std::optional<Frame>{};

    Frame f;
    f.payload = in.subspan(k_header_size, header->length);
    if (!header->command_ok) {
        f.status = FrameStatus::bad_command;
    } else {
        f.command = std::move(header->command);
        f.status = checksum(f.payload) == header->checksum ? FrameStatus::ok : FrameStatus::bad_checksum;
    }
    m_pending_consume = k_header_size + header->length;
    return std::optional<Frame>{std::move(f)};
}

}  // namespace peerlink::bitcoin
