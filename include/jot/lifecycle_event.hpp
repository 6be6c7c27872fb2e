// SPDX-License-Identifier: MIT
// The lifecycle events a token service reports: what happened to which session, with ids and never secrets.
#pragma once

#include <cstdint>  // std::uint64_t
#include <string>   // std::string

#include "clock.hpp"

namespace jot::inline v0 {

/// What happened.
enum class event_kind {
    issued,          // a login started a family; token_id is its first refresh token
    rotated,         // a refresh replaced token_id; generation is the successor's
    grace_replay,    // token_id, just rotated, was presented again within the grace window
    reuse_detected,  // token_id, rotated earlier, was presented again: the family is now revoked
    revoked,  // the family (or, with a token_id, one token) was revoked, evicted by the session cap included
    expired,  // token_id was presented after its idle or its family's absolute expiry
};

/// One lifecycle event. Holds ids only: never a token, a secret or a hash.
struct lifecycle_event {
    event_kind kind = event_kind::issued;
    time_point at{};
    std::string subject{};
    std::string client{};
    std::string family_id{};
    std::string token_id{};        // the refresh token's id, when the event concerns one token
    std::uint64_t generation = 0;  // the family's generation after the event
};

/// The name of an event kind as written in the enum, e.g. "reuse_detected".
[[nodiscard]] constexpr const char* name(event_kind k) noexcept {
    switch (k) {
        case event_kind::issued:
            return "issued";
        case event_kind::rotated:
            return "rotated";
        case event_kind::grace_replay:
            return "grace_replay";
        case event_kind::reuse_detected:
            return "reuse_detected";
        case event_kind::revoked:
            return "revoked";
        case event_kind::expired:
            return "expired";
    }
    return "unknown";
}

}  // namespace jot::inline v0
