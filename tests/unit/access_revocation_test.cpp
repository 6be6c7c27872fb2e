// SPDX-License-Identifier: MIT
#include <jot/access_revocation.hpp>

#include "../support/test.hpp"

#include <chrono>       // std::chrono
#include <cstddef>      // std::size_t
#include <memory>       // std::make_shared
#include <string_view>  // std::string_view

#include <jot/key_ring.hpp>
#include <jot/store/memory_store.hpp>
#include <jot/token_service.hpp>

using jot::errc;
using namespace std::chrono_literals;

namespace {

const jot::time_point t0 = jot::time_point{} + std::chrono::seconds{1'700'000'000};

jot::access_facts facts() {
    return {.subject = "alice", .jwt_id = "j1", .session = "f1", .issued_at = t0, .expires_at = t0 + 15min};
}

jot::access_lookup live_session() {
    return {.denied = false,
            .not_before = {},
            .session = jot::family_record{.id = "f1", .subject = "alice", .absolute_expiry = t0 + 1h}};
}

/// A memory_store that counts the lookups the revocation check makes.
struct counting_store : jot::memory_store {
    std::size_t lookups = 0, single_reads = 0;
    jot::result<jot::access_lookup> lookup_access(std::string_view jti, std::string_view sub,
                                                  std::string_view sid, jot::time_point now) {
        ++lookups;
        return memory_store::lookup_access(jti, sub, sid, now);
    }
    jot::result<bool> is_denied(std::string_view jti, jot::time_point now) {
        ++single_reads;
        return memory_store::is_denied(jti, now);
    }
    jot::result<std::optional<jot::time_point>> subject_not_before(std::string_view sub,
                                                                   jot::time_point now) {
        ++single_reads;
        return memory_store::subject_not_before(sub, now);
    }
    jot::result<std::optional<jot::family_record>> find_family(std::string_view id) {
        ++single_reads;
        return memory_store::find_family(id);
    }
};
static_assert(jot::access_lookup_store<counting_store>);

/// A refresh_store without the lookup_access extension (as a store written before it).
struct plain_store : counting_store {
    void lookup_access() = delete;
};
static_assert(jot::refresh_store<plain_store> && !jot::access_lookup_store<plain_store>);

}  // namespace

TEST_CASE("check_revocation accepts a token of a live session that nothing revoked") {
    CHECK(jot::check_revocation(facts(), live_session(), t0));
}

TEST_CASE("check_revocation refuses a denied jti with token_revoked") {
    auto held = live_session();
    held.denied = true;
    CHECK(jot::check_revocation(facts(), held, t0).error() == errc::token_revoked);
}

TEST_CASE("check_revocation refuses a token whose session is revoked, gone or past its absolute expiry") {
    auto held = live_session();
    SUBCASE("revoked") {
        held.session->revoked = true;
        CHECK(jot::check_revocation(facts(), held, t0).error() == errc::token_revoked);
    }
    SUBCASE("gone") {
        held.session.reset();
        CHECK(jot::check_revocation(facts(), held, t0).error() == errc::token_revoked);
    }
    SUBCASE("expired") {
        CHECK(jot::check_revocation(facts(), held, t0 + 1h - 1us));
        CHECK(jot::check_revocation(facts(), held, t0 + 1h).error() == errc::token_revoked);
    }
}

TEST_CASE("check_revocation applies the subject's not-before by whole seconds") {
    auto held = live_session();
    auto f = facts();
    SUBCASE("issued in an earlier second") {
        held.not_before = t0 + 1s;
        f.issued_at = t0 + 999ms;
        CHECK(jot::check_revocation(f, held, t0 + 2s).error() == errc::token_revoked);
    }
    SUBCASE("issued in the not-before's second, its session live: a later login") {
        held.not_before = t0 + 1500ms;
        f.issued_at = t0 + 1s;
        CHECK(jot::check_revocation(f, held, t0 + 2s));
    }
    SUBCASE("issued in the not-before's second, its session revoked by it") {
        held.not_before = t0 + 1500ms;
        held.session->revoked = true;
        f.issued_at = t0 + 1s;
        CHECK(jot::check_revocation(f, held, t0 + 2s).error() == errc::token_revoked);
    }
    SUBCASE("issued after") {
        held.not_before = t0;
        f.issued_at = t0 + 1s;
        CHECK(jot::check_revocation(f, held, t0 + 2s));
    }
}

TEST_CASE("check_revocation refuses facts without a session with claim_missing") {
    auto f = facts();
    f.session.clear();
    CHECK(jot::check_revocation(f, live_session(), t0).error() == errc::claim_missing);
    counting_store store;
    CHECK(jot::check_revocation(store, f, t0).error() == errc::claim_missing);
    CHECK(store.lookups == 0);
}

TEST_CASE("check_revocation over a store makes one lookup_access and no other read") {
    auto ring = std::make_shared<jot::key_ring>(jot::algorithm::es256,
                                                jot::key::generate(jot::algorithm::es256).value());
    auto store = std::make_shared<counting_store>();
    jot::basic_token_service<counting_store, jot::manual_clock> svc(
        ring, {.issuer = "https://auth.example", .audience = {"api"}}, store);
    const auto t = svc.login("alice", "web").value();
    CHECK(svc.verify_access(t.access_token));
    CHECK(store->lookups == 1);
    CHECK(store->single_reads == 0);
    CHECK(svc.revoke_token(t.refresh_token).value());
    CHECK(svc.verify_access(t.access_token).error() == errc::token_revoked);
    CHECK(store->lookups == 2);
    CHECK(store->single_reads == 0);
}

TEST_CASE("check_revocation works over a refresh_store without lookup_access, with three reads") {
    auto ring = std::make_shared<jot::key_ring>(jot::algorithm::es256,
                                                jot::key::generate(jot::algorithm::es256).value());
    auto store = std::make_shared<plain_store>();
    jot::basic_token_service<plain_store, jot::manual_clock> svc(
        ring, {.issuer = "https://auth.example", .audience = {"api"}}, store);
    const auto t = svc.login("alice", "web").value();
    CHECK(svc.verify_access(t.access_token));
    CHECK(store->single_reads == 3);
    CHECK(svc.revoke_token(t.refresh_token).value());
    CHECK(svc.verify_access(t.access_token).error() == errc::token_revoked);
    const auto v = jot::lookup_access(*store, "j", "alice", t.family_id, svc.clock().now()).value();
    CHECK_FALSE(v.denied);
    REQUIRE(v.session);
    CHECK(v.session->revoked);
}
