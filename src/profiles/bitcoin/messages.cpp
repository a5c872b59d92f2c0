#include "profiles/bitcoin/messages.hpp"

#include <cstring>
#include <type_traits>

#include "codec/bitcoin_stream.hpp"

namespace peerlink::bitcoin {

namespace {

using codec::BtcReader;
using codec::BtcWriter;

// Assigns the value of a Result-returning read to `lhs`, or returns its error.
#define BTC_READ(lhs, expr)                                        \
    do {                                                           \
        auto btc_read_r = (expr);                                  \
        if (!btc_read_r) return base::Failure{btc_read_r.error()}; \
        lhs = std::move(*btc_read_r);                              \
    } while (false)

static_assert(std::variant_size_v<Message> == std::size(k_known_commands) + 1,
              "k_known_commands lists every decoded message, Unknown last");

constexpr std::size_t k_net_addr_size = 8 + 16 + 2;
constexpr std::size_t k_inv_size = 4 + 32;

void put_net_addr(BtcWriter& w, const NetAddr& a) {
    w.u64le(a.services);
    w.bytes(a.ip);
    w.u16be(a.port);
}

base::Result<NetAddr> get_net_addr(BtcReader& r) {
    NetAddr a;
    BTC_READ(a.services, r.u64le());
    BTC_READ(a.ip, r.array<16>());
    BTC_READ(a.port, r.u16be());
    return a;
}

void put_inv(BtcWriter& w, const std::vector<InvVect>& items) {
    w.compact_size(items.size());
    for (const auto& item : items) {
        w.u32le(item.type);
        w.bytes(item.hash);
    }
}

base::Result<std::vector<InvVect>> get_inv(BtcReader& r) {
    std::uint64_t count = 0;
    BTC_READ(count, r.compact_size());
    if (count > k_max_inv_entries) return base::fail(Errc::too_many_entries);
    // The count is bounded; also refuse before reserving when the payload cannot hold it. Then the
    // entries are fixed-size, so they are parsed from one view without per-field checks.
    base::ByteView raw;
    BTC_READ(raw, r.bytes(static_cast<std::size_t>(count) * k_inv_size));
    std::vector<InvVect> items(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::uint8_t* p = raw.data() + i * k_inv_size;
        items[i].type = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                        std::uint32_t{p[3]} << 24;
        std::memcpy(items[i].hash.data(), p + 4, 32);
    }
    return items;
}

std::optional<std::size_t> bip155_size(std::uint8_t network) {
    switch (static_cast<Bip155Net>(network)) {
        case Bip155Net::ipv4:
            return 4;
        case Bip155Net::ipv6:
            return 16;
        case Bip155Net::torv3:
            return 32;
        case Bip155Net::i2p:
            return 32;
        case Bip155Net::cjdns:
            return 16;
        case Bip155Net::torv2:
            break;
    }
    return std::nullopt;
}

base::Result<Message> decode_version(BtcReader& r) {
    // Every field after addr_recv is read only while bytes remain, as btcd does
    // (TestVersionOptionalFields; Core is the same except that it reads addr_from and nonce as one
    // group). Bytes after relay are later versions' fields: ignored by Core and btcd alike.
    Version v;
    BTC_READ(v.version, r.i32le());
    BTC_READ(v.services, r.u64le());
    BTC_READ(v.timestamp, r.i64le());
    BTC_READ(v.addr_recv, get_net_addr(r));
    if (!r.empty()) BTC_READ(v.addr_from, get_net_addr(r));
    if (!r.empty()) BTC_READ(v.nonce, r.u64le());
    if (!r.empty()) BTC_READ(v.user_agent, r.var_str(k_max_user_agent));
    if (!r.empty()) BTC_READ(v.start_height, r.i32le());
    if (!r.empty()) BTC_READ(v.relay, r.boolean());
    return Message{std::move(v)};
}

base::Result<Message> decode_addr(BtcReader& r) {
    std::uint64_t count = 0;
    BTC_READ(count, r.compact_size());
    if (count > k_max_addr_entries) return base::fail(Errc::too_many_entries);
    if (r.remaining() / (4 + k_net_addr_size) < count) return base::fail(codec::BtcErrc::truncated);
    Addr a;
    a.entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        TimedNetAddr e;
        BTC_READ(e.time, r.u32le());
        BTC_READ(e.addr, get_net_addr(r));
        a.entries.push_back(e);
    }
    return Message{std::move(a)};
}

base::Result<Message> decode_addrv2(BtcReader& r) {
    std::uint64_t count = 0;
    BTC_READ(count, r.compact_size());
    if (count > k_max_addr_entries) return base::fail(Errc::too_many_entries);
    // Smallest entry: time 4 + services 1 + network 1 + length 1 + port 2.
    if (r.remaining() / 9 < count) return base::fail(codec::BtcErrc::truncated);
    AddrV2 a;
    a.entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        AddrV2Entry e;
        BTC_READ(e.time, r.u32le());
        BTC_READ(e.services, r.compact_size(false));  // a bit field, not a size (Core: no range check)
        BTC_READ(e.network, r.u8());
        std::uint64_t size = 0;
        BTC_READ(size, r.compact_size());
        if (size > k_max_addrv2_size) return base::fail(Errc::bad_address_length);
        const auto expected = bip155_size(e.network);
        if (expected && size != *expected) return base::fail(Errc::bad_address_length);
        base::ByteView raw;
        BTC_READ(raw, r.bytes(static_cast<std::size_t>(size)));
        BTC_READ(e.port, r.u16be());
        // Unknown networks (and TorV2, which Core no longer knows) are skipped, not an error:
        // BIP155 lets a peer send networks from the future.
        if (!expected) continue;
        e.addr.assign(raw.begin(), raw.end());
        a.entries.push_back(std::move(e));
    }
    return Message{std::move(a)};
}

base::Result<Message> decode_reject(BtcReader& r) {
    Reject j;
    BTC_READ(j.message, r.var_str(k_max_reject_message));
    BTC_READ(j.code, r.u8());
    BTC_READ(j.reason, r.var_str(k_max_reject_reason));
    if (r.remaining() == 32) BTC_READ(j.hash, r.array<32>());
    return Message{std::move(j)};
}

template <typename T>
base::Result<Message> decode_inv_like(BtcReader& r) {
    T m;
    BTC_READ(m.items, get_inv(r));
    return Message{std::move(m)};
}

base::Result<Message> decode_known(std::size_t index, BtcReader& r) {
    switch (index) {
        case 0:
            return decode_version(r);
        case 1:
            return Message{Verack{}};
        case 2: {
            Ping p;
            BTC_READ(p.nonce, r.u64le());
            return Message{p};
        }
        case 3: {
            Pong p;
            BTC_READ(p.nonce, r.u64le());
            return Message{p};
        }
        case 4:
            return Message{GetAddr{}};
        case 5:
            return decode_addr(r);
        case 6:
            return decode_addrv2(r);
        case 7:
            return Message{SendAddrV2{}};
        case 8:
            return decode_inv_like<Inv>(r);
        case 9:
            return decode_inv_like<GetData>(r);
        case 10:
            return decode_inv_like<NotFound>(r);
        case 11:
            return decode_reject(r);
        case 12:
            return Message{SendHeaders{}};
        case 13: {
            FeeFilter f;
            BTC_READ(f.fee_rate, r.i64le());
            return Message{f};
        }
        case 14:
            return Message{WtxidRelay{}};
        case 15: {
            SendCmpct s;
            BTC_READ(s.announce, r.boolean());
            BTC_READ(s.version, r.u64le());
            return Message{s};
        }
        default:
            break;
    }
    return base::fail(Errc::malformed_message);
}

// Messages whose payload Core never reads, and version (which grows over time).
bool tolerates_trailing(std::size_t index) {
    switch (index) {
        case 0:
        case 1:
        case 4:
        case 7:
        case 12:
        case 14:
            return true;
        default:
            return false;
    }
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

Ip16 ipv4_mapped(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

std::string_view command_of(const Message& message) {
    if (const auto* u = std::get_if<Unknown>(&message)) return u->command;
    return k_known_commands[message.index()];
}

void encode_payload(const Message& message, base::Bytes& out) {
    BtcWriter w(out);
    std::visit(Overloaded{
                   [&](const Version& v) {
                       w.i32le(v.version);
                       w.u64le(v.services);
                       w.i64le(v.timestamp);
                       put_net_addr(w, v.addr_recv);
                       put_net_addr(w, v.addr_from);
                       w.u64le(v.nonce);
                       w.var_str(v.user_agent);
                       w.i32le(v.start_height);
                       if (v.relay) w.boolean(*v.relay);
                   },
                   [&](const Ping& p) { w.u64le(p.nonce); },
                   [&](const Pong& p) { w.u64le(p.nonce); },
                   [&](const Addr& a) {
                       w.compact_size(a.entries.size());
                       for (const auto& e : a.entries) {
                           w.u32le(e.time);
                           put_net_addr(w, e.addr);
                       }
                   },
                   [&](const AddrV2& a) {
                       w.compact_size(a.entries.size());
                       for (const auto& e : a.entries) {
                           w.u32le(e.time);
                           w.compact_size(e.services);
                           w.u8(e.network);
                           w.var_bytes(e.addr);
                           w.u16be(e.port);
                       }
                   },
                   [&](const Inv& m) { put_inv(w, m.items); },
                   [&](const GetData& m) { put_inv(w, m.items); },
                   [&](const NotFound& m) { put_inv(w, m.items); },
                   [&](const Reject& j) {
                       w.var_str(j.message);
                       w.u8(j.code);
                       w.var_str(j.reason);
                       if (j.hash) w.bytes(*j.hash);
                   },
                   [&](const FeeFilter& f) { w.i64le(f.fee_rate); },
                   [&](const SendCmpct& s) {
                       w.boolean(s.announce);
                       w.u64le(s.version);
                   },
                   [&](const Unknown& u) { w.bytes(u.payload); },
                   // verack, getaddr, sendaddrv2, sendheaders, wtxidrelay: empty payloads.
                   [](const auto&) {},
               },
               message);
}

base::Bytes encode_payload(const Message& message) {
    base::Bytes out;
    encode_payload(message, out);
    return out;
}

base::Result<Message> decode_message(std::string_view command, base::ByteView payload, bool allow_trailing) {
    for (std::size_t i = 0; i < std::size(k_known_commands); ++i) {
        if (k_known_commands[i] != command) continue;
        BtcReader r(payload);
        auto m = decode_known(i, r);
        if (m && !r.empty() && !allow_trailing && !tolerates_trailing(i))
            return base::fail(Errc::trailing_bytes);
        return m;
    }
    return Message{Unknown{std::string(command), base::Bytes(payload.begin(), payload.end())}};
}

}  // namespace peerlink::bitcoin
