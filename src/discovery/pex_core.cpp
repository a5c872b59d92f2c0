#include "discovery/pex_core.hpp"
#include <charconv>

#include <utility>

#include "addrbook/netgroup.hpp"
#include "base/buffer.hpp"
#include "codec/protobuf.hpp"

namespace peerlink::discovery {

namespace {

// Field numbers from proto/tendermint/p2p/pex.proto and types.proto.
constexpr std::uint32_t k_message_pex_request = 1;  // Message.sum
constexpr std::uint32_t k_message_pex_addrs = 2;
constexpr std::uint32_t k_addrs_addrs = 1;  // PexAddrs
constexpr std::uint32_t k_address_id = 1;   // NetAddress
constexpr std::uint32_t k_address_ip = 2;
constexpr std::uint32_t k_address_port = 3;
constexpr std::uint32_t k_max_port = 65535;

const char* describe(int value) {
    switch (static_cast<PexErrc>(value)) {
        case PexErrc::malformed:
            return "PEX message does not decode or carries an address that is not an IP and port";
        case PexErrc::request_too_soon:
            return "peer sent next PEX request too soon";
        case PexErrc::unsolicited_addrs:
            return "peer sent PEX addresses we did not ask for";
        case PexErrc::too_many_addresses:
            return "PEX address list longer than 250 entries";
    }
    return "unknown PEX error";
}

// ---- encoding ----------------------------------------------------------------------------------

std::size_t address_size(const addrbook::NetAddress& a) {
    std::size_t n = 0;
    if (!a.id.empty()) n += codec::bytes_field_size(k_address_id, a.id.size());
    if (!a.ip.empty()) n += codec::bytes_field_size(k_address_ip, a.ip.size());
    if (a.port != 0) n += codec::varint_field_size(k_address_port, a.port);
    return n;
}

void put_string(codec::ProtoWriter& w, std::uint32_t number, const std::string& s) {
    if (!s.empty()) w.bytes_field(number, base::as_bytes(s));
}

// ---- decoding ----------------------------------------------------------------------------------

/// Calls `on_field` for each field of `message` until it returns false or a field fails to read.
template <typename OnField>
base::Result<void> for_each_field(base::ByteView message, OnField&& on_field) {
    codec::ProtoReader reader(message);
    for (;;) {
        auto field = reader.next();
        if (!field) return base::fail(field.error());
        if (!*field) return {};
        auto more = on_field(**field);
        if (!more) return base::fail(more.error());
        if (!*more) return {};
    }
}

base::Result<bool> read_string(const codec::Field& f, std::string& out) {
    if (f.type != codec::WireType::length_delimited) return base::fail(codec::Errc::wrong_wire_type);
    out.assign(base::as_chars(f.bytes));
    return true;
}

/// gogoproto's generated Unmarshal: later fields overwrite earlier ones, unknown fields are skipped
/// (but must still be well-formed), and a known field with another wire type is an error.
base::Result<addrbook::NetAddress> decode_address(base::ByteView message) {
    addrbook::NetAddress a;
    std::uint32_t port = 0;
    PEERLINK_TRY(for_each_field(message, [&](const codec::Field& f) -> base::Result<bool> {
        switch (f.number) {
            case k_address_id:
                return read_string(f, a.id);
            case k_address_ip:
                return read_string(f, a.ip);
            case k_address_port:
                if (f.type != codec::WireType::varint) return base::fail(codec::Errc::wrong_wire_type);
                // Go decodes a uint32 by dropping the varint's high bits.
                port = static_cast<std::uint32_t>(f.value);
                return true;
            default:
                return true;
        }
    }));
    // p2p.NetAddressFromProto: "invalid port number"; uint16 cannot hold it anyway.
    if (port > k_max_port) return base::fail(PexErrc::malformed);
    a.port = static_cast<std::uint16_t>(port);
    return a;
}

/// Replaces `out` with the entries of a PexAddrs body, stopping after one entry more than a
/// message may carry: the core refuses the list then, so the rest need not be read or stored.
base::Result<void> decode_addrs(base::ByteView message, std::vector<addrbook::NetAddress>& out) {
    out.clear();
    return for_each_field(message, [&](const codec::Field& f) -> base::Result<bool> {
        if (f.number != k_addrs_addrs) return true;
        if (f.type != codec::WireType::length_delimited) return base::fail(codec::Errc::wrong_wire_type);
        auto a = decode_address(f.bytes);
        if (!a) return base::fail(a.error());
        out.push_back(std::move(*a));
        return out.size() <= k_max_addresses_per_message;
    });
}

base::Result<void> decode_message(base::ByteView bytes, PexMessage& out, bool& has_sum) {
    return for_each_field(bytes, [&](const codec::Field& f) -> base::Result<bool> {
        if (f.number != k_message_pex_request && f.number != k_message_pex_addrs) return true;
        if (f.type != codec::WireType::length_delimited) return base::fail(codec::Errc::wrong_wire_type);
        // A oneof takes the last member on the wire; gogoproto replaces rather than merges it.
        has_sum = true;
        if (f.number == k_message_pex_request) {
            out.kind = PexMessage::Kind::request;
            out.addrs.clear();
            // PexRequest has no fields, but its body must still be valid protobuf.
            PEERLINK_TRY(
                for_each_field(f.bytes, [](const codec::Field&) -> base::Result<bool> { return true; }));
            return true;
        }
        out.kind = PexMessage::Kind::addrs;
        PEERLINK_TRY(decode_addrs(f.bytes, out.addrs));
        return true;
    });
}

/// Go's net.ParseIP: IPv4 or IPv6 text, no brackets, no zone, no name.
bool is_ip_literal(const std::string& ip) {
    if (ip.empty() || ip.front() == '[') return false;
    return addrbook::IpAddress::parse(ip).has_value();
}

}  // namespace

const std::error_category& PexErrc_category() {
    static const base::MessageCategory category("discovery.pex", describe);
    return category;
}

base::Bytes encode(const PexMessage& message) {
    base::Buffer out;
    codec::ProtoWriter w(out);
    if (message.kind == PexMessage::Kind::request) {
        w.message_header(k_message_pex_request, 0);
    } else {
        std::size_t body = 0;
        for (const auto& a : message.addrs)
            body += codec::bytes_field_size(k_addrs_addrs, address_size(a));
        w.message_header(k_message_pex_addrs, body);
        // Non-nullable repeated field: every entry is written, even one with all fields empty.
        for (const auto& a : message.addrs) {
            w.message_header(k_addrs_addrs, address_size(a));
            put_string(w, k_address_id, a.id);
            put_string(w, k_address_ip, a.ip);
            if (a.port != 0) w.varint_field(k_address_port, a.port);
        }
    }
    const base::ByteView data = out.data();
    return base::Bytes(data.begin(), data.end());
}

base::Result<PexMessage> decode_pex(base::ByteView bytes) {
    PexMessage message;
    bool has_sum = false;
    // An empty Message (no oneof member) is "unknown message type" to CometBFT.
    if (!decode_message(bytes, message, has_sum) || !has_sum) return base::fail(PexErrc::malformed);
    return message;
}

addrbook::NetAddress dialable_address(const peer::PeerInfo& info) {
    if (info.direction == peer::Direction::outbound) {
        return {.id = info.id.to_hex(), .ip = info.remote_ip, .port = info.remote_port};
    }
    std::string_view listen = info.listen_addr;
    if (const auto scheme = listen.find("://"); scheme != std::string_view::npos)
        listen.remove_prefix(scheme + 3);
    const auto colon = listen.rfind(':');
    std::string host = colon == std::string_view::npos ? std::string() : std::string(listen.substr(0, colon));
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    std::uint16_t port = 0;
    if (colon != std::string_view::npos) {
        const std::string_view digits = listen.substr(colon + 1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec == std::errc{} && end == digits.data() + digits.size() && value > 0 && value < 65536) {
            port = static_cast<std::uint16_t>(value);
        }
    }
    if (host.empty() || host == "0.0.0.0" || host == "::") host = info.remote_ip;
    return {.id = info.id.to_hex(), .ip = host, .port = port};
}

PexCore::PexCore(PexOptions options, addrbook::AddrBook& book, base::Random& random)
    : m_options(options), m_book(book), m_random(random) {}

std::vector<PexAction> PexCore::on_peer_up(const peer::NodeId& id, const addrbook::NetAddress& address,
                                           bool outbound, base::TimePoint now) {
    m_peers[id] =
        PeerState{.awaiting_addrs = false, .requests_received = 0, .last_request = {}, .outbound = outbound};
    if (outbound) {
        // Its address is in the book already (we dialled it); ask for more if we need them. A seed
        // always asks: crawling the network is its job (CometBFT's crawlPeers).
        if (m_options.seed_mode || m_book.needs_more_addresses()) return request_addresses(id);
        return {};
    }
    // An inbound peer is its own source. Not asked right away: inbound peers are trusted less,
    // the periodic ensure-peers round may ask it later. Refusals (unroutable, banned...) are routine.
    (void)m_book.try_add_address(address, address.ip, now);
    return {};
}

void PexCore::on_peer_down(const peer::NodeId& id) {
    m_peers.erase(id);
}

std::vector<PexAction> PexCore::on_message(const peer::NodeId& id, const addrbook::NetAddress& address,
                                           base::ByteView message, base::TimePoint now) {
    auto it = m_peers.find(id);
    // State is kept for connected peers only; a message racing with on_peer_down is dropped.
    if (it == m_peers.end()) return {};
    auto decoded = decode_pex(message);
    if (!decoded) return ban(id, address, now, PexErrc::malformed);
    if (decoded->kind == PexMessage::Kind::request) return on_request(id, it->second, address, now);
    return on_addrs(id, it->second, address, decoded->addrs, now);
}

std::vector<PexAction> PexCore::request_addresses(const peer::NodeId& id) {
    auto it = m_peers.find(id);
    if (it == m_peers.end() || it->second.awaiting_addrs) return {};  // unknown, or already requested
    it->second.awaiting_addrs = true;
    return {send(id, PexMessage{.kind = PexMessage::Kind::request, .addrs = {}})};
}

bool PexCore::requested(const peer::NodeId& id) const {
    auto it = m_peers.find(id);
    return it != m_peers.end() && it->second.awaiting_addrs;
}

std::vector<PexAction> PexCore::on_request(const peer::NodeId& id, PeerState& state,
                                           const addrbook::NetAddress& address, base::TimePoint now) {
    // Requests are an amplification vector: a few bytes in, up to 250 addresses out. Hence the
    // rate rule and the bounded selection.
    if (m_options.seed_mode && !state.outbound) {
        // A seed answers an inbound peer once and lets it go; a request that arrives while the
        // disconnect is under way is ignored.
        if (state.requests_received > 0) return {};
        state.requests_received = 1;
        state.last_request = now;
        return {send(id, selection()),
                PexAction{
                    .kind = PexAction::Kind::disconnect_gracefully, .peer = id, .message = {}, .reason = {}}};
    }
    // receiveRequest: the first request is free, the second starts the clock, every later one
    // must come at least min_request_interval after the previous accepted one.
    if (state.requests_received == 0) {
        state.requests_received = 1;
    } else if (state.requests_received == 1) {
        state.requests_received = 2;
        state.last_request = now;
    } else {
        if (now - state.last_request < m_options.min_request_interval) {
            return ban(id, address, now, PexErrc::request_too_soon);
        }
        state.last_request = now;
    }
    return {send(id, selection())};
}

std::vector<PexAction> PexCore::on_addrs(const peer::NodeId& id, PeerState& state,
                                         const addrbook::NetAddress& address,
                                         const std::vector<addrbook::NetAddress>& addrs,
                                         base::TimePoint now) {
    if (addrs.size() > k_max_addresses_per_message) return ban(id, address, now, PexErrc::too_many_addresses);
    // p2p.NetAddressesFromProto refuses the whole list when an entry's IP does not parse.
    for (const auto& a : addrs) {
        if (!is_ip_literal(a.ip)) return ban(id, address, now, PexErrc::malformed);
    }
    if (!state.awaiting_addrs) return ban(id, address, now, PexErrc::unsolicited_addrs);
    state.awaiting_addrs = false;
    // The sender is the source; the book groups sources by IP, so one host gets one source group
    // however many IDs or ports it uses. Refused entries (bad ID, unroutable, ours, banned) are
    // skipped as CometBFT does.
    for (const auto& a : addrs)
        (void)m_book.try_add_address(a, address.ip, now);
    return {};
}

std::vector<PexAction> PexCore::ban(const peer::NodeId& id, const addrbook::NetAddress& address,
                                    base::TimePoint now, PexErrc reason) {
    m_book.mark_bad(address, now, m_options.ban_duration);
    return {PexAction{.kind = PexAction::Kind::disconnect_and_ban,
                      .peer = id,
                      .message = {},
                      .reason = make_error_code(reason)}};
}

PexAction PexCore::send(const peer::NodeId& id, const PexMessage& message) const {
    return PexAction{.kind = PexAction::Kind::send, .peer = id, .message = encode(message), .reason = {}};
}

PexMessage PexCore::selection() const {
    // The book leaves out private IDs and never holds our own addresses.
    return PexMessage{.kind = PexMessage::Kind::addrs, .addrs = m_book.get_selection(m_random)};
}

}  // namespace peerlink::discovery
