// SPDX-License-Identifier: MIT
// Unit tests of token_service set-up and of what does not depend on the store (see tests/store for the rest).
#include <jot/token_service.hpp>

#include <doctest/doctest.h>

#include <chrono>        // std::chrono
#include <memory>        // std::make_shared
#include <stdexcept>     // std::runtime_error
#include <string>        // std::string
#include <system_error>  // std::error_code

template <>
struct doctest::StringMaker<std::error_code> {
    static String convert(const std::error_code& e) {
        return (e.category().name() + (":" + e.message())).c_str();
    }
};

using namespace std::chrono_literals;

namespace {

const jot::key& ring_key() {
    static const jot::key k = jot::key::generate(jot::algorithm::es256).value();
    return k;
}

std::shared_ptr<jot::key_ring> ring(jot::key_ring_options o = {}) {
    return std::make_shared<jot::key_ring>(jot::algorithm::es256, ring_key(), o);
}

jot::token_service_options options() {
    return {.issuer = "https://auth.example", .audience = {"api"}};
}

using service = jot::basic_token_service<jot::memory_store, jot::manual_clock>;

}  // namespace

TEST_CASE("token_service is the service over memory_store and the system clock") {
    jot::token_service svc(ring(), options());
    const auto t = svc.login("alice", "web").value();
    CHECK(svc.verify_access(t.access_token));
    CHECK(svc.refresh(t.refresh_token));
}

TEST_CASE("token_service refuses inconsistent options with setup_error") {
    auto o = options();
    SUBCASE("no issuer") {
        o.issuer.clear();
    }
    SUBCASE("no audience") {
        o.audience.clear();
    }
    SUBCASE("an empty audience") {
        o.audience = {""};
    }
    SUBCASE("a zero access lifetime") {
        o.access_ttl = 0s;
    }
    SUBCASE("a negative idle lifetime") {
        o.refresh_idle_ttl = -1s;
    }
    SUBCASE("a zero family lifetime") {
        o.family_ttl = 0s;
    }
    SUBCASE("a negative grace window") {
        o.grace = -1s;
    }
    SUBCASE("a grace window as long as the idle lifetime") {
        o.grace = o.refresh_idle_ttl;
    }
    SUBCASE("no session cap") {
        o.max_sessions = 0;
    }
    SUBCASE("a leeway above 5 minutes") {
        o.leeway = 6min;
    }
    SUBCASE("a key ring that drops keys before their tokens expire") {
        o.access_ttl = 16min;
    }
    CHECK_THROWS_AS(service(ring(), o), jot::setup_error);
}

TEST_CASE("token_service refuses a null key ring or store with setup_error") {
    CHECK_THROWS_AS(service(nullptr, options()), jot::setup_error);
    CHECK_THROWS_AS(service(ring(), options(), std::shared_ptr<jot::memory_store>{}), jot::setup_error);
}

TEST_CASE("token_service login needs a subject, a client_id and an object of claims") {
    service svc(ring(), options());
    CHECK_THROWS_AS((void)svc.login("", "web"), jot::setup_error);
    CHECK_THROWS_AS((void)svc.login("alice", ""), jot::setup_error);
    CHECK_THROWS_AS((void)svc.login("alice", "web", nlohmann::json::array()), jot::setup_error);
    // A claim that is not UTF-8 is an error value (the JSON text could not be written), not an exception.
    CHECK(svc.login("alice", "web", {{"name", "bad\xff"}}).error() == jot::errc::json_invalid_utf8);
    // Claims nested deeper than verify_access reads (16 levels by default) are refused at login.
    nlohmann::json deep = 1;
    for (int i = 0; i < 16; ++i) deep = nlohmann::json::array({deep});
    CHECK_THROWS_AS((void)svc.login("alice", "web", {{"deep", deep}}), jot::setup_error);
    nlohmann::json fine = 1;
    for (int i = 0; i < 15; ++i) fine = nlohmann::json::array({fine});
    const auto t = svc.login("alice", "web", {{"fine", fine}});
    REQUIRE(t);
    CHECK(svc.verify_access(t->access_token)->claims().at("fine") == fine);
}

TEST_CASE("token_service keeps custom claims across refreshes but never lets them replace registered ones") {
    service svc(ring(), options());
    const nlohmann::json custom = {{"scope", "read"},  {"sub", "mallory"},  {"iss", "evil"},
                                   {"client_id", "x"}, {"exp", 4102444800}, {"roles", {"admin", "ops"}},
                                   {"sid", "forged"},  {"jti", "fixed"},    {"esc\"aped\n", "v\u00e9"}};
    const auto t1 = svc.login("alice", "web", custom).value();
    svc.clock().advance(1min);
    const auto t2 = svc.refresh(t1.refresh_token).value();
    for (const auto* t : {&t1, &t2}) {
        const auto v = svc.verify_access(t->access_token).value();
        CHECK(v.subject() == "alice");
        CHECK(v.issuer() == "https://auth.example");
        CHECK(v.claims().at("client_id") == "web");
        CHECK(*v.expires_at() == *v.issued_at() + 15min);
        CHECK(v.claims().at("scope") == "read");
        CHECK(v.claims().at("roles") == nlohmann::json({"admin", "ops"}));
        CHECK(v.claims().at("sid") == t1.family_id);
        CHECK(v.jwt_id() != "fixed");
        CHECK(v.claims().at("esc\"aped\n") == "v\u00e9");
    }
    CHECK(svc.verify_access(t1.access_token)->jwt_id() != svc.verify_access(t2.access_token)->jwt_id());
}

TEST_CASE("token_service verify_access rejects a token of another issuer or audience") {
    service a(ring(), options());
    auto o = options();
    SUBCASE("issuer") {
        o.issuer = "https://other.example";
        service b(ring(), o);
        CHECK(b.verify_access(a.login("alice", "web")->access_token).error() == jot::errc::issuer_mismatch);
    }
    SUBCASE("audience") {
        o.audience = {"billing"};
        service b(ring(), o);
        CHECK(b.verify_access(a.login("alice", "web")->access_token).error() == jot::errc::audience_mismatch);
    }
}

TEST_CASE("token_service verify_access honours exp and the leeway") {
    auto o = options();
    SUBCASE("without leeway") {
        service svc(ring(), o);
        const auto t = svc.login("alice", "web").value();
        svc.clock().advance(15min - 1ms);
        CHECK(svc.verify_access(t.access_token));
        svc.clock().advance(1ms);
        CHECK(svc.verify_access(t.access_token).error() == jot::errc::token_expired);
    }
    SUBCASE("with leeway") {
        o.leeway = 30s;
        service svc(ring({.retain_retired = 20min}), o);
        const auto t = svc.login("alice", "web").value();
        svc.clock().advance(15min + 29s);
        CHECK(svc.verify_access(t.access_token));
        svc.clock().advance(1s);
        CHECK(svc.verify_access(t.access_token).error() == jot::errc::token_expired);
    }
}

TEST_CASE("token_service reports events with ids only and survives a throwing listener") {
    auto o = options();
    std::vector<jot::lifecycle_event> seen;
    o.on_event = [&seen](const jot::lifecycle_event& e) {
        seen.push_back(e);
        throw std::runtime_error("listener failed");
    };
    service svc(ring(), o);
    const auto t1 = svc.login("alice", "web").value();
    const auto t2 = svc.refresh(t1.refresh_token).value();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].kind == jot::event_kind::issued);
    CHECK(seen[0].token_id == jot::refresh_token::parse(t1.refresh_token)->id());
    CHECK(seen[0].family_id == t1.family_id);
    CHECK(seen[0].subject == "alice");
    CHECK(seen[0].client == "web");
    CHECK(seen[0].generation == 1);
    CHECK(seen[0].at == svc.clock().now());
    CHECK(seen[1].kind == jot::event_kind::rotated);
    CHECK(seen[1].generation == 2);
    CHECK(std::string(jot::name(seen[1].kind)) == "rotated");
    CHECK(svc.refresh(t2.refresh_token));
}

TEST_CASE("token_service revoke_access needs a token with jti and exp") {
    service svc(ring(), options());
    const auto t = svc.login("alice", "web").value();
    const auto v = svc.verify_access(t.access_token).value();
    CHECK(svc.revoke_access(v));
    CHECK(svc.verify_access(t.access_token).error() == jot::errc::token_revoked);
}

TEST_CASE("token_service revoke_access of a token whose exp is past what a time_point holds") {
    auto o = options();
    o.leeway = 60s;
    service svc(ring({.retain_retired = o.access_ttl + o.leeway}), o);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(svc.clock().now().time_since_epoch());
    const auto session = svc.login("alice", "web").value();  // access tokens need a live session (sid)
    // Signed with the service's own key: exp in the year 9999, past 2262, so read as time_point::max().
    const std::string token = jot::signer(jot::algorithm::es256, ring_key(), jot::thumbprint(ring_key()))
                                  .sign({{"iss", "https://auth.example"},
                                         {"sub", "alice"},
                                         {"aud", "api"},
                                         {"client_id", "web"},
                                         {"jti", "far-future"},
                                         {"sid", session.family_id},
                                         {"iat", now.count()},
                                         {"exp", 253'402'300'799}},
                                        "at+jwt")
                                  .value();
    const auto v = svc.verify_access(token);
    REQUIRE_MESSAGE(v, (v ? "" : v.error().message()));
    CHECK(v->expires_at() == jot::time_point::max());
    CHECK(svc.revoke_access(*v));  // exp + leeway saturates instead of overflowing
    CHECK(svc.verify_access(token).error() == jot::errc::token_revoked);
}

TEST_CASE("later_by saturates at time_point::max()") {
    const auto t = jot::time_point{std::chrono::seconds{1'700'000'000}};
    CHECK(jot::later_by(t, 60s) == t + 60s);
    CHECK(jot::later_by(t, 0s) == t);
    CHECK(jot::later_by(jot::time_point::max(), 1ns) == jot::time_point::max());
    CHECK(jot::later_by(jot::time_point::max() - 30s, 60s) == jot::time_point::max());
    CHECK(jot::later_by(jot::time_point::max() - 60s, 60s) == jot::time_point::max());
    CHECK(jot::later_by(jot::time_point::min(), -1s) == jot::time_point::min());  // no overflow either way
}

TEST_CASE("token_service signs with a scheduled key from its activation time and verifies both meanwhile") {
    const auto next = jot::key::generate(jot::algorithm::es256).value();
    auto keys = ring();
    service svc(keys, options(), jot::manual_clock{});
    const auto t0 = svc.clock().now();
    keys->schedule(next, 2min, t0);
    const auto before = svc.login("alice", "web").value();
    CHECK(svc.verify_access(before.access_token)->kid() == jot::thumbprint(ring_key()));
    CHECK(svc.jwks().at("keys").size() == 2);
    svc.clock().advance(2min - 1s);
    CHECK(svc.verify_access(svc.login("alice", "web")->access_token)->kid() == jot::thumbprint(ring_key()));
    svc.clock().advance(1s);
    const auto after = svc.login("alice", "web").value();
    CHECK(svc.verify_access(after.access_token)->kid() == jot::thumbprint(next));
    CHECK(svc.verify_access(before.access_token));
    CHECK(svc.refresh(after.refresh_token, "web"));
}

TEST_CASE("token_service refuses a keep_predecessors of 0 with setup_error") {
    auto o = options();
    o.keep_predecessors = 0;
    CHECK_THROWS_AS(service(ring(), o, jot::manual_clock{}), jot::setup_error);
    CHECK(options().keep_predecessors == 16);
}
