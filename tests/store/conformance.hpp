// SPDX-License-Identifier: MIT
// The refresh_store conformance suite: every lifecycle scenario, run over a backend through token_service.
//
// A backend's test specialises store_factory<Store> (make() returns a fresh, empty store) and invokes
//   TEST_CASE_TEMPLATE_INVOKE(conformance_id, MyStore);       // in tests/store/<backend>_test.cpp
//   TEST_CASE_TEMPLATE_INVOKE(conformance_access_id, MyStore);  // in tests/store/<backend>_test.cpp
//   TEST_CASE_TEMPLATE_INVOKE(conformance_race_id, MyStore);  // in tests/store/<backend>_race_test.cpp
// and likewise conformance_attempts_id, conformance_client_id, conformance_bounded_id (the first file) and
// conformance_attempts_race_id (the race file).
#pragma once

#include <jot/access_revocation.hpp>
#include <jot/key_ring.hpp>
#include <jot/login_throttle.hpp>
#include <jot/refresh_token.hpp>
#include <jot/store/refresh_store.hpp>
#include <jot/token_service.hpp>

#include <doctest/doctest.h>

#include <algorithm>     // std::sort, std::count_if, std::none_of
#include <atomic>        // std::atomic
#include <chrono>        // std::chrono
#include <cstddef>       // std::size_t
#include <future>        // std::promise
#include <latch>         // std::latch
#include <map>           // std::map
#include <memory>        // std::shared_ptr
#include <mutex>         // std::mutex
#include <optional>      // std::optional
#include <set>           // std::set
#include <string>        // std::string
#include <system_error>  // std::error_code
#include <thread>        // std::thread
#include <vector>        // std::vector

/// Makes a fresh, empty store of type Store for one test; each backend specialises it.
template <class Store>
struct store_factory;

template <>
struct doctest::StringMaker<std::error_code> {
    static String convert(const std::error_code& e) {
        return (e.category().name() + (":" + e.message())).c_str();
    }
};

namespace conformance {

using namespace std::chrono_literals;

/// What lookup_access_async delivers, waited for (at most 10 s), on a store that has it; else lookup_access.
template <class Store>
jot::result<jot::access_lookup> lookup_async(Store& s, std::string_view jti, std::string_view sub,
                                             std::string_view sid, jot::time_point now) {
    if constexpr (jot::async_access_lookup_store<Store>) {
        auto answer = std::make_shared<std::promise<jot::result<jot::access_lookup>>>();
        auto got = answer->get_future();
        s.lookup_access_async(jti, sub, sid, now, [answer](jot::result<jot::access_lookup> r) {
            answer->set_value(std::move(r));
        });
        REQUIRE(got.wait_for(10s) == std::future_status::ready);
        return got.get();
    } else {
        return s.lookup_access(jti, sub, sid, now);
    }
}

/// What check_revocation_async delivers, waited for, on a store that has it; else check_revocation.
template <class Store>
jot::result<void> check_async(Store& s, const jot::access_facts& t, jot::time_point now) {
    if constexpr (jot::async_access_lookup_store<Store>) {
        auto answer = std::make_shared<std::promise<jot::result<void>>>();
        auto got = answer->get_future();
        jot::check_revocation_async(s, t, now, [answer](jot::result<void> r) { answer->set_value(r); });
        REQUIRE(got.wait_for(10s) == std::future_status::ready);
        return got.get();
    } else {
        return jot::check_revocation(s, t, now);
    }
}

/// The ES256 keys of the suite, made once per process.
inline const jot::key& test_key(std::size_t i) {
    static const std::vector<jot::key> keys = [] {
        std::vector<jot::key> out;
        for (int n = 0; n < 3; ++n) out.push_back(jot::key::generate(jot::algorithm::es256).value());
        return out;
    }();
    return keys.at(i);
}

/// Lifecycle events seen by a service, safe to record from many threads.
class event_log {
public:
    void operator()(const jot::lifecycle_event& e) {
        const std::lock_guard lock(m_);
        events_.push_back(e);
    }
    std::size_t count(jot::event_kind k) const {
        const std::lock_guard lock(m_);
        return static_cast<std::size_t>(
            std::count_if(events_.begin(), events_.end(), [k](const auto& e) { return e.kind == k; }));
    }
    std::vector<jot::lifecycle_event> all() const {
        const std::lock_guard lock(m_);
        return events_;
    }

private:
    mutable std::mutex m_;
    std::vector<jot::lifecycle_event> events_;
};

inline jot::token_service_options default_options() {
    return {.issuer = "https://auth.example", .audience = {"api"}};
}

/// A token service over a fresh Store with a manual clock, recording its events.
template <class Store>
struct fixture {
    explicit fixture(jot::token_service_options o = default_options())
        : ring(std::make_shared<jot::key_ring>(jot::algorithm::es256, test_key(0))),
          log(std::make_shared<event_log>()),
          svc(ring, with_log(std::move(o), log), store_factory<Store>::make(), jot::manual_clock{}) {}

    static jot::token_service_options with_log(jot::token_service_options o, std::shared_ptr<event_log> l) {
        o.on_event = [l](const jot::lifecycle_event& e) { (*l)(e); };
        return o;
    }

    jot::store_dump dump() { return svc.store().dump().value(); }
    jot::token_record token(const std::string& id) { return svc.store().find_token(id).value().value(); }
    jot::family_record family(const std::string& id) { return svc.store().find_family(id).value().value(); }
    /// True unless the family is held and revoked: a backend may drop expired records at any time.
    bool not_revoked(const std::string& family_id) {
        const auto fam = svc.store().find_family(family_id).value();
        return !fam || !fam->revoked;
    }
    std::size_t active_tokens(const std::string& family_id) {
        const auto d = dump();
        return static_cast<std::size_t>(std::count_if(d.tokens.begin(), d.tokens.end(), [&](const auto& t) {
            return t.family == family_id && t.state == jot::token_state::active;
        }));
    }
    void advance(std::chrono::system_clock::duration d) { svc.clock().advance(d); }

    std::shared_ptr<jot::key_ring> ring;
    std::shared_ptr<event_log> log;
    jot::basic_token_service<Store, jot::manual_clock> svc;
};

inline std::string id_of(const std::string& refresh_token) {
    return jot::refresh_token::parse(refresh_token)->id();
}

/// The id of `refresh_token` with a fresh secret: a token that is held, presented with the wrong secret.
inline std::string id_of_forged(const std::string& refresh_token) {
    return id_of(refresh_token) + "." + jot::refresh_token::generate()->text().substr(23);
}

/// Every byte of a dump, as one string, to search for leaked secrets.
inline std::string flatten(const jot::store_dump& d) {
    std::string s;
    const auto add_time = [&s](jot::time_point t) {
        s += std::to_string(t.time_since_epoch().count()) + '|';
    };
    for (const auto& f : d.families) {
        s += f.id + '|' + f.subject + '|' + f.client + '|' + f.claims + '|';
        add_time(f.created);
        add_time(f.absolute_expiry);
    }
    for (const auto& t : d.tokens) {
        s += t.id + '|' + t.family + '|' + t.successor + '|' + t.sealed_successor + '|';
        s.append(reinterpret_cast<const char*>(t.hash.data()), t.hash.size());
        s += jot::base64url_encode(
            std::string_view(reinterpret_cast<const char*>(t.hash.data()), t.hash.size()));
        add_time(t.created);
        add_time(t.idle_expiry);
        add_time(t.grace_until);
    }
    for (const auto& e : d.denied) s += e.jti + '|';
    for (const auto& r : d.revocations) s += r.subject + '|';
    return s;
}

/// A dump in a canonical order, to compare two dumps.
inline jot::store_dump sorted(jot::store_dump d) {
    std::sort(d.families.begin(), d.families.end(), [](auto& a, auto& b) { return a.id < b.id; });
    std::sort(d.tokens.begin(), d.tokens.end(), [](auto& a, auto& b) { return a.id < b.id; });
    std::sort(d.denied.begin(), d.denied.end(), [](auto& a, auto& b) { return a.jti < b.jti; });
    std::sort(d.revocations.begin(), d.revocations.end(),
              [](auto& a, auto& b) { return a.subject < b.subject; });
    return d;
}

inline bool same(const jot::store_dump& a, const jot::store_dump& b) {
    const auto x = sorted(a), y = sorted(b);
    return x.families == y.families && x.tokens == y.tokens && x.denied == y.denied &&
           x.revocations == y.revocations;
}

}  // namespace conformance

TEST_CASE_TEMPLATE_DEFINE("token_service over a refresh_store passes the lifecycle scenarios", Store,
                          conformance_id) {
    using namespace std::chrono_literals;
    using conformance::fixture;
    using conformance::id_of;
    using jot::errc;
    using jot::event_kind;

    SUBCASE(
        "token_service login issues an at+jwt access token with the RFC 9068 claims and an opaque refresh "
        "token") {
        fixture<Store> f;
        const auto now = f.svc.clock().now();
        const auto t = f.svc.login("alice", "web", {{"scope", "read write"}}).value();
        const auto v = f.svc.verify_access(t.access_token);
        REQUIRE(v);
        CHECK(v->type() == "at+jwt");
        CHECK(v->kid() == f.ring->active_kid());
        CHECK(v->alg() == jot::algorithm::es256);
        CHECK(v->issuer() == "https://auth.example");
        CHECK(v->subject() == "alice");
        CHECK(v->audience() == std::vector<std::string>{"api"});
        CHECK(v->claims().at("client_id") == "web");
        CHECK(v->claims().at("scope") == "read write");
        CHECK(v->claims().at("sid") == t.family_id);
        CHECK(v->jwt_id().size() == 22);
        CHECK(*v->issued_at() == now);
        CHECK(*v->expires_at() == now + 15min);
        CHECK(t.access_expires_at == now + 15min);
        CHECK(t.refresh_expires_at == now + std::chrono::days{14});
        CHECK(t.generation == 1);

        CHECK(t.refresh_token.size() == jot::refresh_token_size);
        CHECK(std::count(t.refresh_token.begin(), t.refresh_token.end(), '.') == 1);
        const auto rt = jot::refresh_token::parse(t.refresh_token).value();
        CHECK(rt.secret().size() * 8 >= 256);
        CHECK(f.svc.verify_access(t.refresh_token).error() == errc::token_malformed);

        const auto d = f.dump();
        REQUIRE(d.families.size() == 1);
        REQUIRE(d.tokens.size() == 1);
        CHECK(d.families[0].id == t.family_id);
        CHECK(d.families[0].subject == "alice");
        CHECK(d.families[0].client == "web");
        CHECK(d.families[0].generation == 1);
        CHECK_FALSE(d.families[0].revoked);
        CHECK(d.families[0].absolute_expiry == now + std::chrono::days{30});
        CHECK(d.tokens[0].id == rt.id());
        CHECK(d.tokens[0].family == t.family_id);
        CHECK(d.tokens[0].state == jot::token_state::active);
        CHECK(d.tokens[0].generation == 1);
        CHECK(d.tokens[0].hash == rt.hash());
        CHECK(f.log->count(event_kind::issued) == 1);

        const auto other = f.svc.login("alice", "web").value();
        CHECK(other.refresh_token != t.refresh_token);
        CHECK(other.family_id != t.family_id);
        CHECK(f.svc.verify_access(other.access_token)->jwt_id() != v->jwt_id());
    }

    SUBCASE("token_service keeps access tokens and refresh tokens apart") {
        fixture<Store> f;
        const auto t = f.svc.login("alice", "web").value();
        const auto before = f.dump();
        CHECK(f.svc.refresh(t.access_token).error() == errc::refresh_token_malformed);
        CHECK(f.svc.verify_access(t.refresh_token).error() == errc::token_malformed);
        CHECK(conformance::same(before, f.dump()));

        const auto claims = f.svc.verify_access(t.access_token)->claims();
        const auto signer = f.ring->snapshot(f.svc.clock().now())->active;
        SUBCASE("a JWT of typ JWT with the same key and claims is not an access token") {
            CHECK(f.svc.verify_access(signer.sign(claims, "JWT").value()).error() == errc::type_mismatch);
        }
        SUBCASE("a JWT without typ is not an access token") {
            CHECK(f.svc.verify_access(signer.sign(claims, "").value()).error() == errc::type_mismatch);
        }
        SUBCASE("an ID token is not an access token") {
            CHECK(f.svc.verify_access(signer.sign(claims, "id_token+jwt").value()).error() ==
                  errc::type_mismatch);
        }
        SUBCASE("an at+jwt without client_id is not an access token") {
            auto c = claims;
            c.erase("client_id");
            CHECK(f.svc.verify_access(signer.sign(c, "at+jwt").value()).error() == errc::claim_missing);
        }
    }

    SUBCASE("token_service refresh rotates to a new access and refresh token one generation up") {
        fixture<Store> f;
        const auto t1 = f.svc.login("alice", "web").value();
        f.advance(1min);
        const auto t2 = f.svc.refresh(t1.refresh_token).value();
        CHECK(t2.refresh_token != t1.refresh_token);
        CHECK(t2.access_token != t1.access_token);
        CHECK(t2.family_id == t1.family_id);
        CHECK(t2.generation == 2);
        const auto v2 = f.svc.verify_access(t2.access_token);
        REQUIRE(v2);
        CHECK(v2->jwt_id() != f.svc.verify_access(t1.access_token)->jwt_id());
        CHECK(v2->subject() == "alice");
        CHECK(v2->claims().at("client_id") == "web");

        const auto r1 = f.token(id_of(t1.refresh_token));
        CHECK(r1.state == jot::token_state::rotated);
        CHECK(r1.successor == id_of(t2.refresh_token));
        const auto r2 = f.token(id_of(t2.refresh_token));
        CHECK(r2.state == jot::token_state::active);
        CHECK(r2.generation == 2);
        CHECK(r2.family == t1.family_id);
        CHECK(f.family(t1.family_id).generation == 2);
        CHECK(f.active_tokens(t1.family_id) == 1);
        CHECK(f.log->count(event_kind::rotated) == 1);

        const auto t3 = f.svc.refresh(t2.refresh_token).value();
        CHECK(t3.generation == 3);
        CHECK(f.active_tokens(t1.family_id) == 1);
    }

    SUBCASE("token_service revokes the family when a rotated refresh token is reused") {
        fixture<Store> f;
        const auto t1 = f.svc.login("alice", "web").value();
        const auto t2 = f.svc.refresh(t1.refresh_token).value();
        f.advance(1s);
        CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_reused);
        CHECK(f.family(t1.family_id).revoked);
        CHECK(f.active_tokens(t1.family_id) == 0);
        CHECK(f.svc.refresh(t2.refresh_token).error() == errc::refresh_token_revoked);
        CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_revoked);
        REQUIRE(f.log->count(event_kind::reuse_detected) == 1);
        for (const auto& e : f.log->all()) {
            if (e.kind != event_kind::reuse_detected) continue;
            CHECK(e.token_id == id_of(t1.refresh_token));
            CHECK(e.family_id == t1.family_id);
            CHECK(e.subject == "alice");
        }
    }

    SUBCASE("token_service gives the immediate predecessor the same successor within the grace window") {
        auto o = conformance::default_options();
        o.grace = 10s;
        fixture<Store> f(o);
        const auto t1 = f.svc.login("alice", "web").value();
        const auto t2 = f.svc.refresh(t1.refresh_token).value();
        f.advance(5s);
        const auto again = f.svc.refresh(t1.refresh_token).value();
        CHECK(again.refresh_token == t2.refresh_token);
        CHECK(again.access_token != t2.access_token);
        CHECK(again.generation == 2);
        CHECK(again.refresh_expires_at == t2.refresh_expires_at);
        CHECK(f.svc.verify_access(again.access_token));
        CHECK_FALSE(f.family(t1.family_id).revoked);
        CHECK(f.active_tokens(t1.family_id) == 1);
        CHECK(f.log->count(event_kind::grace_replay) == 1);
        CHECK(f.log->count(event_kind::reuse_detected) == 0);

        SUBCASE("and the successor still rotates") {
            const auto t3 = f.svc.refresh(t2.refresh_token).value();
            CHECK(t3.generation == 3);
            CHECK(f.active_tokens(t1.family_id) == 1);
        }
        SUBCASE("but not once the window has closed") {
            f.advance(5s);
            CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_reused);
            CHECK(f.svc.refresh(t2.refresh_token).error() == errc::refresh_token_revoked);
        }
        SUBCASE("but never once the successor has rotated too") {
            const auto t3 = f.svc.refresh(t2.refresh_token).value();
            CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_reused);
            CHECK(f.svc.refresh(t3.refresh_token).error() == errc::refresh_token_revoked);
            CHECK(f.log->count(event_kind::reuse_detected) == 1);
        }
    }

    SUBCASE("token_service treats the grandparent within the grace window as reuse") {
        auto o = conformance::default_options();
        o.grace = 10s;
        fixture<Store> f(o);
        const auto t1 = f.svc.login("alice", "web").value();
        const auto t2 = f.svc.refresh(t1.refresh_token).value();
        const auto t3 = f.svc.refresh(t2.refresh_token).value();
        CHECK(f.svc.refresh(t2.refresh_token).value().refresh_token == t3.refresh_token);
        CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_reused);
        CHECK(f.family(t1.family_id).revoked);
        CHECK(f.svc.refresh(t3.refresh_token).error() == errc::refresh_token_revoked);
    }

    SUBCASE("token_service rejects an expired refresh token without revoking its family") {
        auto o = conformance::default_options();
        o.refresh_idle_ttl = 1h;
        fixture<Store> f(o);
        const auto t1 = f.svc.login("alice", "web").value();
        SUBCASE("at its idle expiry") {
            f.advance(1h);
            CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_expired);
            CHECK(f.not_revoked(t1.family_id));
            CHECK(f.log->count(event_kind::expired) == 1);
            CHECK(f.log->count(event_kind::revoked) == 0);
            CHECK(f.log->count(event_kind::reuse_detected) == 0);
        }
        SUBCASE("but not just before it") {
            f.advance(1h - 1ns);
            CHECK(f.svc.refresh(t1.refresh_token));
        }
        SUBCASE("even when it was rotated: past its idle expiry it is expired, not reused") {
            f.advance(30min);
            const auto t2 = f.svc.refresh(t1.refresh_token).value();
            f.advance(31min);
            CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_expired);
            CHECK(f.not_revoked(t1.family_id));
            CHECK(f.log->count(event_kind::reuse_detected) == 0);
            CHECK(f.svc.refresh(t2.refresh_token));
        }
    }

    SUBCASE("token_service slides the idle expiry with each refresh but never past the absolute expiry") {
        auto o = conformance::default_options();
        o.refresh_idle_ttl = 1h;
        o.family_ttl = 3h;
        fixture<Store> f(o);
        const auto start = f.svc.clock().now();
        auto t = f.svc.login("alice", "web").value();
        CHECK(t.refresh_expires_at == start + 1h);
        for (int i = 1; i <= 3; ++i) {
            f.advance(50min);
            t = f.svc.refresh(t.refresh_token).value();
            CHECK(t.refresh_expires_at == std::min(f.svc.clock().now() + 1h, start + 3h));
            CHECK(f.token(id_of(t.refresh_token)).idle_expiry == t.refresh_expires_at);
        }
        CHECK(t.refresh_expires_at == start + 3h);
        f.advance(29min);
        t = f.svc.refresh(t.refresh_token).value();
        CHECK(t.refresh_expires_at == start + 3h);
        CHECK(f.family(t.family_id).absolute_expiry == start + 3h);
        f.advance(1min);
        CHECK(f.svc.refresh(t.refresh_token).error() == errc::refresh_token_expired);
        CHECK(f.not_revoked(t.family_id));
    }

    SUBCASE("token_service revokes one refresh token") {
        fixture<Store> f;
        const auto t1 = f.svc.login("alice", "web").value();
        SUBCASE("the active one, which ends its session") {
            CHECK(f.svc.revoke_token(t1.refresh_token).value());
            CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_revoked);
            CHECK(f.family(t1.family_id).revoked);
            CHECK(f.log->count(event_kind::revoked) == 1);
        }
        SUBCASE("a rotated one, which leaves its session alive") {
            const auto t2 = f.svc.refresh(t1.refresh_token).value();
            CHECK(f.svc.revoke_token(t1.refresh_token).value());
            CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_revoked);
            CHECK(f.log->count(event_kind::reuse_detected) == 0);
            CHECK(f.svc.refresh(t2.refresh_token));
        }
        SUBCASE("but not with a wrong secret") {
            const auto forged =
                id_of(t1.refresh_token) + "." + jot::refresh_token::generate()->text().substr(23);
            const auto before = f.dump();
            CHECK_FALSE(f.svc.revoke_token(forged).value());
            CHECK(conformance::same(before, f.dump()));
            CHECK(f.svc.refresh(t1.refresh_token));
        }
    }

    SUBCASE("token_service revokes one family") {
        fixture<Store> f;
        const auto a = f.svc.login("alice", "web").value();
        const auto b = f.svc.login("alice", "app").value();
        CHECK(f.svc.revoke_family(a.family_id).value());
        CHECK(f.svc.refresh(a.refresh_token).error() == errc::refresh_token_revoked);
        CHECK(f.active_tokens(a.family_id) == 0);
        CHECK(f.svc.refresh(b.refresh_token));
        CHECK_FALSE(f.svc.revoke_family("no-such-family").value());
        const auto sessions = f.svc.sessions("alice").value();
        REQUIRE(sessions.size() == 1);
        CHECK(sessions[0].id == b.family_id);
    }

    SUBCASE("token_service revokes every family of a subject and the access tokens issued before") {
        fixture<Store> f;
        const auto a1 = f.svc.login("alice", "web").value();
        const auto a2 = f.svc.login("alice", "app").value();
        const auto b = f.svc.login("bob", "web").value();
        f.advance(1s);
        const auto a1r = f.svc.refresh(a1.refresh_token).value();
        f.advance(1500ms);
        const auto same_second = f.svc.login("alice", "cli").value();
        CHECK(f.svc.verify_access(same_second.access_token));
        CHECK(f.svc.revoke_subject("alice").value() == 3);
        CHECK(f.log->count(event_kind::revoked) == 3);
        for (const auto* t : {&a1, &a2, &a1r, &same_second})
            CHECK(f.svc.verify_access(t->access_token).error() == errc::token_revoked);
        CHECK(f.svc.refresh(a1r.refresh_token).error() == errc::refresh_token_revoked);
        CHECK(f.svc.refresh(a2.refresh_token).error() == errc::refresh_token_revoked);
        CHECK(f.svc.sessions("alice")->empty());
        CHECK(f.svc.verify_access(b.access_token));
        CHECK(f.svc.refresh(b.refresh_token));

        SUBCASE("and new logins work at once") {
            const auto n = f.svc.login("alice", "web").value();
            CHECK(f.svc.verify_access(n.access_token));
            const auto n2 = f.svc.refresh(n.refresh_token).value();
            CHECK(f.svc.verify_access(n2.access_token));
        }
        SUBCASE("and new logins work later") {
            f.advance(1s);
            const auto n = f.svc.login("alice", "web").value();
            CHECK(f.svc.verify_access(n.access_token));
        }
        SUBCASE("and the not-before lapses once those access tokens have expired") {
            const auto now = f.svc.clock().now();
            CHECK(f.svc.store().subject_not_before("alice", now).value() == now);
            f.advance(15min);
            CHECK_FALSE(f.svc.store().subject_not_before("alice", f.svc.clock().now()).value());
            CHECK(f.svc.purge_expired());
            CHECK(f.dump().revocations.empty());
        }
    }

    SUBCASE("token_service denies one access token by jti until it expires") {
        fixture<Store> f;
        const auto t1 = f.svc.login("alice", "web").value();
        f.advance(1min);
        const auto t2 = f.svc.refresh(t1.refresh_token).value();
        const auto v1 = f.svc.verify_access(t1.access_token).value();
        REQUIRE(f.svc.revoke_access(v1));
        CHECK(f.svc.verify_access(t1.access_token).error() == errc::token_revoked);
        CHECK(f.svc.verify_access(t2.access_token));
        CHECK(f.svc.store().is_denied(v1.jwt_id(), f.svc.clock().now()).value());
        f.svc.clock().set(*v1.expires_at());
        CHECK(f.svc.verify_access(t1.access_token).error() == errc::token_expired);
        CHECK_FALSE(f.svc.store().is_denied(v1.jwt_id(), f.svc.clock().now()).value());
        CHECK(f.svc.verify_access(t2.access_token));
        CHECK(f.svc.purge_expired());
        CHECK(f.dump().denied.empty());
    }

    SUBCASE("a jti denied until time_point::max() (exp past what a time_point holds) stays denied") {
        fixture<Store> f;
        REQUIRE(f.svc.store().deny_jti("far-future", jot::time_point::max()));
        CHECK(f.svc.store().is_denied("far-future", f.svc.clock().now()).value());
        f.advance(24h * 365 * 100);
        CHECK(f.svc.store().is_denied("far-future", f.svc.clock().now()).value());
        CHECK(f.svc.purge_expired());
        CHECK(f.svc.store().is_denied("far-future", f.svc.clock().now()).value());
    }

    SUBCASE("token_service verifies tokens of the previous key until the key ring retires it") {
        fixture<Store> f;
        const auto old_kid = f.ring->active_kid();
        CHECK(old_kid == jot::thumbprint(jot::key(conformance::test_key(0))));
        const auto t1 = f.svc.login("alice", "web").value();
        f.ring->rotate(conformance::test_key(1), f.svc.clock().now());
        const auto new_kid = f.ring->active_kid();
        CHECK(new_kid != old_kid);
        const auto t2 = f.svc.login("alice", "web").value();
        CHECK(f.svc.verify_access(t1.access_token)->kid() == old_kid);
        CHECK(f.svc.verify_access(t2.access_token)->kid() == new_kid);
        const auto kids = [&f] {
            std::set<std::string> out;
            const auto jwks = f.svc.jwks();
            for (const auto& k : jwks.at("keys")) {
                CHECK_FALSE(k.contains("d"));
                out.insert(k.at("kid").template get<std::string>());
            }
            return out;
        };
        CHECK(kids() == std::set<std::string>{old_kid, new_kid});
        f.advance(15min - 1s);
        CHECK(f.svc.verify_access(t1.access_token));
        CHECK(kids().size() == 2);
        f.advance(1s);
        CHECK(kids() == std::set<std::string>{new_kid});
        const auto t3 = f.svc.login("alice", "web").value();
        CHECK(f.svc.verify_access(t3.access_token)->kid() == new_kid);
    }

    SUBCASE("refresh_store dumps hold no refresh token secret and nothing that refreshes") {
        auto o = conformance::default_options();
        o.grace = 30s;
        fixture<Store> f(o);
        std::vector<std::string> issued;
        const auto a = f.svc.login("alice", "web").value();
        const auto a2 = f.svc.refresh(a.refresh_token).value();
        const auto a3 = f.svc.refresh(a2.refresh_token).value();
        const auto b = f.svc.login("bob", "web").value();
        const auto b2 = f.svc.refresh(b.refresh_token).value();
        const auto c = f.svc.login("carol", "web").value();
        CHECK(f.svc.revoke_family(b.family_id).value());
        for (const auto* t : {&a, &a2, &a3, &b, &b2, &c}) issued.push_back(t->refresh_token);

        const auto d = f.dump();
        CHECK(d.tokens.size() == 6);
        const auto text = conformance::flatten(d);
        for (const auto& rt : issued) {
            const auto parsed = jot::refresh_token::parse(rt).value();
            const auto secret = parsed.secret();
            CHECK(text.find(rt) == std::string::npos);
            CHECK(text.find(rt.substr(23)) == std::string::npos);
            CHECK(text.find(std::string(reinterpret_cast<const char*>(secret.data()), secret.size())) ==
                  std::string::npos);
        }
        for (const auto& e : f.log->all()) {
            CHECK((e.token_id.empty() || e.token_id.size() == 22));
            for (const auto& rt : issued) {
                const auto secret = rt.substr(23);
                for (const auto* field : {&e.subject, &e.client, &e.family_id, &e.token_id})
                    CHECK(field->find(secret) == std::string::npos);
            }
        }
        // What a dump holds, presented as a secret, refreshes nothing and changes nothing.
        for (const auto& t : d.tokens) {
            const std::string_view hash(reinterpret_cast<const char*>(t.hash.data()), t.hash.size());
            const auto forged = t.id + "." + jot::base64url_encode(hash);
            CHECK(f.svc.refresh(forged).error() == errc::refresh_token_not_found);
            if (t.sealed_successor.size() >= 32) {
                const auto piece = t.sealed_successor.substr(t.sealed_successor.size() - 32);
                CHECK(f.svc.refresh(t.id + "." + jot::base64url_encode(piece)).error() ==
                      errc::refresh_token_not_found);
            }
        }
        CHECK(conformance::same(d, f.dump()));
        CHECK(f.log->count(event_kind::reuse_detected) == 0);
    }

    SUBCASE("token_service rejects malformed refresh tokens before touching the store") {
        fixture<Store> f;
        const auto t = f.svc.login("alice", "web").value();
        const auto before = f.dump();
        std::string bad_char = t.refresh_token;
        bad_char[40] = '*';
        std::string non_canonical = t.refresh_token;
        non_canonical.back() = 'B';  // 43 characters carry 258 bits: the last 2 must be zero
        const std::string cases[] = {
            "",
            std::string(1 << 20, 'a'),
            std::string(jot::refresh_token_size, 'a'),
            t.refresh_token.substr(0, 22) + "!" + t.refresh_token.substr(23),
            bad_char,
            non_canonical,
            "a.b",
            t.refresh_token + "x",
            t.refresh_token + "=",
            t.refresh_token.substr(1),
            t.access_token,
        };
        for (const auto& s : cases) {
            CAPTURE(s.size());
            CHECK(f.svc.refresh(s).error() == errc::refresh_token_malformed);
            CHECK(f.svc.revoke_token(s).error() == errc::refresh_token_malformed);
        }
        CHECK(conformance::same(before, f.dump()));

        const auto unknown = jot::refresh_token::generate()->text();
        CHECK(f.svc.refresh(unknown).error() == errc::refresh_token_not_found);
        const auto wrong_secret = t.refresh_token.substr(0, 23) + unknown.substr(23);
        CHECK(f.svc.refresh(wrong_secret).error() == errc::refresh_token_not_found);
        CHECK(conformance::same(before, f.dump()));
        CHECK(f.log->count(event_kind::reuse_detected) == 0);
        CHECK(f.svc.refresh(t.refresh_token));
    }

    SUBCASE("token_service evicts the oldest session beyond max_sessions") {
        auto o = conformance::default_options();
        o.max_sessions = 2;
        fixture<Store> f(o);
        const auto s1 = f.svc.login("alice", "web").value();
        f.advance(1s);
        const auto s2 = f.svc.login("alice", "web").value();
        f.advance(1s);
        const auto bob = f.svc.login("bob", "web").value();
        CHECK(f.log->count(event_kind::revoked) == 0);
        const auto s3 = f.svc.login("alice", "web").value();
        CHECK(f.log->count(event_kind::revoked) == 1);
        const auto sessions = f.svc.sessions("alice").value();
        REQUIRE(sessions.size() == 2);
        CHECK(sessions[0].id == s2.family_id);
        CHECK(sessions[1].id == s3.family_id);
        CHECK(f.svc.refresh(s1.refresh_token).error() == errc::refresh_token_revoked);
        CHECK(f.svc.refresh(s2.refresh_token));
        CHECK(f.svc.sessions("bob")->size() == 1);
        CHECK(f.svc.refresh(bob.refresh_token));

        SUBCASE("and among sessions of the same instant, the first created") {
            const auto s4 = f.svc.login("alice", "web").value();
            const auto s5 = f.svc.login("alice", "web").value();
            const auto left = f.svc.sessions("alice").value();
            REQUIRE(left.size() == 2);
            CHECK(left[0].id == s4.family_id);
            CHECK(left[1].id == s5.family_id);
        }
    }

    SUBCASE("token_service bounds sessions and revoke_subject by max_sessions, at and beyond the cap") {
        auto o = conformance::default_options();
        o.max_sessions = 3;
        fixture<Store> f(o);
        std::vector<jot::issued_tokens> t;
        for (int i = 0; i < 3; ++i) t.push_back(f.svc.login("alice", "web").value());
        CHECK(f.svc.sessions("alice")->size() == 3);
        CHECK(f.log->count(event_kind::revoked) == 0);
        for (int i = 0; i < 5; ++i) t.push_back(f.svc.login("alice", "web").value());
        const auto live = f.svc.sessions("alice").value();
        REQUIRE(live.size() == 3);
        for (std::size_t i = 0; i < live.size(); ++i) CHECK(live[i].id == t[5 + i].family_id);
        CHECK(f.log->count(event_kind::revoked) == 5);
        CHECK(f.svc.store().families_of("alice", f.svc.clock().now())->size() == 3);
        CHECK(f.svc.revoke_subject("alice").value() == 3);
        CHECK(f.log->count(event_kind::revoked) == 8);
        CHECK(f.svc.sessions("alice")->empty());
        CHECK(f.svc.store().revoke_subject("alice", f.svc.clock().now(), f.svc.clock().now())->empty());
    }

    SUBCASE("token_service keeps at most 100 live sessions per subject by default") {
        fixture<Store> f;
        CHECK(f.svc.options().max_sessions == 100);
        std::string first;
        for (int i = 0; i < 100; ++i) {
            const auto t = f.svc.login("alice", "web").value();
            if (i == 0) first = t.family_id;
        }
        CHECK(f.svc.sessions("alice")->size() == 100);
        CHECK(f.log->count(event_kind::revoked) == 0);
        (void)f.svc.login("alice", "web").value();
        const auto live = f.svc.sessions("alice").value();
        CHECK(live.size() == 100);
        CHECK(std::none_of(live.begin(), live.end(), [&](const auto& s) { return s.id == first; }));
        CHECK(f.svc.revoke_subject("alice").value() == 100);
    }

    SUBCASE("refresh_store purge_expired removes every expired record and keeps live ones") {
        auto o = conformance::default_options();
        o.refresh_idle_ttl = 1h;
        o.family_ttl = 2h;
        o.grace = 10s;
        fixture<Store> f(o);
        std::vector<jot::issued_tokens> live;
        for (int i = 0; i < 10; ++i) {
            auto t = f.svc.login("user" + std::to_string(i % 3), "web").value();
            t = f.svc.refresh(t.refresh_token).value();
            live.push_back(f.svc.refresh(t.refresh_token).value());
        }
        REQUIRE(f.svc.revoke_access(f.svc.verify_access(live[0].access_token).value()));
        CHECK(f.svc.revoke_subject("user1").value() == 3);
        CHECK(f.dump().tokens.size() == 30);

        f.advance(11s);
        CHECK(f.svc.purge_expired());
        for (const auto& t : f.dump().tokens) CHECK(t.sealed_successor.empty());
        CHECK(f.dump().tokens.size() == 30);
        CHECK(f.svc.refresh(live[0].refresh_token));

        f.advance(2h);
        CHECK(f.svc.purge_expired().value() > 0);
        const auto d = f.dump();
        CHECK(d.families.empty());
        CHECK(d.tokens.empty());
        CHECK(d.denied.empty());
        CHECK(d.revocations.empty());
    }
}

TEST_CASE_TEMPLATE_DEFINE("token_service refuses the access tokens of a session that ended", Store,
                          conformance_access_id) {
    using namespace std::chrono_literals;
    using conformance::fixture;
    using jot::errc;

    SUBCASE("a logout with only the refresh token ends that session's access tokens at once") {
        fixture<Store> f;
        const auto web = f.svc.login("alice", "web").value();
        const auto app = f.svc.login("alice", "app").value();
        REQUIRE(f.svc.verify_access(web.access_token));
        CHECK(f.svc.revoke_token(web.refresh_token).value());
        CHECK(f.svc.verify_access(web.access_token).error() == errc::token_revoked);
        CHECK(f.svc.verify_access(app.access_token));
    }
    SUBCASE("a revoked family ends its access tokens, those of earlier generations too") {
        fixture<Store> f;
        const auto t1 = f.svc.login("alice", "web").value();
        f.advance(1s);
        const auto t2 = f.svc.refresh(t1.refresh_token).value();
        CHECK(f.svc.revoke_family(t1.family_id).value());
        CHECK(f.svc.verify_access(t1.access_token).error() == errc::token_revoked);
        CHECK(f.svc.verify_access(t2.access_token).error() == errc::token_revoked);
    }
    SUBCASE("reuse detection ends the family's access tokens") {
        fixture<Store> f;
        const auto t1 = f.svc.login("alice", "web").value();
        const auto t2 = f.svc.refresh(t1.refresh_token).value();
        CHECK(f.svc.refresh(t1.refresh_token).error() == errc::refresh_token_reused);
        CHECK(f.svc.verify_access(t2.access_token).error() == errc::token_revoked);
    }
    SUBCASE("a session past its absolute expiry, or purged, ends its access tokens") {
        auto o = conformance::default_options();
        o.family_ttl = 10min;
        fixture<Store> f(o);
        const auto t = f.svc.login("alice", "web").value();
        f.advance(9min);
        const auto late = f.svc.refresh(t.refresh_token).value();
        CHECK(f.svc.verify_access(late.access_token));
        f.advance(1min);
        CHECK(f.svc.verify_access(late.access_token).error() == errc::token_revoked);
        CHECK(f.svc.purge_expired());
        CHECK_FALSE(f.svc.store().find_family(t.family_id).value());
        CHECK(f.svc.verify_access(late.access_token).error() == errc::token_revoked);
    }
    SUBCASE("lookup_access reads the denylist, the not-before and the session in one call") {
        fixture<Store> f;
        auto& store = f.svc.store();
        // lookup_access, and lookup_access_async where the store has it, which must agree.
        const auto lookup = [&store](std::string_view jti, std::string_view sub, std::string_view sid,
                                     jot::time_point when) {
            auto held = store.lookup_access(jti, sub, sid, when).value();
            CHECK(conformance::lookup_async(store, jti, sub, sid, when).value() == held);
            return held;
        };
        const auto t = f.svc.login("alice", "web").value();
        const auto now = f.svc.clock().now();
        auto held = lookup("jti-1", "alice", t.family_id, now);
        CHECK_FALSE(held.denied);
        CHECK_FALSE(held.not_before);
        REQUIRE(held.session);
        CHECK(*held.session == f.family(t.family_id));
        REQUIRE(store.deny_jti("jti-1", now + 1min));
        REQUIRE(store.revoke_subject("alice", now, now + 1min));
        held = lookup("jti-1", "alice", t.family_id, now);
        CHECK(held.denied);
        CHECK(held.not_before == now);
        REQUIRE(held.session);
        CHECK(held.session->revoked);
        CHECK_FALSE(lookup("jti-1", "alice", "", now).session);
        CHECK_FALSE(lookup("jti-1", "alice", "no-such-family", now).session);
        const auto later = lookup("jti-1", "alice", t.family_id, now + 1min);
        CHECK_FALSE(later.denied);
        CHECK_FALSE(later.not_before);
    }
    SUBCASE("check_revocation from cached facts agrees with verify_access") {
        fixture<Store> f;
        const auto t = f.svc.login("alice", "web").value();
        const auto facts = jot::facts_of(f.svc.verify_access(t.access_token).value());
        CHECK(facts.session == t.family_id);
        CHECK(jot::check_revocation(f.svc.store(), facts, f.svc.clock().now()));
        CHECK(conformance::check_async(f.svc.store(), facts, f.svc.clock().now()));
        CHECK(f.svc.revoke_token(t.refresh_token).value());
        CHECK(jot::check_revocation(f.svc.store(), facts, f.svc.clock().now()).error() ==
              errc::token_revoked);
        CHECK(conformance::check_async(f.svc.store(), facts, f.svc.clock().now()).error() ==
              errc::token_revoked);
        auto no_session = facts;
        no_session.session.clear();
        CHECK(jot::check_revocation(f.svc.store(), no_session, f.svc.clock().now()).error() ==
              errc::claim_missing);
        CHECK(conformance::check_async(f.svc.store(), no_session, f.svc.clock().now()).error() ==
              errc::claim_missing);
    }
}

TEST_CASE_TEMPLATE_DEFINE("token_service race: concurrent refreshes of one refresh token rotate it once",
                          Store, conformance_race_id) {
    using namespace std::chrono_literals;
    using conformance::fixture;
    using jot::errc;
    using jot::event_kind;
    constexpr std::size_t threads = 32;

    const auto refresh_all = [](auto& f, const std::string& token) {
        std::vector<std::optional<jot::result<jot::issued_tokens>>> results(threads);
        std::latch go(threads);
        std::vector<std::thread> pool;
        for (std::size_t i = 0; i < threads; ++i)
            pool.emplace_back([&, i] {
                go.arrive_and_wait();
                results[i].emplace(f.svc.refresh(token));
            });
        for (auto& t : pool) t.join();
        return results;
    };
    const auto at_most_one_active_per_family = [](const jot::store_dump& d) {
        std::map<std::string, int> active;
        for (const auto& t : d.tokens) active[t.family] += t.state == jot::token_state::active ? 1 : 0;
        for (const auto& [family, n] : active)
            if (n > 1) return false;
        return true;
    };

    SUBCASE("without a grace window exactly one succeeds and the family is revoked") {
        fixture<Store> f;
        const auto t1 = f.svc.login("alice", "web").value();
        const auto results = refresh_all(f, t1.refresh_token);
        std::size_t ok = 0, reused = 0, revoked = 0;
        for (const auto& r : results) {
            if (*r) ++ok;
            if (r->error() == errc::refresh_token_reused) ++reused;
            if (r->error() == errc::refresh_token_revoked) ++revoked;
        }
        CHECK(ok == 1);
        CHECK(reused == 1);
        CHECK(revoked == threads - 2);
        CHECK(f.log->count(event_kind::rotated) == 1);
        CHECK(f.log->count(event_kind::reuse_detected) == 1);
        CHECK(at_most_one_active_per_family(f.dump()));
        CHECK(f.active_tokens(t1.family_id) == 0);
    }

    SUBCASE("within a grace window all succeed with the same successor") {
        auto o = conformance::default_options();
        o.grace = 10s;
        fixture<Store> f(o);
        const auto t1 = f.svc.login("alice", "web").value();
        const auto results = refresh_all(f, t1.refresh_token);
        std::set<std::string> refresh_tokens, access_tokens;
        for (const auto& r : results) {
            REQUIRE(*r);
            refresh_tokens.insert((*r)->refresh_token);
            access_tokens.insert((*r)->access_token);
        }
        CHECK(refresh_tokens.size() == 1);
        CHECK(access_tokens.size() == threads);
        CHECK(f.log->count(event_kind::rotated) == 1);
        CHECK(f.log->count(event_kind::grace_replay) == threads - 1);
        CHECK(f.active_tokens(t1.family_id) == 1);
        CHECK(f.family(t1.family_id).generation == 2);
        CHECK(at_most_one_active_per_family(f.dump()));
    }

    SUBCASE("many sessions refresh and verify while the key ring rotates") {
        fixture<Store> f;
        constexpr int workers = 8, rounds = 25;
        std::atomic<int> failures{0};
        std::atomic<bool> done{false};
        std::latch go(workers + 1);
        std::vector<std::thread> pool;
        for (int w = 0; w < workers; ++w)
            pool.emplace_back([&, w] {
                go.arrive_and_wait();
                auto t = f.svc.login("user" + std::to_string(w), "web");
                for (int i = 0; t && i < rounds; ++i) {
                    if (!f.svc.verify_access(t->access_token)) ++failures;
                    t = f.svc.refresh(t->refresh_token);
                }
                if (!t) ++failures;
            });
        std::thread rotator([&] {
            go.arrive_and_wait();
            for (std::size_t i = 1; !done; ++i) {
                f.ring->rotate(conformance::test_key(i % 3), f.svc.clock().now());
                (void)f.svc.jwks();
                std::this_thread::yield();
            }
        });
        for (auto& t : pool) t.join();
        done = true;
        rotator.join();
        CHECK(failures == 0);
        const auto d = f.dump();
        CHECK(at_most_one_active_per_family(d));
        CHECK(d.families.size() == workers);
        for (const auto& fam : d.families) CHECK(fam.generation == rounds + 1);
    }
}

TEST_CASE_TEMPLATE_DEFINE("attempt_store counts failures per key within a window, clears and expires them",
                          Store, conformance_attempts_id) {
    using namespace std::chrono_literals;
    const auto store = store_factory<Store>::make();
    jot::manual_clock clock;
    const auto t0 = clock.now();

    SUBCASE("each failure within the window counts one more, keys apart") {
        for (std::uint64_t i = 1; i <= 3; ++i) {
            const auto c = store->add_failure("user:alice", t0 + i * 1s, 15min).value();
            CHECK(c.count == i);
            CHECK(c.last == t0 + i * 1s);
            CHECK(c.expires == t0 + i * 1s + 15min);
        }
        CHECK(store->failures("user:alice", t0 + 3s).value().count == 3);
        CHECK(store->failures("user:alice", t0 + 3s).value().expires == t0 + 3s + 15min);
        CHECK(store->failures("user:bob", t0 + 3s).value() == jot::failure_count{});
        CHECK(store->add_failure("user+addr:alice|203.0.113.5", t0 + 4s, 15min).value().count == 1);
        CHECK(store->failures("user:alice", t0 + 4s).value().count == 3);
    }
    SUBCASE("a failure slides the expiry; after a quiet window the count starts again") {
        CHECK(store->add_failure("k", t0, 10min).value().count == 1);
        CHECK(store->add_failure("k", t0 + 9min, 10min).value().count == 2);
        CHECK(store->failures("k", t0 + 18min).value().count == 2);
        CHECK(store->failures("k", t0 + 19min).value().count == 0);
        const auto again = store->add_failure("k", t0 + 19min, 10min).value();
        CHECK(again.count == 1);
        CHECK(again.expires == t0 + 29min);
    }
    SUBCASE("a clock that runs behind does not move the latest failure back") {
        CHECK(store->add_failure("k", t0 + 10s, 10min).value().count == 1);
        const auto c = store->add_failure("k", t0 + 5s, 10min).value();
        CHECK(c.count == 2);
        CHECK(c.last == t0 + 10s);
        CHECK(c.expires == t0 + 10s + 10min);
    }
    SUBCASE("clear_failures forgets one key only") {
        (void)store->add_failure("a", t0, 10min).value();
        (void)store->add_failure("b", t0, 10min).value();
        REQUIRE(store->clear_failures("a"));
        REQUIRE(store->clear_failures("never-seen"));
        CHECK(store->failures("a", t0).value().count == 0);
        CHECK(store->failures("b", t0).value().count == 1);
        CHECK(store->add_failure("a", t0 + 1s, 10min).value().count == 1);
    }
    SUBCASE("purge_expired drops expired counters and keeps the others") {
        (void)store->add_failure("old", t0, 10min).value();
        (void)store->add_failure("new", t0 + 5min, 10min).value();
        CHECK(store->purge_expired(t0 + 10min).value() >= 1);
        CHECK(store->failures("new", t0 + 10min).value().count == 1);
        CHECK(store->failures("old", t0 + 10min).value().count == 0);
        CHECK(store->add_failure("old", t0 + 10min, 10min).value().count == 1);
    }
    SUBCASE("a login_throttle over the store refuses a pair after max_failures until the back-off ends") {
        auto shared = store_factory<Store>::make();
        jot::basic_login_throttle<Store, jot::manual_clock> throttle(
            shared, {.max_failures = 3, .max_failures_per_user = 6, .backoff_base = 10s}, clock);
        for (int i = 0; i < 2; ++i) CHECK(throttle.record_failure("alice", "203.0.113.5").value().allowed);
        const auto third = throttle.record_failure("alice", "203.0.113.5").value();
        CHECK_FALSE(third.allowed);
        CHECK(third.retry_at == t0 + 10s);
        CHECK_FALSE(throttle.check("alice", "203.0.113.5").value().allowed);
        CHECK(throttle.check("alice", "198.51.100.7").value().allowed);
        CHECK(throttle.check("bob", "203.0.113.5").value().allowed);
        // The keys hold neither the username nor the address.
        const auto keys = decltype(throttle)::keys_of("alice", "203.0.113.5").value();
        CHECK(shared->failures(keys[0], t0).value().count == 3);
        CHECK(shared->failures(keys[1], t0).value().count == 3);
        for (const auto& k : keys) {
            CHECK(k.find("alice") == std::string::npos);
            CHECK(k.find("203.0.113.5") == std::string::npos);
        }
        REQUIRE(throttle.record_success("alice", "203.0.113.5"));
        CHECK(shared->failures(keys[0], t0).value().count == 0);
        CHECK(shared->failures(keys[1], t0).value().count == 0);
        CHECK(throttle.check("alice", "203.0.113.5").value().allowed);
    }
}

TEST_CASE_TEMPLATE_DEFINE("token_service refuses a refresh token presented by another client", Store,
                          conformance_client_id) {
    using namespace std::chrono_literals;
    using conformance::fixture;
    using jot::errc;
    auto o = conformance::default_options();
    o.grace = 10s;
    fixture<Store> f(o);
    const auto t1 = f.svc.login("alice", "web").value();
    const auto before = f.dump();

    CHECK(f.svc.refresh(t1.refresh_token, "mobile").error() == errc::refresh_token_client_mismatch);
    CHECK(f.svc.refresh(t1.refresh_token, "mobile").error() == jot::condition::refresh_rejected);
    CHECK(conformance::same(before, f.dump()));  // nothing rotated, nothing revoked
    const auto t2 = f.svc.refresh(t1.refresh_token, "web").value();
    CHECK(t2.generation == 2);

    SUBCASE("also for a rotated token: another client's presentation is not reuse") {
        f.advance(11s);
        CHECK(f.svc.refresh(t1.refresh_token, "mobile").error() == errc::refresh_token_client_mismatch);
        CHECK_FALSE(f.family(t1.family_id).revoked);
        CHECK(f.svc.refresh(t2.refresh_token, "web"));
    }
    SUBCASE("also within the grace window") {
        CHECK(f.svc.refresh(t1.refresh_token, "mobile").error() == errc::refresh_token_client_mismatch);
        CHECK(f.svc.refresh(t1.refresh_token, "web").value().refresh_token == t2.refresh_token);
    }
    SUBCASE("and a wrong secret is still not found, whatever the client") {
        const auto forged = conformance::id_of_forged(t2.refresh_token);
        CHECK(f.svc.refresh(forged, "mobile").error() == errc::refresh_token_not_found);
        CHECK(f.svc.refresh(forged, "web").error() == errc::refresh_token_not_found);
    }
    SUBCASE("the one-argument refresh rotates any client's session") {
        CHECK(f.svc.refresh(t2.refresh_token).value().generation == 3);
    }
    CHECK_THROWS_AS((void)f.svc.refresh(t2.refresh_token, ""), jot::setup_error);
}

TEST_CASE_TEMPLATE_DEFINE("token_service keeps a bounded number of predecessors per session", Store,
                          conformance_bounded_id) {
    using namespace std::chrono_literals;
    using conformance::fixture;
    using conformance::id_of;
    using jot::errc;
    auto o = conformance::default_options();
    o.keep_predecessors = 3;
    o.grace = 10s;
    fixture<Store> f(o);
    std::vector<jot::issued_tokens> chain{f.svc.login("alice", "web").value()};
    for (int i = 0; i < 40; ++i) {
        f.advance(1s);
        chain.push_back(f.svc.refresh(chain.back().refresh_token, "web").value());
        const auto d = f.dump();
        CHECK(d.tokens.size() == std::min<std::size_t>(chain.size(), 4));
    }
    const auto family = chain.back().family_id;
    const auto d = f.dump();
    std::set<std::uint64_t> generations;
    for (const auto& t : d.tokens) generations.insert(t.generation);
    CHECK(generations == std::set<std::uint64_t>{38, 39, 40, 41});
    CHECK(f.family(family).generation == 41);
    f.advance(11s);

    SUBCASE("a deleted predecessor is not found, writes nothing and leaves the session alive") {
        REQUIRE(f.svc.purge_expired());  // the sealed successors past their window, before the snapshot
        const auto before = f.dump();
        for (std::size_t i = 0; i + 4 < chain.size(); i += 9) {
            CAPTURE(i);
            CHECK_FALSE(f.svc.store().find_token(id_of(chain[i].refresh_token)).value());
            CHECK(f.svc.refresh(chain[i].refresh_token, "web").error() == errc::refresh_token_not_found);
        }
        CHECK(conformance::same(before, f.dump()));
        CHECK(f.log->count(jot::event_kind::reuse_detected) == 0);
        CHECK(f.svc.refresh(chain.back().refresh_token, "web"));
    }
    SUBCASE("a kept predecessor presented again is reuse and revokes the session") {
        CHECK(f.svc.refresh(chain[chain.size() - 4].refresh_token, "web").error() ==
              errc::refresh_token_reused);
        CHECK(f.family(family).revoked);
        CHECK(f.svc.refresh(chain.back().refresh_token, "web").error() == errc::refresh_token_revoked);
    }
    SUBCASE("the grace window still serves the immediate predecessor") {
        const auto next = f.svc.refresh(chain.back().refresh_token, "web").value();
        CHECK(f.svc.refresh(chain.back().refresh_token, "web").value().refresh_token == next.refresh_token);
    }
    SUBCASE("token_service refuses keep_predecessors = 0") {
        auto bad = conformance::default_options();
        bad.keep_predecessors = 0;
        CHECK_THROWS_AS(fixture<Store>{bad}, jot::setup_error);
    }
}

TEST_CASE_TEMPLATE_DEFINE("attempt_store race: threads failing one key count every failure exactly once",
                          Store, conformance_attempts_race_id) {
    using namespace std::chrono_literals;
    constexpr std::size_t threads = 16, each = 25;
    const auto store = store_factory<Store>::make();
    const jot::time_point t0 = jot::manual_clock{}.now();
    std::vector<std::vector<std::uint64_t>> seen(threads);
    std::atomic<int> errors{0};
    std::latch go(threads);
    std::vector<std::thread> pool;
    for (std::size_t i = 0; i < threads; ++i)
        pool.emplace_back([&, i] {
            go.arrive_and_wait();
            for (std::size_t n = 0; n < each; ++n) {
                const auto c = store->add_failure("user:alice", t0 + std::chrono::milliseconds(n), 15min);
                if (!c) {
                    ++errors;
                    continue;
                }
                seen[i].push_back(c->count);
            }
        });
    for (auto& t : pool) t.join();
    CHECK(errors == 0);
    std::vector<std::uint64_t> all;
    for (const auto& v : seen) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    std::vector<std::uint64_t> expected(threads * each);
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = i + 1;
    CHECK(all == expected);  // every count from 1 to N returned once: no lost or doubled update
    CHECK(store->failures("user:alice", t0 + 1s).value().count == threads * each);
}
