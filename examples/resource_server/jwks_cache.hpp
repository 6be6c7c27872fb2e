// SPDX-License-Identifier: MIT
// The auth server's public keys: fetched at start, cached, refetched on an unknown kid at most once per
// interval, and turned into a jot::verifier.
#pragma once

#include <array>       // std::array
#include <chrono>      // std::chrono::steady_clock
#include <cstdint>     // std::uint64_t
#include <functional>  // std::function
#include <memory>      // std::shared_ptr, std::make_shared
#include <mutex>       // std::mutex, std::lock_guard
#include <string>      // std::string
#include <vector>      // std::vector

#include "../http/client.hpp"

#include <jot/jwk.hpp>
#include <jot/verifier.hpp>

namespace jot_resource {

/// One fetched key set and its verifier. Immutable.
struct key_state {
    std::uint64_t generation = 0;  // increases with every key set that differs from the previous one
    std::shared_ptr<const jot::verifier> verifier;
    std::string jwks_text;
};

/// The JWKS of one URL. Readers take an immutable snapshot; refetches replace it. Thread-safe.
class jwks_cache {
public:
    using logger = std::function<void(const std::string&)>;

    /// `policy` is the verifier policy (issuer, audience, typ, ...) applied with every fetched key set.
    jwks_cache(std::string url, jot::verifier_options policy, std::chrono::seconds min_interval, logger log)
        : url_(std::move(url)),
          policy_(std::move(policy)),
          min_interval_(min_interval),
          log_(std::move(log)) {}

    /// The current keys, or null before the first successful fetch.
    [[nodiscard]] std::shared_ptr<const key_state> current() const {
        const std::lock_guard lock(read_);
        return state_;
    }

    /// Fetches now (start-up, the periodic refresh, SIGHUP). Returns false, keeping the old keys, on any
    /// failure.
    bool fetch() {
        const std::lock_guard lock(fetch_);
        return fetch_locked();
    }

    /// Whether refresh_for_unknown_kid(seen) would fetch now (it would not wait for another fetch).
    [[nodiscard]] bool refetch_allowed(std::uint64_t seen) const {
        const std::lock_guard lock(attempt_m_);
        if (const auto s = current(); s && s->generation != seen) return true;
        return std::chrono::steady_clock::now() - last_attempt_ >= min_interval_;
    }

    /// Called when a token names a kid that `seen` does not have: refetches unless a fetch happened less
    /// than the minimum interval ago. Returns true if newer keys than `seen` are now current (another
    /// thread's fetch counts), so the caller should verify again.
    bool refresh_for_unknown_kid(std::uint64_t seen) {
        const std::lock_guard lock(fetch_);
        if (const auto s = current(); s && s->generation != seen) return true;
        if (!refetch_allowed(seen)) return false;
        log_("jwks: unknown kid, refetching");
        return fetch_locked() && current()->generation != seen;
    }

private:
    bool fetch_locked() {
        {
            const std::lock_guard lock(attempt_m_);
            last_attempt_ = std::chrono::steady_clock::now();
        }
        const auto res = jot_examples::http::get(url_, {.max_body_bytes = 256 * 1024});
        if (!res.error.empty()) {
            log_("jwks: fetch from " + url_ + " failed: " + res.error);
            return false;
        }
        if (res.status != 200) {
            log_("jwks: fetch from " + url_ + " answered " + std::to_string(res.status));
            return false;
        }
        if (const auto s = current(); s && s->jwks_text == res.body) return true;
        // Keys are bound to the "alg" each JWK names, among the asymmetric algorithms only: an "oct" key or
        // an HMAC alg from the network would let the JWKS host choose a shared secret.
        static constexpr std::array allowed{
            jot::algorithm::rs256, jot::algorithm::rs384, jot::algorithm::rs512, jot::algorithm::ps256,
            jot::algorithm::ps384, jot::algorithm::ps512, jot::algorithm::es256, jot::algorithm::es384,
            jot::algorithm::es512, jot::algorithm::eddsa};
        auto keys = jot::key_set_from_jwks(res.body, allowed);
        if (!keys) {
            log_("jwks: the document holds no usable key (" + keys.error().message() + ")");
            return false;
        }
        const std::size_t count = keys->size();
        auto next = std::make_shared<key_state>();
        next->verifier = std::make_shared<const jot::verifier>(*std::move(keys), policy_);
        next->jwks_text = res.body;
        {
            const std::lock_guard lock(read_);
            next->generation = state_ ? state_->generation + 1 : 1;
            state_ = std::move(next);
        }
        log_("jwks: loaded " + std::to_string(count) + " key(s)");
        return true;
    }

    std::string url_;
    jot::verifier_options policy_;
    std::chrono::seconds min_interval_;
    logger log_;
    std::mutex fetch_;              // one fetch at a time
    mutable std::mutex attempt_m_;  // guards last_attempt_ only
    std::chrono::steady_clock::time_point last_attempt_{};
    mutable std::mutex read_;  // guards the pointer only
    std::shared_ptr<const key_state> state_;
};

}  // namespace jot_resource
