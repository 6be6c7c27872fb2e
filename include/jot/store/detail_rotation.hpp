// SPDX-License-Identifier: MIT
// Not API: the refresh step's decision (refresh_store.hpp, rules 1 to 6), one implementation for the C++
// stores that read a token and its family and then write. The Redis script follows the same rules in Lua and
// is held to them by the same table of cases (tests/store/rotation_cases.hpp).
#pragma once

#include <algorithm>  // std::min
#include <cstdint>    // std::uint64_t
#include <optional>   // std::optional

#include "refresh_store.hpp"

namespace jot::inline v0::detail {

/// Rule 1: whether `t` is held and `r` presents its secret (compared in constant time). When it is not,
/// the step is `not_found` and writes nothing.
[[nodiscard]] inline bool presents_token(const rotate_request& r, const token_record* t) noexcept {
    return t != nullptr && hash_equal(t->hash, r.presented);
}

/// Rules 1a to 6 for a presented token `t` of family `f`: `rotated` and `reused` tell the store what to
/// write, any other status is the outcome as it stands. `successor_active()` is asked only for rule 5,
/// whether `t.successor` is held and active.
template <class SuccessorActive>
[[nodiscard]] rotate_status decide_rotation(const rotate_request& r, const token_record& t,
                                            const family_record& f, SuccessorActive&& successor_active) {
    if (!r.client.empty() && r.client != f.client) return rotate_status::client_mismatch;
    if (f.revoked || t.state == token_state::revoked) return rotate_status::revoked;
    if (r.now >= f.absolute_expiry || r.now >= t.idle_expiry) return rotate_status::expired;
    if (t.state == token_state::active) return rotate_status::rotated;
    if (r.now < t.grace_until && !t.sealed_successor.empty() && successor_active())
        return rotate_status::grace_replay;
    return rotate_status::reused;
}

/// Rule 4: the family one generation up and the successor as it is inserted (active, in `f`, at the new
/// generation, its idle expiry capped by the family's absolute expiry).
[[nodiscard]] inline token_record advance_family(const rotate_request& r, family_record& f) {
    token_record next = r.successor;
    next.family = f.id;
    next.generation = ++f.generation;
    next.state = token_state::active;
    next.idle_expiry = std::min(next.idle_expiry, f.absolute_expiry);
    next.successor.clear();
    next.sealed_successor.clear();
    return next;
}

/// Rule 4's bounded sessions: after advance_family(), the family's tokens of this generation or older are
/// deleted; none when `keep_predecessors` is 0 or the family is not yet that long.
[[nodiscard]] inline std::optional<std::uint64_t> trimmed_through(const rotate_request& r,
                                                                  const family_record& f) noexcept {
    if (r.keep_predecessors == 0 || f.generation <= r.keep_predecessors + 1) return std::nullopt;
    return f.generation - 1 - r.keep_predecessors;
}

}  // namespace jot::inline v0::detail
