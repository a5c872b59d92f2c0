#include "profiles/devp2p/rlpx_channel.hpp"

#include "codec/snappy.hpp"
#include "profiles/devp2p/base_protocol.hpp"

namespace peerlink::devp2p {

void append_record(base::Buffer& out, std::uint64_t code, base::ByteView payload) {
    auto header = out.prepare(k_record_header_size);
    for (std::size_t i = 0; i < 8; ++i)
        header[i] = static_cast<base::Byte>(code >> (56 - 8 * i));
    const auto size = static_cast<std::uint32_t>(payload.size());
    for (std::size_t i = 0; i < 4; ++i)
        header[8 + i] = static_cast<base::Byte>(size >> (24 - 8 * i));
    out.commit(k_record_header_size);
    out.append(payload);
}

std::optional<Record> peek_record(base::ByteView in) {
    if (in.size() < k_record_header_size) return std::nullopt;
    Record r;
    for (std::size_t i = 0; i < 8; ++i)
        r.code = (r.code << 8) | in[i];
    std::size_t size = 0;
    for (std::size_t i = 8; i < 12; ++i)
        size = (size << 8) | in[i];
    if (in.size() - k_record_header_size < size) return std::nullopt;
    r.payload = in.subspan(k_record_header_size, size);
    r.size = k_record_header_size + size;
    return r;
}

std::unique_ptr<RlpxChannel> RlpxChannel::initiator(const secp::KeyPair& identity,
                                                    const secp::PublicKey& remote,
                                                    FrameCodec::Options options, std::uint64_t our_version) {
    return std::unique_ptr<RlpxChannel>(
        new RlpxChannel(RlpxHandshake::initiator(identity, remote), options, our_version));
}

std::unique_ptr<RlpxChannel> RlpxChannel::recipient(const secp::KeyPair& identity,
                                                    FrameCodec::Options options, std::uint64_t our_version) {
    return std::unique_ptr<RlpxChannel>(
        new RlpxChannel(RlpxHandshake::recipient(identity), options, our_version));
}

void RlpxChannel::start_handshake(base::Buffer& out) {
    // An invalid dial target fails here; handshake() reports it on the first input.
    if (!m_handshake.start(out)) m_start_failed = true;
}

base::Result<std::size_t> RlpxChannel::handshake(base::ByteView in, base::Buffer& out) {
    if (m_start_failed) return base::fail(Errc::invalid_public_key);
    std::size_t total = 0;
    while (!m_handshake.done()) {
        auto used = m_handshake.on_data(in.subspan(total), out);
        if (!used) return base::Failure{used.error()};
        if (*used == 0) break;
        total += *used;
    }
    if (m_handshake.done() && !m_codec) {
        m_remote = m_handshake.remote_public_key();
        m_codec.emplace(m_handshake.take_secrets(), m_options);
    }
    return total;
}

base::Result<void> RlpxChannel::seal(base::ByteView plaintext, base::Buffer& out) {
    if (!m_codec) return base::fail(Errc::codec_failed);
    while (!plaintext.empty()) {
        const auto record = peek_record(plaintext);
        if (!record) return base::fail(Errc::codec_failed);  // the session writes whole records only
        if (record->code == k_hello_code || !m_snappy) {
            PEERLINK_TRY(m_codec->write_uncompressed(record->code, record->payload, out));
        } else {
            if (record->payload.size() > m_options.max_message_size)
                return base::fail(Errc::message_too_large);
            m_scratch.resize(codec::snappy_max_compressed_size(record->payload.size()));
            m_scratch.resize(codec::snappy_compress_to(record->payload, m_scratch));
            PEERLINK_TRY(m_codec->write_uncompressed(record->code, m_scratch, out));
        }
        plaintext = plaintext.subspan(record->size);
    }
    return {};
}

base::Result<std::size_t> RlpxChannel::open(base::ByteView in, base::Buffer& plaintext) {
    if (!m_codec) return base::fail(Errc::codec_failed);
    std::size_t total = 0;
    while (total < in.size()) {
        auto step = m_codec->read(in.subspan(total));
        if (!step) return base::Failure{step.error()};
        total += step->consumed;
        if (!step->message) {
            if (step->consumed == 0) break;
            continue;
        }
        const Message& message = *step->message;
        if (m_snappy) {
            auto plain =
                codec::snappy_decompress_into(message.payload, m_options.max_message_size, m_scratch);
            if (message.code == k_disconnect_code && (!plain || !decode_disconnect(m_scratch))) {
                // ethereumjs sends Disconnect uncompressed even after p2p v5 (and decodes either
                // form itself); the last message is worth reading whichever form it takes.
                append_record(plaintext, message.code, message.payload);
                continue;
            }
            if (!plain) {
                return base::fail(plain.error() == make_error_code(codec::SnappyErrc::too_large)
                                      ? Errc::message_too_large
                                      : Errc::bad_compression);
            }
            append_record(plaintext, message.code, m_scratch);
            continue;
        }
        append_record(plaintext, message.code, message.payload);
        if (message.code == k_hello_code && !m_saw_hello) {
            m_saw_hello = true;
            auto hello = decode_hello(message.payload);
            if (hello && check_hello_identity(*hello, m_remote) &&
                use_snappy(m_our_version, hello->protocol_version)) {
                m_snappy = true;
            }
        }
    }
    return total;
}

}  // namespace peerlink::devp2p
