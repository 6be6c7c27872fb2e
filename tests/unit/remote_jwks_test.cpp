// SPDX-License-Identifier: MIT
#include <jot/remote_jwks.hpp>

#include "../support/scripted_jwks.hpp"
#include "../support/test.hpp"

#include <chrono>        // std::chrono
#include <memory>        // std::make_unique
#include <string>        // std::string
#include <system_error>  // std::errc, std::make_error_code
#include <vector>        // std::vector

using jot::errc;
using jot::jwks_failure_kind;
using jot_test::jwks_of;
using jot_test::signing_key;
using namespace std::chrono_literals;

namespace {

using source = jot::basic_remote_jwks<jot::manual_clock>;

struct fixture {
    explicit fixture(jot::remote_jwks_options o = {}) {
        o.min_interval = o.min_interval == 30s ? 10s : o.min_interval;
        o.on_failure = [this](const jot::jwks_failure& f) { reported.push_back(f); };
        server.serve(jwks_of({&a}));
        jwks = std::make_unique<source>("https://auth.example/jwks", jot_test::test_policy(), server.fetch(),
                                        std::move(o));
    }
    jot::time_point now() { return jwks->clock().now(); }
    void advance(std::chrono::system_clock::duration d) { jwks->clock().advance(d); }

    signing_key a{"a"}, b{"b"};
    jot_test::scripted_fetch server;
    std::vector<jot::jwks_failure> reported;
    std::unique_ptr<source> jwks;
};

}  // namespace

TEST_CASE("remote_jwks fetches on first use and verifies tokens of the fetched keys") {
    fixture f;
    CHECK(f.server.calls == 0);
    const auto t = f.jwks->verify(f.a.token(f.now()));
    REQUIRE(t);
    CHECK(t->kid() == "a");
    CHECK(f.server.calls == 1);
    CHECK(f.jwks->verify(f.a.token(f.now())));
    CHECK(f.server.calls == 1);
    CHECK_FALSE(f.jwks->last_failure());
}

TEST_CASE("remote_jwks refetches once the response's max-age has passed, and not before") {
    fixture f;
    f.server.serve(jwks_of({&f.a}), "public, max-age=60");
    REQUIRE_FALSE(f.jwks->refresh());
    f.advance(59s);
    CHECK(f.jwks->verify(f.a.token(f.now())));
    CHECK(f.server.calls == 1);
    f.advance(1s);
    CHECK(f.jwks->verify(f.a.token(f.now())));
    CHECK(f.server.calls == 2);
}

TEST_CASE("remote_jwks holds a max-age below min_interval, no-cache or none to the bounds of its options") {
    fixture f({.min_interval = 20s, .default_max_age = 120s, .max_max_age = 1h});
    const auto refetch_after = [&f](const std::string& cache_control) {
        f.server.serve(jwks_of({&f.a}), cache_control);
        REQUIRE_FALSE(f.jwks->refresh());
        const int before = f.server.calls;
        auto waited = 0s;
        while (f.server.calls == before && waited < 2h) {
            f.advance(1s);
            waited += 1s;
            (void)f.jwks->snapshot();
        }
        return waited;
    };
    CHECK(refetch_after("max-age=5") == 20s);
    CHECK(refetch_after("no-cache") == 20s);
    CHECK(refetch_after("") == 120s);
    CHECK(refetch_after("max-age=999999") == 1h);
    CHECK(refetch_after("private, MAX-AGE=\"40\"") == 40s);
}

TEST_CASE("remote_jwks sends If-None-Match and keeps its keys on 304, restarting their age") {
    fixture f;
    f.server.serve(jwks_of({&f.a}), "max-age=60", "\"v1\"");
    REQUIRE_FALSE(f.jwks->refresh());
    const auto first = f.jwks->snapshot();
    f.advance(60s);
    CHECK(f.jwks->verify(f.a.token(f.now())));
    CHECK(f.server.calls == 2);
    CHECK(f.server.sent_etags() == std::vector<std::string>{"", "\"v1\""});
    const auto second = f.jwks->snapshot();
    CHECK(second->verifier == first->verifier);
    CHECK(second->generation == first->generation);
    CHECK(second->refresh_at == f.now() + 60s);
    f.advance(59s);
    CHECK(f.jwks->verify(f.a.token(f.now())));
    CHECK(f.server.calls == 2);
}

TEST_CASE("remote_jwks refetches once for an unknown kid and picks up a rotated key") {
    fixture f;
    REQUIRE_FALSE(f.jwks->refresh());
    f.server.serve(jwks_of({&f.a, &f.b}));
    f.advance(10s);
    const auto t = f.jwks->verify(f.b.token(f.now()));
    REQUIRE(t);
    CHECK(t->kid() == "b");
    CHECK(f.server.calls == 2);
    CHECK(f.jwks->snapshot()->generation == 2);
    CHECK(f.jwks->verify(f.a.token(f.now())));
}

TEST_CASE("remote_jwks refetches for unknown kids at most once per min_interval and remembers them") {
    fixture f;
    REQUIRE_FALSE(f.jwks->refresh());
    signing_key bogus{"bogus"};
    CHECK(f.jwks->verify(bogus.token(f.now())).error() == errc::key_not_found);
    CHECK(f.server.calls == 1);  // within min_interval of the first fetch
    f.advance(10s);
    CHECK(f.jwks->verify(bogus.token(f.now())).error() == errc::key_not_found);
    CHECK(f.server.calls == 2);
    for (int i = 0; i < 50; ++i) {
        signing_key other{"other-" + std::to_string(i)};
        CHECK(f.jwks->verify(other.token(f.now())).error() == errc::key_not_found);
    }
    CHECK(f.server.calls == 2);
    SUBCASE("a remembered kid triggers no fetch for negative_ttl") {
        f.advance(10s);
        CHECK(f.jwks->verify(bogus.token(f.now())).error() == errc::key_not_found);
        CHECK(f.server.calls == 2);
        f.advance(5min);
        CHECK(f.jwks->verify(bogus.token(f.now())).error() == errc::key_not_found);
        CHECK(f.server.calls == 3);
    }
    SUBCASE("a remembered kid is forgotten when a fetch brings it") {
        f.advance(5min);  // the keys expire; the refresh brings the kid
        f.server.serve(jwks_of({&f.a, &bogus}));
        CHECK(f.jwks->verify(bogus.token(f.now())));
        CHECK(f.server.calls == 3);
    }
}

TEST_CASE("remote_jwks keeps the last good keys on every kind of failure and reports each once") {
    fixture f;
    REQUIRE_FALSE(f.jwks->refresh());
    const auto good = f.jwks->snapshot();
    const std::string huge(300 * 1024, ' ');
    nlohmann::json many = {{"keys", nlohmann::json::array()}};
    for (int i = 0; i < 65; ++i) many["keys"].push_back(f.a.jwk());
    nlohmann::json bad_key = {
        {"keys", {f.a.jwk(), {{"kty", "EC"}, {"crv", "P-256"}, {"x", "AA"}, {"y", "AA"}}}}};
    const nlohmann::json oct = {
        {"keys", {{{"kty", "oct"}, {"k", jot::base64url_encode(std::string(32, 's'))}, {"alg", "HS256"}}}}};
    nlohmann::json encryption_only = {{"keys", {f.a.jwk()}}};
    encryption_only["keys"][0]["use"] = "enc";
    struct scenario {
        std::string name;
        jot_test::scripted_fetch::responder respond;
        jot::jwks_failure expected;
    };
    const auto body = [](std::string text, int status = 200) {
        return [=](const jot::jwks_request&) -> jot::result<jot::jwks_response> {
            return jot::jwks_response{status, text, "max-age=60", ""};
        };
    };
    const std::vector<scenario> scenarios{
        {"down",
         [](const jot::jwks_request&) -> jot::result<jot::jwks_response> {
             return std::make_error_code(std::errc::connection_refused);
         },
         {.kind = jwks_failure_kind::fetch, .code = std::make_error_code(std::errc::connection_refused)}},
        {"timeout",
         [](const jot::jwks_request&) -> jot::result<jot::jwks_response> {
             return std::make_error_code(std::errc::timed_out);
         },
         {.kind = jwks_failure_kind::fetch, .code = std::make_error_code(std::errc::timed_out)}},
        {"throws",
         [](const jot::jwks_request&) -> jot::result<jot::jwks_response> { throw std::runtime_error("x"); },
         {.kind = jwks_failure_kind::fetch, .code = std::make_error_code(std::errc::io_error)}},
        {"500", body("oops", 500), {.kind = jwks_failure_kind::status, .status = 500}},
        {"304 without an etag sent", body("", 304), {.kind = jwks_failure_kind::status, .status = 304}},
        {"garbage", body("<html>"), {.kind = jwks_failure_kind::not_jwks}},
        {"not a key set", body(R"({"keys":{}})"), {.kind = jwks_failure_kind::not_jwks}},
        {"over the size limit", body(huge), {.kind = jwks_failure_kind::too_large}},
        {"too many keys", body(many.dump()), {.kind = jwks_failure_kind::too_many_keys}},
        {"a key that does not load",
         body(bad_key.dump()),
         {.kind = jwks_failure_kind::key_invalid, .code = errc::key_invalid, .key_index = 1}},
        {"an HMAC key only", body(oct.dump()), {.kind = jwks_failure_kind::no_usable_key}},
        {"no key for the allowed algorithms",
         body(encryption_only.dump()),
         {.kind = jwks_failure_kind::no_usable_key}},
    };
    for (const auto& s : scenarios) {
        CAPTURE(s.name);
        f.reported.clear();
        f.server.set(s.respond);
        f.advance(5min);
        const auto failure = f.jwks->refresh();
        REQUIRE(failure);
        CHECK(*failure == s.expected);
        CHECK(f.jwks->last_failure() == s.expected);
        CHECK_FALSE(jot::describe(*failure).empty());
        CHECK(f.jwks->snapshot()->verifier == good->verifier);
        CHECK(f.jwks->verify(f.a.token(f.now())));
        f.advance(10s);
        CHECK(f.jwks->refresh() == s.expected);  // the same failure again is not reported again
        REQUIRE(f.reported.size() == 1);
        CHECK(f.reported[0] == s.expected);
        f.server.serve(jwks_of({&f.a}));
        CHECK_FALSE(f.jwks->refresh());
        CHECK_FALSE(f.jwks->last_failure());
    }
}

TEST_CASE("remote_jwks never takes an HMAC key from the network, even one that a token names") {
    fixture f;
    const std::string secret(32, 's');
    const nlohmann::json doc = {
        {"keys",
         {f.a.jwk(),
          {{"kty", "oct"}, {"kid", "h"}, {"k", jot::base64url_encode(secret)}, {"alg", "HS256"}}}}};
    f.server.serve(doc.dump());
    REQUIRE_FALSE(f.jwks->refresh());
    CHECK_FALSE(f.jwks->snapshot()->verifier->keys().contains("h"));
    const jot::signer hs(jot::algorithm::hs256, jot::key::hmac(secret).value(), "h");
    const auto forged =
        hs.sign_text(R"({"iss":"https://auth.example","aud":"api","exp":9999999999})").value();
    CHECK(f.jwks->verify(forged).error() == errc::key_not_found);
}

TEST_CASE("remote_jwks stops serving keys max_staleness past their max-age while refreshes fail") {
    fixture f({.max_staleness = 10min});
    f.server.serve(jwks_of({&f.a}), "max-age=60");
    REQUIRE_FALSE(f.jwks->refresh());
    f.server.set([](const jot::jwks_request&) -> jot::result<jot::jwks_response> {
        return jot::jwks_response{503, {}, {}, {}};
    });
    f.advance(60s + 10min - 1s);
    CHECK(f.jwks->verify(f.a.token(f.now())));
    f.advance(1s);
    CHECK(f.jwks->verify(f.a.token(f.now())).error() == errc::keys_unavailable);
    CHECK_FALSE(f.jwks->snapshot());
    f.server.serve(jwks_of({&f.a}));
    f.advance(10s);
    CHECK(f.jwks->verify(f.a.token(f.now())));
}

TEST_CASE("remote_jwks reports keys_unavailable before its first successful fetch") {
    fixture f;
    f.server.set([](const jot::jwks_request&) -> jot::result<jot::jwks_response> {
        return std::make_error_code(std::errc::connection_refused);
    });
    CHECK(f.jwks->verify(f.a.token(f.now())).error() == errc::keys_unavailable);
    CHECK(f.jwks->verify(f.a.token(f.now())).error() == errc::keys_unavailable);
    CHECK(f.server.calls == 1);
}

TEST_CASE("remote_jwks refuses unusable options with setup_error") {
    jot_test::scripted_fetch server;
    const auto make = [&](jot::remote_jwks_options o, jot::verifier_options p = jot_test::test_policy()) {
        return source("https://auth.example/jwks", std::move(p), server.fetch(), std::move(o));
    };
    CHECK_THROWS_AS(make({.min_interval = 0s}), jot::setup_error);
    CHECK_THROWS_AS(make({.max_staleness = -1s}), jot::setup_error);
    CHECK_THROWS_AS(make({.max_max_age = 10s}), jot::setup_error);
    CHECK_THROWS_AS(make({.algorithms = {}}), jot::setup_error);
    CHECK_THROWS_AS(make({.algorithms = {jot::algorithm::es256, jot::algorithm::hs256}}), jot::setup_error);
    CHECK_THROWS_AS(make({}, {.issuer = "", .audience = {"api"}}), jot::setup_error);
    CHECK_THROWS_AS(source("", jot_test::test_policy(), server.fetch()), jot::setup_error);
    CHECK_THROWS_AS(source("https://x", jot_test::test_policy(), nullptr), jot::setup_error);
    CHECK_NOTHROW(make({.min_interval = 1s}));
}

TEST_CASE("remote_jwks try_verify_cached never fetches: it answers nullopt where verify_cached would fetch") {
    fixture f({.cache_capacity = 16});
    CHECK_FALSE(f.jwks->try_verify_cached(f.a.token(f.now())));  // no keys yet: a fetch is due
    CHECK(f.server.calls == 0);
    const auto token = f.a.token(f.now());
    const auto first = f.jwks->verify_cached(token);
    REQUIRE(first);
    CHECK(f.server.calls == 1);
    const auto again = f.jwks->try_verify_cached(token);
    REQUIRE(again);
    REQUIRE(*again);
    CHECK(again->value() == first.value());  // the same cached token
    // A kid the keys lack, while a refetch may start: nullopt, and still no fetch.
    f.advance(11s);
    f.server.serve(jwks_of({&f.a, &f.b}), "max-age=3600");
    CHECK_FALSE(f.jwks->try_verify_cached(f.b.token(f.now())));
    CHECK(f.server.calls == 1);
    const auto b = f.jwks->verify_cached(f.b.token(f.now()));
    REQUIRE(b);
    CHECK((*b)->kid() == "b");
    CHECK(f.server.calls == 2);
    // Within min_interval another unknown kid gets its key_not_found at once, without a fetch.
    jot_test::signing_key c{"c"};
    const auto unknown = f.jwks->try_verify_cached(c.token(f.now()));
    REQUIRE(unknown);
    CHECK(unknown->error() == errc::key_not_found);
    CHECK(f.server.calls == 2);
}
