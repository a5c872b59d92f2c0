#include "profiles/devp2p/rlpx_handshake.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include "codec/rlp.hpp"
#include "crypto/crypto.hpp"
#include "crypto/ecies.hpp"

namespace peerlink::devp2p {

namespace {

namespace rlp = codec::rlp;

template <std::size_t N>
std::array<std::uint8_t, N> xor_of(const std::array<std::uint8_t, N>& a,
                                   const std::array<std::uint8_t, N>& b) {
    std::array<std::uint8_t, N> out{};
    for (std::size_t i = 0; i < N; ++i)
        out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
    return out;
}

std::array<std::uint8_t, 32> keccak_of(base::ByteView a, base::ByteView b) {
    crypto::Keccak256 h;
    h.update(a);
    h.update(b);
    return h.digest();
}

/// Decrypts the ECIES part of a size-prefixed packet, the prefix being the shared data (EIP-8).
base::Result<base::Bytes> open_packet(const secp::SecretKey& key, base::ByteView packet) {
    auto size = handshake_message_size(packet);
    PEERLINK_TRY(size);
    if (!size->has_value() || **size != packet.size()) return base::fail(Errc::bad_size_prefix);
    auto plain = crypto::ecies::decrypt(key, packet.subspan(2), packet.first(2));
    if (!plain.ok()) return base::fail(Errc::decrypt_failed);
    return std::move(*plain);
}

/// The elements after the known ones, kept verbatim; each must at least have a valid header.
base::Result<std::vector<base::Bytes>> read_extra(rlp::ListReader& r) {
    std::vector<base::Bytes> extra;
    while (!r.at_end()) {
        auto raw = r.read_raw();
        PEERLINK_TRY(raw);
        extra.emplace_back(raw->begin(), raw->end());
    }
    return extra;
}

/// The body is one RLP list followed by padding (EIP-8): decode the first item only.
base::Result<rlp::ListReader> body_list(base::ByteView plain) {
    auto s = rlp::split(plain);
    PEERLINK_TRY(s);
    if (s->item.kind != rlp::Kind::list) return base::fail(rlp::Errc::expected_list);
    return rlp::ListReader(s->item.payload);
}

base::Result<AuthBody> parse_auth(base::ByteView plain) {
    auto list = body_list(plain);
    PEERLINK_TRY(list);
    AuthBody body;
    auto sig = list->read_array<65>();
    PEERLINK_TRY(sig);
    body.signature = *sig;
    auto pub = list->read_array<64>();
    PEERLINK_TRY(pub);
    body.initiator_public_key = *pub;
    auto nonce = list->read_array<32>();
    PEERLINK_TRY(nonce);
    body.nonce = *nonce;
    auto version = list->read_uint64();
    PEERLINK_TRY(version);
    body.version = *version;
    auto extra = read_extra(*list);
    PEERLINK_TRY(extra);
    body.extra = std::move(*extra);
    return body;
}

base::Result<AckBody> parse_ack(base::ByteView plain) {
    auto list = body_list(plain);
    PEERLINK_TRY(list);
    AckBody body;
    auto pub = list->read_array<64>();
    PEERLINK_TRY(pub);
    body.ephemeral_public_key = *pub;
    auto nonce = list->read_array<32>();
    PEERLINK_TRY(nonce);
    body.nonce = *nonce;
    auto version = list->read_uint64();
    PEERLINK_TRY(version);
    body.version = *version;
    auto extra = read_extra(*list);
    PEERLINK_TRY(extra);
    body.extra = std::move(*extra);
    return body;
}

}  // namespace

base::Result<std::optional<std::size_t>> handshake_message_size(base::ByteView in) {
    if (in.size() < 2) return std::optional<std::size_t>{};
    const std::size_t size = std::size_t{in[0]} << 8 | in[1];
    if (size < crypto::ecies::k_overhead || size > k_max_handshake_size)
        return base::fail(Errc::bad_size_prefix);
    return std::optional<std::size_t>{2 + size};
}

base::Result<AuthBody> decode_auth(const secp::SecretKey& our_key, base::ByteView packet) {
    auto plain = open_packet(our_key, packet);
    PEERLINK_TRY(plain);
    auto body = parse_auth(*plain);
    if (!body.ok()) return base::fail(Errc::malformed_auth);
    return body;
}

base::Result<AckBody> decode_ack(const secp::SecretKey& our_key, base::ByteView packet) {
    auto plain = open_packet(our_key, packet);
    PEERLINK_TRY(plain);
    auto body = parse_ack(*plain);
    if (!body.ok()) return base::fail(Errc::malformed_ack);
    return body;
}

base::Result<Secrets> derive_secrets(const SecretInputs& in) {
    auto ecdhe = secp::ecdh(in.our_ephemeral, in.remote_ephemeral);
    if (!ecdhe.ok()) return base::fail(Errc::invalid_public_key);
    // shared-secret = keccak(ecdhe || keccak(recipient-nonce || initiator-nonce))
    const auto nonce_hash = keccak_of(in.recipient_nonce, in.initiator_nonce);
    auto shared = keccak_of(*ecdhe, nonce_hash);
    Secrets s;
    s.aes_secret = keccak_of(*ecdhe, shared);
    s.mac_secret = keccak_of(*ecdhe, s.aes_secret);
    s.remote_public_key = in.remote_public_key;

    // The initiator's egress MAC starts from (mac-secret ^ recipient-nonce) || auth; its ingress
    // from (mac-secret ^ initiator-nonce) || ack. The recipient's are the other way round.
    crypto::Keccak256 with_auth;
    with_auth.update(xor_of(s.mac_secret, in.recipient_nonce));
    with_auth.update(in.auth_packet);
    crypto::Keccak256 with_ack;
    with_ack.update(xor_of(s.mac_secret, in.initiator_nonce));
    with_ack.update(in.ack_packet);
    s.egress_mac = in.initiator ? with_auth : with_ack;
    s.ingress_mac = in.initiator ? with_ack : with_auth;
    crypto::wipe(*ecdhe);
    crypto::wipe(shared);
    return s;
}

// ---- RlpxHandshake ------------------------------------------------------------------------------

RlpxHandshake::RlpxHandshake(const secp::KeyPair& identity, bool initiator, const TestParams& test)
    : m_identity(identity), m_initiator(initiator) {
    if (test.ephemeral) {
        auto kp = secp::key_pair_from_secret(*test.ephemeral);
        if (!kp.ok()) throw std::invalid_argument("RlpxHandshake: invalid test ephemeral key");
        m_ephemeral = *kp;
    } else {
        m_ephemeral = secp::generate();
    }
    if (test.nonce) {
        m_nonce = *test.nonce;
    } else {
        crypto::random_bytes(m_nonce);
    }
}

RlpxHandshake RlpxHandshake::initiator(const secp::KeyPair& identity, const secp::PublicKey& remote,
                                       const TestParams& test) {
    RlpxHandshake h(identity, true, test);
    h.m_remote_static = remote;
    return h;
}

RlpxHandshake RlpxHandshake::recipient(const secp::KeyPair& identity, const TestParams& test) {
    RlpxHandshake h(identity, false, test);
    h.m_state = State::awaiting_auth;
    return h;
}

base::Result<base::Bytes> RlpxHandshake::seal(const base::Bytes& body) {
    // Random zero padding of 100..199 bytes as go-ethereum sends, so the packet can never be
    // mistaken for a pre-EIP-8 one.
    std::uint8_t r = 0;
    crypto::random_bytes(base::MutableByteView(&r, 1));
    const std::size_t padding = 100 + r % 100;
    base::Bytes plain(body);
    plain.resize(body.size() + padding, 0);
    const std::size_t size = plain.size() + crypto::ecies::k_overhead;
    const std::array<std::uint8_t, 2> prefix = {static_cast<std::uint8_t>(size >> 8),
                                                static_cast<std::uint8_t>(size)};
    auto sealed = crypto::ecies::encrypt(m_remote_static, plain, prefix);
    if (!sealed.ok()) return base::fail(Errc::invalid_public_key);
    base::Bytes packet(prefix.size() + sealed->size());
    std::copy(prefix.begin(), prefix.end(), packet.begin());
    std::copy(sealed->begin(), sealed->end(), packet.begin() + 2);
    return packet;
}

base::Result<void> RlpxHandshake::start(base::Buffer& out) {
    if (!m_initiator || m_state != State::initial) return {};
    m_state = State::failed;
    auto token = secp::ecdh(m_identity.secret_key, m_remote_static);
    if (!token.ok()) return base::fail(Errc::invalid_public_key);
    // The ephemeral key signs static-shared-secret ^ nonce; the recipient recovers it from that.
    auto sig = secp::sign_recoverable(m_ephemeral.secret_key, xor_of(*token, m_nonce));
    crypto::wipe(*token);
    if (!sig.ok()) return base::fail(sig.error());
    rlp::Encoder e;
    e.begin_list()
        .add_bytes(*sig)
        .add_bytes(m_identity.public_key)
        .add_bytes(m_nonce)
        .add_uint(k_auth_version)
        .end_list();
    auto packet = seal(e.bytes());
    PEERLINK_TRY(packet);
    m_auth_packet = std::move(*packet);
    out.append(m_auth_packet);
    m_state = State::awaiting_ack;
    return {};
}

base::Result<std::size_t> RlpxHandshake::on_data(base::ByteView in, base::Buffer& out) {
    if (m_state != State::awaiting_auth && m_state != State::awaiting_ack)
        return base::fail(Errc::handshake_not_running);
    auto size = handshake_message_size(in);
    if (!size.ok()) {
        m_state = State::failed;
        return base::Failure{size.error()};
    }
    if (!size->has_value() || in.size() < **size) return std::size_t{0};
    const base::ByteView packet = in.first(**size);
    const auto r = m_state == State::awaiting_auth ? on_auth(packet, out) : on_ack(packet);
    if (!r.ok()) {
        m_state = State::failed;
        return base::Failure{r.error()};
    }
    m_state = State::done;
    return packet.size();
}

base::Result<void> RlpxHandshake::on_auth(base::ByteView packet, base::Buffer& out) {
    auto auth = decode_auth(m_identity.secret_key, packet);
    PEERLINK_TRY(auth);
    if (!secp::validate_public_key(auth->initiator_public_key).ok())
        return base::fail(Errc::invalid_public_key);
    m_remote_static = auth->initiator_public_key;
    m_remote_version = auth->version;

    auto token = secp::ecdh(m_identity.secret_key, m_remote_static);
    if (!token.ok()) return base::fail(Errc::invalid_public_key);
    auto remote_ephemeral = secp::recover(auth->signature, xor_of(*token, auth->nonce));
    crypto::wipe(*token);
    if (!remote_ephemeral.ok()) return base::fail(Errc::bad_signature);

    rlp::Encoder e;
    e.begin_list().add_bytes(m_ephemeral.public_key).add_bytes(m_nonce).add_uint(k_auth_version).end_list();
    auto ack = seal(e.bytes());
    PEERLINK_TRY(ack);

    auto secrets = derive_secrets(SecretInputs{
        .initiator = false,
        .our_ephemeral = m_ephemeral.secret_key,
        .remote_ephemeral = *remote_ephemeral,
        .initiator_nonce = auth->nonce,
        .recipient_nonce = m_nonce,
        .auth_packet = packet,
        .ack_packet = *ack,
        .remote_public_key = m_remote_static,
    });
    PEERLINK_TRY(secrets);
    m_secrets = std::move(*secrets);
    out.append(*ack);
    return {};
}

base::Result<void> RlpxHandshake::on_ack(base::ByteView packet) {
    auto ack = decode_ack(m_identity.secret_key, packet);
    PEERLINK_TRY(ack);
    if (!secp::validate_public_key(ack->ephemeral_public_key).ok())
        return base::fail(Errc::invalid_public_key);
    m_remote_version = ack->version;
    auto secrets = derive_secrets(SecretInputs{
        .initiator = true,
        .our_ephemeral = m_ephemeral.secret_key,
        .remote_ephemeral = ack->ephemeral_public_key,
        .initiator_nonce = m_nonce,
        .recipient_nonce = ack->nonce,
        .auth_packet = m_auth_packet,
        .ack_packet = packet,
        .remote_public_key = m_remote_static,
    });
    PEERLINK_TRY(secrets);
    m_secrets = std::move(*secrets);
    return {};
}

Secrets RlpxHandshake::take_secrets() {
    assert(done() && m_secrets.has_value());
    Secrets s = std::move(*m_secrets);
    m_secrets.reset();
    crypto::wipe(m_ephemeral.secret_key);
    return s;
}

}  // namespace peerlink::devp2p
