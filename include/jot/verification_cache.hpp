// SPDX-License-Identifier: MIT
// A bounded cache of verified tokens for resource servers that see the same bearer token many times.
#pragma once

#include <array>          // std::array
#include <chrono>         // std::chrono
#include <cstddef>        // std::size_t
#include <functional>     // std::hash
#include <memory>         // std::shared_ptr
#include <mutex>          // std::mutex
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map

#include "error.hpp"
#include "verifier.hpp"

namespace jot::inline v0 {

/// Tunables of a verification_cache.
struct verification_cache_options {
    std::size_t capacity = 10'000;  // tokens kept at most (across all shards)
};

/// Wraps a verifier: a token that verified once is answered from memory until its exp, with every time rule
/// of the verifier (exp, nbf, iat and the maximum age) checked again on every use. The cache key is the whole
/// token, compared byte for byte, so no collision can return another token's claims. Revocation is the
/// caller's to check on every use (for example token_service::verify_access, or a denylist lookup on jti); a
/// cache never makes a revoked token pass. After retiring a signing key, call clear(). Thread-safe.
class verification_cache {
public:
    /// Throws setup_error if capacity is zero.
    verification_cache(verifier v, verification_cache_options options = {})
        : verifier_(std::move(v)), per_shard_((options.capacity + shard_count - 1) / shard_count) {
        if (options.capacity == 0)
            throw setup_error("jot: verification_cache_options.capacity must not be zero");
    }

    /// The verified token, from the cache or from the verifier. Only successes are cached.
    [[nodiscard]] result<std::shared_ptr<const verified_token>> verify_at(std::string_view token,
                                                                          time_point now) {
        const std::size_t h = std::hash<std::string_view>{}(token);
        auto& s = shards_[h % shard_count];
        {
            const std::lock_guard lock(s.mutex);
            if (const auto it = s.entries.find(token); it != s.entries.end()) {
                if (auto still = check_times(*it->second, now); !still) {
                    s.entries.erase(it);
                    return still.error();
                }
                return it->second;
            }
        }
        auto r = verifier_.verify_at(token, now);
        if (!r) return r.error();
        auto shared = std::make_shared<const verified_token>(*std::move(r));
        const std::lock_guard lock(s.mutex);
        if (s.entries.size() >= per_shard_) evict(s, now);
        s.entries.emplace(std::string(token), shared);
        return shared;
    }

    /// verify_at() at the current system time.
    [[nodiscard]] result<std::shared_ptr<const verified_token>> verify(std::string_view token) {
        return verify_at(token, std::chrono::system_clock::now());
    }

    /// Forgets every token.
    void clear() {
        for (auto& s : shards_) {
            const std::lock_guard lock(s.mutex);
            s.entries.clear();
        }
    }

    /// How many tokens are cached.
    [[nodiscard]] std::size_t size() const {
        std::size_t n = 0;
        for (auto& s : shards_) {
            const std::lock_guard lock(s.mutex);
            n += s.entries.size();
        }
        return n;
    }

    [[nodiscard]] const verifier& underlying() const noexcept { return verifier_; }

private:
    static constexpr std::size_t shard_count = 16;

    struct transparent_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<const verified_token>, transparent_hash,
                           std::equal_to<>>
            entries;
    };

    // The verifier's time rules, on the dates the token holds.
    result<void> check_times(const verified_token& t, time_point now) const {
        const auto& o = verifier_.options();
        return detail::check_token_times<time_point>(t.expires_at(), t.not_before(), t.issued_at(), now,
                                                     o.leeway, o.max_age, o.allow_missing_exp);
    }

    void evict(shard& s, time_point now) {
        for (auto it = s.entries.begin(); it != s.entries.end();) {
            it = check_times(*it->second, now) ? std::next(it) : s.entries.erase(it);
        }
        if (s.entries.size() >= per_shard_) s.entries.erase(s.entries.begin());  // still full: drop any one
    }

    verifier verifier_;
    std::size_t per_shard_;
    std::array<shard, shard_count> shards_;
};

}  // namespace jot::inline v0
