// SPDX-License-Identifier: MIT
#include <jot/builder.hpp>

#include "../support/test.hpp"

#include <chrono>
#include <string>

#include <jot/verifier.hpp>

using namespace std::chrono_literals;

TEST_CASE("builder writes registered claims in their JSON forms") {
    const jot::time_point t{std::chrono::seconds{1'700'000'000}};
    const jot::claims one{.issuer = "iss",
                          .subject = "sub",
                          .audience = {"api"},
                          .expires_at = t + 90s,
                          .not_before = t,
                          .issued_at = t,
                          .jwt_id = "id-1",
                          .extra = {{"role", "admin"}}};
    const auto j = one.to_json();
    CHECK(j == nlohmann::json{{"iss", "iss"},
                              {"sub", "sub"},
                              {"aud", "api"},
                              {"exp", 1'700'000'090},
                              {"nbf", 1'700'000'000},
                              {"iat", 1'700'000'000},
                              {"jti", "id-1"},
                              {"role", "admin"}});
    const jot::claims two{.audience = {"a", "b"}};
    CHECK(two.to_json() == nlohmann::json{{"aud", {"a", "b"}}});
    CHECK(jot::claims{}.to_json() == nlohmann::json::object());
    CHECK_THROWS_AS((void)jot::claims{.extra = nlohmann::json::array()}.to_json(), jot::setup_error);
    // Registered claims set through the struct win over the same names in extra.
    CHECK(jot::claims{.issuer = "real", .extra = {{"iss", "fake"}}}.to_json()["iss"] == "real");
}

TEST_CASE("builder puts alg first and sets typ and kid in the header") {
    const auto k = jot::hmac_key::from_secret(std::string(32, 's')).value();
    const auto token =
        jot::sign<jot::hs256>(k, jot::claims{.subject = "x"}, {.type = "at+jwt", .kid = "k1"}).value();
    const auto header = jot::base64url_decode(token.substr(0, token.find('.'))).value();
    CHECK(header == R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})");
    const auto no_typ = jot::sign<jot::hs256>(k, jot::claims{}, {.type = ""}).value();
    CHECK(jot::base64url_decode(no_typ.substr(0, no_typ.find('.'))).value() == R"({"alg":"HS256"})");
    CHECK(jot::sign<jot::hs256>(k, nlohmann::json::array()).error() == jot::errc::payload_invalid);
}

TEST_CASE("builder's signer output passes a verifier with the matching policy") {
    const auto k = jot::key::generate(jot::algorithm::ps256).value();
    const jot::signer s(jot::algorithm::ps256, k, "kid-ps");
    const auto now = std::chrono::system_clock::now();
    const auto token =
        s.sign(jot::claims{.issuer = "i", .audience = {"a"}, .expires_at = now + 1min}, "at+jwt");
    REQUIRE(token);
    jot::key_set keys;
    keys.add(jot::algorithm::ps256, k.public_key(), "kid-ps");
    const jot::verifier v{keys, {.issuer = "i", .audience = {"a"}, .type = "at+jwt"}};
    const auto r = v.verify(*token);
    REQUIRE_MESSAGE(r, r.error());
    CHECK(r->kid() == "kid-ps");
    CHECK_THROWS_AS(jot::signer(jot::algorithm::ps256, k.public_key()), jot::setup_error);
    CHECK_THROWS_AS(jot::signer(jot::algorithm::es256, k), jot::setup_error);
}
