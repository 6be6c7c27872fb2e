// SPDX-License-Identifier: MIT
// Unit tests of the key ring: thumbprint kids, rotation, retirement and the public JWKS.
#include <jot/key_ring.hpp>

#include <doctest/doctest.h>

#include <chrono>  // std::chrono
#include <set>     // std::set
#include <string>  // std::string

#include <jot/verifier.hpp>

using namespace std::chrono_literals;

namespace {

const jot::key& es_key(std::size_t i) {
    static const std::vector<jot::key> keys = [] {
        std::vector<jot::key> out;
        for (int n = 0; n < 3; ++n) out.push_back(jot::key::generate(jot::algorithm::es256).value());
        return out;
    }();
    return keys.at(i);
}

const jot::time_point t0{std::chrono::seconds{1'700'000'000}};

std::set<std::string> kids(const nlohmann::json& jwks) {
    std::set<std::string> out;
    for (const auto& k : jwks.at("keys")) out.insert(k.at("kid").get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("key_ring names each key by its RFC 7638 thumbprint") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    CHECK(ring.active_kid() == jot::thumbprint(es_key(0)));
    CHECK(ring.active_kid() == jot::thumbprint(es_key(0).public_key()));
    const auto s = ring.snapshot(t0);
    CHECK(s->active.kid() == ring.active_kid());
    CHECK(s->active.alg() == jot::algorithm::es256);
}

TEST_CASE("key_ring publishes public keys only, each with its kid and alg") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    const auto jwks = ring.jwks(t0);
    REQUIRE(jwks.at("keys").size() == 1);
    const auto& k = jwks.at("keys")[0];
    CHECK(k.at("kid") == ring.active_kid());
    CHECK(k.at("alg") == "ES256");
    CHECK(k.at("use") == "sig");
    CHECK_FALSE(k.contains("d"));
    const auto parsed = jot::parse_jwk(k).value();
    CHECK_FALSE(parsed.k.is_private());
}

TEST_CASE("key_ring never publishes HMAC keys") {
    jot::key_ring ring(jot::algorithm::hs256, jot::key::generate(jot::algorithm::hs256).value());
    CHECK(ring.jwks(t0).at("keys").empty());
}

TEST_CASE("key_ring rotate keeps the previous key for verification until retain_retired has passed") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0), {.retain_retired = 15min});
    const auto first = ring.active_kid();
    const auto old_token = ring.snapshot(t0)->active.sign(nlohmann::json{{"sub", "a"}}).value();
    ring.rotate(es_key(1), t0);
    const auto second = ring.active_kid();
    CHECK(second != first);
    CHECK(kids(ring.jwks(t0)) == std::set<std::string>{first, second});

    const auto verify = [&](jot::time_point now) {
        const jot::verifier v(
            ring.snapshot(now)->verification,
            {.allow_any_issuer = true, .allow_any_audience = true, .allow_missing_exp = true});
        return v.verify_at(old_token, now);
    };
    CHECK(verify(t0 + 15min - 1ns));
    CHECK(kids(ring.jwks(t0 + 15min - 1ns)).size() == 2);
    CHECK(verify(t0 + 15min).error() == jot::errc::key_not_found);
    CHECK(kids(ring.jwks(t0 + 15min)) == std::set<std::string>{second});
}

TEST_CASE("key_ring keeps several retired keys, each for its own window") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0), {.retain_retired = 10min});
    const auto k0 = ring.active_kid();
    ring.rotate(es_key(1), t0);
    const auto k1 = ring.active_kid();
    ring.rotate(jot::algorithm::eddsa, jot::key::generate(jot::algorithm::eddsa).value(), t0 + 5min);
    const auto k2 = ring.active_kid();
    CHECK(ring.snapshot(t0 + 5min)->active.alg() == jot::algorithm::eddsa);
    CHECK(kids(ring.jwks(t0 + 5min)) == std::set<std::string>{k0, k1, k2});
    CHECK(kids(ring.jwks(t0 + 10min)) == std::set<std::string>{k1, k2});
    CHECK(kids(ring.jwks(t0 + 15min)) == std::set<std::string>{k2});
    CHECK(ring.prune(t0 + 20min) == 0);
}

TEST_CASE("key_ring rotating back to a retired key makes it active again without a duplicate") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    ring.rotate(es_key(1), t0);
    ring.rotate(es_key(0), t0 + 1min);
    CHECK(ring.active_kid() == jot::thumbprint(es_key(0)));
    CHECK(ring.snapshot(t0 + 1min)->verification.size() == 2);
    ring.rotate(es_key(0), t0 + 2min);
    CHECK(ring.snapshot(t0 + 2min)->verification.size() == 2);
}

TEST_CASE("key_ring binds each key to its algorithm") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    for (const auto& b : ring.snapshot(t0)->verification) {
        CHECK(b.alg == jot::algorithm::es256);
        CHECK(b.kid == jot::thumbprint(b.k));
        CHECK_FALSE(b.k.is_private());
    }
}

TEST_CASE("key_ring refuses a key that cannot sign its algorithm") {
    CHECK_THROWS_AS(jot::key_ring(jot::algorithm::rs256, es_key(0)), jot::setup_error);
    CHECK_THROWS_AS(jot::key_ring(jot::algorithm::es256, es_key(0).public_key()), jot::setup_error);
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    CHECK_THROWS_AS(ring.rotate(jot::algorithm::es384, es_key(1), t0), jot::setup_error);
    CHECK(ring.active_kid() == jot::thumbprint(es_key(0)));
    CHECK_THROWS_AS(jot::key_ring(jot::algorithm::es256, es_key(0), {.retain_retired = -1s}),
                    jot::setup_error);
}

TEST_CASE("key_ring snapshots are immutable while the ring moves on") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    const auto before = ring.snapshot(t0);
    ring.rotate(es_key(1), t0);
    const auto after = ring.snapshot(t0);
    CHECK(before->active.kid() == jot::thumbprint(es_key(0)));
    CHECK(before->verification.size() == 1);
    CHECK(after->active.kid() == jot::thumbprint(es_key(1)));
    CHECK(after->version > before->version);
}

TEST_CASE("key_ring publishes a scheduled key at once and signs with it only from its activation time") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    const auto old_kid = jot::thumbprint(es_key(0)), new_kid = jot::thumbprint(es_key(1));
    ring.schedule(jot::algorithm::es256, es_key(1), t0 + 2min, t0);
    REQUIRE(ring.next_key());
    CHECK(ring.next_key()->first == new_kid);
    CHECK(ring.next_key()->second == t0 + 2min);
    CHECK(kids(ring.jwks(t0)) == std::set<std::string>{old_kid, new_kid});
    CHECK(ring.active_kid(t0) == old_kid);
    CHECK(ring.active_kid(t0 + 2min - 1ns) == old_kid);
    CHECK(ring.snapshot(t0 + 2min - 1ns)->active.kid() == old_kid);

    // The next key verifies before its activation too (a peer whose clock runs ahead signs with it).
    std::set<std::string> verifying;
    for (const auto& k : ring.snapshot(t0)->verification) verifying.insert(k.kid);
    CHECK(verifying == std::set<std::string>{old_kid, new_kid});

    CHECK(ring.active_kid(t0 + 2min) == new_kid);
    CHECK_FALSE(ring.next_key());
    const auto s = ring.snapshot(t0 + 2min);
    REQUIRE(s->retired.size() == 1);
    CHECK(s->retired[0].kid == old_kid);
    CHECK(s->retired[0].retired_at == t0 + 2min);
    CHECK(s->retired[0].drop_at == t0 + 2min + 15min);
    CHECK(kids(ring.jwks(t0 + 2min)) == std::set<std::string>{old_kid, new_kid});
    CHECK(kids(ring.jwks(t0 + 17min)) == std::set<std::string>{new_kid});
}

TEST_CASE("key_rings given the same keys and activation time sign with the same key at every instant") {
    jot::key_ring a(jot::algorithm::es256, es_key(0)), b(jot::algorithm::es256, es_key(0));
    const auto at = t0 + 2min;
    a.schedule(jot::algorithm::es256, es_key(1), at, t0);
    b.schedule(jot::algorithm::es256, es_key(1), at, t0 + 90s);  // scheduled later, e.g. on another host
    // a is asked often, b only now and then: the answer depends on the time asked about alone.
    for (auto now = t0; now < t0 + 5min; now += 7s) {
        CAPTURE((now - t0).count());
        const auto kid = a.active_kid(now);
        CHECK(kid == jot::thumbprint(now < at ? es_key(0) : es_key(1)));
        if ((now - t0) % 21s == 0s) CHECK(b.active_kid(now) == kid);
    }
    CHECK(a.snapshot(t0 + 10min)->retired.front().retired_at ==
          b.snapshot(t0 + 10min)->retired.front().retired_at);
}

TEST_CASE("key_ring retires the previous key at the activation time even when first asked much later") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    ring.schedule(es_key(1), 2min, t0);
    CHECK(ring.next_key()->second == t0 + 2min);
    CHECK(kids(ring.jwks(t0 + 17min - 1s)).size() == 2);
    CHECK(kids(ring.jwks(t0 + 17min)) == std::set<std::string>{jot::thumbprint(es_key(1))});
}

TEST_CASE("key_ring schedule replaces a pending key, activates a due one first, and the active key cancels") {
    jot::key_ring ring(jot::algorithm::es256, es_key(0));
    ring.schedule(jot::algorithm::es256, es_key(1), t0 + 2min, t0);
    SUBCASE("a pending key is replaced") {
        ring.schedule(jot::algorithm::es256, es_key(2), t0 + 3min, t0 + 1min);
        CHECK(ring.next_key()->first == jot::thumbprint(es_key(2)));
        CHECK(kids(ring.jwks(t0 + 1min)) ==
              std::set<std::string>{jot::thumbprint(es_key(0)), jot::thumbprint(es_key(2))});
        CHECK(ring.active_kid(t0 + 2min) == jot::thumbprint(es_key(0)));
        CHECK(ring.active_kid(t0 + 3min) == jot::thumbprint(es_key(2)));
    }
    SUBCASE("a due key is activated before the next is scheduled") {
        ring.schedule(jot::algorithm::es256, es_key(2), t0 + 5min, t0 + 3min);
        CHECK(ring.active_kid(t0 + 3min) == jot::thumbprint(es_key(1)));
        CHECK(ring.next_key()->first == jot::thumbprint(es_key(2)));
        CHECK(ring.snapshot(t0 + 3min)->retired.front().retired_at == t0 + 2min);
    }
    SUBCASE("scheduling the active key cancels the schedule") {
        ring.schedule(jot::algorithm::es256, es_key(0), t0 + 5min, t0 + 1min);
        CHECK_FALSE(ring.next_key());
        CHECK(ring.active_kid(t0 + 10min) == jot::thumbprint(es_key(0)));
        CHECK(kids(ring.jwks(t0 + 1min)) == std::set<std::string>{jot::thumbprint(es_key(0))});
    }
    SUBCASE("an activation time already past activates at once") {
        ring.schedule(jot::algorithm::es256, es_key(2), t0 + 1min, t0 + 1min);
        CHECK(ring.active_kid() == jot::thumbprint(es_key(2)));
    }
    SUBCASE("an immediate rotation after the activation time comes after the scheduled key") {
        ring.rotate(es_key(2), t0 + 3min);
        CHECK(ring.active_kid(t0 + 3min) == jot::thumbprint(es_key(2)));
        CHECK_FALSE(ring.next_key());
        const auto retired = ring.snapshot(t0 + 3min)->retired;
        REQUIRE(retired.size() == 2);
        CHECK(retired[0].kid == jot::thumbprint(es_key(1)));
        CHECK(retired[0].retired_at == t0 + 3min);
        CHECK(retired[1].kid == jot::thumbprint(es_key(0)));
        CHECK(retired[1].retired_at == t0 + 2min);
    }
    SUBCASE("an immediate rotation keeps the schedule") {
        ring.rotate(es_key(2), t0 + 1min);
        CHECK(ring.active_kid(t0 + 1min) == jot::thumbprint(es_key(2)));
        CHECK(ring.active_kid(t0 + 2min) == jot::thumbprint(es_key(1)));
    }
    CHECK_THROWS_AS(ring.schedule(jot::algorithm::rs256, es_key(2), t0 + 9min, t0), jot::setup_error);
}
