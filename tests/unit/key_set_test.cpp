// SPDX-License-Identifier: MIT
#include <jot/key_set.hpp>

#include "../support/test.hpp"

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include <jot/jwk.hpp>

#include "../support/weak_keys.hpp"

using jot::errc;
namespace fx = jot_test;

namespace {
jot::key hs(char fill) {
    return jot::key::hmac(std::string(32, fill)).value();
}
jot::key es() {
    return jot::key::generate(jot::algorithm::es256).value();
}
}  // namespace

TEST_CASE("key_set refuses two different keys with the same kid") {
    jot::key_set keys;
    keys.add(jot::algorithm::es256, es(), "k");
    CHECK(keys.try_add(jot::algorithm::es256, es(), "k").error() == errc::key_set_duplicate_kid);
    CHECK_THROWS_AS(keys.add(jot::algorithm::es256, es(), "k"), jot::setup_error);
    jot::key_set secrets;
    secrets.add(jot::algorithm::hs256, hs('a'), "k");
    CHECK(secrets.try_add(jot::algorithm::hs256, hs('b'), "k").error() == errc::key_set_duplicate_kid);
    CHECK(keys.size() == 1);
    CHECK(secrets.size() == 1);
}

TEST_CASE("key_set accepts one key under one kid for several algorithms, and keys without a kid") {
    const auto rsa = jot::key::generate(jot::algorithm::rs256).value();
    jot::key_set keys;
    keys.add(jot::algorithm::rs256, rsa, "r").add(jot::algorithm::ps256, rsa.public_key(), "r");
    CHECK(keys.try_add(jot::algorithm::rs256, rsa, "r"));  // the same entry again: nothing new
    CHECK(keys.size() == 2);
    keys.add(jot::algorithm::rs256, jot::key::generate(jot::algorithm::rs256).value())
        .add(jot::algorithm::rs256, jot::key::generate(jot::algorithm::rs256).value());
    CHECK(keys.size() == 4);
}

TEST_CASE("key_set refuses secret keys beside asymmetric keys unless the risk is accepted") {
    jot::key_set asymmetric;
    asymmetric.add(jot::algorithm::es256, es(), "e");
    CHECK(asymmetric.try_add(jot::algorithm::hs256, hs('s'), "h").error() == errc::key_set_mixed_kinds);
    CHECK_THROWS_AS(asymmetric.add(jot::algorithm::hs256, hs('s')), jot::setup_error);
    jot::key_set secret;
    secret.add(jot::algorithm::hs256, hs('s'), "h");
    CHECK(secret.try_add(jot::algorithm::es256, es(), "e").error() == errc::key_set_mixed_kinds);

    jot::key_set mixed({.allow_mixed_secret_and_public_keys = true});
    CHECK(mixed.try_add(jot::algorithm::es256, es(), "e"));
    CHECK(mixed.try_add(jot::algorithm::hs256, hs('s'), "h"));
    CHECK(mixed.size() == 2);
}

TEST_CASE("key_set_from_jwks refuses two different keys with the same kid") {
    const std::array allowed{jot::algorithm::es256};
    const nlohmann::json jwks = {{"keys", {jot::to_jwk(es(), "same"), jot::to_jwk(es(), "same")}}};
    CHECK(jot::key_set_from_jwks(jwks, allowed).error() == errc::key_set_duplicate_kid);
    // A repeated kid is ambiguous even when jot skips one of the keys (non-canonical base64url here).
    const std::string secret = jot::base64url_encode(std::string(32, 's'));
    const nlohmann::json skipped = {{"keys",
                                     {{{"kty", "oct"}, {"kid", "h"}, {"k", secret}},
                                      {{"kty", "oct"}, {"kid", "h"}, {"k", secret.substr(0, 42) + "t"}}}}};
    CHECK(jot::key_set_from_jwks(skipped, std::array{jot::algorithm::hs256}).error() ==
          errc::key_set_duplicate_kid);
    const auto one = es();
    const nlohmann::json twice = {
        {"keys", {jot::to_jwk(one, "same"), jot::to_jwk(one.public_key(), "same")}}};
    const auto set = jot::key_set_from_jwks(twice, allowed);
    REQUIRE(set);
    CHECK(set->size() == 1);
}

TEST_CASE("key_set_from_jwks refuses secret keys beside public keys unless the risk is accepted") {
    const std::array allowed{jot::algorithm::es256, jot::algorithm::hs256};
    const nlohmann::json jwks = {{"keys", {jot::to_jwk(es(), "e"), jot::to_jwk(hs('s'), "h", {}, true)}}};
    REQUIRE(jwks["keys"][1].contains("k"));
    CHECK(jot::key_set_from_jwks(jwks, allowed).error() == errc::key_set_mixed_kinds);
    CHECK(jot::key_set_from_jwks(jwks.dump(), allowed).error() == errc::key_set_mixed_kinds);
    const auto set = jot::key_set_from_jwks(jwks, allowed, {.allow_mixed_secret_and_public_keys = true});
    REQUIRE(set);
    CHECK(set->size() == 2);
    const nlohmann::json only_secrets = {{"keys", {jot::to_jwk(hs('s'), "h", {}, true)}}};
    CHECK(jot::key_set_from_jwks(only_secrets, allowed));
}

TEST_CASE("key_set_from_jwks refuses the whole set when one key is a known-weak key") {
    const std::array allowed{jot::algorithm::rs256, jot::algorithm::eddsa};
    const auto good = jot::to_jwk(jot::key::generate(jot::algorithm::eddsa).value().public_key(), "good");
    const auto with = [&](const std::string& bad) {
        return jot::key_set_from_jwks(nlohmann::json{{"keys", {good, nlohmann::json::parse(bad)}}}, allowed)
            .error();
    };
    const std::string n = fx::fresh_rsa_modulus();
    CHECK(with(fx::rsa_jwk(n, fx::exponent(1))) == errc::key_rsa_exponent_invalid);
    CHECK(with(fx::rsa_jwk(fx::roca_modulus(), fx::exponent(65537))) == errc::key_rsa_roca);
    const std::string identity = jot::base64url_encode(fx::from_hex("01" + std::string(62, '0')));
    CHECK(with(R"({"kty":"OKP","crv":"Ed25519","x":")" + identity + R"("})") ==
          errc::key_ed25519_small_order);
    CHECK_FALSE(with(fx::rsa_jwk(n, fx::exponent(65537))));
    CHECK_FALSE(with(R"({"kty":"unknown"})"));  // unknown types are still skipped (RFC 7517 §5)
}

TEST_CASE("key_set published as a JWKS holds no secret or private member") {
    jot::key_set keys;
    for (const auto alg : {jot::algorithm::rs256, jot::algorithm::es384, jot::algorithm::eddsa}) {
        const auto k = jot::key::generate(alg).value();
        REQUIRE(k.is_private());
        keys.add(alg, k, jot::thumbprint(k));
    }
    const auto jwks = jot::to_jwks(keys);
    REQUIRE(jwks["keys"].size() == 3);
    for (const auto& k : jwks["keys"]) {
        for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
            CHECK_MESSAGE(!k.contains(member), member);
        CHECK_FALSE(jot::parse_jwk(k).value().k.is_private());
    }
    jot::key_set mixed({.allow_mixed_secret_and_public_keys = true});
    mixed.add(jot::algorithm::hs256, hs('s'), "h").add(jot::algorithm::es256, es(), "e");
    const auto published = jot::to_jwks(mixed);
    REQUIRE(published["keys"].size() == 1);
    CHECK(published["keys"][0]["kid"] == "e");
    CHECK(published.dump().find(jot::base64url_encode(std::string(32, 's'))) == std::string::npos);
}
