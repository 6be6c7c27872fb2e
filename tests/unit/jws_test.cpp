// SPDX-License-Identifier: MIT
#include <jot/jws.hpp>

#include "../support/test.hpp"

#include <chrono>
#include <string>

#include <jot/builder.hpp>
#include <jot/jwk.hpp>
#include <jot/verifier.hpp>

#include "../support/rfc_vectors.hpp"

namespace rfc = jot_test::rfc;
using namespace std::chrono_literals;

namespace {

jot::key jwk_key(const char* text) {
    auto j = jot::parse_jwk(std::string_view(text));
    REQUIRE_MESSAGE(j, j.error().message());
    return j->k;
}

// RFC 7515 A.1-A.3 claims are valid just before their exp.
const jot::time_point before_a_exp = jot::time_point{std::chrono::seconds{rfc::a_exp - 1}};

jot::verifier rfc7515_verifier(jot::algorithm alg, const char* jwk) {
    jot::key_set keys;
    keys.add(alg, jwk_key(jwk));
    return jot::verifier{keys, {.issuer = "joe", .allow_any_audience = true}};
}

}  // namespace

TEST_CASE("jws verifies RFC 7515 A.1 (HS256) with its claims") {
    const auto r =
        rfc7515_verifier(jot::algorithm::hs256, rfc::a1_jwk).verify_at(rfc::a1_token, before_a_exp);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->issuer() == "joe");
    CHECK(r->claims()["http://example.com/is_root"] == true);
    CHECK(r->type() == "JWT");
}

TEST_CASE("jws verifies RFC 7515 A.2 (RS256) and A.3 (ES256)") {
    const auto a2 =
        rfc7515_verifier(jot::algorithm::rs256, rfc::a2_jwk).verify_at(rfc::a2_token, before_a_exp);
    CHECK_MESSAGE(a2, a2.error().message());
    const auto a3 =
        rfc7515_verifier(jot::algorithm::es256, rfc::a3_jwk).verify_at(rfc::a3_token, before_a_exp);
    CHECK_MESSAGE(a3, a3.error().message());
}

TEST_CASE("jws rejects the RFC 7515 vectors once their exp has passed") {
    const jot::time_point at_exp{std::chrono::seconds{rfc::a_exp}};
    CHECK(rfc7515_verifier(jot::algorithm::hs256, rfc::a1_jwk).verify_at(rfc::a1_token, at_exp).error() ==
          jot::errc::token_expired);
}

TEST_CASE("jws verifies RFC 7515 A.4 (ES512) whose payload is not JSON") {
    const auto ec = jot::ec_key::from(jwk_key(rfc::a4_jwk));
    REQUIRE(ec);
    const auto r = jot::verify_jws<jot::es512>(*ec, rfc::a4_token);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->payload() == "Payload");
}

TEST_CASE("jws rejects RFC 7515 A.5 (alg none) with algorithm_none") {
    const auto v = rfc7515_verifier(jot::algorithm::hs256, rfc::a1_jwk);
    CHECK(v.verify_at(rfc::a5_token, before_a_exp).error() == jot::errc::algorithm_none);
    const auto hmac = jot::hmac_key::from(jwk_key(rfc::a1_jwk));
    REQUIRE(hmac);
    CHECK(jot::verify_jws<jot::hs256>(*hmac, rfc::a5_token).error() == jot::errc::algorithm_none);
}

TEST_CASE("jws verifies RFC 8037 A.4 (Ed25519) and reproduces its deterministic signature") {
    const auto k = jot::ed25519_key::from(jwk_key(rfc::ed25519_jwk));
    REQUIRE(k);
    const auto r = jot::verify_jws<jot::eddsa>(*k, rfc::ed25519_token);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->payload() == "Example of Ed25519 signing");
    const auto signed_again = jot::sign_jws<jot::eddsa>(*k, "Example of Ed25519 signing", {.type = ""});
    REQUIRE(signed_again);
    CHECK(*signed_again == rfc::ed25519_token);
}

TEST_CASE("jws verifies the RFC 7520 section 4 compact examples") {
    const std::string payload = jot::base64url_encode(rfc::rfc7520_payload);
    const auto token = [&](const char* header, const char* sig) {
        return std::string(header) + "." + payload + "." + sig;
    };
    const jot::key rsa = jwk_key(rfc::rfc7520_rsa_jwk);
    const jot::key ec = jwk_key(rfc::rfc7520_ec_jwk);
    const jot::key oct = jwk_key(rfc::rfc7520_oct_jwk);

    SUBCASE("4.1 RS256") {
        const auto r = jot::verify_jws_with(rsa, jot::algorithm::rs256,
                                            token(rfc::rfc7520_41_header, rfc::rfc7520_41_signature), {});
        REQUIRE_MESSAGE(r, r.error().message());
        CHECK(r->payload() == rfc::rfc7520_payload);
        CHECK(r->header()["kid"] == rfc::rfc7520_kid);
    }
    SUBCASE("4.2 PS384") {
        const auto r = jot::verify_jws_with(rsa, jot::algorithm::ps384,
                                            token(rfc::rfc7520_42_header, rfc::rfc7520_42_signature), {});
        CHECK_MESSAGE(r, r.error().message());
    }
    SUBCASE("4.3 ES512") {
        const auto r = jot::verify_jws_with(ec, jot::algorithm::es512,
                                            token(rfc::rfc7520_43_header, rfc::rfc7520_43_signature), {});
        CHECK_MESSAGE(r, r.error().message());
    }
    SUBCASE("4.4 HS256") {
        const auto r = jot::verify_jws_with(oct, jot::algorithm::hs256,
                                            token(rfc::rfc7520_44_header, rfc::rfc7520_44_signature), {});
        CHECK_MESSAGE(r, r.error().message());
    }
    SUBCASE("4.1 RS256 is deterministic: jot produces the same signature") {
        const auto rsa_key = jot::rsa_key::from(rsa);
        REQUIRE(rsa_key);
        const auto again =
            jot::sign_jws<jot::rs256>(*rsa_key, rfc::rfc7520_payload, {.type = "", .kid = rfc::rfc7520_kid});
        REQUIRE(again);
        CHECK(*again == token(rfc::rfc7520_41_header, rfc::rfc7520_41_signature));
    }
}

TEST_CASE("jws signs and verifies every algorithm, and a flipped bit fails") {
    for (const auto& t : jot::all_algorithms) {
        CAPTURE(t.name);
        const auto k = jot::key::generate(t.id);
        REQUIRE(k);
        const auto token = jot::sign_jws_with(*k, t.id, "any \x01 bytes");
        REQUIRE(token);
        const auto ok = jot::verify_jws_with(k->public_key(), t.id, *token, {});
        REQUIRE_MESSAGE(ok, ok.error().message());
        CHECK(ok->payload() == "any \x01 bytes");
        std::string tampered = *token;
        tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
        CHECK_FALSE(jot::verify_jws_with(k->public_key(), t.id, tampered, {}));
    }
}

TEST_CASE("jws refuses a key bound to another algorithm than the header names") {
    const auto k = jot::key::generate(jot::algorithm::rs256);
    REQUIRE(k);
    const auto rsa = jot::rsa_key::from(*k);
    REQUIRE(rsa);
    const auto token = jot::sign_jws<jot::rs256>(*rsa, "x");
    REQUIRE(token);
    CHECK(jot::verify_jws<jot::ps256>(rsa->public_key(), *token).error() == jot::errc::algorithm_not_allowed);
}

TEST_CASE("jws signing refuses public keys, weak HMAC keys and wrong curves") {
    const auto es256 = jot::key::generate(jot::algorithm::es256);
    REQUIRE(es256);
    const auto ec = jot::ec_key::from(*es256);
    REQUIRE(ec);
    CHECK(jot::sign_jws<jot::es256>(ec->public_key(), "x").error() == jot::errc::key_not_private);
    CHECK(jot::sign_jws<jot::es384>(*ec, "x").error() == jot::errc::key_algorithm_mismatch);
    const auto short_secret = jot::hmac_key::from_secret(std::string(40, 'k'));
    REQUIRE(short_secret);
    CHECK(jot::sign_jws<jot::hs256>(*short_secret, "x"));
    CHECK(jot::sign_jws<jot::hs384>(*short_secret, "x").error() == jot::errc::key_too_weak);
}
