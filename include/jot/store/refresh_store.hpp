// SPDX-License-Identifier: MIT
// The refresh_store concept: the records of refresh-token families and the atomic steps a backend performs.
#pragma once

#include <algorithm>    // std::max
#include <chrono>       // std::chrono::seconds
#include <concepts>     // std::same_as
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <functional>   // std::function
#include <limits>       // std::numeric_limits
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include "../clock.hpp"
#include "../error.hpp"
#include "../refresh_token.hpp"

namespace jot::inline v0 {

/// A refresh token's state. A family has at most one active token at any time.
enum class token_state { active, rotated, revoked };

/// A session: the chain of refresh tokens that one login started.
struct family_record {
    std::string id{};
    std::string subject{};
    std::string client{};  // OAuth client_id
    std::string claims{};  // custom access-token claims of the session: JSON object text, or empty
    time_point created{};
    time_point absolute_expiry{};  // fixed at login, never extended by rotation
    std::uint64_t generation = 0;  // generation of the newest token; the first token is generation 1
    bool revoked = false;
    friend bool operator==(const family_record&, const family_record&) = default;
};

/// One refresh token of a family. The store never sees the token's secret, only its SHA-256.
struct token_record {
    std::string id{};
    std::string family{};
    std::uint64_t generation = 0;
    secret_hash hash{};
    token_state state = token_state::active;
    time_point created{};
    time_point idle_expiry{};        // sliding: each successor gets a new one, capped by the family's
    std::string successor{};         // rotated: the id of the token that replaced it
    std::string sealed_successor{};  // rotated: the successor sealed under this token's secret (grace window)
    time_point grace_until{};        // rotated: the end of the grace window
    friend bool operator==(const token_record&, const token_record&) = default;
};

/// An access token's jti on the denylist, until the token expires.
struct denied_jti {
    std::string jti{};
    time_point until{};
    friend bool operator==(const denied_jti&, const denied_jti&) = default;
};

/// "Log out everywhere": access tokens of `subject` issued before `not_before` are revoked. The record is
/// needed only while such a token can still be valid, so it may be dropped at `until`.
struct subject_revocation {
    std::string subject{};
    time_point not_before{};
    time_point until{};
    friend bool operator==(const subject_revocation&, const subject_revocation&) = default;
};

/// What a store holds on one access token's revocation, read in one step by `lookup_access`: the three
/// facts the access-token revocation check needs (see access_revocation.hpp).
struct access_lookup {
    bool denied = false;                     // the jti is on the denylist and now < until
    std::optional<time_point> not_before{};  // the subject's not-before, if set and now < until
    std::optional<family_record> session{};  // the token's family (sid), if held
    friend bool operator==(const access_lookup&, const access_lookup&) = default;
};

/// Every record a store holds, for tests and audits. Holds no refresh-token secret.
struct store_dump {
    std::vector<family_record> families{};
    std::vector<token_record> tokens{};
    std::vector<denied_jti> denied{};
    std::vector<subject_revocation> revocations{};
};

/// The input of the rotation step.
struct rotate_request {
    std::string token_id{};          // id of the presented token
    secret_hash presented{};         // SHA-256 of the presented secret
    token_record successor{};        // id, hash, created, idle_expiry; the store sets family and generation
    std::string sealed_successor{};  // kept on the presented token until now + grace; empty when grace is 0
    time_point now{};
    std::chrono::seconds grace{0};
    /// Not empty: the presenting client, which must be the family's (RFC 6749 §6); empty: no check.
    std::string client{};
    /// Rotated predecessors kept per family for reuse detection; older ones are deleted by the step. 0 keeps
    /// them all until they expire.
    std::size_t keep_predecessors = 0;
};

/// What the rotation step did. Every outcome is a value; only infrastructure failure is an error.
enum class rotate_status {
    rotated,       // the presented token was active: it is now rotated and `successor` is active
    grace_replay,  // the presented token is the successor's immediate predecessor, within the grace window
    reused,        // a rotated token outside the grace window: the whole family is now revoked
    expired,       // the token's idle expiry or the family's absolute expiry has passed
    revoked,       // the token or its family is revoked
    not_found,     // no token has this id, or its secret hash differs
    /// The token is held, but its family belongs to another client than `r.client`.
    client_mismatch,
};

/// The result of the rotation step.
struct rotate_outcome {
    rotate_status status = rotate_status::not_found;
    family_record family{};          // the family after the step (empty for not_found, client_mismatch)
    token_record successor{};        // rotated: the new token; grace_replay: the existing successor
    std::string sealed_successor{};  // grace_replay: the sealed successor kept on the presented token
};

/// The name of a status as written in the enum, e.g. "grace_replay".
[[nodiscard]] constexpr const char* name(rotate_status s) noexcept {
    switch (s) {
        case rotate_status::rotated:
            return "rotated";
        case rotate_status::grace_replay:
            return "grace_replay";
        case rotate_status::reused:
            return "reused";
        case rotate_status::expired:
            return "expired";
        case rotate_status::revoked:
            return "revoked";
        case rotate_status::not_found:
            return "not_found";
        case rotate_status::client_mismatch:
            return "client_mismatch";
    }
    return "unknown";
}

/// The name of a state as written in the enum, e.g. "rotated".
[[nodiscard]] constexpr const char* name(token_state s) noexcept {
    switch (s) {
        case token_state::active:
            return "active";
        case token_state::rotated:
            return "rotated";
        case token_state::revoked:
            return "revoked";
    }
    return "unknown";
}

// The requirements table is Markdown, one row per line: clang-format must not reflow it.
// clang-format off
/// A backend that keeps refresh-token families. Every operation is one atomic step: concurrent calls,
/// from threads or processes, behave as if they ran one after another. Outcomes are values; a result
/// holds an error only when the backend failed (store_unavailable, store_corrupt). All members are
/// thread-safe. A family is *live* when it is not revoked, its absolute expiry has not passed and its
/// active token's idle expiry has not passed. A record past its expiry may be dropped at any later time
/// (by purge_expired or by the backend); until then a step reports it as expired, afterwards as not found.
/// Result sizes: families_of and revoke_subject return live families of one subject only, and create_family
/// with `cap > 0` keeps those at most `cap` (token_service always passes its max_sessions, at least 1), so
/// a caller that always passes a cap bounds them by it; dump returns the whole store, for tests and audits.
///
/// | expression | result | semantics | atomicity |
/// |---|---|---|---|
/// | `s.create_family(f, t, cap)` | `result<std::vector<std::string>>` | inserts family `f` and its first token `t` (active, generation 1); if `cap > 0`, first revokes the oldest live families of `f.subject` (by `created`, ties by insertion order) so that at most `cap` are live with `f`; returns the evicted ids, oldest first | one step |
/// | `s.rotate(r)` | `result<rotate_outcome>` | the refresh step, below | one step (compare-and-swap) |
/// | `s.find_token(id)` | `result<std::optional<token_record>>` | the token, if held | read |
/// | `s.find_family(id)` | `result<std::optional<family_record>>` | the family, if held | read |
/// | `s.revoke_token(id, h)` | `result<std::optional<family_record>>` | if token `id` is held and its hash equals `h` (constant time): marks it revoked, and its family too (as `revoke_family`) if it was the active token; returns the family after the step; otherwise `nullopt` and no write | one step |
/// | `s.revoke_family(id)` | `result<std::optional<family_record>>` | marks the family and all its tokens revoked and clears their sealed successors; returns the family after the step, `nullopt` if unknown | one step |
/// | `s.revoke_subject(sub, now, until)` | `result<std::vector<family_record>>` | revokes every live family of `sub` (as `revoke_family`) and sets the subject's not-before to `now`, kept until at least `until`; returns the families it revoked (at most `cap` if every family of `sub` was created with `cap`) | one step |
/// | `s.families_of(sub, now)` | `result<std::vector<family_record>>` | the live families of `sub`, oldest first (at most `cap` if every family of `sub` was created with `cap`) | read |
/// | `s.deny_jti(jti, until)` | `result<void>` | puts an access token's jti on the denylist until `until` (the later time wins if present) | one step |
/// | `s.is_denied(jti, now)` | `result<bool>` | true if `jti` is on the denylist and `now < until` | read |
/// | `s.subject_not_before(sub, now)` | `result<std::optional<time_point>>` | the subject's not-before, if set and `now < until` | read |
/// | `s.purge_expired(now)` | `result<std::size_t>` | removes tokens with `now >= idle_expiry`; families with `now >= absolute_expiry` or no token left, with their tokens; denylist and not-before entries with `now >= until`; clears sealed successors with `now >= grace_until`; returns the number of records removed | one step |
/// | `s.dump()` | `result<store_dump>` | every record (tests and audits: as large as the store, never for a request path) | read (one consistent snapshot) |
///
/// The refresh step `s.rotate(r)`, with `t` the token `r.token_id` and `f` its family, checks in this order:
/// 1. no `t`, or `t.hash != r.presented` (constant time) -> `not_found`; no write. A wrong secret is not
///    reuse and does not reveal that the id exists.
/// 1a. `r.client` not empty and `r.client != f.client` -> `client_mismatch`; no write, so another client's
///    presentation neither rotates nor revokes the family (RFC 6749 §6), and reveals nothing of its state.
/// 2. `f.revoked` or `t.state == revoked` -> `revoked`; no write.
/// 3. `r.now >= f.absolute_expiry` or `r.now >= t.idle_expiry` -> `expired`; no write (a token past its
///    idle expiry has no power left, rotated or not, so presenting it is not treated as reuse).
/// 4. `t.state == active` -> `rotated`: `t` becomes rotated with `successor`, `sealed_successor` and
///    `grace_until = r.now + r.grace`; `f.generation` increases by one; `r.successor` is inserted active with
///    `family = f.id`, `generation = f.generation` and `idle_expiry = min(r.successor.idle_expiry,
///    f.absolute_expiry)`. Only one of any number of concurrent rotations of `t` can take this branch.
///    If `r.keep_predecessors > 0`, the same step deletes the family's tokens of generation at most
///    `f.generation - 1 - r.keep_predecessors` (counted after the increase), so a family holds at most
///    `keep_predecessors + 1` tokens whatever the number of rotations (*bounded sessions*). A deleted
///    predecessor is no longer held: presented again, it gets `not_found` (rule 1) and nothing is written.
///    It does not count as reuse: without its record its secret cannot be checked, and revoking on an
///    unchecked secret would let anyone who knows a token id end the session.
/// 5. `t.state == rotated`, `r.now < t.grace_until`, `t.sealed_successor` not empty and `t`'s successor
///    still active -> `grace_replay` with that successor and `t.sealed_successor`; no write.
/// 6. otherwise (`t.state == rotated`) -> `reused`: `f` and all its tokens become revoked, sealed successors
///    are cleared. The outcome is returned once; later presentations of the family's tokens give `revoked`.
// clang-format on
template <class S>
concept refresh_store = requires(S& s, const family_record& f, const token_record& t, const rotate_request& r,
                                 std::string_view id, const secret_hash& h, time_point now, std::size_t cap) {
    { s.create_family(f, t, cap) } -> std::same_as<result<std::vector<std::string>>>;
    { s.rotate(r) } -> std::same_as<result<rotate_outcome>>;
    { s.find_token(id) } -> std::same_as<result<std::optional<token_record>>>;
    { s.find_family(id) } -> std::same_as<result<std::optional<family_record>>>;
    { s.revoke_token(id, h) } -> std::same_as<result<std::optional<family_record>>>;
    { s.revoke_family(id) } -> std::same_as<result<std::optional<family_record>>>;
    { s.revoke_subject(id, now, now) } -> std::same_as<result<std::vector<family_record>>>;
    { s.families_of(id, now) } -> std::same_as<result<std::vector<family_record>>>;
    { s.deny_jti(id, now) } -> std::same_as<result<void>>;
    { s.is_denied(id, now) } -> std::same_as<result<bool>>;
    { s.subject_not_before(id, now) } -> std::same_as<result<std::optional<time_point>>>;
    { s.purge_expired(now) } -> std::same_as<result<std::size_t>>;
    { s.dump() } -> std::same_as<result<store_dump>>;
};

// clang-format off
/// The optional extension of refresh_store that the access-token revocation check uses: its three lookups
/// in one step. Every store of jot models it; the check also works on a refresh_store without it, through
/// lookup_access() below, at the cost of three lookups one after another.
///
/// | expression | result | semantics | atomicity |
/// |---|---|---|---|
/// | `s.lookup_access(jti, sub, sid, now)` | `result<access_lookup>` | at once: `denied` as `is_denied(jti, now)`, `not_before` as `subject_not_before(sub, now)`, `session` as `find_family(sid)` (`nullopt` without a lookup when `sid` is empty) | read: one round trip on a networked store (one pipeline or script), one snapshot where the backend has them |
// clang-format on
template <class S>
concept access_lookup_store = refresh_store<S> && requires(S& s, std::string_view id, time_point now) {
    { s.lookup_access(id, id, id, now) } -> std::same_as<result<access_lookup>>;
};

/// Receives the result of an asynchronous lookup_access, once.
using access_lookup_callback = std::function<void(result<access_lookup>)>;

// clang-format off
/// The extension of access_lookup_store for servers that must not wait on a networked store (an event
/// loop, an I/O thread): the same lookup, answered through a callback. redis_store models it.
///
/// | expression | result | semantics |
/// |---|---|---|
/// | `s.lookup_access_async(jti, sub, sid, now, done)` | `void` | queues the lookup and returns; `done(r)` is called exactly once with what `s.lookup_access(jti, sub, sid, now)` would give, on a thread of the store's, or on the calling thread before the call returns when the store refuses at once (store_unavailable). The views need live only during the call. `done` must not throw |
// clang-format on
template <class S>
concept async_access_lookup_store = access_lookup_store<S> &&
    requires(S& s, std::string_view id, time_point now, access_lookup_callback done) {
    { s.lookup_access_async(id, id, id, now, std::move(done)) } -> std::same_as<void>;
};

/// What `store` holds on one access token: its own lookup_access if it models access_lookup_store, else
/// is_denied, subject_not_before and find_family one after another. Fails with store errors.
template <refresh_store S>
[[nodiscard]] result<access_lookup> lookup_access(S& store, std::string_view jti, std::string_view subject,
                                                  std::string_view sid, time_point now) {
    if constexpr (access_lookup_store<S>) {
        return store.lookup_access(jti, subject, sid, now);
    } else {
        access_lookup out;
        const auto denied = store.is_denied(jti, now);
        if (!denied) return denied.error();
        out.denied = *denied;
        auto not_before = store.subject_not_before(subject, now);
        if (!not_before) return not_before.error();
        out.not_before = *not_before;
        if (!sid.empty()) {
            auto f = store.find_family(sid);
            if (!f) return f.error();
            out.session = *std::move(f);
        }
        return out;
    }
}

/// The failures counted for one key of an attempt_store (e.g. a username, or a username and a client
/// address), since the key was last cleared or expired.
struct failure_count {
    std::uint64_t count = 0;  // failures in the current run; 0 when the key is not held
    time_point last{};        // the latest failure (the greatest `now` recorded)
    time_point expires{};     // when the key is dropped: `window` after the latest failure
    friend bool operator==(const failure_count&, const failure_count&) = default;
};

/// The rule of attempt_store's add_failure: the count a model stores after a failure at `now`, given what
/// it holds for the key (`held`, or nullptr). Shared by the C++ models; the Redis script mirrors it.
[[nodiscard]] inline failure_count next_failure_count(const failure_count* held, time_point now,
                                                      std::chrono::seconds window) noexcept {
    failure_count c = held && now < held->expires ? *held : failure_count{};
    if (c.count < std::numeric_limits<std::uint64_t>::max()) ++c.count;
    c.last = std::max(c.last, now);
    c.expires = later_by(c.last, window);
    return c;
}

// clang-format off
/// A store that also counts failed attempts per key, for throttling (login_throttle.hpp). The caller picks
/// the keys (they are stored as given: never put a password or other secret in one). A key's run of
/// failures lasts while failures keep coming within `window` of each other: it expires `window` after the
/// latest one, and from then on counts from zero. Every model of refresh_store in jot models this too; the
/// counters are not part of store_dump. Atomicity as in refresh_store: memory one mutex, SQLite one
/// `BEGIN IMMEDIATE` transaction, Redis one Lua script on one key (with the key's TTL as its expiry).
///
/// | expression | result | semantics | atomicity |
/// |---|---|---|---|
/// | `s.add_failure(key, now, window)` | `result<failure_count>` | if `key` is held and `now < expires`: `count + 1`, else `count = 1`; then `last = max(last, now)`, `expires = last + window`; returns the count after the step (`window > 0`) | one step |
/// | `s.failures(key, now)` | `result<failure_count>` | the key's count if held and `now < expires`, else a zero `failure_count` | read |
/// | `s.clear_failures(key)` | `result<void>` | forgets `key` (after a success) | one step |
/// | `s.purge_expired(now)` | `result<std::size_t>` | as in refresh_store, and also drops keys with `now >= expires`, counting them | one step |
// clang-format on
template <class S>
concept attempt_store = requires(S& s, std::string_view key, time_point now, std::chrono::seconds window) {
    { s.add_failure(key, now, window) } -> std::same_as<result<failure_count>>;
    { s.failures(key, now) } -> std::same_as<result<failure_count>>;
    { s.clear_failures(key) } -> std::same_as<result<void>>;
    { s.purge_expired(now) } -> std::same_as<result<std::size_t>>;
};

}  // namespace jot::inline v0
