// SPDX-License-Identifier: MIT
// Signing-key rotation: one active key, retired keys kept for verification while their tokens can live.
#pragma once

#include <algorithm>  // std::min
#include <chrono>     // std::chrono::seconds, std::chrono::system_clock
#include <cstdint>    // std::uint64_t
#include <memory>     // std::shared_ptr, std::make_shared
#include <mutex>      // std::mutex, std::lock_guard
#include <string>     // std::string
#include <utility>    // std::move
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
};

/// The signing keys of an issuer: one active key and the retired keys still needed to verify tokens they
/// signed. Every kid is the key's RFC 7638 thumbprint. Thread-safe: readers take an immutable snapshot,
/// which rotate() and prune() replace atomically.
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
        const auto old = snapshot_unpruned();
        std::vector<retired_key> retired;
        if (old->active.kid() != next.kid())
            retired.push_back({old->active.alg(), old->active.signing_key(), old->active.kid(), now,
                               now + options_.retain_retired});
        for (const auto& r : old->retired)
            if (now < r.drop_at && r.kid != next.kid()) retired.push_back(r);
        publish(make_state(std::move(next), std::move(retired), old->version + 1));
    }

    /// Makes `k` the active key for the current algorithm.
    void rotate(const key& k, time_point now = std::chrono::system_clock::now()) {
        rotate(snapshot_unpruned()->active.alg(), k, now);
    }

    /// Drops retired keys whose time is up at `now`; returns how many.
    std::size_t prune(time_point now = std::chrono::system_clock::now()) {
        const std::lock_guard lock(write_);
        const auto old = snapshot_unpruned();
        if (now < old->next_drop) return 0;
        std::vector<retired_key> kept;
        for (const auto& r : old->retired)
            if (now < r.drop_at) kept.push_back(r);
        const std::size_t dropped = old->retired.size() - kept.size();
        publish(make_state(old->active, std::move(kept), old->version + 1));
        return dropped;
    }

    /// The current state, with retired keys past their time dropped first.
    [[nodiscard]] std::shared_ptr<const key_ring_state> snapshot(
        time_point now = std::chrono::system_clock::now()) {
        auto s = snapshot_unpruned();
        if (now < s->next_drop) return s;
        prune(now);
        return snapshot_unpruned();
    }

    /// The public JWKS {"keys": [...]} of the active and retired keys (HMAC keys are never published).
    [[nodiscard]] nlohmann::json jwks(time_point now = std::chrono::system_clock::now()) {
        return to_jwks(snapshot(now)->verification);
    }

    /// The kid of the active key.
    [[nodiscard]] std::string active_kid() const { return snapshot_unpruned()->active.kid(); }

    [[nodiscard]] const key_ring_options& options() const noexcept { return options_; }

private:
    static std::shared_ptr<const key_ring_state> make_state(signer active, std::vector<retired_key> retired,
                                                            std::uint64_t version) {
        auto s = std::make_shared<key_ring_state>(key_ring_state{.version = version,
                                                                 .active = std::move(active),
                                                                 .retired = std::move(retired),
                                                                 .verification = {},
                                                                 .next_drop = time_point::max()});
        s->verification.add(s->active.alg(), s->active.signing_key(), s->active.kid());
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
