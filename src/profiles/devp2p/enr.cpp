// ENR encoding, decoding and v4 signatures (EIP-778); the record is verified before it is returned.
#include "profiles/devp2p/enr.hpp"

#include <algorithm>

#include "codec/rlp.hpp"
#include "crypto/keccak.hpp"

namespace peerlink::devp2p::enr {

namespace rlp = codec::rlp;
namespace secp = crypto::secp256k1;

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::too_large:
            return "ENR above 300 bytes";
        case Errc::malformed:
            return "ENR is not RLP [signature, seq, k, v, ...]";
        case Errc::keys_not_sorted:
            return "ENR keys are not sorted and unique";
        case Errc::unknown_scheme:
            return "ENR identity scheme is not v4";
        case Errc::bad_public_key:
            return "ENR secp256k1 entry is not a valid compressed public key";
        case Errc::bad_signature:
            return "ENR signature does not verify";
        case Errc::bad_text:
            return "ENR text form is not enr:<base64url>";
    }
    return "unknown ENR error";
}

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// rlp([seq, k, v, ...]) from the encoded elements after the signature.
base::Bytes signed_content(base::ByteView seq_and_pairs) {
    base::Bytes out;
    rlp::append_list_header(out, seq_and_pairs.size());
    out.insert(out.end(), seq_and_pairs.begin(), seq_and_pairs.end());
    return out;
}

std::optional<base::ByteView> string_value(std::optional<base::ByteView> raw) {
    if (!raw) return std::nullopt;
    auto item = rlp::decode_item(*raw);
    if (!item.ok() || item->kind != rlp::Kind::string) return std::nullopt;
    return item->payload;
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("devp2p.enr", describe);
    return category;
}

std::string base64url_encode(base::ByteView in) {
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        for (int s = 18; s >= 0; s -= 6)
            out.push_back(k_alphabet[(v >> s) & 0x3f]);
    }
    const std::size_t left = in.size() - i;
    if (left > 0) {
        std::uint32_t v = std::uint32_t{in[i]} << 16;
        if (left == 2) v |= std::uint32_t{in[i + 1]} << 8;
        out.push_back(k_alphabet[(v >> 18) & 0x3f]);
        out.push_back(k_alphabet[(v >> 12) & 0x3f]);
        if (left == 2) out.push_back(k_alphabet[(v >> 6) & 0x3f]);
    }
    return out;
}

std::optional<base::Bytes> base64url_decode(std::string_view in) {
    if (in.size() % 4 == 1) return std::nullopt;
    base::Bytes out;
    out.reserve(in.size() * 3 / 4);
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (const char c : in) {
        const auto pos = k_alphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    // Non-zero leftover bits mean a non-canonical encoding (RawURLEncoding in strict mode).
    if (acc != 0) return std::nullopt;
    return out;
}

base::Result<Record> Record::sign(const secp::SecretKey& key, std::uint64_t seq, std::vector<Pair> pairs) {
    auto public_key = secp::public_key_of(key);
    PEERLINK_TRY(public_key);
    auto compressed = secp::compress(*public_key);
    PEERLINK_TRY(compressed);
    for (const auto& p : pairs) {
        if (p.key == "id" || p.key == "secp256k1") return base::fail(Errc::malformed);
        PEERLINK_TRY(rlp::validate(p.value));
    }
    pairs.push_back(Pair{"id", rlp::encode_bytes(base::as_bytes("v4"))});
    pairs.push_back(Pair{"secp256k1", rlp::encode_bytes(*compressed)});
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.key < b.key; });
    for (std::size_t i = 1; i < pairs.size(); ++i)
        if (pairs[i - 1].key == pairs[i].key) return base::fail(Errc::keys_not_sorted);

    rlp::Encoder content;
    content.begin_list().add_uint(seq);
    for (const auto& p : pairs)
        content.add_string(p.key).add_raw(p.value);
    content.end_list();
    auto signature = secp::sign_recoverable(key, crypto::keccak256(content.bytes()));
    PEERLINK_TRY(signature);

    rlp::Encoder record;
    record.begin_list().add_bytes(base::ByteView(signature->data(), 64)).add_uint(seq);
    for (const auto& p : pairs)
        record.add_string(p.key).add_raw(p.value);
    record.end_list();
    if (record.bytes().size() > k_max_size) return base::fail(Errc::too_large);
    return decode(record.bytes());
}

base::Result<Record> Record::sign_endpoint(const secp::SecretKey& key, std::uint64_t seq,
                                           const addrbook::IpAddress& ip, std::uint16_t tcp_port,
                                           std::uint16_t udp_port) {
    std::vector<Pair> pairs;
    const bool v4 = ip.is_v4();
    const auto& b = ip.bytes();
    pairs.push_back(
        Pair{v4 ? "ip" : "ip6", rlp::encode_bytes(v4 ? base::ByteView(b).subspan(12) : base::ByteView(b))});
    if (tcp_port != 0) pairs.push_back(Pair{v4 ? "tcp" : "tcp6", rlp::encode_uint(tcp_port)});
    if (udp_port != 0) pairs.push_back(Pair{v4 ? "udp" : "udp6", rlp::encode_uint(udp_port)});
    return sign(key, seq, std::move(pairs));
}

base::Result<Record> Record::decode(base::ByteView encoded) {
    if (encoded.size() > k_max_size) return base::fail(Errc::too_large);
    auto list = rlp::decode_list(encoded);
    if (!list.ok()) return base::fail(Errc::malformed);
    rlp::ListReader r = *list;
    auto signature = r.read_bytes();
    if (!signature.ok()) return base::fail(Errc::malformed);
    const base::ByteView content_elements = r.rest();
    auto seq = r.read_uint64();
    if (!seq.ok()) return base::fail(Errc::malformed);

    Record out;
    out.m_seq = *seq;
    while (!r.at_end()) {
        auto k = r.read_bytes();
        if (!k.ok()) return base::fail(Errc::malformed);
        auto v = r.read_raw();
        if (!v.ok()) return base::fail(Errc::malformed);
        std::string key(base::as_chars(*k));
        if (!out.m_pairs.empty() && !(out.m_pairs.back().key < key)) return base::fail(Errc::keys_not_sorted);
        out.m_pairs.push_back(Pair{std::move(key), base::Bytes(v->begin(), v->end())});
    }

    const auto id = string_value(out.get("id"));
    if (!id || base::as_chars(*id) != "v4") return base::fail(Errc::unknown_scheme);
    const auto compressed = string_value(out.get("secp256k1"));
    if (!compressed || compressed->size() != 33) return base::fail(Errc::bad_public_key);
    auto public_key = secp::parse_public_key(*compressed);
    if (!public_key.ok()) return base::fail(Errc::bad_public_key);
    out.m_public_key = *public_key;

    if (signature->size() != 64) return base::fail(Errc::bad_signature);
    const auto hash = crypto::keccak256(signed_content(content_elements));
    if (!secp::verify(out.m_public_key, hash, std::span<const std::uint8_t, 64>(signature->data(), 64)))
        return base::fail(Errc::bad_signature);
    out.m_encoded.assign(encoded.begin(), encoded.end());
    return out;
}

base::Result<Record> Record::from_text(std::string_view text) {
    constexpr std::string_view prefix = "enr:";
    if (text.substr(0, prefix.size()) != prefix) return base::fail(Errc::bad_text);
    text.remove_prefix(prefix.size());
    // Reject before decoding what could not fit in a record anyway.
    if (text.size() > (k_max_size * 4 + 2) / 3) return base::fail(Errc::too_large);
    auto bytes = base64url_decode(text);
    if (!bytes) return base::fail(Errc::bad_text);
    return decode(*bytes);
}

std::string Record::text() const {
    return "enr:" + base64url_encode(m_encoded);
}

std::optional<base::ByteView> Record::get(std::string_view key) const {
    auto it = std::lower_bound(m_pairs.begin(), m_pairs.end(), key,
                               [](const Pair& p, std::string_view k) { return p.key < k; });
    if (it == m_pairs.end() || it->key != key) return std::nullopt;
    return base::ByteView(it->value);
}

std::array<std::uint8_t, 32> Record::node_id() const {
    return crypto::keccak256(m_public_key);
}

std::optional<addrbook::IpAddress> Record::ip() const {
    if (auto v4 = string_value(get("ip")); v4 && v4->size() == 4)
        return addrbook::IpAddress::v4((std::uint32_t{(*v4)[0]} << 24) | (std::uint32_t{(*v4)[1]} << 16) |
                                       (std::uint32_t{(*v4)[2]} << 8) | (*v4)[3]);
    if (auto v6 = string_value(get("ip6")); v6 && v6->size() == 16) {
        std::array<std::uint8_t, 16> b{};
        std::copy(v6->begin(), v6->end(), b.begin());
        return addrbook::IpAddress::v6(b);
    }
    return std::nullopt;
}

std::optional<std::uint16_t> Record::port(std::string_view v4_key, std::string_view v6_key) const {
    const bool v4 = get("ip").has_value() || !get("ip6").has_value();
    const auto payload = string_value(get(v4 ? v4_key : v6_key));
    if (!payload) return std::nullopt;
    auto value = rlp::decode_uint64(*payload);
    if (!value.ok() || *value > 0xffff) return std::nullopt;
    return static_cast<std::uint16_t>(*value);
}

std::optional<std::uint16_t> Record::tcp_port() const {
    return port("tcp", "tcp6");
}

std::optional<std::uint16_t> Record::udp_port() const {
    return port("udp", "udp6");
}

}  // namespace peerlink::devp2p::enr
