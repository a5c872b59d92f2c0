#include "codec/bitcoin_stream.hpp"

namespace peerlink::codec {

namespace {

const char* describe(int value) {
    switch (static_cast<BtcErrc>(value)) {
        case BtcErrc::truncated:
            return "bitcoin field runs past the end of the input";
        case BtcErrc::non_canonical_compact_size:
            return "non-canonical ReadCompactSize()";
        case BtcErrc::compact_size_too_large:
            return "ReadCompactSize(): size too large";
        case BtcErrc::too_long:
            return "bitcoin byte string or count longer than allowed";
    }
    return "unknown bitcoin codec error";
}

}  // namespace

const std::error_category& BtcErrc_category() {
    static const base::MessageCategory category("bitcoin-codec", describe);
    return category;
}

base::Result<std::uint64_t> BtcReader::le(std::size_t n) {
    if (m_rest.size() < n) return base::fail(BtcErrc::truncated);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v |= std::uint64_t{m_rest[i]} << (8 * i);
    m_rest = m_rest.subspan(n);
    return v;
}

base::Result<std::uint8_t> BtcReader::u8() {
    if (m_rest.empty()) return base::fail(BtcErrc::truncated);
    const std::uint8_t v = m_rest[0];
    m_rest = m_rest.subspan(1);
    return v;
}

base::Result<std::uint16_t> BtcReader::u16le() {
    auto v = le(2);
    if (!v) return base::Failure{v.error()};
    return static_cast<std::uint16_t>(*v);
}

base::Result<std::uint16_t> BtcReader::u16be() {
    if (m_rest.size() < 2) return base::fail(BtcErrc::truncated);
    const auto v = static_cast<std::uint16_t>((m_rest[0] << 8) | m_rest[1]);
    m_rest = m_rest.subspan(2);
    return v;
}

base::Result<std::uint32_t> BtcReader::u32le() {
    auto v = le(4);
    if (!v) return base::Failure{v.error()};
    return static_cast<std::uint32_t>(*v);
}

base::Result<std::uint64_t> BtcReader::u64le() {
    return le(8);
}

base::Result<std::int32_t> BtcReader::i32le() {
    auto v = le(4);
    if (!v) return base::Failure{v.error()};
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(*v));
}

base::Result<std::int64_t> BtcReader::i64le() {
    auto v = le(8);
    if (!v) return base::Failure{v.error()};
    return static_cast<std::int64_t>(*v);
}

base::Result<bool> BtcReader::boolean() {
    auto v = u8();
    if (!v) return base::Failure{v.error()};
    return *v != 0;
}

base::Result<std::uint64_t> BtcReader::compact_size(bool range_check) {
    // Read from a copy so that a failure leaves m_rest untouched.
    BtcReader r(m_rest);
    auto first = r.u8();
    if (!first) return base::Failure{first.error()};
    std::uint64_t v = *first;
    std::uint64_t minimum = 0;
    std::size_t width = 0;
    if (*first == 0xfd) {
        width = 2;
        minimum = 0xfd;
    } else if (*first == 0xfe) {
        width = 4;
        minimum = 0x10000;
    } else if (*first == 0xff) {
        width = 8;
        minimum = 0x100000000;
    }
    if (width != 0) {
        auto wide = r.le(width);
        if (!wide) return base::Failure{wide.error()};
        v = *wide;
        if (v < minimum) return base::fail(BtcErrc::non_canonical_compact_size);
    }
    if (range_check && v > k_max_compact_size) return base::fail(BtcErrc::compact_size_too_large);
    m_rest = r.m_rest;
    return v;
}

base::Result<base::ByteView> BtcReader::bytes(std::size_t n) {
    if (m_rest.size() < n) return base::fail(BtcErrc::truncated);
    const base::ByteView v = m_rest.first(n);
    m_rest = m_rest.subspan(n);
    return v;
}

base::Result<base::ByteView> BtcReader::var_view(std::size_t max) {
    BtcReader r(m_rest);
    auto n = r.compact_size();
    if (!n) return base::Failure{n.error()};
    if (*n > max) return base::fail(BtcErrc::too_long);
    auto v = r.bytes(static_cast<std::size_t>(*n));
    if (!v) return base::Failure{v.error()};
    m_rest = r.m_rest;
    return *v;
}

base::Result<base::Bytes> BtcReader::var_bytes(std::size_t max) {
    auto v = var_view(max);
    if (!v) return base::Failure{v.error()};
    return base::Bytes(v->begin(), v->end());
}

base::Result<std::string> BtcReader::var_str(std::size_t max) {
    auto v = var_view(max);
    if (!v) return base::Failure{v.error()};
    return std::string(base::as_chars(*v));
}

void BtcWriter::compact_size(std::uint64_t v) {
    if (v < 0xfd) {
        u8(static_cast<std::uint8_t>(v));
    } else if (v <= 0xffff) {
        u8(0xfd);
        le(v, 2);
    } else if (v <= 0xffffffff) {
        u8(0xfe);
        le(v, 4);
    } else {
        u8(0xff);
        le(v, 8);
    }
}

}  // namespace peerlink::codec
