// SPDX-License-Identifier: MIT
// The dpop_replay_cache concept and its bounded, thread-safe in-memory model: each DPoP proof is used once.
#pragma once

#include <concepts>       // std::same_as
#include <cstddef>        // std::size_t
#include <functional>     // std::hash
#include <map>            // std::multimap
#include <mutex>          // std::mutex, std::lock_guard
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <type_traits>    // std::is_same_v
#include <unordered_map>  // std::unordered_map

#include "clock.hpp"
#include "error.hpp"

namespace jot::inline v0 {

// The requirements table is Markdown, one row per line: clang-format must not reflow it.
// clang-format off
/// Remembers the ids of DPoP proofs until their acceptance window ends, so that a proof is accepted at most
/// once (RFC 9449 §11.1). The verifier passes an id made of the proof key's thumbprint and the proof's jti,
/// at most a few hundred bytes. All members are thread-safe; concurrent calls, from threads or (for a shared
/// backend) processes, behave as if they ran one after another.
///
/// | expression | result | semantics | atomicity |
/// |---|---|---|---|
/// | `c.insert(id, until, now)` | `result<bool>` | if `id` is held with `now < until` of its entry: `false`, no write (a replay); otherwise records `id` until `until` and returns `true`. Of any number of concurrent calls with one `id`, at most one returns `true`. An entry may be dropped once `now >= until`, never before. | one step (insert if absent or expired) |
///
/// Outcomes: `true` (first use) and `false` (replay) are values. Errors: `dpop_replay_cache_full` when the
/// cache holds no room without dropping an unexpired entry (a bounded cache must refuse, not forget: a
/// forgotten id can be replayed); `store_unavailable` when a backend failed. A shared store provides a model
/// with one atomic step, e.g. Redis `SET id 1 NX PXAT until`, or SQL `INSERT ... ON CONFLICT (id) DO UPDATE
/// SET until = :until WHERE until <= :now` (a row was written: `true`).
// clang-format on
template <class C>
concept dpop_replay_cache = requires(C& c, std::string_view id, time_point t) {
    { c.insert(id, t, t) } -> std::same_as<result<bool>>;
};

/// Options of memory_replay_cache.
struct memory_replay_cache_options {
    /// Unexpired ids held at most; at 60 s windows, 100 000 allows about 1 600 proofs a second.
    std::size_t capacity = 100'000;
};

/// A dpop_replay_cache in this process's memory, bounded by its capacity: when full, it drops expired
/// entries and, if none has expired, refuses the new id with dpop_replay_cache_full. One mutex guards every
/// step, so concurrent inserts of one id have exactly one winner. Thread-safe.
class memory_replay_cache {
public:
    /// Throws setup_error if the capacity is zero.
    explicit memory_replay_cache(memory_replay_cache_options options = {}) : options_(options) {
        if (options_.capacity == 0)
            throw setup_error("jot: memory_replay_cache_options.capacity must be above 0");
    }
    memory_replay_cache(const memory_replay_cache&) = delete;
    memory_replay_cache& operator=(const memory_replay_cache&) = delete;

    /// See dpop_replay_cache. Fails with dpop_replay_cache_full when `capacity` unexpired ids are held.
    [[nodiscard]] result<bool> insert(std::string_view id, time_point until, time_point now) {
        const std::lock_guard lock(mutex_);
        drop_expired(now);
        if (ids_.contains(id)) return false;  // held and unexpired
        if (ids_.size() >= options_.capacity) return errc::dpop_replay_cache_full;
        const auto it = ids_.emplace(std::string(id), until).first;
        expiries_.emplace(until, std::string_view(it->first));  // map nodes never move
        return true;
    }

    /// The number of ids held, expired ones included until the next insert drops them.
    [[nodiscard]] std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return ids_.size();
    }

    [[nodiscard]] const memory_replay_cache_options& options() const noexcept { return options_; }

private:
    struct id_hash {
        using is_transparent = void;
        [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    // Oldest expiry first: the entries that may go are at the front, so each insert drops in amortised
    // O(log n) and nothing unexpired is ever dropped.
    void drop_expired(time_point now) {
        while (!expiries_.empty() && expiries_.begin()->first <= now) {
            ids_.erase(ids_.find(expiries_.begin()->second));
            expiries_.erase(expiries_.begin());
        }
    }

    memory_replay_cache_options options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, time_point, id_hash, std::equal_to<>> ids_;
    std::multimap<time_point, std::string_view> expiries_;  // views of the keys of ids_
};

static_assert(dpop_replay_cache<memory_replay_cache>);
static_assert(std::is_same_v<jot::v0::memory_replay_cache, jot::memory_replay_cache>);

}  // namespace jot::inline v0
