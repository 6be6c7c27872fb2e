// SPDX-License-Identifier: MIT
#include <jot/key.hpp>

#include "../support/test.hpp"

#include <openssl/pem.h>

#include <span>
#include <string>

#include <jot/jws.hpp>

#include "../support/openssl_fixtures.hpp"

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
