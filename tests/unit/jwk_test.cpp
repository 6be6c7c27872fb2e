// SPDX-License-Identifier: MIT
#include <jot/jwk.hpp>

#include "../support/test.hpp"

#include <string>

#include <jot/jws.hpp>

#include "../support/rfc_vectors.hpp"

using jot::errc;
namespace rfc = jot_test::rfc;

TEST_CASE("jwk computes the RFC 7638 thumbprint, ignoring optional members") {
    const auto k = jot::parse_jwk(std::string_view(rfc::thumbprint_jwk));
    REQUIRE(k);
    CHECK(jot::thumbprint(k->k) == rfc::thumbprint_expected);
    CHECK(k->kid == "2011-04-29");
    CHECK(k->alg == jot::algorithm::rs256);
}

TEST_CASE("jwk thumbprints are the same for a private key and its public part") {
    for (const auto& t : jot::all_algorithms) {
        CAPTURE(t.name);
        const auto k = jot::key::generate(t.id).value();
        const auto tp = jot::thumbprint(k);
        CHECK(tp.size() == 43);
        CHECK(jot::thumbprint(k.public_key()) == tp);
    }
}

TEST_CASE("jwk round-trips private and public keys of every family") {
    for (const auto& t : jot::all_algorithms) {
        CAPTURE(t.name);
        const auto k = jot::key::generate(t.id).value();
        const auto priv = jot::parse_jwk(jot::to_jwk(k, "kid-1", t.id, true));
        REQUIRE_MESSAGE(priv, priv.error());
        CHECK(priv->k.is_private());
        CHECK(priv->kid == "kid-1");
        CHECK(priv->use == "sig");
        const auto token = jot::sign_jws_with(priv->k, t.id, "round trip");
        REQUIRE(token);
        const auto pub_json = jot::to_jwk(k.public_key(), "kid-1", t.id);
        if (!k.is_symmetric()) {
            CHECK_FALSE(pub_json.contains("d"));
            CHECK_FALSE(pub_json.contains("p"));
            const auto pub = jot::parse_jwk(pub_json);
            REQUIRE(pub);
            CHECK_FALSE(pub->k.is_private());
            CHECK(jot::verify_jws_with(pub->k, t.id, *token, {}));
        } else {
            CHECK_FALSE(pub_json.contains("k"));  // a public export never carries the secret
        }
    }
}

TEST_CASE("jwk rejects malformed and inconsistent keys") {
    const auto bad = [](const char* text) {
        const auto r = jot::parse_jwk(std::string_view(text));
        return r ? errc{} : static_cast<errc>(r.error().value());
    };
    CHECK(bad(R"({"kty":"oct"})") == errc::key_invalid);
    CHECK(bad(R"({"kty":"oct","k":"c2hvcnQ"})") == errc::key_too_weak);
    CHECK(bad(R"({"kty":"oct","k":"not base64!"})") == errc::key_invalid);
    CHECK(bad(R"({"kty":"RSA","n":"AQAB"})") == errc::key_invalid);
    CHECK(bad(R"({"kty":"RSA","n":"AQAB","e":"AQAB"})") == errc::key_too_weak);
    CHECK(bad(R"({"kty":"XYZ"})") == errc::key_invalid);
    CHECK(bad(R"({"kty":7})") == errc::key_invalid);
    CHECK(bad(R"([])") == errc::key_invalid);
    CHECK(bad(R"({"kty":"oct","kty":"RSA"})") == errc::key_invalid);
    CHECK(bad(R"({"kty":"EC","crv":"P-256","x":"AA","y":"AA"})") == errc::key_invalid);
    CHECK(bad(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})") == errc::key_invalid);
    CHECK(bad(R"({"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})") ==
          errc::key_invalid);
    CHECK(
        bad(R"({"kty":"oct","alg":"HS999","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})") ==
        errc::algorithm_unknown);
    CHECK(
        bad(R"({"kty":"oct","alg":"RS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})") ==
        errc::key_algorithm_mismatch);

    SUBCASE("an EC point that is not on the curve") {
        auto j = nlohmann::json::parse(rfc::a3_jwk);
        j.erase("d");
        std::string y = jot::base64url_decode(j["y"].get<std::string>()).value();
        y.back() = static_cast<char>(y.back() ^ 1);
        j["y"] = jot::base64url_encode(y);
        CHECK(jot::parse_jwk(j).error() == errc::key_invalid);
    }
    SUBCASE("an EC private scalar that does not match the public point") {
        auto j = nlohmann::json::parse(rfc::a3_jwk);
        j["d"] = jot::base64url_encode(std::string(31, '\x11') + "\x01");
        CHECK(jot::parse_jwk(j).error() == errc::key_invalid);
    }
    SUBCASE("an Ed25519 private key whose public value disagrees") {
        auto j = nlohmann::json::parse(rfc::ed25519_jwk);
        j["x"] = jot::base64url_encode(std::string(32, '\x01'));
        CHECK(jot::parse_jwk(j).error() == errc::key_invalid);
    }
}

TEST_CASE("jwk alg, use and key_ops restrict what a key may do") {
    auto j = nlohmann::json::parse(rfc::a3_jwk);
    const auto plain = jot::parse_jwk(j).value();
    CHECK(plain.permits(jot::algorithm::es256, jot::key_use::sign));
    CHECK(plain.permits(jot::algorithm::es384, jot::key_use::verify).error() == errc::key_algorithm_mismatch);

    j["use"] = "enc";
    CHECK(jot::parse_jwk(j).value().permits(jot::algorithm::es256, jot::key_use::verify).error() ==
          errc::key_use_forbidden);
    j["use"] = "sig";
    j["key_ops"] = {"verify"};
    const auto verify_only = jot::parse_jwk(j).value();
    CHECK(verify_only.permits(jot::algorithm::es256, jot::key_use::verify));
    CHECK(verify_only.permits(jot::algorithm::es256, jot::key_use::sign).error() == errc::key_use_forbidden);
    j.erase("key_ops");
    j["alg"] = "ES256";
    CHECK(jot::parse_jwk(j).value().permits(jot::algorithm::es256, jot::key_use::verify));
    j["alg"] = "ES384";
    CHECK(jot::parse_jwk(j).error() == errc::key_algorithm_mismatch);
}

TEST_CASE("jwk builds a key set from a JWKS, binding each key to one allowed algorithm") {
    const auto es = jot::key::generate(jot::algorithm::es256).value();
    const auto rsa = jot::key::generate(jot::algorithm::rs256).value();
    const auto ed = jot::key::generate(jot::algorithm::eddsa).value();
    nlohmann::json jwks = {{"keys",
                            {jot::to_jwk(es, "es"),
                             jot::to_jwk(rsa, "rsa", jot::algorithm::ps256),
                             jot::to_jwk(ed, "ed"),
                             {{"kty", "unknown"}},
                             jot::to_jwk(es.public_key(), "enc-key")}}};
    jwks["keys"][4]["use"] = "enc";
    const std::array allowed{jot::algorithm::es256, jot::algorithm::rs256, jot::algorithm::ps256,
                             jot::algorithm::eddsa};
    const auto set = jot::key_set_from_jwks(jwks, allowed);
    REQUIRE_MESSAGE(set, set.error());
    std::vector<std::pair<jot::algorithm, std::string>> bound;
    for (const auto& b : *set) bound.emplace_back(b.alg, b.kid);
    CHECK(bound == std::vector<std::pair<jot::algorithm, std::string>>{{jot::algorithm::es256, "es"},
                                                                       {jot::algorithm::ps256, "rsa"},
                                                                       {jot::algorithm::eddsa, "ed"}});
    for (const auto& b : *set) CHECK_FALSE(b.k.is_private());

    const std::array only_rs{jot::algorithm::rs256};
    CHECK(jot::key_set_from_jwks(jwks, only_rs).error() == errc::key_invalid);  // rsa is pinned to PS256
    CHECK(jot::key_set_from_jwks(nlohmann::json::array(), allowed).error() == errc::key_invalid);
    CHECK(jot::key_set_from_jwks(std::string_view("{\"keys\":["), allowed).error() == errc::key_invalid);
    CHECK(jot::key_set_from_jwks(std::string_view(std::string(300 * 1024, ' ')), allowed).error() ==
          errc::key_invalid);
    nlohmann::json many = {{"keys", nlohmann::json::array()}};
    for (int i = 0; i < 65; ++i) many["keys"].push_back(jot::to_jwk(es, std::to_string(i)));
    CHECK(jot::key_set_from_jwks(many, allowed).error() == errc::key_invalid);
}

TEST_CASE("jwk enforces the JWKS size and key-count limits at and beyond their bounds") {
    const auto es = jot::key::generate(jot::algorithm::es256).value();
    const std::array allowed{jot::algorithm::es256};
    nlohmann::json jwks = {{"keys", nlohmann::json::array()}};
    for (int i = 0; i < 4; ++i) jwks["keys"].push_back(jot::to_jwk(es, std::to_string(i)));
    const std::string text = jwks.dump();
    CHECK(jot::key_set_from_jwks(text, allowed, {.max_bytes = text.size(), .max_keys = 4}));
    CHECK(jot::key_set_from_jwks(text, allowed, {.max_bytes = text.size() - 1, .max_keys = 4}).error() ==
          errc::key_invalid);
    CHECK(jot::key_set_from_jwks(text, allowed, {.max_bytes = text.size(), .max_keys = 3}).error() ==
          errc::key_invalid);
}

TEST_CASE("jwk publishes a JWKS without secrets or private parts") {
    jot::key_set keys({.allow_mixed_secret_and_public_keys = true});
    keys.add(jot::algorithm::es256, jot::key::generate(jot::algorithm::es256).value(), "a")
        .add(jot::algorithm::hs256, jot::key::hmac(std::string(32, 's')).value(), "h");
    const auto jwks = jot::to_jwks(keys);
    REQUIRE(jwks["keys"].size() == 1);
    CHECK(jwks["keys"][0]["kid"] == "a");
    CHECK(jwks["keys"][0]["alg"] == "ES256");
    CHECK_FALSE(jwks["keys"][0].contains("d"));
}

TEST_CASE("jwk reads a JWKS with the allowed algorithms given as a braced list") {
    const auto es = jot::key::generate(jot::algorithm::es256).value();
    const nlohmann::json jwks = {{"keys", {jot::to_jwk(es, "a", jot::algorithm::es256)}}};
    const std::string text = jwks.dump();
    CHECK(jot::key_set_from_jwks(text, {jot::algorithm::es256})->contains("a"));
    CHECK(jot::key_set_from_jwks(std::string_view(text), {jot::algorithm::es256, jot::algorithm::rs256}));
    CHECK(jot::key_set_from_jwks(text.c_str(), {jot::algorithm::es256}));
    CHECK(jot::key_set_from_jwks(jwks, {jot::algorithm::es256}, {.max_bytes = 1024, .max_keys = 1}));
    CHECK(jot::key_set_from_jwks(text, {jot::algorithm::rs256}).error() == errc::key_invalid);
}
