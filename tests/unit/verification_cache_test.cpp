// SPDX-License-Identifier: MIT
#include <jot/verification_cache.hpp>

#include "../support/test.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <jot/builder.hpp>

#include "../support/forge.hpp"

using namespace std::chrono_literals;
using jot::errc;

namespace {
const jot::time_point t0{std::chrono::seconds{1'700'000'000}};

struct fixture {
    jot::key k = jot::key::hmac(std::string(32, 'c')).value();
    jot::key_set keys = [this] {
        jot::key_set s;
        s.add(jot::algorithm::hs256, k);
        return s;
    }();
    jot::verification_cache cache{jot::verifier{keys, {.issuer = "i", .audience = {"a"}}}, {.capacity = 64}};

    std::string token(jot::time_point exp, std::string sub = "alice") const {
        return jot::signer(jot::algorithm::hs256, k)
            .sign(jot::claims{.issuer = "i", .subject = std::move(sub), .audience = {"a"}, .expires_at = exp})
            .value();
    }
};
}  // namespace

TEST_CASE("verification_cache answers a repeated token from memory with the same claims") {
    fixture f;
    const auto tok = f.token(t0 + 60s);
    const auto first = f.cache.verify_at(tok, t0);
    REQUIRE(first);
    const auto second = f.cache.verify_at(tok, t0 + 1s);
    REQUIRE(second);
    CHECK(first->get() == second->get());  // the same cached object
    CHECK((*second)->subject() == "alice");
    CHECK(f.cache.size() == 1);
}

TEST_CASE("verification_cache checks exp again on every use") {
    fixture f;
    const auto tok = f.token(t0 + 60s);
    REQUIRE(f.cache.verify_at(tok, t0));
    CHECK(f.cache.verify_at(tok, t0 + 59s));
    CHECK(f.cache.verify_at(tok, t0 + 60s).error() == errc::token_expired);
    CHECK(f.cache.size() == 0);
}

TEST_CASE("verification_cache never caches failures and never confuses tokens") {
    fixture f;
    const auto tok = f.token(t0 + 60s);
    std::string tampered = tok;
    tampered[tampered.rfind('.') + 3] = tampered[tampered.rfind('.') + 3] == 'A' ? 'B' : 'A';
    CHECK(f.cache.verify_at(tampered, t0).error() == errc::signature_invalid);
    CHECK(f.cache.size() == 0);
    REQUIRE(f.cache.verify_at(tok, t0));
    CHECK(f.cache.verify_at(tampered, t0).error() == errc::signature_invalid);
    const auto bob = f.token(t0 + 60s, "bob");
    CHECK((*f.cache.verify_at(bob, t0))->subject() == "bob");
}

TEST_CASE("verification_cache stays within its capacity") {
    fixture f;
    for (int i = 0; i < 500; ++i)
        REQUIRE(f.cache.verify_at(f.token(t0 + 60s, "user" + std::to_string(i)), t0));
    CHECK(f.cache.size() <= 64);
    CHECK(f.cache.size() > 0);
    f.cache.clear();
    CHECK(f.cache.size() == 0);
    CHECK_THROWS_AS(jot::verification_cache(f.cache.underlying(), {.capacity = 0}), jot::setup_error);
}

TEST_CASE("verification_cache agrees with the verifier on an exp later than a time_point holds") {
    // Found by fuzz_claims: exp in the year 2508 reads as time_point::max(), and exp + leeway overflowed.
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, jot::key::hmac(jot_test::hs256_secret).value());
    jot::verification_cache cache{jot::verifier{keys, {.issuer = "i", .audience = {"a"}, .leeway = 30s}}};
    const auto tok =
        jot_test::forge_hs256(R"({"alg":"HS256"})", R"({"iss":"i","aud":"a","exp":17000000100})");
    REQUIRE(cache.verify_at(tok, t0));
    CHECK(cache.verify_at(tok, t0 + 1s));  // from memory
    CHECK(cache.size() == 1);
}

TEST_CASE("verification_cache checks the maximum age again on every use") {
    // Found by fuzz_claims: a token answered from memory outlived verifier_options::max_age.
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, jot::key::hmac(jot_test::hs256_secret).value());
    jot::verification_cache cache{
        jot::verifier{keys, {.issuer = "i", .audience = {"a"}, .leeway = 30s, .max_age = 1h}}};
    const auto tok = jot_test::forge_hs256(R"({"alg":"HS256"})",
                                           R"({"iss":"i","aud":"a","iat":1700000000,"exp":1700086400})");
    REQUIRE(cache.verify_at(tok, t0));
    CHECK(cache.verify_at(tok, t0 + 1h + 30s));
    CHECK(cache.verify_at(tok, t0 + 1h + 30s + 1ns).error() == errc::token_too_old);
    CHECK(cache.underlying().verify_at(tok, t0 + 1h + 31s).error() == errc::token_too_old);
    REQUIRE(cache.verify_at(tok, t0));
    CHECK(cache.verify_at(tok, t0 - 31s).error() == errc::token_issued_in_future);  // the clock went back
}
