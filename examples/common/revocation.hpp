// SPDX-License-Identifier: MIT
// Revocation checks for access tokens against a refresh_store, for servers that verify tokens themselves.
#pragma once

#include <chrono>       // std::chrono::floor, std::chrono::seconds
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <jot/error.hpp>
#include <jot/store/refresh_store.hpp>
#include <jot/verifier.hpp>

namespace jot_examples {

/// What a revocation check needs from a verified access token: plain values, so that they can be cached.
struct access_facts {
    std::string subject{};
    std::string jwt_id{};
    std::string session{};  // the sid claim: the refresh-token family the token was issued for
    jot::time_point issued_at{};
    jot::time_point expires_at{};
};

/// The facts of a verified access token.
[[nodiscard]] inline access_facts facts_of(const jot::verified_token& t) {
    access_facts f{.subject = std::string(t.subject()),
                   .jwt_id = std::string(t.jwt_id()),
                   .session = {},
                   .issued_at = t.issued_at().value_or(jot::time_point{}),
                   .expires_at = t.expires_at().value_or(jot::time_point{})};
    if (const auto it = t.claims().find("sid"); it != t.claims().end() && it->is_string())
        f.session = it->get<std::string>();
    return f;
}

/// The checks token_service::verify_access makes after the signature and claims, for a server that holds
/// only the store (a resource server): the jti denylist, then the subject's not-before ("log out
/// everywhere"); with `check_session`, also whether the token's session (sid) was revoked, so that a
/// logout ends its access tokens at once. Fails with token_revoked or store errors (fail closed).
template <jot::refresh_store Store>
[[nodiscard]] jot::result<void> check_revocation(Store& store, const access_facts& t, jot::time_point now,
                                                 bool check_session) {
    const auto denied = store.is_denied(t.jwt_id, now);
    if (!denied) return denied.error();
    if (*denied) return jot::errc::token_revoked;
    const auto not_before = store.subject_not_before(t.subject, now);
    if (!not_before) return not_before.error();
    const auto session_revoked = [&]() -> jot::result<bool> {
        if (t.session.empty()) return true;
        const auto f = store.find_family(t.session);
        if (!f) return f.error();
        return !*f || (*f)->revoked;
    };
    if (*not_before) {
        using std::chrono::floor, std::chrono::seconds;
        const auto iat = floor<seconds>(t.issued_at), cut = floor<seconds>(**not_before);
        if (iat < cut) return jot::errc::token_revoked;
        if (iat == cut) {
            // Within the revocation's second, the session decides, as in token_service::verify_access.
            const auto revoked = session_revoked();
            if (!revoked) return revoked.error();
            if (*revoked) return jot::errc::token_revoked;
        }
    }
    if (check_session && !t.session.empty()) {
        const auto f = store.find_family(t.session);
        if (!f) return f.error();
        // A family purged after its expiry is gone, not revoked: only an explicit revocation counts here.
        if (*f && (*f)->revoked) return jot::errc::token_revoked;
    }
    return {};
}

}  // namespace jot_examples
