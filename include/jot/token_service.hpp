// SPDX-License-Identifier: MIT
// The token lifecycle: login, refresh with rotation and reuse detection, revocation, access-token checks.
#pragma once

#include <algorithm>    // std::min
#include <chrono>       // std::chrono::seconds
#include <concepts>     // std::default_initializable
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <functional>   // std::function
#include <memory>       // std::shared_ptr, std::make_shared
#include <mutex>        // std::mutex, std::lock_guard
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include "access_policy.hpp"
#include "access_revocation.hpp"
#include "claims.hpp"
#include "clock.hpp"
#include "error.hpp"
#include "key_ring.hpp"
#include "lifecycle_event.hpp"
#include "refresh_token.hpp"
#include "store/memory_store.hpp"
#include "store/refresh_store.hpp"
#include "verifier.hpp"

namespace jot::inline v0 {

/// The policy of a token service. issuer and audience are required; the rest has safe defaults.
struct token_service_options {
    std::string issuer{};                 // iss of access tokens, and the only issuer verify_access accepts
    std::vector<std::string> audience{};  // aud of access tokens; verify_access requires one of them
    std::chrono::seconds access_ttl = std::chrono::minutes{15};
    std::chrono::seconds refresh_idle_ttl = std::chrono::days{14};  // sliding: each refresh starts it anew
    std::chrono::seconds family_ttl = std::chrono::days{30};        // absolute: a session never outlives it
    std::chrono::seconds grace{0};  // a just-rotated token may be presented again this long
    /// Live families (sessions) per subject, at least 1: a login beyond it revokes the oldest. It also bounds
    /// what sessions() and revoke_subject() hold in memory.
    std::size_t max_sessions = 100;
    std::chrono::seconds leeway{0};  // clock skew allowed when verifying access tokens (at most 5 min)
    /// Called after each committed change, on the calling thread; what it throws is dropped.
    std::function<void(const lifecycle_event&)> on_event{};
    /// Rotated refresh tokens kept per session for reuse detection, at least 1 (the grace window needs the
    /// immediate predecessor). Each rotation deletes older ones, so a session holds at most this many + 1
    /// records however often it refreshes; a deleted predecessor presented again is refused as not found
    /// (refresh_store.hpp, rule 4).
    std::size_t keep_predecessors = 16;
};

/// The verifier_options of the access tokens a service with these options issues and verify_access accepts:
/// access_token_policy(o.issuer, o.audience, o.leeway). A resource server that knows the service's options
/// gets the same policy from here.
[[nodiscard]] inline verifier_options access_token_policy(const token_service_options& o) {
    return access_token_policy(o.issuer, o.audience, o.leeway);
}

/// What a login or a refresh hands to the client.
struct issued_tokens {
    std::string access_token{};   // a JWT of typ at+jwt
    std::string refresh_token{};  // opaque and secret: never log it
    time_point access_expires_at{};
    time_point refresh_expires_at{};  // the refresh token's idle expiry (never beyond the family's)
    std::string family_id{};
    std::uint64_t generation = 0;
};

/// Issues access tokens (RFC 9068) and opaque refresh tokens, rotates refresh tokens in families with reuse
/// detection and a grace window, and revokes tokens, families and subjects. Signs with the key ring's
/// active key and verifies against all of its keys. Every member function is thread-safe; lifecycle steps
/// are atomic in the Store (see refresh_store.hpp).
template <refresh_store Store, clock Clock = system_clock>
class basic_token_service {
public:
    /// Throws setup_error for a null key ring or store, or inconsistent options (empty issuer or audience,
    /// non-positive lifetimes, a grace window not shorter than the idle lifetime, a max_sessions or
    /// keep_predecessors of 0, a leeway above 5 minutes, or a key ring that drops retired keys before the
    /// access tokens they signed expire).
    basic_token_service(std::shared_ptr<key_ring> keys, token_service_options options,
                        std::shared_ptr<Store> store, Clock clock = Clock())
        : keys_(std::move(keys)),
          options_(std::move(options)),
          store_(std::move(store)),
          clock_(std::move(clock)) {
        using std::chrono::seconds;
        if (!keys_ || !store_) throw setup_error("jot: a token service needs a key ring and a store");
        if (options_.access_ttl <= seconds{0} || options_.refresh_idle_ttl <= seconds{0} ||
            options_.family_ttl <= seconds{0})
            throw setup_error("jot: token_service_options lifetimes must be positive");
        if (options_.grace < seconds{0} || options_.grace >= options_.refresh_idle_ttl)
            throw setup_error("jot: token_service_options.grace must be in [0, refresh_idle_ttl)");
        if (options_.max_sessions == 0)
            throw setup_error("jot: token_service_options.max_sessions must be at least 1");
        if (options_.keep_predecessors == 0)
            throw setup_error("jot: token_service_options.keep_predecessors must be at least 1");
        if (keys_->options().retain_retired < options_.access_ttl + options_.leeway)
            throw setup_error("jot: key_ring_options.retain_retired is shorter than access_ttl + leeway");
        access_options_ = access_token_policy(options_);
        (void)current_verifier(clock_.now());  // validates issuer, audience and leeway now
    }

    /// A service over a new, default-constructed store.
    basic_token_service(std::shared_ptr<key_ring> keys, token_service_options options,
                        Clock clock = Clock()) requires std::default_initializable<Store>
        : basic_token_service(std::move(keys), std::move(options), std::make_shared<Store>(),
                              std::move(clock)) {}

    /// Starts a session for `subject` using `client_id`: a new family, its first refresh token and an access
    /// token carrying `claims` (a JSON object of custom claims, kept for the family's later access tokens;
    /// registered names and client_id and sid are overridden). Revokes the subject's oldest sessions beyond
    /// max_sessions. Fails with json_invalid_utf8 (a claim that is not UTF-8), crypto_failure or store
    /// errors. Throws setup_error for an empty subject or client_id, or claims nested deeper than
    /// verify_access accepts.
    [[nodiscard]] result<issued_tokens> login(std::string_view subject, std::string_view client_id,
                                              const nlohmann::json& claims = nlohmann::json::object()) const {
        if (subject.empty() || client_id.empty())
            throw setup_error("jot: login needs a subject and a client_id");
        if (!claims.is_object()) throw setup_error("jot: login claims must be a JSON object");
        std::string custom;
        if (!claims.empty()) {
            if (const errc e = detail::append_json(custom, claims); e != errc{}) return e;
            if (std::string probe; !append_custom_claims(probe, custom))
                throw setup_error(
                    "jot: login claims nest deeper than access tokens may (parse_limits::max_json_depth)");
        }
        auto family_id = random_id();
        if (!family_id) return family_id.error();
        auto rt = refresh_token::generate();
        if (!rt) return rt.error();
        const time_point now = clock_.now();
        family_record f{.id = *std::move(family_id),
                        .subject = std::string(subject),
                        .client = std::string(client_id),
                        .claims = std::move(custom),
                        .created = now,
                        .absolute_expiry = now + options_.family_ttl,
                        .generation = 1,
                        .revoked = false};
        const token_record t{.id = rt->id(),
                             .family = f.id,
                             .generation = 1,
                             .hash = rt->hash(),
                             .state = token_state::active,
                             .created = now,
                             .idle_expiry = std::min(now + options_.refresh_idle_ttl, f.absolute_expiry)};
        auto evicted = store_->create_family(f, t, options_.max_sessions);
        if (!evicted) return evicted.error();
        for (const auto& id : *evicted) emit(event_kind::revoked, now, f.subject, f.client, id, {}, 0);
        emit(event_kind::issued, now, f.subject, f.client, f.id, t.id, 1);
        return issue(f, *rt, t, now);
    }

    /// Rotates `refresh_token` presented by the client `client_id` (RFC 6749 §6: a refresh token is bound to
    /// the client it was issued to): on success the client gets a new access token and the successor
    /// refresh token. Within the grace window the immediate predecessor gets the same successor again. Fails
    /// with refresh_token_malformed (nothing is looked up), refresh_token_not_found (unknown id, wrong
    /// secret, or a predecessor older than keep_predecessors), refresh_token_client_mismatch (the session
    /// belongs to another client: nothing changes, answer invalid_grant), refresh_token_expired,
    /// refresh_token_revoked, refresh_token_reused (the family is now revoked), or store and crypto errors.
    /// Throws setup_error for an empty client_id.
    [[nodiscard]] result<issued_tokens> refresh(std::string_view refresh_token_text,
                                                std::string_view client_id) const {
        if (client_id.empty()) throw setup_error("jot: refresh needs the presenting client_id");
        return rotate_for(refresh_token_text, client_id);
    }

    /// As refresh(token, client_id), for a server that does not know the presenting client (one client, or
    /// clients that are not identified): any client's session rotates. Prefer the two-argument form.
    [[nodiscard]] result<issued_tokens> refresh(std::string_view refresh_token_text) const {
        return rotate_for(refresh_token_text, {});
    }

    /// Verifies an access token: signature against the key ring and access_token_policy(options()) (typ
    /// at+jwt, iss, aud, exp, iat and the RFC 9068 claims), then check_revocation over the store (jti
    /// denylist, the subject's not-before, the session's revocation) in one store lookup. Fails with the
    /// verifier's errors, token_revoked, or store errors (fails closed).
    [[nodiscard]] result<verified_token> verify_access(std::string_view access_token) const {
        const time_point now = clock_.now();
        auto t = current_verifier(now)->verify_at(access_token, now);
        if (!t) return t;
        if (auto revoked = check_revocation(*store_, facts_of(*t), now); !revoked) return revoked.error();
        return t;
    }

    /// Revokes the presented refresh token (RFC 7009); if it is its family's active token, the family too.
    /// Returns false if no token has this id and secret. Fails with refresh_token_malformed or store errors.
    [[nodiscard]] result<bool> revoke_token(std::string_view refresh_token_text) const {
        auto presented = refresh_token::parse(refresh_token_text);
        if (!presented) return presented.error();
        auto f = store_->revoke_token(presented->id(), presented->hash());
        if (!f) return f.error();
        if (!*f) return false;
        emit(event_kind::revoked, clock_.now(), (*f)->subject, (*f)->client, (*f)->id, presented->id(),
             (*f)->generation);
        return true;
    }

    /// Revokes a family (a session) and all its refresh tokens. Returns false for an unknown id.
    [[nodiscard]] result<bool> revoke_family(std::string_view family_id) const {
        auto f = store_->revoke_family(family_id);
        if (!f) return f.error();
        if (!*f) return false;
        emit(event_kind::revoked, clock_.now(), (*f)->subject, (*f)->client, (*f)->id, {}, (*f)->generation);
        return true;
    }

    /// Logs `subject` out everywhere: revokes every live family and rejects the subject's access tokens
    /// issued until now (those issued in the same second only if their session was revoked). Returns the
    /// number of families revoked: at most max_sessions when every login of the subject went through a
    /// service with this cap.
    [[nodiscard]] result<std::size_t> revoke_subject(std::string_view subject) const {
        const time_point now = clock_.now();
        auto revoked = store_->revoke_subject(subject, now, now + options_.access_ttl + options_.leeway);
        if (!revoked) return revoked.error();
        for (const auto& f : *revoked)
            emit(event_kind::revoked, now, f.subject, f.client, f.id, {}, f.generation);
        return revoked->size();
    }

    /// Puts one access token's jti on the denylist until the token expires. Fails with claim_missing if it
    /// has no jti or exp, or store errors.
    [[nodiscard]] result<void> revoke_access(const verified_token& access) const {
        const auto exp = access.expires_at();
        if (access.jwt_id().empty() || !exp) return errc::claim_missing;
        return store_->deny_jti(access.jwt_id(), later_by(*exp, options_.leeway));
    }

    /// The live sessions of `subject`, oldest first: at most max_sessions when every login of the subject
    /// went through a service with this cap.
    [[nodiscard]] result<std::vector<family_record>> sessions(std::string_view subject) const {
        return store_->families_of(subject, clock_.now());
    }

    /// Removes expired records from the store and retired keys from the ring; returns the records removed.
    [[nodiscard]] result<std::size_t> purge_expired() const {
        const time_point now = clock_.now();
        keys_->prune(now);
        return store_->purge_expired(now);
    }

    /// The public JWKS of the key ring, for resource servers.
    [[nodiscard]] nlohmann::json jwks() const { return keys_->jwks(clock_.now()); }

    [[nodiscard]] const token_service_options& options() const noexcept { return options_; }
    [[nodiscard]] key_ring& keys() const noexcept { return *keys_; }
    [[nodiscard]] Store& store() const noexcept { return *store_; }
    [[nodiscard]] Clock& clock() noexcept { return clock_; }
    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

private:
    // The refresh step; an empty client_id skips the client check.
    result<issued_tokens> rotate_for(std::string_view refresh_token_text, std::string_view client_id) const {
        auto presented = refresh_token::parse(refresh_token_text);
        if (!presented) return presented.error();
        auto next = refresh_token::generate();
        if (!next) return next.error();
        const time_point now = clock_.now();
        rotate_request r{.token_id = presented->id(),
                         .presented = presented->hash(),
                         .successor = {.id = next->id(),
                                       .hash = next->hash(),
                                       .created = now,
                                       .idle_expiry = now + options_.refresh_idle_ttl},
                         .sealed_successor = {},
                         .now = now,
                         .grace = options_.grace,
                         .client = std::string(client_id),
                         .keep_predecessors = options_.keep_predecessors};
        if (options_.grace > std::chrono::seconds{0}) {
            auto sealed = seal_successor(*presented, *next);
            if (!sealed) return sealed.error();
            r.sealed_successor = *std::move(sealed);
        }
        auto out = store_->rotate(r);
        if (!out) return out.error();
        const family_record& f = out->family;
        const auto event = [&](event_kind k) {
            emit(k, now, f.subject, f.client, f.id, r.token_id, f.generation);
        };
        switch (out->status) {
            case rotate_status::rotated:
                event(event_kind::rotated);
                return issue(f, *next, out->successor, now);
            case rotate_status::grace_replay: {
                auto same = open_successor(*presented, out->sealed_successor);
                if (!same) return same.error();
                if (same->id() != out->successor.id) return errc::store_corrupt;
                event(event_kind::grace_replay);
                return issue(f, *same, out->successor, now);
            }
            case rotate_status::reused:
                event(event_kind::reuse_detected);
                return errc::refresh_token_reused;
            case rotate_status::expired:
                event(event_kind::expired);
                return errc::refresh_token_expired;
            case rotate_status::revoked:
                return errc::refresh_token_revoked;
            case rotate_status::client_mismatch:
                return errc::refresh_token_client_mismatch;
            case rotate_status::not_found:
                break;
        }
        return errc::refresh_token_not_found;
    }

    std::shared_ptr<const verifier> current_verifier(time_point now) const {
        auto state = keys_->snapshot(now);
        const std::lock_guard lock(cache_m_);
        if (!cache_ || cache_version_ != state->version) {
            cache_ = std::make_shared<const verifier>(state->verification, access_options_);
            cache_version_ = state->version;
        }
        return cache_;
    }

    result<issued_tokens> issue(const family_record& f, const refresh_token& rt, const token_record& rec,
                                time_point now) const {
        auto jti = random_id();
        if (!jti) return jti.error();
        const claims c{.issuer = options_.issuer,
                       .subject = f.subject,
                       .audience = options_.audience,
                       .expires_at = now + options_.access_ttl,
                       .not_before = {},
                       .issued_at = now,
                       .jwt_id = *std::move(jti),
                       .extra = nlohmann::json::object()};
        std::string payload;
        payload.reserve(384 + f.claims.size());
        if (const errc e = detail::append_claims_json(payload, c); e != errc{}) return e;
        payload.pop_back();             // the closing brace: the session's members follow
        payload += R"(,"client_id":)";  // RFC 9068 §2.2
        if (const errc e = detail::append_json_string(payload, f.client); e != errc{}) return e;
        payload += R"(,"sid":)";  // the session, as in OpenID Connect
        if (const errc e = detail::append_json_string(payload, f.id); e != errc{}) return e;
        if (!f.claims.empty() && !append_custom_claims(payload, f.claims)) return errc::store_corrupt;
        payload += '}';
        auto at = keys_->snapshot(now)->active.sign_text(payload, "at+jwt");
        if (!at) return at.error();
        return issued_tokens{.access_token = *std::move(at),
                             .refresh_token = rt.text(),
                             .access_expires_at = *c.expires_at,
                             .refresh_expires_at = rec.idle_expiry,
                             .family_id = f.id,
                             .generation = rec.generation};
    }

    // The family's custom claims (stored JSON object text) as members after the registered ones, copied as
    // they are; names the service sets itself are left out. False if the text is not a JSON object.
    bool append_custom_claims(std::string& payload, std::string_view stored) const {
        const errc scanned =
            detail::json_scanner(stored, access_options_.limits.max_json_depth)
                .scan_object([&payload](std::string_view name, const detail::json_value_view& v) {
                    if (detail::registered_claim_of(name) || name == "client_id" || name == "sid") return;
                    payload += ',';
                    (void)detail::append_json_string(payload, name);  // decoded by the scanner: valid UTF-8
                    payload += ':';
                    payload += v.raw;
                });
        return scanned == errc{};
    }

    void emit(event_kind kind, time_point at, const std::string& subject, const std::string& client,
              const std::string& family, const std::string& token, std::uint64_t generation) const {
        if (!options_.on_event) return;
        try {
            options_.on_event({kind, at, subject, client, family, token, generation});
        } catch (...) {  // a listener must not undo a committed lifecycle step
        }
    }

    std::shared_ptr<key_ring> keys_;
    token_service_options options_;
    verifier_options access_options_{};
    std::shared_ptr<Store> store_;
    Clock clock_;
    mutable std::mutex cache_m_;
    mutable std::shared_ptr<const verifier> cache_;
    mutable std::uint64_t cache_version_ = 0;
};

/// The token service over the in-memory store and the system clock.
using token_service = basic_token_service<memory_store, system_clock>;

static_assert(std::is_same_v<jot::v0::token_service, jot::token_service>);

}  // namespace jot::inline v0
