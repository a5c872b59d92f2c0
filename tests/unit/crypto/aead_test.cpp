#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <utility>

#include "crypto/crypto.hpp"
#include "unit/crypto/hex.hpp"

namespace peerlink::crypto {
namespace {

using test::hex;
using test::hex_array;
using test::to_hex;

using Aead = ChaCha20Poly1305;

// RFC 8439 section 2.8.2.
constexpr const char* k_key = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
constexpr const char* k_nonce = "070000004041424344454647";
constexpr const char* k_aad = "50515253c0c1c2c3c4c5c6c7";
constexpr const char* k_plaintext =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen "
    "would be it.";
constexpr const char* k_sealed =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
    "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116"
    "1ae10b594f09e26a7e902ecbd0600691";  // tag

base::Bytes seal(Aead& aead, const Aead::Nonce& nonce, base::ByteView plaintext, base::ByteView aad) {
    base::Bytes out(plaintext.size() + Aead::tag_size);
    aead.seal(nonce, plaintext, aad, out);
    return out;
}

TEST(ChaCha20Poly1305, Rfc8439AeadVector) {
    Aead aead(hex_array<32>(k_key));

    const base::Bytes sealed = seal(aead, hex_array<12>(k_nonce), base::as_bytes(k_plaintext), hex(k_aad));

    EXPECT_EQ(to_hex(sealed), k_sealed);
}

TEST(ChaCha20Poly1305, Rfc8439VectorOpens) {
    Aead aead(hex_array<32>(k_key));
    const base::Bytes sealed = hex(k_sealed);
    base::Bytes plaintext(sealed.size() - Aead::tag_size);

    const auto r = aead.open(hex_array<12>(k_nonce), sealed, hex(k_aad), plaintext);

    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(base::as_chars(plaintext), k_plaintext);
}

TEST(ChaCha20Poly1305, ReusedContextResetsPerMessage) {
    // The contexts are keyed once; each call must start a fresh Poly1305 and keystream.
    Aead aead(hex_array<32>(k_key));
    const auto nonce = hex_array<12>(k_nonce);
    (void)seal(aead, Aead::Nonce{}, base::as_bytes("warm-up message, different nonce"), {});
    const base::Bytes sealed = hex(k_sealed);
    base::Bytes junk(sealed.size() - Aead::tag_size);
    ASSERT_FALSE(aead.open(Aead::Nonce{}, sealed, {}, junk).ok());  // leaves a failed open behind

    EXPECT_EQ(to_hex(seal(aead, nonce, base::as_bytes(k_plaintext), hex(k_aad))), k_sealed);
    EXPECT_EQ(to_hex(seal(aead, nonce, base::as_bytes(k_plaintext), hex(k_aad))), k_sealed);
}

TEST(ChaCha20Poly1305, InPlaceSealAndOpen) {
    Aead aead(hex_array<32>(k_key));
    const auto nonce = hex_array<12>(k_nonce);
    const std::string_view text = k_plaintext;
    base::Bytes buffer(text.size() + Aead::tag_size);
    std::copy(text.begin(), text.end(), buffer.begin());

    aead.seal(nonce, base::ByteView(buffer).first(text.size()), hex(k_aad), buffer);
    ASSERT_EQ(to_hex(buffer), k_sealed);
    const auto r = aead.open(nonce, buffer, hex(k_aad), base::MutableByteView(buffer).first(text.size()));

    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(base::as_chars(base::ByteView(buffer).first(text.size())), text);
}

TEST(ChaCha20Poly1305, TamperingFailsWithDecryptFailed) {
    Aead aead(hex_array<32>(k_key));
    const auto nonce = hex_array<12>(k_nonce);
    const base::Bytes aad = hex(k_aad);
    const base::Bytes good = hex(k_sealed);
    base::Bytes out(good.size() - Aead::tag_size);

    const auto expect_rejected = [&](const Aead::Nonce& n, base::ByteView sealed, base::ByteView a,
                                     const char* what) {
        std::fill(out.begin(), out.end(), std::uint8_t{0xaa});
        const auto r = aead.open(n, sealed, a, out);
        ASSERT_FALSE(r.ok()) << what;
        EXPECT_EQ(r.error(), make_error_code(Errc::decrypt_failed)) << what;
        EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0; }))
            << what << ": unauthenticated plaintext left in out";
    };

    base::Bytes bad_tag = good;
    bad_tag.back() ^= 0x01;
    expect_rejected(nonce, bad_tag, aad, "tag");
    base::Bytes bad_ct = good;
    bad_ct[0] ^= 0x80;
    expect_rejected(nonce, bad_ct, aad, "ciphertext");
    base::Bytes bad_aad = aad;
    bad_aad[3] ^= 0x01;
    expect_rejected(nonce, good, bad_aad, "aad");
    expect_rejected(nonce, good, {}, "missing aad");
    auto bad_nonce = nonce;
    bad_nonce[0] ^= 0x01;
    expect_rejected(bad_nonce, good, aad, "nonce");

    // The untouched record still opens afterwards.
    EXPECT_TRUE(aead.open(nonce, good, aad, out).ok());
}

TEST(ChaCha20Poly1305, RecordShorterThanTagIsDecryptFailure) {
    Aead aead(hex_array<32>(k_key));
    const base::Bytes short_record(Aead::tag_size - 1);

    const auto r = aead.open(Aead::Nonce{}, short_record, {}, {});

    EXPECT_EQ(r.error(), make_error_code(Errc::decrypt_failed));
}

TEST(ChaCha20Poly1305, EmptyPlaintextIsJustATag) {
    Aead aead(hex_array<32>(k_key));
    const auto nonce = hex_array<12>(k_nonce);

    const base::Bytes sealed = seal(aead, nonce, {}, hex(k_aad));

    ASSERT_EQ(sealed.size(), Aead::tag_size);
    EXPECT_TRUE(aead.open(nonce, sealed, hex(k_aad), {}).ok());
    EXPECT_FALSE(aead.open(nonce, sealed, {}, {}).ok());
}

TEST(ChaCha20Poly1305, MovedObjectKeepsWorking) {
    Aead original(hex_array<32>(k_key));
    Aead moved(std::move(original));
    Aead assigned(Aead::Key{});
    assigned = std::move(moved);

    EXPECT_EQ(to_hex(seal(assigned, hex_array<12>(k_nonce), base::as_bytes(k_plaintext), hex(k_aad))),
              k_sealed);
}

TEST(ChaCha20Poly1305, OpensslAndLibsodiumAgree) {
    for (const std::size_t size : {0u, 1u, 15u, 16u, 63u, 64u, 65u, 1024u, 1500u, 4096u + 7u}) {
        Aead::Key key;
        Aead::Nonce nonce;
        base::Bytes plaintext(size);
        random_bytes(key);
        random_bytes(nonce);
        random_bytes(plaintext);
        Aead aead(key);
        base::Bytes from_sodium(size + Aead::tag_size);

        const base::Bytes from_openssl = seal(aead, nonce, plaintext, {});
        sodium_chacha20poly1305_seal(key, nonce, plaintext, from_sodium);

        EXPECT_EQ(to_hex(from_openssl), to_hex(from_sodium)) << "size " << size;
        base::Bytes opened(size);
        EXPECT_TRUE(aead.open(nonce, from_sodium, {}, opened).ok()) << "size " << size;
        EXPECT_EQ(opened, plaintext) << "size " << size;
    }
}

TEST(CryptoErrc, MessagesNameTheFailure) {
    EXPECT_EQ(Errc_category().name(), std::string("crypto"));
    for (const Errc e :
         {Errc::low_order_point, Errc::bad_signature, Errc::decrypt_failed, Errc::backend_failure}) {
        const std::error_code ec = e;
        EXPECT_FALSE(ec.message().empty());
        EXPECT_NE(ec.message(), "unknown crypto error");
    }
}

}  // namespace
}  // namespace peerlink::crypto
