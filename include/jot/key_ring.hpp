// SPDX-License-Identifier: MIT
// Signing-key rotation: one active key, retired keys kept for verification while their tokens can live, and
// a next key published before it signs.
#pragma once

#include <algorithm>  // std::min
#include <chrono>     // std::chrono::seconds, std::chrono::system_clock
#include <cstdint>    // std::uint64_t
#include <memory>     // std::shared_ptr, std::make_shared
#include <mutex>      // std::mutex, std::lock_guard
#include <optional>   // std::optional
#include <string>     // std::string
#include <utility>    // std::move, std::pair, std::exchange
#include <vector>     // std::vector

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "builder.hpp"
#include "clock.hpp"
#include "error.hpp"
#include "jwk.hpp"
#include "key.hpp"
#include "key_set.hpp"

namespace jot::inline v0 {

/// Tuning of a key_ring.
struct key_ring_options {
    /// How long a retired key still verifies: at least the longest access-token lifetime plus leeway, so
    /// that every token it signed has expired when it is dropped.
    std::chrono::seconds retain_retired = std::chrono::minutes{15};
};

/// A key that no longer signs but still verifies until `drop_at`.
struct retired_key {
    algorithm alg = algorithm::es256;
    key k;
    std::string kid{};
    time_point retired_at{};
    time_point drop_at{};
};

/// One immutable state of a key_ring. Readers hold it while the ring moves on.
struct key_ring_state {
    std::uint64_t version = 0;           // increases with every change of the ring
    signer active;                       // the signing key, kid = RFC 7638 thumbprint
    std::vector<retired_key> retired{};  // newest first
    key_set verification{};              // public parts of the active and retired keys, each bound to its alg
    time_point next_drop = time_point::max();  // when the earliest retired key must go
    /// The scheduled next key: in `verification` (and the JWKS) already, signing from `next_at`.
    std::optional<signer> next{};
    time_point next_at = time_point::max();
};

/// The signing keys of an issuer: one active key, the retired keys still needed to verify tokens they
/// signed, and optionally a scheduled next key, published at once and signing from its activation time.
/// Every kid is the key's RFC 7638 thumbprint. Which key signs is a function of the clock: at `now >=
/// activate_at` the next key is active and the previous one retired *at activate_at* (not when someone
/// looked), so instances given the same keys and activation time sign with the same key at the same
/// instant. Thread-safe: readers take an immutable snapshot, which rotate(), schedule() and prune() replace
/// atomically.
class key_ring {
public:
    /// A ring whose active key is `k` for `alg`. Throws setup_error if `k` cannot sign with `alg`.
    key_ring(algorithm alg, const key& k, key_ring_options options = {}) : options_(options) {
        if (options_.retain_retired < std::chrono::seconds{0})
            throw setup_error("jot: key_ring_options.retain_retired must not be negative");
        state_ = make_state(signer(alg, k, thumbprint(k)), {}, 1);
    }

    /// Makes `k` the active key for `alg` and retires the previous one at `now`. Throws setup_error if `k`
    /// cannot sign with `alg`, or if an HMAC secret would sit beside asymmetric keys (key_set_mixed_kinds).
    void rotate(algorithm alg, const key& k, time_point now = std::chrono::system_clock::now()) {
        signer next(alg, k, thumbprint(k));
        const std::lock_guard lock(write_);
        (void)settle(now);  // a scheduled key due by now signed before this rotation
        const auto old = snapshot_unpruned();
        std::vector<retired_key> retired;
        if (old->active.kid() != next.kid())
            retired.push_back({old->active.alg(), old->active.signing_key(), old->active.kid(), now,
                               now + options_.retain_retired});
        for (const auto& r : old->retired)
            if (now < r.drop_at && r.kid != next.kid()) retired.push_back(r);
        auto pending = old->next;
        if (pending && pending->kid() == next.kid()) pending.reset();
        publish(make_state(std::move(next), std::move(retired), old->version + 1, std::move(pending),
                           old->next_at));
    }

    /// Publishes `k` for `alg` as the next key at once (it verifies and is in the JWKS) and makes it sign
    /// from `activate_at` on, deterministically: before it the current key signs, from it `k` does and the
    /// current key is retired at `activate_at`. A key scheduled before and not yet active at `now` is
    /// replaced; one already due is activated first. Scheduling the active key cancels the schedule. Give
    /// resource servers time to fetch the JWKS: `activate_at - now` should exceed the JWKS's cache lifetime.
    /// Throws setup_error if `k` cannot sign with `alg`, or if an HMAC secret would sit beside asymmetric
    /// keys (key_set_mixed_kinds).
    void schedule(algorithm alg, const key& k, time_point activate_at,
                  time_point now = std::chrono::system_clock::now()) {
        signer next(alg, k, thumbprint(k));
        const std::lock_guard lock(write_);
        (void)settle(now);
        const auto old = snapshot_unpruned();
        std::vector<retired_key> retired;
        for (const auto& r : old->retired)
            if (r.kid != next.kid()) retired.push_back(r);
        if (next.kid() == old->active.kid()) {
            publish(make_state(old->active, std::move(retired), old->version + 1));
            return;
        }
        publish(make_state(old->active, std::move(retired), old->version + 1, std::move(next), activate_at));
        (void)settle(now);
    }

    /// schedule() for the current algorithm, activating `lead` after `now`.
    void schedule(const key& k, std::chrono::seconds lead,
                  time_point now = std::chrono::system_clock::now()) {
        schedule(snapshot_unpruned()->active.alg(), k, later_by(now, lead), now);
    }

    /// Makes `k` the active key for the current algorithm.
    void rotate(const key& k, time_point now = std::chrono::system_clock::now()) {
        rotate(snapshot_unpruned()->active.alg(), k, now);
    }

    /// Activates a scheduled key that is due at `now`, then drops retired keys whose time is up; returns how
    /// many keys were dropped.
    std::size_t prune(time_point now = std::chrono::system_clock::now()) {
        const std::lock_guard lock(write_);
        return settle(now);
    }

    /// The current state at `now`: a scheduled key that is due activated and retired keys past their time
    /// dropped first.
    [[nodiscard]] std::shared_ptr<const key_ring_state> snapshot(
        time_point now = std::chrono::system_clock::now()) {
        auto s = snapshot_unpruned();
        if (now < s->next_drop && now < s->next_at) return s;
        prune(now);
        return snapshot_unpruned();
    }

    /// The public JWKS {"keys": [...]} of the active, retired and next keys (HMAC keys are never published).
    [[nodiscard]] nlohmann::json jwks(time_point now = std::chrono::system_clock::now()) {
        return to_jwks(snapshot(now)->verification);
    }

    /// The kid of the active key, as of the last change of the ring (see active_kid(now)).
    [[nodiscard]] std::string active_kid() const { return snapshot_unpruned()->active.kid(); }

    /// The kid of the key that signs at `now`.
    [[nodiscard]] std::string active_kid(time_point now) { return snapshot(now)->active.kid(); }

    /// The kid of the scheduled next key and its activation time, if one is scheduled and not yet active.
    [[nodiscard]] std::optional<std::pair<std::string, time_point>> next_key() const {
        const auto s = snapshot_unpruned();
        if (!s->next) return std::nullopt;
        return std::pair(s->next->kid(), s->next_at);
    }

    [[nodiscard]] const key_ring_options& options() const noexcept { return options_; }

private:
    // Under write_: activates a scheduled key due at `now` (retiring the active one at its activation time)
    // and drops retired keys past their time; returns how many were dropped.
    std::size_t settle(time_point now) {
        const auto old = snapshot_unpruned();
        if (now < old->next_drop && now < old->next_at) return 0;
        signer active = old->active;
        std::vector<retired_key> retired;
        std::optional<signer> next = old->next;
        time_point next_at = old->next_at;
        std::size_t before = old->retired.size();
        if (next && now >= next_at) {
            retired.push_back({active.alg(), active.signing_key(), active.kid(), next_at,
                               later_by(next_at, options_.retain_retired)});
            ++before;
            active = *std::exchange(next, std::nullopt);
            next_at = time_point::max();
        }
        for (const auto& r : old->retired) retired.push_back(r);
        std::erase_if(retired, [now](const retired_key& r) { return now >= r.drop_at; });
        const std::size_t dropped = before - retired.size();
        publish(
            make_state(std::move(active), std::move(retired), old->version + 1, std::move(next), next_at));
        return dropped;
    }

    static std::shared_ptr<const key_ring_state> make_state(signer active, std::vector<retired_key> retired,
                                                            std::uint64_t version,
                                                            std::optional<signer> next = std::nullopt,
                                                            time_point next_at = time_point::max()) {
        if (!next) next_at = time_point::max();
        auto s = std::make_shared<key_ring_state>(key_ring_state{.version = version,
                                                                 .active = std::move(active),
                                                                 .retired = std::move(retired),
                                                                 .verification = {},
                                                                 .next_drop = time_point::max(),
                                                                 .next = std::move(next),
                                                                 .next_at = next_at});
        s->verification.add(s->active.alg(), s->active.signing_key(), s->active.kid());
        if (s->next) s->verification.add(s->next->alg(), s->next->signing_key(), s->next->kid());
        for (const auto& r : s->retired) {
            s->verification.add(r.alg, r.k, r.kid);
            s->next_drop = std::min(s->next_drop, r.drop_at);
        }
        return s;
    }

    std::shared_ptr<const key_ring_state> snapshot_unpruned() const {
        const std::lock_guard lock(read_);
        return state_;
    }

    void publish(std::shared_ptr<const key_ring_state> s) {
        const std::lock_guard lock(read_);
        state_ = std::move(s);
    }

    key_ring_options options_;
    mutable std::mutex read_;  // guards the pointer only: a copy under it is a reference-count increment
    std::mutex write_;         // serialises rotate() and prune()
    std::shared_ptr<const key_ring_state> state_;
};

}  // namespace jot::inline v0
