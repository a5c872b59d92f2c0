#include <gtest/gtest.h>

#include "codec/rlp.hpp"
#include "crypto/ecies.hpp"
#include "profiles/devp2p/rlpx_frame.hpp"
#include "profiles/devp2p/rlpx_handshake.hpp"
#include "test_util.hpp"

namespace peerlink::devp2p {
namespace {

using test::hex;
using test::hex_array;

struct Vectors {
    nlohmann::json doc = test::load_vectors("rlpx_eip8.json");
    secp::KeyPair static_a =
        *secp::key_pair_from_secret(hex_array<32>(doc["static_key_A"].get<std::string>()));
    secp::KeyPair static_b =
        *secp::key_pair_from_secret(hex_array<32>(doc["static_key_B"].get<std::string>()));
    secp::SecretKey ephemeral_a = hex_array<32>(doc["ephemeral_key_A"].get<std::string>());
    secp::SecretKey ephemeral_b = hex_array<32>(doc["ephemeral_key_B"].get<std::string>());
    Nonce nonce_a = hex_array<32>(doc["nonce_A"].get<std::string>());
    Nonce nonce_b = hex_array<32>(doc["nonce_B"].get<std::string>());

    base::Bytes auth(std::size_t i) const {
        return hex(doc["auth_messages_decrypt_with_key_B"][i]["ciphertext_hex"].get<std::string>());
    }
    base::Bytes ack(std::size_t i) const {
        return hex(doc["ack_messages_decrypt_with_key_A"][i]["ciphertext_hex"].get<std::string>());
    }
};

/// Go's %#v of the rest elements, e.g. []rlp.RawValue{{0x01}, {0xC2, 0x04, 0x05}}.
std::string go_raw_values(const std::vector<base::Bytes>& extra) {
    std::string out = "[]rlp.RawValue{";
    static const char* digits = "0123456789ABCDEF";
    for (std::size_t i = 0; i < extra.size(); ++i) {
        out += i ? ", {" : "{";
        for (std::size_t j = 0; j < extra[i].size(); ++j) {
            out += j ? ", 0x" : "0x";
            out += digits[extra[i][j] >> 4];
            out += digits[extra[i][j] & 15];
        }
        out += "}";
    }
    return out + "}";
}

TEST(RlpxVectors, EveryAuthDecryptsWithKeyB) {
    const Vectors v;
    const auto& list = v.doc["auth_messages_decrypt_with_key_B"];
    ASSERT_EQ(list.size(), 2u);
    for (std::size_t i = 0; i < list.size(); ++i) {
        SCOPED_TRACE(i);
        auto auth = decode_auth(v.static_b.secret_key, v.auth(i));
        ASSERT_TRUE(auth.ok()) << auth.error().message();
        EXPECT_EQ(auth->version, list[i]["want_version"].get<std::uint64_t>());
        EXPECT_EQ(go_raw_values(auth->extra), list[i]["want_rest_go"].get<std::string>());
        EXPECT_EQ(auth->initiator_public_key, v.static_a.public_key);
        EXPECT_EQ(auth->nonce, v.nonce_a);
        EXPECT_EQ(base::to_hex(auth->signature), v.doc["auth_signature"].get<std::string>());
        // Not for A's key.
        EXPECT_EQ(decode_auth(v.static_a.secret_key, v.auth(i)).error(),
                  make_error_code(Errc::decrypt_failed));
    }
}

TEST(RlpxVectors, EveryAckDecryptsWithKeyA) {
    const Vectors v;
    const auto& list = v.doc["ack_messages_decrypt_with_key_A"];
    ASSERT_EQ(list.size(), 2u);
    for (std::size_t i = 0; i < list.size(); ++i) {
        SCOPED_TRACE(i);
        auto ack = decode_ack(v.static_a.secret_key, v.ack(i));
        ASSERT_TRUE(ack.ok()) << ack.error().message();
        EXPECT_EQ(ack->version, list[i]["want_version"].get<std::uint64_t>());
        EXPECT_EQ(go_raw_values(ack->extra), list[i]["want_rest_go"].get<std::string>());
        EXPECT_EQ(ack->ephemeral_public_key, *secp::public_key_of(v.ephemeral_b));
        EXPECT_EQ(ack->nonce, v.nonce_b);
    }
}

TEST(RlpxVectors, SecretsDeriveExactly) {
    const Vectors v;
    const auto& want = v.doc["secrets_after_auth0_ack0"];
    const auto auth = v.auth(0);
    const auto ack = v.ack(0);

    // Through the building blocks, as the recipient B.
    auto body = decode_auth(v.static_b.secret_key, auth);
    ASSERT_TRUE(body.ok());
    const auto token = *secp::ecdh(v.static_b.secret_key, body->initiator_public_key);
    secp::Hash signed_hash{};
    for (std::size_t i = 0; i < 32; ++i)
        signed_hash[i] = static_cast<std::uint8_t>(token[i] ^ body->nonce[i]);
    const auto remote_ephemeral = secp::recover(body->signature, signed_hash);
    ASSERT_TRUE(remote_ephemeral.ok());
    EXPECT_EQ(*remote_ephemeral, *secp::public_key_of(v.ephemeral_a));

    auto secrets = derive_secrets(SecretInputs{
        .initiator = false,
        .our_ephemeral = v.ephemeral_b,
        .remote_ephemeral = *remote_ephemeral,
        .initiator_nonce = v.nonce_a,
        .recipient_nonce = v.nonce_b,
        .auth_packet = auth,
        .ack_packet = ack,
        .remote_public_key = v.static_a.public_key,
    });
    ASSERT_TRUE(secrets.ok());
    EXPECT_EQ(base::to_hex(secrets->aes_secret), want["aes_secret"].get<std::string>());
    EXPECT_EQ(base::to_hex(secrets->mac_secret), want["mac_secret"].get<std::string>());
    auto ingress = secrets->ingress_mac;
    ingress.update(base::as_bytes("foo"));
    EXPECT_EQ(base::to_hex(ingress.digest()), want["foo_ingress_mac_digest"].get<std::string>());

    // The initiator A, fed the same ack, derives the mirror image: its egress is B's ingress.
    auto initiator = derive_secrets(SecretInputs{
        .initiator = true,
        .our_ephemeral = v.ephemeral_a,
        .remote_ephemeral = *secp::public_key_of(v.ephemeral_b),
        .initiator_nonce = v.nonce_a,
        .recipient_nonce = v.nonce_b,
        .auth_packet = auth,
        .ack_packet = ack,
        .remote_public_key = v.static_b.public_key,
    });
    ASSERT_TRUE(initiator.ok());
    EXPECT_EQ(initiator->aes_secret, secrets->aes_secret);
    auto egress = initiator->egress_mac;
    egress.update(base::as_bytes("foo"));
    EXPECT_EQ(base::to_hex(egress.digest()), want["foo_ingress_mac_digest"].get<std::string>());
}

TEST(RlpxVectors, RecipientStateMachineOnAuth0DerivesTheVectorSecrets) {
    const Vectors v;
    const auto& want = v.doc["secrets_after_auth0_ack0"];
    auto b = RlpxHandshake::recipient(v.static_b, {.ephemeral = v.ephemeral_b, .nonce = v.nonce_b});
    base::Buffer out;
    ASSERT_TRUE(b.start(out).ok());
    EXPECT_TRUE(out.empty());
    auto auth = v.auth(0);
    auth.push_back(0xee);  // a first frame byte after the auth must not be consumed
    // Byte by byte until the whole auth is there.
    std::size_t fed = 0;
    for (; fed + 1 < auth.size() - 1; ++fed) {
        auto r = b.on_data(base::ByteView(auth).first(fed + 1), out);
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(*r, 0u);
    }
    auto r = b.on_data(auth, out);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(*r, auth.size() - 1);
    ASSERT_TRUE(b.done());
    EXPECT_EQ(b.remote_public_key(), v.static_a.public_key);
    EXPECT_EQ(b.remote_version(), 4u);

    // B's ack decrypts with A's key and carries B's ephemeral key and nonce.
    auto ack = decode_ack(v.static_a.secret_key, out.data());
    ASSERT_TRUE(ack.ok());
    EXPECT_EQ(ack->ephemeral_public_key, *secp::public_key_of(v.ephemeral_b));
    EXPECT_EQ(ack->nonce, v.nonce_b);
    EXPECT_EQ(ack->version, 4u);

    auto secrets = b.take_secrets();
    EXPECT_EQ(base::to_hex(secrets.aes_secret), want["aes_secret"].get<std::string>());
    EXPECT_EQ(base::to_hex(secrets.mac_secret), want["mac_secret"].get<std::string>());
    secrets.ingress_mac.update(base::as_bytes("foo"));
    EXPECT_EQ(base::to_hex(secrets.ingress_mac.digest()), want["foo_ingress_mac_digest"].get<std::string>());
}

TEST(RlpxVectors, InitiatorAcceptsTheHigherVersionAckWithExtraElements) {
    const Vectors v;
    // Ack 1 (version 57, extra elements) answers an auth from A with nonce A; our own auth bytes
    // differ (random padding) but the ack only has to decrypt and parse.
    auto a = RlpxHandshake::initiator(v.static_a, v.static_b.public_key,
                                      {.ephemeral = v.ephemeral_a, .nonce = v.nonce_a});
    base::Buffer out;
    ASSERT_TRUE(a.start(out).ok());
    auto auth = decode_auth(v.static_b.secret_key, out.data());
    ASSERT_TRUE(auth.ok());
    EXPECT_EQ(auth->version, 4u);
    EXPECT_TRUE(auth->extra.empty());
    EXPECT_EQ(auth->nonce, v.nonce_a);
    auto r = a.on_data(v.ack(1), out);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_TRUE(a.done());
    EXPECT_EQ(a.remote_version(), 57u);
}

struct Pair {
    secp::KeyPair ka = secp::generate();
    secp::KeyPair kb = secp::generate();
    RlpxHandshake a = RlpxHandshake::initiator(ka, kb.public_key);
    RlpxHandshake b = RlpxHandshake::recipient(kb);
};

TEST(RlpxHandshake, FullHandshakeInMemoryThenFramesBothWays) {
    Pair p;
    base::Buffer a_to_b, b_to_a;
    ASSERT_TRUE(p.a.start(a_to_b).ok());
    EXPECT_LE(a_to_b.size(), 2 + k_max_handshake_size);
    auto rb = p.b.on_data(a_to_b.data(), b_to_a);
    ASSERT_TRUE(rb.ok());
    a_to_b.consume(*rb);
    ASSERT_TRUE(p.b.done());
    EXPECT_EQ(p.b.remote_public_key(), p.ka.public_key);

    FrameCodec b_frames(p.b.take_secrets());
    // B sends a frame right behind its ack; A's handshake leaves it in place.
    ASSERT_TRUE(b_frames.write(0x10, base::as_bytes("early"), b_to_a).ok());
    auto ra = p.a.on_data(b_to_a.data(), a_to_b);
    ASSERT_TRUE(ra.ok());
    b_to_a.consume(*ra);
    ASSERT_TRUE(p.a.done());
    FrameCodec a_frames(p.a.take_secrets());
    EXPECT_EQ(a_frames.remote_public_key(), p.kb.public_key);

    auto step = a_frames.read(b_to_a.data());
    ASSERT_TRUE(step.ok());
    ASSERT_TRUE(step->message.has_value());
    EXPECT_EQ(step->message->code, 0x10u);
    EXPECT_EQ(base::as_chars(step->message->payload), "early");
    b_to_a.consume(step->consumed);
    EXPECT_TRUE(b_to_a.empty());

    for (int round = 0; round < 50; ++round) {
        const std::string msg(static_cast<std::size_t>(round * 37), static_cast<char>('a' + round % 26));
        ASSERT_TRUE(a_frames.write(static_cast<std::uint64_t>(round), base::as_bytes(msg), a_to_b).ok());
        auto got = b_frames.read(a_to_b.data());
        ASSERT_TRUE(got.ok());
        ASSERT_TRUE(got->message.has_value());
        EXPECT_EQ(got->message->code, static_cast<std::uint64_t>(round));
        EXPECT_EQ(base::as_chars(got->message->payload), msg);
        a_to_b.consume(got->consumed);

        ASSERT_TRUE(
            b_frames.write(1000 + static_cast<std::uint64_t>(round), base::as_bytes(msg), b_to_a).ok());
        auto back = a_frames.read(b_to_a.data());
        ASSERT_TRUE(back.ok() && back->message.has_value());
        EXPECT_EQ(back->message->code, 1000u + static_cast<std::uint64_t>(round));
        b_to_a.consume(back->consumed);
    }
}

TEST(RlpxHandshake, SizePrefixBounds) {
    EXPECT_FALSE(handshake_message_size(hex("01"))->has_value());
    EXPECT_EQ(handshake_message_size(hex("0801")).error(), make_error_code(Errc::bad_size_prefix));
    EXPECT_EQ(**handshake_message_size(hex("0800")), 2u + 2048u);
    EXPECT_EQ(handshake_message_size(hex("0070")).error(), make_error_code(Errc::bad_size_prefix));
    EXPECT_EQ(**handshake_message_size(hex("0071")), 2u + 113u);

    Pair p;
    base::Buffer out;
    EXPECT_EQ(p.b.on_data(hex("ffff"), out).error(), make_error_code(Errc::bad_size_prefix));
    EXPECT_EQ(p.b.on_data(hex("0100"), out).error(), make_error_code(Errc::handshake_not_running));
}

/// An EIP-8 packet with an arbitrary body, sealed to `to` (for malformed-message cases).
base::Bytes seal_body(const secp::PublicKey& to, base::Bytes body) {
    body.resize(body.size() + 100, 0);
    const std::size_t size = body.size() + crypto::ecies::k_overhead;
    const base::Bytes prefix = {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
    const auto sealed = *crypto::ecies::encrypt(to, body, prefix);
    base::Bytes packet(2 + sealed.size());
    packet[0] = prefix[0];
    packet[1] = prefix[1];
    std::copy(sealed.begin(), sealed.end(), packet.begin() + 2);
    return packet;
}

TEST(RlpxHandshake, RecipientFailureModesAreDistinct) {
    const Vectors v;
    const auto feed = [&](base::ByteView packet) {
        auto b = RlpxHandshake::recipient(v.static_b);
        base::Buffer out;
        auto r = b.on_data(packet, out);
        if (r.ok()) return std::error_code{};
        EXPECT_TRUE(out.empty());  // nothing is sent in answer to a bad auth
        return r.error();
    };
    // Tampered ciphertext.
    auto tampered = v.auth(0);
    tampered[100] ^= 1;
    EXPECT_EQ(feed(tampered), make_error_code(Errc::decrypt_failed));
    // Tampered size prefix: the prefix is authenticated as shared data.
    auto prefix = v.auth(0);
    prefix[1] = static_cast<std::uint8_t>(prefix[1] - 1);
    EXPECT_EQ(feed(base::ByteView(prefix).first(prefix.size() - 1)), make_error_code(Errc::decrypt_failed));

    const auto good = *decode_auth(v.static_b.secret_key, v.auth(0));
    const auto auth_body = [&](auto&& fill) {
        codec::rlp::Encoder e;
        e.begin_list();
        fill(e);
        e.end_list();
        return seal_body(v.static_b.public_key, e.take());
    };
    // Not a list / missing elements / wrong sizes.
    EXPECT_EQ(feed(seal_body(v.static_b.public_key, hex("8401020304"))),
              make_error_code(Errc::malformed_auth));
    EXPECT_EQ(
        feed(auth_body([&](auto& e) { e.add_bytes(good.signature).add_bytes(good.initiator_public_key); })),
        make_error_code(Errc::malformed_auth));
    EXPECT_EQ(feed(auth_body([&](auto& e) {
                  e.add_bytes(base::ByteView(good.signature).first(64))
                      .add_bytes(good.initiator_public_key)
                      .add_bytes(good.nonce)
                      .add_uint(4);
              })),
              make_error_code(Errc::malformed_auth));
    // Initiator key not on the curve.
    auto bad_key = good.initiator_public_key;
    bad_key[10] ^= 1;
    EXPECT_EQ(feed(auth_body([&](auto& e) {
                  e.add_bytes(good.signature).add_bytes(bad_key).add_bytes(good.nonce).add_uint(4);
              })),
              make_error_code(Errc::invalid_public_key));
    // Signature that recovers nothing (v = 3).
    auto bad_sig = good.signature;
    bad_sig[64] = 3;
    EXPECT_EQ(feed(auth_body([&](auto& e) {
                  e.add_bytes(bad_sig).add_bytes(good.initiator_public_key).add_bytes(good.nonce).add_uint(4);
              })),
              make_error_code(Errc::bad_signature));
    // The well-formed body sealed afresh still works (the cases above differ only where they say).
    EXPECT_EQ(feed(auth_body([&](auto& e) {
                  e.add_bytes(good.signature)
                      .add_bytes(good.initiator_public_key)
                      .add_bytes(good.nonce)
                      .add_uint(4);
              })),
              std::error_code{});
}

TEST(RlpxHandshake, InitiatorFailureModes) {
    const Vectors v;
    // An ack sealed to someone else.
    {
        auto a = RlpxHandshake::initiator(v.static_b, v.static_a.public_key);
        base::Buffer out;
        ASSERT_TRUE(a.start(out).ok());
        EXPECT_EQ(a.on_data(v.ack(0), out).error(), make_error_code(Errc::decrypt_failed));
        EXPECT_EQ(a.on_data(v.ack(0), out).error(), make_error_code(Errc::handshake_not_running));
    }
    // Malformed ack and an invalid ephemeral key.
    const auto run = [&](base::Bytes body) {
        auto a = RlpxHandshake::initiator(v.static_a, v.static_b.public_key);
        base::Buffer out;
        EXPECT_TRUE(a.start(out).ok());
        auto r = a.on_data(seal_body(v.static_a.public_key, std::move(body)), out);
        return r.ok() ? std::error_code{} : r.error();
    };
    codec::rlp::Encoder e;
    e.begin_list().add_bytes(v.nonce_b).end_list();
    EXPECT_EQ(run(e.take()), make_error_code(Errc::malformed_ack));
    secp::PublicKey off_curve = *secp::public_key_of(v.ephemeral_b);
    off_curve[0] ^= 0x80;
    e.begin_list().add_bytes(off_curve).add_bytes(v.nonce_b).add_uint(4).end_list();
    EXPECT_EQ(run(e.take()), make_error_code(Errc::invalid_public_key));
    // Dialing an invalid node id fails at start.
    auto bad = RlpxHandshake::initiator(v.static_a, off_curve);
    base::Buffer out;
    EXPECT_EQ(bad.start(out).error(), make_error_code(Errc::invalid_public_key));
}

}  // namespace
}  // namespace peerlink::devp2p
