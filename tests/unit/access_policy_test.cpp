// SPDX-License-Identifier: MIT
#include <jot/access_policy.hpp>

#include "../support/test.hpp"

#include <chrono>  // std::chrono
#include <memory>  // std::make_shared

#include <jot/key_ring.hpp>
#include <jot/token_service.hpp>

using jot::errc;
using namespace std::chrono_literals;

namespace {

jot::basic_token_service<jot::memory_store, jot::manual_clock> make_service() {
    auto ring = std::make_shared<jot::key_ring>(jot::algorithm::es256,
                                                jot::key::generate(jot::algorithm::es256).value(),
                                                jot::key_ring_options{.retain_retired = 1h});
    return {ring, {.issuer = "https://auth.example", .audience = {"api"}, .leeway = 5s}};
}

}  // namespace

TEST_CASE("access_token_policy names typ at+jwt, iss, aud, leeway and the claims a token_service issues") {
    const auto o = jot::access_token_policy("https://auth.example", {"api"}, 5s);
    CHECK(o.issuer == "https://auth.example");
    CHECK(o.audience == std::vector<std::string>{"api"});
    CHECK(o.type == "at+jwt");
    CHECK(o.leeway == 5s);
    CHECK(o.required_claims == std::vector<std::string>{"sub", "iat", "jti", "client_id", "sid"});
}

TEST_CASE("access_token_policy is the policy token_service verifies with") {
    const auto svc = make_service();
    const auto from_service = jot::access_token_policy(svc.options());
    const auto by_hand = jot::access_token_policy("https://auth.example", {"api"}, 5s);
    CHECK(from_service.issuer == by_hand.issuer);
    CHECK(from_service.audience == by_hand.audience);
    CHECK(from_service.type == by_hand.type);
    CHECK(from_service.required_claims == by_hand.required_claims);
    CHECK(from_service.leeway == by_hand.leeway);
}

TEST_CASE("access_token_policy verifies the service's access tokens with the public JWKS and nothing else") {
    auto svc = make_service();
    const auto t = svc.login("alice", "web").value();
    const auto keys = jot::key_set_from_jwks(svc.jwks(), {jot::algorithm::es256}).value();
    const jot::verifier v(keys, jot::access_token_policy(svc.options()));
    const auto now = svc.clock().now();
    const auto ok = v.verify_at(t.access_token, now);
    REQUIRE(ok);
    CHECK(ok->subject() == "alice");

    SUBCASE("a plain JWT of the same key is refused with type_mismatch") {
        const auto jwt = svc.keys().snapshot(now)->active.sign_text(
            R"({"iss":"https://auth.example","aud":"api","sub":"alice","exp":9999999999})");
        CHECK(v.verify_at(jwt.value(), now).error() == errc::type_mismatch);
    }
    SUBCASE("a token without sid is refused with claim_missing") {
        const auto no_sid = svc.keys().snapshot(now)->active.sign_text(
            R"({"iss":"https://auth.example","aud":"api","sub":"a","iat":1,"jti":"j","client_id":"c",)"
            R"("exp":9999999999})",
            "at+jwt");
        CHECK(v.verify_at(no_sid.value(), now).error() == errc::claim_missing);
    }
    SUBCASE("default verifier_options refuse it with type_mismatch") {
        const jot::verifier plain(keys, {.issuer = "https://auth.example", .audience = {"api"}});
        CHECK(plain.verify_at(t.access_token, now).error() == errc::type_mismatch);
    }
}
