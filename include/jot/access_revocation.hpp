// SPDX-License-Identifier: MIT
// The revocation check of access tokens against a refresh_store: jti denylist, subject not-before, session.
#pragma once

#include <chrono>       // std::chrono::floor, std::chrono::seconds
#include <concepts>     // std::invocable
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move

#include "error.hpp"
#include "store/refresh_store.hpp"
#include "verifier.hpp"

namespace jot::inline v0 {

/// What the revocation check needs from a verified access token, as plain values, so that a server that
/// caches verification can cache these too and check revocation on every use.
struct access_facts {
    std::string subject{};
    std::string jwt_id{};
    std::string session{};  // the sid claim: the refresh-token family the token was issued for
    time_point issued_at{};
    time_point expires_at{};
    friend bool operator==(const access_facts&, const access_facts&) = default;
};

/// The facts of a verified access token; a missing claim gives an empty value (a sid that is not a string
/// too). Builds the token's claims DOM on first use. Thread-safe.
[[nodiscard]] inline access_facts facts_of(const verified_token& t) {
    access_facts f{.subject = std::string(t.subject()),
                   .jwt_id = std::string(t.jwt_id()),
                   .session = {},
                   .issued_at = t.issued_at().value_or(time_point{}),
                   .expires_at = t.expires_at().value_or(time_point{})};
    if (const auto it = t.claims().find("sid"); it != t.claims().end() && it->is_string())
        f.session = it->get<std::string>();
    return f;
}

/// The revocation rule over what a store holds on the token (`s.lookup_access`): refused with
/// token_revoked if its jti is denied, if its session is revoked, gone or past its absolute expiry (a
/// logout ends the session's access tokens at once), or if it was issued in a whole second before the
/// subject's not-before ("log out everywhere"). iat has whole seconds, so a token of the not-before's own
/// second passes only if its session is still live: the families that existed then were revoked by the
/// same step, later logins were not. Fails with claim_missing if the facts have no session. Pure.
[[nodiscard]] inline result<void> check_revocation(const access_facts& t, const access_lookup& held,
                                                   time_point now) noexcept {
    if (t.session.empty()) return errc::claim_missing;
    if (held.denied) return errc::token_revoked;
    if (!held.session || held.session->revoked || now >= held.session->absolute_expiry)
        return errc::token_revoked;
    if (held.not_before) {
        using std::chrono::floor, std::chrono::seconds;
        if (floor<seconds>(t.issued_at) < floor<seconds>(*held.not_before)) return errc::token_revoked;
    }
    return {};
}

/// The revocation check of an access token that verified: one `lookup_access` on `store` (one round trip on
/// a networked store; three lookups on a store that does not model access_lookup_store), then the rule
/// above. Used by token_service::verify_access and by resource servers
/// that hold the store. Fails with token_revoked, claim_missing, or store errors (it fails closed).
/// Thread-safe as the store is.
template <refresh_store Store>
[[nodiscard]] result<void> check_revocation(Store& store, const access_facts& t, time_point now) {
    if (t.session.empty()) return errc::claim_missing;
    const auto held = jot::lookup_access(store, t.jwt_id, t.subject, t.session, now);
    if (!held) return held.error();
    return check_revocation(t, *held, now);
}

/// check_revocation without waiting for the store: `done(result<void>)` is called exactly once with what
/// check_revocation would give, as the store delivers its lookup (see async_access_lookup_store: on a
/// thread of the store's, or at once on this one). `done` must not throw.
template <async_access_lookup_store Store, class Done>
requires std::invocable<Done&, result<void>>
void check_revocation_async(Store& store, const access_facts& t, time_point now, Done done) {
    if (t.session.empty()) return done(result<void>(errc::claim_missing));
    access_lookup_callback then = [facts = t, now, done = std::move(done)](result<access_lookup> held) {
        if (!held) return done(result<void>(held.error()));
        done(check_revocation(facts, *held, now));
    };
    store.lookup_access_async(t.jwt_id, t.subject, t.session, now, std::move(then));
}

}  // namespace jot::inline v0
