// discv4 packets: the EIP-8 vectors, round trips of every type, and hash/signature/size/expiry checks.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <set>

#include "codec/rlp.hpp"
#include "crypto/keccak.hpp"
#include "profiles/devp2p/discv4.hpp"
#include "profiles/devp2p/discv4_packet.hpp"
#include "test_util.hpp"

namespace peerlink::devp2p::discv4 {
namespace {

using test::hex;
using test::hex_array;
namespace rlp = codec::rlp;
namespace secp = crypto::secp256k1;

// The key of the EIP-8 vectors (go-ethereum p2p/discover/v4wire/v4wire_test.go).
const secp::SecretKey k_key =
    hex_array<32>("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291");

addrbook::IpAddress ip(const char* text) {
    return *addrbook::IpAddress::parse(text);
}

/// Frames arbitrary packet data as encode() does, for inputs encode() would never produce.
base::Bytes frame(std::uint8_t type, base::ByteView data, const secp::SecretKey& key = k_key) {
    base::Bytes out(k_header_size + data.size(), 0);
    out[97] = type;
    std::copy(data.begin(), data.end(), out.begin() + static_cast<std::ptrdiff_t>(k_header_size));
    auto sig = secp::sign_recoverable(key, crypto::keccak256(base::ByteView(out).subspan(97)));
    EXPECT_TRUE(sig.ok());
    std::copy(sig->begin(), sig->end(), out.begin() + 32);
    const auto h = crypto::keccak256(base::ByteView(out).subspan(32));
    std::copy(h.begin(), h.end(), out.begin());
    return out;
}

void rehash(base::Bytes& packet) {
    const auto h = crypto::keccak256(base::ByteView(packet).subspan(32));
    std::copy(h.begin(), h.end(), packet.begin());
}

TEST(Discv4Packet, DecodesEip8PingVectors) {
    const auto sender = *secp::public_key_of(k_key);
    const Endpoint from{ip("127.0.0.1"), 3322, 5544};
    const Endpoint to{ip("::1"), 2222, 3333};

    auto p1 = decode(hex(
        "71dbda3a79554728d4f94411e42ee1f8b0d561c10e1e5f5893367948c6a7d70bb87b235fa28a77070271b6c164a2dce8c7e1"
        "3a5739b53b5e96f2e5acb0e458a02902f5965d55ecbeb2ebb6cabb8b2b232896a36b737666c55265ad0a68412f250001ea04"
        "cb847f000001820cfa8215a8d790000000000000000000000000000000018208ae820d058443b9a355"));
    ASSERT_TRUE(p1.ok()) << p1.error().message();
    EXPECT_EQ(p1->sender, sender);
    EXPECT_EQ(
        std::get<Ping>(p1->message),
        (Ping{.version = 4, .from = from, .to = to, .expiration = 1136239445, .enr_seq = std::nullopt}));

    // With an ENR sequence number and one extra element.
    auto p2 = decode(hex(
        "e9614ccfd9fc3e74360018522d30e1419a143407ffcce748de3e22116b7e8dc92ff74788c0b6663aaa3d67d641936511c8f8"
        "d6ad8698b820a7cf9e1be7155e9a241f556658c55428ec0563514365799a4be2be5a685a80971ddcfa80cb422cdd0101ec04"
        "cb847f000001820cfa8215a8d790000000000000000000000000000000018208ae820d058443b9a3550102"));
    ASSERT_TRUE(p2.ok()) << p2.error().message();
    EXPECT_EQ(p2->sender, sender);
    EXPECT_EQ(std::get<Ping>(p2->message),
              (Ping{.version = 4, .from = from, .to = to, .expiration = 1136239445, .enr_seq = 1}));
}

TEST(Discv4Packet, DecodesEip8FindNodeAndNeighborsVectors) {
    const auto sender = *secp::public_key_of(k_key);
    auto f = decode(hex(
        "c7c44041b9f7c7e41934417ebac9a8e1a4c6298f74553f2fcfdcae6ed6fe53163eb3d2b52e39fe91831b8a927bf4fc222c39"
        "02202027e5e9eb812195f95d20061ef5cd31d502e47ecb61183f74a504fe04c51e73df81f25c4d506b26db4517490103f84e"
        "b840ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6"
        "d569fc56be00812904767bf5ccd1fc7f8443b9a35582999983999999280dc62cc8255c73471e0a61da0c89acdc0e035e260a"
        "dd7fc0c04ad9ebf3919644c91cb247affc82b69bd2ca235c71eab8e49737c937a2c396"));
    ASSERT_TRUE(f.ok()) << f.error().message();
    EXPECT_EQ(f->sender, sender);
    const auto& find = std::get<FindNode>(f->message);
    EXPECT_EQ(
        base::to_hex(find.target),
        "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d5"
        "69fc56be00812904767bf5ccd1fc7f");
    EXPECT_EQ(find.expiration, 1136239445u);

    auto n = decode(hex(
        "c679fc8fe0b8b12f06577f2e802d34f6fa257e6137a995f6f4cbfc9ee50ed3710faf6e66f932c4c8d81d64343f4296513287"
        "58b47d3dbc02c4042f0fff6946a50f4a49037a72bb550f3a7872363a83e1b9ee6469856c24eb4ef80b7535bcf99c0004f901"
        "5bf90150f84d846321163782115c82115db8403155e1427f85f10a5c9a7755877748041af1bcd8d474ec065eb33df57a97ba"
        "bf54bfd2103575fa829115d224c523596b401065a97f74010610fce76382c0bf32f84984010203040101b840312c55512422"
        "cf9b8a4097e9a6ad79402e87a15ae909a4bfefa22398f03d20951933beea1e4dfa6f968212385e829f04c2d314fc2d4e255e"
        "0d3bc08792b069dbf8599020010db83c4d001500000000abcdef12820d05820d05b84038643200b172dcfef857492156971f"
        "0e6aa2c538d8b74010f8e140811d53b98c765dd2d96126051913f44582e8c199ad7c6d6819e9a56483f637feaac9448aacf8"
        "599020010db885a308d313198a2e037073488203e78203e8b8408dcab8618c3253b558d459da53bd8fa68935a719aff8b811"
        "197101a4b2b47dd2d47295286fc00cc081bb542d760717d1bdd6bec2c37cd72eca367d6dd3b9df738443b9a355010203b525"
        "a138aa34383fec3d2719a0"));
    ASSERT_TRUE(n.ok()) << n.error().message();
    EXPECT_EQ(n->sender, sender);
    const auto& neighbors = std::get<Neighbors>(n->message);
    ASSERT_EQ(neighbors.nodes.size(), 4u);
    EXPECT_EQ(neighbors.expiration, 1136239445u);
    EXPECT_EQ(neighbors.nodes[0].endpoint, (Endpoint{ip("99.33.22.55"), 4444, 4445}));
    EXPECT_EQ(base::to_hex(neighbors.nodes[0].id).substr(0, 16), "3155e1427f85f10a");
    EXPECT_EQ(neighbors.nodes[1].endpoint, (Endpoint{ip("1.2.3.4"), 1, 1}));
    EXPECT_EQ(neighbors.nodes[2].endpoint, (Endpoint{ip("2001:db8:3c4d:15::abcd:ef12"), 3333, 3333}));
    EXPECT_EQ(neighbors.nodes[3].endpoint, (Endpoint{ip("2001:db8:85a3:8d3:1319:8a2e:370:7348"), 999, 1000}));
    EXPECT_EQ(base::to_hex(neighbors.nodes[3].id).substr(0, 16), "8dcab8618c3253b5");
}

TEST(Discv4Packet, EveryTypeRoundTrips) {
    const auto keys = secp::generate();
    auto record = enr::Record::sign_endpoint(keys.secret_key, 3, ip("10.0.0.1"), 30303, 30303);
    ASSERT_TRUE(record.ok());
    std::vector<NeighborNode> nodes;
    for (int i = 0; i < 12; ++i)
        nodes.push_back(NeighborNode{Endpoint{ip(i % 2 ? "2001:db8::1" : "1.2.3.4"), 30303, 30304},
                                     secp::generate().public_key});
    const std::vector<Message> messages = {
        Ping{.version = 4,
             .from = {ip("1.2.3.4"), 30303, 30303},
             .to = {ip("::1"), 1, 0},
             .expiration = 99,
             .enr_seq = 7},
        Ping{.version = 4, .from = {}, .to = {ip("5.6.7.8"), 9, 9}, .expiration = 1, .enr_seq = std::nullopt},
        Pong{.to = {ip("1.2.3.4"), 5, 6},
             .ping_hash = hex_array<32>(std::string(64, 'a')),
             .expiration = 3,
             .enr_seq = 1},
        FindNode{.target = keys.public_key, .expiration = 12},
        Neighbors{.nodes = nodes, .expiration = 77},
        EnrRequest{.expiration = 5},
        EnrResponse{.request_hash = hex_array<32>(std::string(64, 'b')), .record = *record},
    };
    for (const auto& m : messages) {
        auto encoded = encode(m, keys.secret_key);
        ASSERT_TRUE(encoded.ok()) << encoded.error().message();
        EXPECT_LE(encoded->bytes.size(), k_max_packet_size);
        auto packet = decode(encoded->bytes);
        ASSERT_TRUE(packet.ok()) << packet.error().message();
        EXPECT_EQ(packet->message, m);
        EXPECT_EQ(packet->sender, keys.public_key);
        EXPECT_EQ(packet->hash, encoded->hash);
        EXPECT_EQ(type_of(packet->message), static_cast<PacketType>(encoded->bytes[97]));
    }
}

TEST(Discv4Packet, HashMismatchIsRejected) {
    auto e = encode(FindNode{.target = {}, .expiration = 1}, k_key);  // NOLINT
    ASSERT_TRUE(e.ok());
    for (std::size_t at :
         {std::size_t{0}, std::size_t{31}, std::size_t{40}, std::size_t{97}, e->bytes.size() - 1}) {
        base::Bytes bad = e->bytes;
        bad[at] ^= 0x80;
        EXPECT_EQ(decode(bad).error(), make_error_code(Errc::bad_hash)) << at;
    }
}

TEST(Discv4Packet, BadSignatureIsRejectedAndAChangedBodyNamesAnotherSender) {
    auto e = encode(EnrRequest{.expiration = 1000}, k_key);
    ASSERT_TRUE(e.ok());
    base::Bytes zero_r = e->bytes;
    std::fill(zero_r.begin() + 32, zero_r.begin() + 64, 0);  // r = 0 recovers nothing
    rehash(zero_r);
    EXPECT_EQ(decode(zero_r).error(), make_error_code(Errc::bad_signature));
    base::Bytes bad_v = e->bytes;
    bad_v[96] = 4;
    rehash(bad_v);
    EXPECT_EQ(decode(bad_v).error(), make_error_code(Errc::bad_signature));

    // The hash fixed up after a body change: the signature now recovers some other key.
    base::Bytes changed = e->bytes;
    changed.back() ^= 0x01;
    rehash(changed);
    auto p = decode(changed);
    ASSERT_TRUE(p.ok());
    EXPECT_NE(p->sender, *secp::public_key_of(k_key));
}

TEST(Discv4Packet, SizeBoundsAreEnforced) {
    EXPECT_EQ(decode(base::Bytes(97, 0)).error(), make_error_code(Errc::too_small));
    EXPECT_EQ(decode(base::Bytes(1281, 0)).error(), make_error_code(Errc::too_large));
    // A valid packet padded past 1280 bytes with ignorable trailing data is still refused.
    auto e = encode(EnrRequest{.expiration = 1}, k_key);
    ASSERT_TRUE(e.ok());
    base::Bytes padded = e->bytes;
    padded.resize(1281, 0);
    rehash(padded);
    EXPECT_EQ(decode(padded).error(), make_error_code(Errc::too_large));
    padded.resize(1280);
    rehash(padded);
    // Not too large, but the signature covered the unpadded data: another sender, still decodes.
    EXPECT_TRUE(decode(padded).ok());

    Neighbors thirteen{.nodes = std::vector<NeighborNode>(13), .expiration = 1};
    for (auto& n : thirteen.nodes)
        n.endpoint = Endpoint{ip("2001:db8::1"), 1, 1};
    EXPECT_EQ(encode(thirteen, k_key).error(), make_error_code(Errc::too_many_nodes));
}

TEST(Discv4Packet, TrailingDataAndExtraElementsAreIgnored) {
    rlp::Encoder e;
    e.begin_list().add_uint(1234).add_string("future").begin_list().end_list().end_list();
    base::Bytes data = e.take();
    data.push_back(0xff);  // junk after the list
    auto p = decode(frame(5, data));
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(std::get<EnrRequest>(p->message).expiration, 1234u);
}

TEST(Discv4Packet, MalformedDataIsRejected) {
    auto expect = [](std::uint8_t type, const base::Bytes& data, Errc errc) {
        EXPECT_EQ(decode(frame(type, data)).error(), make_error_code(errc)) << base::to_hex(data);
    };
    expect(7, hex("c101"), Errc::unknown_type);
    expect(0, hex("c101"), Errc::unknown_type);
    expect(5, hex("01"), Errc::malformed);  // not a list
    expect(5, hex(""), Errc::malformed);
    expect(5, hex("c0"), Errc::malformed);        // missing expiration
    expect(3, hex("c3820102"), Errc::malformed);  // target of the wrong size
    // Ping whose from-endpoint IP has 5 bytes, and one whose port is above 65535.
    rlp::Encoder bad_ip;
    bad_ip.begin_list()
        .add_uint(4)
        .begin_list()
        .add_bytes(hex("0102030405"))
        .add_uint(1)
        .add_uint(1)
        .end_list();
    bad_ip.begin_list().add_bytes(hex("01020304")).add_uint(1).add_uint(1).end_list().add_uint(9).end_list();
    expect(1, bad_ip.take(), Errc::bad_endpoint);
    rlp::Encoder bad_port;
    bad_port.begin_list()
        .add_uint(4)
        .begin_list()
        .add_bytes(hex("01020304"))
        .add_uint(65536)
        .add_uint(1)
        .end_list();
    bad_port.begin_list()
        .add_bytes(hex("01020304"))
        .add_uint(1)
        .add_uint(1)
        .end_list()
        .add_uint(9)
        .end_list();
    expect(1, bad_port.take(), Errc::bad_endpoint);
    // ENRResponse with a record whose signature does not verify.
    rlp::Encoder bad_enr;
    bad_enr.begin_list().add_bytes(base::Bytes(32, 1)).add_raw(hex("c3808001")).end_list();
    EXPECT_FALSE(decode(frame(6, bad_enr.take())).ok());
}

TEST(Discv4Packet, ExpirationIsAbsoluteUnixSeconds) {
    const auto with_expiration = [](auto message, std::uint64_t expiration) {
        message.expiration = expiration;
        return Message{message};
    };
    EXPECT_FALSE(is_expired(with_expiration(Ping{}, 100), 100));
    EXPECT_TRUE(is_expired(with_expiration(Ping{}, 99), 100));
    EXPECT_FALSE(is_expired(with_expiration(FindNode{}, 101), 100));
    EXPECT_TRUE(is_expired(with_expiration(Neighbors{}, 0), 1));
    EXPECT_TRUE(is_expired(with_expiration(EnrRequest{}, 5), 6));
    EXPECT_FALSE(is_expired(EnrResponse{}, 1'000'000));  // carries no expiration
    EXPECT_EQ(expiration_of(with_expiration(Pong{}, 8)), std::optional<std::uint64_t>(8));
}

// ---- the protocol ----

using namespace std::chrono_literals;
using discovery::KadId;
constexpr std::uint64_t k_unix_start = 1'700'000'000;

UdpAddress addr(std::uint32_t n) {
    return UdpAddress{addrbook::IpAddress::v4(0x7f000000u + n), 30303};
}

/// Many Discv4 instances on one virtual clock; datagrams are delivered in order with no latency.
class Sim {
public:
    explicit Sim(std::size_t n, std::uint64_t seed = 1) : m_random(seed) {
        for (std::uint32_t i = 0; i < n; ++i)
            add_node(i + 1);
    }
    /// Keys from the seeded generator, so that a run is reproducible.
    secp::KeyPair new_keys() {
        for (;;) {
            secp::SecretKey sk{};
            for (auto& b : sk)
                b = static_cast<std::uint8_t>(m_random.next_u64());
            if (auto kp = secp::key_pair_from_secret(sk); kp.ok()) return *kp;
        }
    }
    Discv4& add_node(std::uint32_t host) {
        auto keys = new_keys();
        const UdpAddress a = addr(host);
        Options options;
        options.self = Endpoint{a.ip, a.port, a.port};
        m_nodes.push_back(
            std::make_unique<Node>(Node{keys, a, Discv4(keys.secret_key, options, m_random, m_now)}));
        return m_nodes.back()->d;
    }
    std::size_t size() const { return m_nodes.size(); }
    Discv4& at(std::size_t i) { return m_nodes[i]->d; }
    const UdpAddress& address(std::size_t i) const { return m_nodes[i]->address; }
    base::TimePoint now() const { return m_now; }
    std::uint64_t unix_now() const {
        return k_unix_start +
               static_cast<std::uint64_t>(
                   std::chrono::duration_cast<std::chrono::seconds>(m_now - base::TimePoint{} - 1h).count());
    }
    /// Datagrams to these addresses are lost.
    std::set<std::pair<std::uint32_t, std::uint16_t>> dead;

    void ping(std::size_t from, std::size_t to) {
        at(from).ping(at(to).public_key(), address(to), m_now, unix_now());
        collect(from);
    }
    std::uint64_t lookup(std::size_t from, const PublicKey& target) {
        auto id = at(from).start_lookup(target, m_now, unix_now());
        EXPECT_TRUE(id.has_value());
        collect(from);
        return id.value_or(0);
    }
    void run_for(base::Duration d) {
        const base::TimePoint end = m_now + d;
        for (;;) {
            while (!m_queue.empty()) {
                auto [from, datagram] = std::move(m_queue.front());
                m_queue.pop_front();
                if (dead.contains({datagram.to.ip.v4_value(), datagram.to.port})) continue;
                for (std::size_t i = 0; i < m_nodes.size(); ++i)
                    if (m_nodes[i]->address == datagram.to) {
                        (void)at(i).handle_packet(datagram.bytes, from, m_now, unix_now());
                        collect(i);
                    }
            }
            base::TimePoint next = end;
            for (const auto& n : m_nodes)
                next = std::min(next, n->d.next_wakeup());
            if (next >= end) break;
            m_now = std::max(m_now, next);
            for (std::size_t i = 0; i < m_nodes.size(); ++i)
                if (at(i).next_wakeup() <= m_now) {
                    at(i).tick(m_now, unix_now());
                    collect(i);
                }
        }
        m_now = end;
    }

private:
    struct Node {
        secp::KeyPair keys;
        UdpAddress address;
        Discv4 d;
    };
    void collect(std::size_t i) {
        for (auto& d : at(i).take_outgoing())
            m_queue.emplace_back(address(i), std::move(d));
    }
    base::Random m_random;
    base::TimePoint m_now = base::TimePoint{} + 1h;
    std::vector<std::unique_ptr<Node>> m_nodes;
    std::deque<std::pair<UdpAddress, Datagram>> m_queue;
};

/// A hand-driven peer: a key that writes packets to one Discv4 and reads its answers.
struct Prober {
    secp::KeyPair keys = secp::generate();
    UdpAddress address = addr(200);

    base::Result<void> send(Discv4& d, const Message& m, base::TimePoint now, std::uint64_t unix_now,
                            Hash* hash = nullptr) {
        auto e = encode(m, keys.secret_key);
        EXPECT_TRUE(e.ok());
        if (hash != nullptr) *hash = e->hash;
        return d.handle_packet(e->bytes, address, now, unix_now);
    }
    std::vector<Packet> read(Discv4& d) {
        std::vector<Packet> out;
        for (auto& datagram : d.take_outgoing()) {
            EXPECT_EQ(datagram.to, address);
            auto p = decode(datagram.bytes);
            EXPECT_TRUE(p.ok());
            if (p.ok()) out.push_back(std::move(*p));
        }
        return out;
    }
    /// Ping, then answer the node's own ping: afterwards it holds a proof of our endpoint.
    void bond(Discv4& d, base::TimePoint now, std::uint64_t unix_now) {
        ASSERT_TRUE(send(d,
                         Ping{.version = 4,
                              .from = Endpoint{address.ip, address.port, 0},
                              .to = {},
                              .expiration = unix_now + 20,
                              .enr_seq = std::nullopt},
                         now, unix_now)
                        .ok());
        const auto replies = read(d);
        ASSERT_EQ(replies.size(), 2u);  // Pong, and a Ping since we are not proven yet
        ASSERT_TRUE(std::holds_alternative<Pong>(replies[0].message));
        ASSERT_TRUE(std::holds_alternative<Ping>(replies[1].message));
        ASSERT_TRUE(send(d,
                         Pong{.to = {},
                              .ping_hash = replies[1].hash,
                              .expiration = unix_now + 20,
                              .enr_seq = std::nullopt},
                         now, unix_now)
                        .ok());
    }
};

TEST(Discv4, PingAndPongBondBothWays) {
    Sim sim(2);
    sim.ping(0, 1);
    sim.run_for(1s);
    EXPECT_TRUE(sim.at(0).table().contains(sim.at(1).self_id()));
    EXPECT_TRUE(sim.at(1).table().contains(sim.at(0).self_id()));
    const auto* entry = sim.at(0).table().find(sim.at(1).self_id());
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->node.ip, sim.address(1).ip);
    EXPECT_EQ(entry->node.udp_port, 30303);
}

TEST(Discv4, PongEchoesThePingHashAndNamesTheUdpSource) {
    Sim sim(1);
    Prober p;
    Hash ping_hash{};
    // The Ping claims another address; the answer goes to, and names, where it came from.
    ASSERT_TRUE(p.send(sim.at(0),
                       Ping{.version = 4,
                            .from = Endpoint{addrbook::IpAddress::v4(0x09090909), 1, 30305},
                            .to = {},
                            .expiration = sim.unix_now() + 20,
                            .enr_seq = std::nullopt},
                       sim.now(), sim.unix_now(), &ping_hash)
                    .ok());
    const auto replies = p.read(sim.at(0));
    ASSERT_EQ(replies.size(), 2u);
    const auto& pong = std::get<Pong>(replies[0].message);
    EXPECT_EQ(pong.ping_hash, ping_hash);
    EXPECT_EQ(pong.to, (Endpoint{p.address.ip, p.address.port, 30305}));
    EXPECT_EQ(pong.enr_seq, std::optional<std::uint64_t>(1));
    EXPECT_GE(pong.expiration, sim.unix_now() + 20);
    EXPECT_EQ(replies[0].sender, sim.at(0).public_key());
    const auto& ping = std::get<Ping>(replies[1].message);
    EXPECT_EQ(ping.to.ip, p.address.ip);
    // Not in the table before our Pong proves the endpoint.
    EXPECT_FALSE(sim.at(0).table().contains(node_id(p.keys.public_key)));
    ASSERT_TRUE(p.send(sim.at(0),
                       Pong{.to = {},
                            .ping_hash = replies[1].hash,
                            .expiration = sim.unix_now() + 20,
                            .enr_seq = std::nullopt},
                       sim.now(), sim.unix_now())
                    .ok());
    const auto* entry = sim.at(0).table().find(node_id(p.keys.public_key));
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->node.ip, p.address.ip);  // not 9.9.9.9
    EXPECT_EQ(entry->node.tcp_port, 30305);
}

TEST(Discv4, ExpiredAndUnsolicitedPacketsAreDropped) {
    Sim sim(1);
    Prober p;
    EXPECT_EQ(p.send(sim.at(0),
                     Ping{.version = 4,
                          .from = {},
                          .to = {},
                          .expiration = sim.unix_now() - 1,
                          .enr_seq = std::nullopt},
                     sim.now(), sim.unix_now())
                  .error(),
              make_error_code(Errc::expired));
    EXPECT_EQ(
        p.send(sim.at(0),
               Pong{.to = {}, .ping_hash = {}, .expiration = sim.unix_now() + 20, .enr_seq = std::nullopt},
               sim.now(), sim.unix_now())
            .error(),
        make_error_code(Errc::unsolicited));
    EXPECT_EQ(p.send(sim.at(0), Neighbors{.nodes = {}, .expiration = sim.unix_now() + 20}, sim.now(),
                     sim.unix_now())
                  .error(),
              make_error_code(Errc::unsolicited));
    EXPECT_TRUE(p.read(sim.at(0)).empty());
}

TEST(Discv4, UnbondedFindNodeAndEnrRequestGetNothing) {
    Sim sim(1);
    Prober p;
    EXPECT_EQ(p.send(sim.at(0), FindNode{.target = p.keys.public_key, .expiration = sim.unix_now() + 20},
                     sim.now(), sim.unix_now())
                  .error(),
              make_error_code(Errc::unknown_node));
    EXPECT_EQ(
        p.send(sim.at(0), EnrRequest{.expiration = sim.unix_now() + 20}, sim.now(), sim.unix_now()).error(),
        make_error_code(Errc::unknown_node));
    EXPECT_TRUE(p.read(sim.at(0)).empty());
    // A Ping alone is not a proof: only a Pong from them is.
    ASSERT_TRUE(p.send(sim.at(0),
                       Ping{.version = 4,
                            .from = {},
                            .to = {},
                            .expiration = sim.unix_now() + 20,
                            .enr_seq = std::nullopt},
                       sim.now(), sim.unix_now())
                    .ok());
    (void)p.read(sim.at(0));
    EXPECT_EQ(p.send(sim.at(0), FindNode{.target = p.keys.public_key, .expiration = sim.unix_now() + 20},
                     sim.now(), sim.unix_now())
                  .error(),
              make_error_code(Errc::unknown_node));
}

TEST(Discv4, BondedFindNodeGetsNeighborsSplitByTwelve) {
    Sim sim(21);
    for (std::size_t i = 1; i < sim.size(); ++i)
        sim.ping(i, 0);
    sim.run_for(0s);  // no revalidation yet: no node is live, so all are candidates (geth preferLive)
    ASSERT_EQ(sim.at(0).table().size(), 20u);
    Prober p;
    p.bond(sim.at(0), sim.now(), sim.unix_now());
    ASSERT_TRUE(p.send(sim.at(0), FindNode{.target = p.keys.public_key, .expiration = sim.unix_now() + 20},
                       sim.now(), sim.unix_now())
                    .ok());
    const auto replies = p.read(sim.at(0));
    ASSERT_EQ(replies.size(), 2u);
    const auto& first = std::get<Neighbors>(replies[0].message);
    const auto& second = std::get<Neighbors>(replies[1].message);
    EXPECT_EQ(first.nodes.size(), 12u);
    EXPECT_EQ(second.nodes.size(), 4u);
    // The 16 closest to the target's ID, closest first.
    const auto expected = sim.at(0).table().closest(node_id(p.keys.public_key), 16);
    for (std::size_t i = 0; i < 16; ++i) {
        const auto& got = i < 12 ? first.nodes[i] : second.nodes[i - 12];
        EXPECT_EQ(node_id(got.id), expected[i].id) << i;
    }
    // ENRRequest is answered with the node's record and our request hash.
    Hash request{};
    ASSERT_TRUE(
        p.send(sim.at(0), EnrRequest{.expiration = sim.unix_now() + 20}, sim.now(), sim.unix_now(), &request)
            .ok());
    const auto enr_replies = p.read(sim.at(0));
    ASSERT_EQ(enr_replies.size(), 1u);
    const auto& response = std::get<EnrResponse>(enr_replies[0].message);
    EXPECT_EQ(response.request_hash, request);
    EXPECT_EQ(response.record, sim.at(0).record());
    EXPECT_EQ(response.record.node_id(), sim.at(0).self_id());
    EXPECT_EQ(response.record.udp_port(), std::optional<std::uint16_t>(30303));
}

TEST(Discv4, RestoredBondsAnswerAndAskFindNodeWithoutANewPing) {
    Sim sim(1);
    Prober p;
    const auto prober_id = node_id(p.keys.public_key);
    const discovery::KadNode prober{.id = prober_id,
                                    .key = base::Bytes(p.keys.public_key.begin(), p.keys.public_key.end()),
                                    .ip = p.address.ip,
                                    .udp_port = p.address.port,
                                    .tcp_port = 0};
    // Proofs older than the bond expiration (24 h) are ignored: FindNode still goes unanswered.
    sim.at(0).restore_bond(prober_id, p.address.ip, sim.now() - 25h, sim.now() - 25h, sim.now());
    EXPECT_EQ(p.send(sim.at(0), FindNode{.target = p.keys.public_key, .expiration = sim.unix_now() + 20},
                     sim.now(), sim.unix_now())
                  .error(),
              make_error_code(Errc::unknown_node));
    // Proofs from an earlier run (an hour ago): the node answers at once ...
    sim.at(0).restore_bond(prober_id, p.address.ip, sim.now() - 1h, sim.now() - 1h, sim.now());
    ASSERT_TRUE(p.send(sim.at(0), FindNode{.target = p.keys.public_key, .expiration = sim.unix_now() + 20},
                       sim.now(), sim.unix_now())
                    .ok());
    for (const auto& reply : p.read(sim.at(0)))
        EXPECT_TRUE(std::holds_alternative<Neighbors>(reply.message));
    // ... and a lookup asks the restored node with FindNode, not a Ping first.
    ASSERT_EQ(sim.at(0).add_seed(prober, sim.now()), discovery::KadTable::AddResult::added);
    ASSERT_TRUE(sim.at(0).start_lookup(secp::generate().public_key, sim.now(), sim.unix_now()));
    const auto asked = p.read(sim.at(0));
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<FindNode>(asked[0].message));
    // A proof for another IP does not carry over (proofs are per endpoint).
    Sim other(1);
    other.at(0).restore_bond(prober_id, addr(99).ip, other.now() - 1h, other.now() - 1h, other.now());
    EXPECT_EQ(p.send(other.at(0), FindNode{.target = p.keys.public_key, .expiration = other.unix_now() + 20},
                     other.now(), other.unix_now())
                  .error(),
              make_error_code(Errc::unknown_node));
}

TEST(Discv4, RevalidationDropsANodeThatStoppedAnswering) {
    Sim sim(2);
    sim.ping(0, 1);
    sim.run_for(1s);
    ASSERT_TRUE(sim.at(0).table().contains(sim.at(1).self_id()));
    sim.run_for(60s);  // revalidation pings are answered
    ASSERT_TRUE(sim.at(0).table().contains(sim.at(1).self_id()));
    EXPECT_GT(sim.at(0).table().find(sim.at(1).self_id())->liveness_checks, 0u);
    sim.dead.insert({sim.address(1).ip.v4_value(), sim.address(1).port});
    sim.run_for(30s);  // a revalidation comes at most 10 s later and times out after 500 ms
    EXPECT_FALSE(sim.at(0).table().contains(sim.at(1).self_id()));
}

TEST(Discv4, LookupOverFiftyNodesFindsTheClosest) {
    Sim sim(50, 7);
    for (std::size_t i = 1; i < sim.size(); ++i)
        sim.ping(i, 0);  // node 0 is everyone's bootstrap node
    sim.run_for(2s);
    // Everyone is known: in the table or, where a bucket is full, as a replacement.
    EXPECT_EQ(sim.at(0).table().stats().nodes + sim.at(0).table().stats().replacements, 49u);
    // Each node looks itself up, as geth does to fill its table, then revalidation marks nodes live.
    std::vector<std::uint64_t> self_lookups;
    for (std::size_t i = 1; i < sim.size(); ++i)
        self_lookups.push_back(sim.lookup(i, sim.at(i).public_key()));
    sim.run_for(10s);
    for (std::size_t i = 1; i < sim.size(); ++i)
        EXPECT_TRUE(sim.at(i).take_lookup_result(self_lookups[i - 1]).has_value());
    sim.run_for(300s);
    std::size_t known = 0;
    for (std::size_t i = 0; i < sim.size(); ++i)
        known += sim.at(i).table().size();
    EXPECT_GT(known, sim.size() * 20);  // 1,223 with this seed: about 24 of the 49 others each

    for (std::size_t from : {std::size_t{3}, std::size_t{17}, std::size_t{42}}) {
        const auto target = sim.new_keys().public_key;
        const auto id = sim.lookup(from, target);
        sim.run_for(10s);
        ASSERT_TRUE(sim.at(from).lookup_done(id));
        const auto result = sim.at(from).take_lookup_result(id);
        ASSERT_TRUE(result.has_value());
        std::vector<KadId> all;
        for (std::size_t i = 0; i < sim.size(); ++i)
            if (i != from) all.push_back(sim.at(i).self_id());
        const KadId target_id = node_id(target);
        std::sort(all.begin(), all.end(), [&](const KadId& a, const KadId& b) {
            return discovery::distance_cmp(target_id, a, b) < 0;
        });
        std::vector<std::string> expected;
        for (std::size_t i = 0; i < 16; ++i)
            expected.push_back(base::to_hex(all[i]).substr(0, 8));
        std::vector<std::string> got;
        for (const auto& n : *result)
            got.push_back(base::to_hex(n.id).substr(0, 8));
        EXPECT_EQ(got, expected) << "lookup from node " << from;
    }
}

TEST(Discv4, LookupEndsWhenQueriedNodesAreSilent) {
    Sim sim(3);
    sim.ping(0, 1);
    sim.ping(0, 2);
    sim.run_for(1s);
    ASSERT_EQ(sim.at(0).table().size(), 2u);
    sim.dead.insert({sim.address(1).ip.v4_value(), sim.address(1).port});
    sim.dead.insert({sim.address(2).ip.v4_value(), sim.address(2).port});
    const auto id = sim.lookup(0, sim.new_keys().public_key);
    EXPECT_FALSE(sim.at(0).lookup_done(id));
    sim.run_for(3s);
    ASSERT_TRUE(sim.at(0).lookup_done(id));
    EXPECT_TRUE(sim.at(0).take_lookup_result(id)->empty());
}

TEST(Discv4, ConcurrentLookupsAskingOneNodeBothGetItsAnswer) {
    Sim sim(6);
    for (std::size_t i = 2; i < 6; ++i)
        sim.ping(i, 1);
    sim.ping(0, 1);
    sim.run_for(2s);
    ASSERT_EQ(sim.at(0).table().size(), 1u);  // node 0 knows node 1 only
    // Both lookups ask node 1 at once; a Neighbors packet does not say which FindNode it answers.
    const auto a = sim.lookup(0, sim.at(2).public_key());
    const auto b = sim.lookup(0, sim.at(3).public_key());
    sim.run_for(10s);
    const auto ra = sim.at(0).take_lookup_result(a);
    const auto rb = sim.at(0).take_lookup_result(b);
    ASSERT_TRUE(ra && rb);
    const auto has = [](const std::vector<discovery::KadNode>& r, const KadId& id) {
        return std::any_of(r.begin(), r.end(), [&](const discovery::KadNode& n) { return n.id == id; });
    };
    EXPECT_TRUE(has(*ra, sim.at(2).self_id()));
    EXPECT_TRUE(has(*rb, sim.at(3).self_id()));
}

TEST(Discv4, PingRequestAndEnrRequestReportTheirOutcome) {
    const auto now = base::TimePoint{} + 1h;
    const std::uint64_t unix_now = k_unix_start;
    base::Random random(7);
    const auto keys = secp::generate();
    Options options;
    options.self = Endpoint{addr(1).ip, 30303, 30303};
    Discv4 d(keys.secret_key, options, random, now);
    Prober p;

    // request_enr on a node that may not know us: a Ping first, the ENRRequest once it pinged back.
    const auto request = d.request_enr(p.keys.public_key, p.address, now, unix_now);
    ASSERT_NE(request, 0u);
    auto out = p.read(d);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(std::holds_alternative<Ping>(out[0].message));
    ASSERT_TRUE(p.send(d, Pong{.to = {}, .ping_hash = out[0].hash, .expiration = unix_now + 20, .enr_seq = 3},
                       now, unix_now)
                    .ok());
    ASSERT_TRUE(p.send(d,
                       Ping{.version = 4,
                            .from = Endpoint{p.address.ip, p.address.port, 0},
                            .to = {},
                            .expiration = unix_now + 20,
                            .enr_seq = std::nullopt},
                       now, unix_now)
                    .ok());
    out = p.read(d);
    ASSERT_EQ(out.size(), 2u);
    ASSERT_TRUE(std::holds_alternative<Pong>(out[0].message));
    ASSERT_TRUE(std::holds_alternative<EnrRequest>(out[1].message));
    auto record = enr::Record::sign_endpoint(p.keys.secret_key, 3, p.address.ip, 0, p.address.port);
    ASSERT_TRUE(record.ok());
    ASSERT_TRUE(p.send(d, EnrResponse{.request_hash = out[1].hash, .record = *record}, now, unix_now).ok());
    // A second answer matches nothing.
    EXPECT_FALSE(p.send(d, EnrResponse{.request_hash = out[1].hash, .record = *record}, now, unix_now).ok());

    bool pong = false, added = false, pinged = false, enr = false;
    for (const auto& e : d.take_events()) {
        if (e.kind == Event::Kind::pong) {
            pong = true;
            EXPECT_EQ(e.enr_seq, std::optional<std::uint64_t>(3));
        }
        added = added || e.kind == Event::Kind::added;
        pinged = pinged || e.kind == Event::Kind::pinged_by;
        if (e.kind == Event::Kind::enr_done) {
            enr = true;
            EXPECT_EQ(e.request, request);
            EXPECT_TRUE(e.ok);
            ASSERT_TRUE(e.record.has_value());
            EXPECT_EQ(*e.record, *record);
        }
    }
    EXPECT_TRUE(pong && added && pinged && enr);

    // ENRResponse with another node's record: the request fails.
    const auto again = d.request_enr(p.keys.public_key, p.address, now, unix_now);
    out = p.read(d);
    ASSERT_EQ(out.size(), 1u);  // they know us now: the ENRRequest goes at once
    ASSERT_TRUE(std::holds_alternative<EnrRequest>(out[0].message));
    auto other = enr::Record::sign_endpoint(secp::generate().secret_key, 1, p.address.ip, 0, p.address.port);
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(p.send(d, EnrResponse{.request_hash = out[0].hash, .record = *other}, now, unix_now).ok());
    auto events = d.take_events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, Event::Kind::enr_done);
    EXPECT_EQ(events[0].request, again);
    EXPECT_FALSE(events[0].ok);

    // ping_request: answered with an RTT, or failed at the deadline.
    const auto ping = d.ping_request(p.keys.public_key, p.address, now, unix_now);
    out = p.read(d);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(p.send(d,
                       Pong{.to = {}, .ping_hash = out[0].hash, .expiration = unix_now + 20, .enr_seq = {}},
                       now + 40ms, unix_now)
                    .ok());
    events = d.take_events();
    const auto done = std::find_if(events.begin(), events.end(),
                                   [](const Event& e) { return e.kind == Event::Kind::ping_done; });
    ASSERT_NE(done, events.end());
    EXPECT_EQ(done->request, ping);
    EXPECT_TRUE(done->ok);
    EXPECT_EQ(done->rtt, 40ms);
    const auto lost = d.ping_request(p.keys.public_key, p.address, now, unix_now);
    (void)p.read(d);
    d.tick(now + 1s, unix_now + 1);
    events = d.take_events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].request, lost);
    EXPECT_FALSE(events[0].ok);
}

}  // namespace
}  // namespace peerlink::devp2p::discv4
