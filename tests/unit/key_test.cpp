// SPDX-License-Identifier: MIT
#include <jot/key.hpp>

#include "../support/test.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <jot/jwk.hpp>
#include <jot/jws.hpp>

#include "../support/openssl_fixtures.hpp"
#include "../support/weak_keys.hpp"

using jot::errc;
namespace fx = jot_test;

namespace {
std::span<const std::byte> bytes(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// A private key and a public key loaded from two encodings must agree on a signature.
void check_pair(const jot::key& priv, const jot::key& pub, jot::algorithm alg) {
    REQUIRE(priv.is_private());
    CHECK_FALSE(pub.is_private());
    const auto token = jot::sign_jws_with(priv, alg, "payload");
    REQUIRE(token);
    CHECK(jot::verify_jws_with(pub, alg, *token, {}));
}

std::error_code jwks_error(const std::string& jwk_text) {
    const std::array allowed{jot::algorithm::rs256, jot::algorithm::eddsa};
    const auto good = jot::to_jwk(jot::key::generate(jot::algorithm::eddsa).value().public_key(), "good");
    const nlohmann::json jwks = {{"keys", {good, nlohmann::json::parse(jwk_text)}}};
    return jot::key_set_from_jwks(jwks, allowed).error();
}

// The same public key refused with `expected` from PEM, DER, a JWK and a JWKS (beside a good key).
void check_refused_everywhere(const std::string& spki_der, const std::string& jwk_text, errc expected) {
    CHECK(jot::key::from_der(bytes(spki_der)).error() == expected);
    CHECK(jot::key::from_pem(fx::pem_of(spki_der, "PUBLIC KEY")).error() == expected);
    CHECK(jot::parse_jwk(std::string_view(jwk_text)).error() == expected);
    CHECK(jwks_error(jwk_text) == expected);
}

void check_rsa_refused(const std::string& n, const std::string& e, errc expected) {
    const auto k = fx::rsa_public(n, e);
    check_refused_everywhere(
        fx::encode(k.get(), OSSL_KEYMGMT_SELECT_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo"), fx::rsa_jwk(n, e),
        expected);
    CHECK(jot::key::from_pem(fx::public_pem(k.get(), "type-specific")).error() == expected);  // PKCS#1
}

void check_ed25519_refused(const std::string& raw, errc expected) {
    const std::string jwk = R"({"kty":"OKP","crv":"Ed25519","x":")" + jot::base64url_encode(raw) + R"("})";
    check_refused_everywhere(fx::ed25519_spki_der(raw), jwk, expected);
}
}  // namespace

TEST_CASE("key loads RSA keys from PKCS#8, PKCS#1, SubjectPublicKeyInfo, certificates and DER") {
    const auto k = fx::generate_rsa(2048);
    const auto priv8 = jot::key::from_pem(fx::private_pem(k.get()));
    const auto priv1 = jot::key::from_pem(fx::private_pem(k.get(), "type-specific"));
    const auto spki = jot::key::from_pem(fx::public_pem(k.get()));
    const auto pkcs1 = jot::key::from_pem(fx::public_pem(k.get(), "type-specific"));
    const auto cert = jot::key::from_pem(fx::self_signed_certificate(k.get()));
    const auto cert_der = jot::key::from_der(bytes(fx::self_signed_certificate(k.get(), true)));
    const auto der =
        jot::key::from_der(bytes(fx::encode(k.get(), OSSL_KEYMGMT_SELECT_KEYPAIR, "DER", "PrivateKeyInfo")));
    for (const auto* r : {&priv8, &priv1, &spki, &pkcs1, &cert, &cert_der, &der})
        REQUIRE_MESSAGE(*r, r->error());
    CHECK(priv8->family() == jot::key_family::rsa);
    CHECK(priv8->bits() == 2048);
    check_pair(*priv8, *spki, jot::algorithm::rs256);
    check_pair(*priv1, *pkcs1, jot::algorithm::ps384);
    check_pair(*der, *cert, jot::algorithm::rs512);
    check_pair(*priv8, *cert_der, jot::algorithm::ps256);
}

TEST_CASE("key loads EC keys from PKCS#8, SEC1 and certificates and knows their curve") {
    for (const auto& [group, alg, c] : {std::tuple{"P-256", jot::algorithm::es256, jot::curve::p256},
                                        std::tuple{"P-384", jot::algorithm::es384, jot::curve::p384},
                                        std::tuple{"P-521", jot::algorithm::es512, jot::curve::p521}}) {
        CAPTURE(group);
        const auto k = fx::generate_ec(group);
        const auto priv = jot::key::from_pem(fx::private_pem(k.get()));
        const auto sec1 = jot::key::from_pem(fx::private_pem(k.get(), "type-specific"));
        const auto pub = jot::key::from_pem(fx::public_pem(k.get()));
        const auto cert = jot::key::from_pem(fx::self_signed_certificate(k.get()));
        for (const auto* r : {&priv, &sec1, &pub, &cert}) REQUIRE_MESSAGE(*r, r->error());
        CHECK(priv->named_curve() == c);
        check_pair(*priv, *pub, alg);
        check_pair(*sec1, *cert, alg);
    }
}

TEST_CASE("key loads Ed25519 keys from PKCS#8, SubjectPublicKeyInfo and certificates") {
    const auto k = fx::generate_ed25519();
    const auto priv = jot::key::from_pem(fx::private_pem(k.get()));
    const auto pub = jot::key::from_pem(fx::public_pem(k.get()));
    const auto cert = jot::key::from_pem(fx::self_signed_certificate(k.get()));
    for (const auto* r : {&priv, &pub, &cert}) REQUIRE_MESSAGE(*r, r->error());
    CHECK(priv->family() == jot::key_family::okp);
    check_pair(*priv, *pub, jot::algorithm::eddsa);
    check_pair(*priv, *cert, jot::algorithm::eddsa);
}

TEST_CASE("key refuses weak keys") {
    CHECK(jot::key::hmac(std::string(31, 'k')).error() == errc::key_too_weak);
    CHECK(jot::key::hmac(std::string(32, 'k')));
    const auto rsa1024 = fx::generate_rsa(1024);
    CHECK(jot::key::from_pem(fx::private_pem(rsa1024.get())).error() == errc::key_too_weak);
    CHECK(jot::key::from_pem(fx::public_pem(rsa1024.get())).error() == errc::key_too_weak);
    CHECK(jot::key::generate(jot::algorithm::rs256, 1024).error() == errc::key_too_weak);
}

TEST_CASE("key refuses what is not a key, and key types jot does not use") {
    CHECK(jot::key::from_pem("").error() == errc::key_invalid);
    CHECK(jot::key::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").error() ==
          errc::key_invalid);
    CHECK(jot::key::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").error() ==
          errc::key_invalid);
    CHECK(jot::key::from_der(bytes(std::string("\x30\x03\x02\x01\x01", 5))).error() == errc::key_invalid);
    const auto secp256k1 = fx::generate_ec("secp256k1");
    CHECK(jot::key::from_pem(fx::private_pem(secp256k1.get())).error() == errc::key_invalid);
}

TEST_CASE("key fits only its own family, curve and strength") {
    const auto es256 = jot::key::generate(jot::algorithm::es256).value();
    CHECK(es256.fits(jot::algorithm::es256, jot::key_use::sign));
    CHECK(es256.fits(jot::algorithm::es384, jot::key_use::verify).error() == errc::key_algorithm_mismatch);
    CHECK(es256.fits(jot::algorithm::rs256, jot::key_use::verify).error() == errc::key_algorithm_mismatch);
    CHECK(es256.public_key().fits(jot::algorithm::es256, jot::key_use::sign).error() ==
          errc::key_not_private);
    const auto hs = jot::key::hmac(std::string(48, 's')).value();
    CHECK(hs.fits(jot::algorithm::hs384, jot::key_use::verify));
    CHECK(hs.fits(jot::algorithm::hs512, jot::key_use::verify).error() == errc::key_too_weak);
    CHECK(jot::rsa_key::from(es256).error() == errc::key_algorithm_mismatch);
    CHECK(jot::ec_key::from(es256));
}

TEST_CASE("key exports PEM that loads back to the same key") {
    for (const auto alg : {jot::algorithm::rs256, jot::algorithm::es384, jot::algorithm::eddsa}) {
        const auto k = jot::key::generate(alg).value();
        const auto again = jot::key::from_pem(k.to_pem());
        REQUIRE(again);
        CHECK(again->is_private());
        check_pair(*again, jot::key::from_pem(k.public_key().to_pem()).value(), alg);
    }
    CHECK(jot::key::hmac(std::string(32, 's')).value().to_pem().empty());
}

TEST_CASE("key refuses an RSA public exponent of 1, in every format") {
    // e = 1: the "signature" is the padded digest, which anyone can compute (issue 15)
    check_rsa_refused(fx::fresh_rsa_modulus(), fx::exponent(1), errc::key_rsa_exponent_invalid);
}

TEST_CASE("key refuses an even RSA public exponent, in every format") {
    const std::string n = fx::fresh_rsa_modulus();
    for (const std::uint64_t e : {2ULL, 4ULL, 65536ULL, 65538ULL}) {
        CAPTURE(e);
        check_rsa_refused(n, fx::exponent(e), errc::key_rsa_exponent_invalid);
    }
}

TEST_CASE("key refuses an RSA public exponent longer than 32 bits") {
    const std::string n = fx::fresh_rsa_modulus();
    check_rsa_refused(n, fx::exponent(0x1'0000'0001ULL), errc::key_rsa_exponent_invalid);
    check_rsa_refused(n, std::string(32, '\xff'), errc::key_rsa_exponent_invalid);
    CHECK(jot::parse_jwk(std::string_view(fx::rsa_jwk(n, fx::exponent(0xffff'ffffULL)))));
}

TEST_CASE("key accepts the RSA public exponents 3 and 65537") {
    const std::string n = fx::fresh_rsa_modulus();
    for (const std::uint64_t e : {3ULL, 65537ULL}) {
        CAPTURE(e);
        const auto k = fx::rsa_public(n, fx::exponent(e));
        CHECK(jot::key::from_pem(fx::public_pem(k.get())));
        CHECK(jot::parse_jwk(std::string_view(fx::rsa_jwk(n, fx::exponent(e)))));
    }
}

TEST_CASE("key refuses an RSA modulus with the ROCA fingerprint, in every format") {
    for (const unsigned c : {1U, 1234U, 99991U}) {
        CAPTURE(c);
        check_rsa_refused(fx::roca_modulus(c), fx::exponent(65537), errc::key_rsa_roca);
    }
}

TEST_CASE("key accepts moduli next to a ROCA-shaped one") {
    // Shifting N by 2i moves its residues mod the small primes, so the fingerprint no longer holds at all
    // of them (a random modulus matches every prime with probability below 2^-150).
    const std::string roca = fx::roca_modulus(7);
    for (int i = 1; i <= 8; ++i) {
        CAPTURE(i);
        std::string n = roca;
        n.back() = static_cast<char>(static_cast<unsigned char>(n.back()) ^ (2 * i));
        CHECK(jot::parse_jwk(std::string_view(fx::rsa_jwk(n, fx::exponent(65537)))));
    }
    CHECK(jot::key::generate(jot::algorithm::rs256));
}

TEST_CASE("key refuses every small-order Ed25519 public key, in every encoding and format") {
    for (const auto& point : fx::small_order_ed25519_encodings()) {
        CAPTURE(jot::base64url_encode(point));
        check_ed25519_refused(point, errc::key_ed25519_small_order);
    }
}

TEST_CASE("key refuses a non-canonical Ed25519 public key (y >= p)") {
    // y = p + 3 and y = 2^255 - 1 (= p + 18): both reduce to points of the curve, but no encoder makes them
    std::string p_plus_3 = fx::from_hex("f0" + std::string(60, 'f') + "7f");
    check_ed25519_refused(p_plus_3, errc::key_ed25519_non_canonical);
    check_ed25519_refused(std::string(31, '\xff') + "\x7f", errc::key_ed25519_non_canonical);
    p_plus_3.back() = '\xff';  // the same with the sign bit set
    check_ed25519_refused(p_plus_3, errc::key_ed25519_non_canonical);
}

TEST_CASE("key refuses an Ed25519 public value that is not a point of the curve") {
    // y = 2: (y^2 - 1) / (d y^2 + 1) is not a square mod p
    const std::string two = fx::from_hex("02" + std::string(62, '0'));
    CHECK(jot::key::from_der(bytes(fx::ed25519_spki_der(two))).error() == errc::key_invalid);
    CHECK(jot::key::from_pem(fx::pem_of(fx::ed25519_spki_der(two), "PUBLIC KEY")).error() ==
          errc::key_invalid);
    const std::string jwk = R"({"kty":"OKP","crv":"Ed25519","x":")" + jot::base64url_encode(two) + R"("})";
    CHECK(jot::parse_jwk(std::string_view(jwk)).error() == errc::key_invalid);
    CHECK_FALSE(jwks_error(jwk));  // a JWKS skips a key that does not parse (RFC 7517 §5) and keeps the rest
    // y = 3 is a point of the curve and of large order
    const std::string three = fx::from_hex("03" + std::string(62, '0'));
    CHECK(jot::key::from_der(bytes(fx::ed25519_spki_der(three))));
}

namespace {
// An Ed25519 signature of `msg` built by hand from the key's seed: R = `r_point` and S = k * a mod L (the
// value that makes [S]B = R + [k]A hold when R is the identity), or the key's own signature when r_point
// is empty.
struct ed25519_signer {
    fx::pkey k = fx::generate_ed25519();
    std::string seed = raw(true), pub = raw(false);

    [[nodiscard]] std::string raw(bool private_part) const {
        std::string out(32, '\0');
        std::size_t len = 32;
        auto* p = reinterpret_cast<unsigned char*>(out.data());
        REQUIRE((private_part ? EVP_PKEY_get_raw_private_key(k.get(), p, &len)
                              : EVP_PKEY_get_raw_public_key(k.get(), p, &len)) == 1);
        return out;
    }

    static std::string sha512(const std::string& data) {
        std::string out(64, '\0');
        unsigned int len = 64;
        REQUIRE(EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                           EVP_sha512(), nullptr) == 1);
        return out;
    }

    static fx::bn le(const std::string& bytes) {
        return fx::bn(BN_lebin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()), nullptr));
    }

    static fx::bn order() {
        const auto l =
            fx::bn_from_dec("7237005577332262213973186563042994240857116359379907606001950938285454250989");
        return fx::bn(BN_dup(l.get()));
    }

    [[nodiscard]] std::string with_identity_r(const std::string& msg) const {
        std::string h = sha512(seed).substr(0, 32);
        h[0] = static_cast<char>(h[0] & 0xf8);  // RFC 8032 §5.1.5 clamping
        h[31] = static_cast<char>((h[31] & 0x7f) | 0x40);
        const std::string r = fx::from_hex("01" + std::string(62, '0'));
        const auto a = le(h), k_hash = le(sha512(r + pub + msg)), l = order();
        BN_CTX* ctx = BN_CTX_new();
        const fx::bn s(BN_new());
        REQUIRE(BN_mod_mul(s.get(), k_hash.get(), a.get(), l.get(), ctx) == 1);
        BN_CTX_free(ctx);
        std::string s_bytes(32, '\0');
        REQUIRE(BN_bn2lebinpad(s.get(), reinterpret_cast<unsigned char*>(s_bytes.data()), 32) == 32);
        return r + s_bytes;
    }

    [[nodiscard]] bool openssl_accepts(const std::string& msg, const std::string& sig) const {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        const bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, k.get()) == 1 &&
                        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                         reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
        EVP_MD_CTX_free(ctx);
        return ok;
    }
};
}  // namespace

TEST_CASE("key refuses an Ed25519 signature whose R is the identity, which OpenSSL accepts") {
    const ed25519_signer signer;
    const auto pub = jot::key::from_der(bytes(fx::ed25519_spki_der(signer.pub))).value();
    const std::string input = jot::base64url_encode(R"({"alg":"EdDSA"})") + "." + jot::base64url_encode("hi");
    const std::string sig = signer.with_identity_r(input);
    WARN_MESSAGE(signer.openssl_accepts(input, sig), "OpenSSL no longer accepts a small-order R");
    CHECK(jot::verify_jws_with(pub, jot::algorithm::eddsa, input + "." + jot::base64url_encode(sig), {})
              .error() == errc::signature_invalid);
}

TEST_CASE("key refuses an Ed25519 signature whose S is not below the group order") {
    const ed25519_signer signer;
    const auto priv = jot::key::from_pem(fx::private_pem(signer.k.get())).value();
    const auto token = jot::sign_jws_with(priv, jot::algorithm::eddsa, "hi").value();
    CHECK(jot::verify_jws_with(priv.public_key(), jot::algorithm::eddsa, token, {}));
    const std::string input = token.substr(0, token.rfind('.'));
    const std::string sig = jot::base64url_decode(token.substr(token.rfind('.') + 1)).value();
    const auto s = ed25519_signer::le(sig.substr(32)), l = ed25519_signer::order();
    REQUIRE(BN_add(s.get(), s.get(), l.get()) == 1);  // S + L: the same point equation, a second encoding
    std::string s_bytes(32, '\0');
    REQUIRE(BN_bn2lebinpad(s.get(), reinterpret_cast<unsigned char*>(s_bytes.data()), 32) == 32);
    const std::string malleated = sig.substr(0, 32) + s_bytes;
    WARN_MESSAGE(!signer.openssl_accepts(input, malleated), "OpenSSL accepts S >= L");
    CHECK(jot::verify_jws_with(priv.public_key(), jot::algorithm::eddsa,
                               input + "." + jot::base64url_encode(malleated), {})
              .error() == errc::signature_invalid);
}
