// SPDX-License-Identifier: MIT
// Login throttling: failures counted per username and per (username, client address) in a store, with
// exponential back-off.
#pragma once

#include <algorithm>    // std::max, std::min
#include <array>        // std::array
#include <chrono>       // std::chrono::seconds, std::chrono::ceil
#include <cstdint>      // std::uint64_t
#include <memory>       // std::shared_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v
#include <utility>      // std::move

#include "base64url.hpp"
#include "clock.hpp"
#include "crypto/signature.hpp"
#include "error.hpp"
#include "store/memory_store.hpp"
#include "store/refresh_store.hpp"

namespace jot::inline v0 {

/// The policy of a login_throttle. The defaults follow OWASP ASVS 5 V6.3.1: a few guesses, then waits that
/// double with each further failure.
struct login_throttle_options {
    /// Failures of one username from one client address before that pair must wait.
    std::uint64_t max_failures = 5;
    /// Failures of one username from any address before every attempt at it must wait. Higher than
    /// max_failures, so that guesses spread over many addresses are bounded while one address alone cannot
    /// lock a user out for everyone.
    std::uint64_t max_failures_per_user = 20;
    /// A run of failures ends when no failure comes for this long; then the count starts again at zero.
    std::chrono::seconds window = std::chrono::minutes{15};
    /// The wait after reaching a threshold; each further failure doubles it, up to backoff_cap.
    std::chrono::seconds backoff_base = std::chrono::seconds{30};
    std::chrono::seconds backoff_cap = std::chrono::minutes{15};  // at most window
};

/// What a login_throttle says about the next attempt of a (username, client address).
struct login_decision {
    bool allowed = true;
    time_point retry_at{};       // refused: the earliest time the next attempt is allowed
    std::uint64_t failures = 0;  // the larger of the two counts (pair, username)
    /// Whole seconds from `now` until retry_at, at least 1 when refused (for `Retry-After`), else 0.
    [[nodiscard]] std::chrono::seconds retry_after(time_point now) const noexcept {
        if (allowed) return std::chrono::seconds{0};
        return std::max(std::chrono::ceil<std::chrono::seconds>(retry_at - now), std::chrono::seconds{1});
    }
};

/// The wait after `failures` failures against a threshold of `max`: none below it, then `base`,
/// doubling with each failure beyond it, never more than `cap`.
[[nodiscard]] constexpr std::chrono::seconds backoff_after(std::uint64_t failures, std::uint64_t max,
                                                           std::chrono::seconds base,
                                                           std::chrono::seconds cap) noexcept {
    if (failures < max) return std::chrono::seconds{0};
    std::chrono::seconds wait = std::min(base, cap);
    for (std::uint64_t i = max; i < failures && wait < cap; ++i) wait = std::min(wait * 2, cap);
    return wait;
}

/// Throttles password logins, shared by every server instance on one store: failures are counted per
/// (username, client address) and per username, with exponential back-off beyond the thresholds. The
/// server calls check() before verifying a password (refused: answer 429 with `Retry-After`, whatever the
/// password, without hashing it), then record_failure() or record_success(). The store holds the counters
/// under SHA-256-derived keys: neither usernames nor addresses in clear, never a password. Store failures
/// come back as errors: fail closed (refuse the login). Thread-safe.
template <attempt_store Store, clock Clock = system_clock>
class basic_login_throttle {
public:
    /// Throws setup_error for a null store or inconsistent options (a threshold of 0, a per-user threshold
    /// below the per-pair one, a window or back-off that is not positive, or a cap above the window: a
    /// counter must outlive the wait it imposes).
    basic_login_throttle(std::shared_ptr<Store> store, login_throttle_options options = {},
                         Clock clock = Clock())
        : store_(std::move(store)), options_(options), clock_(std::move(clock)) {
        using std::chrono::seconds;
        if (!store_) throw setup_error("jot: a login_throttle needs a store");
        if (options_.max_failures == 0)
            throw setup_error("jot: login_throttle_options.max_failures must be at least 1");
        if (options_.max_failures_per_user < options_.max_failures)
            throw setup_error(
                "jot: login_throttle_options.max_failures_per_user must be at least max_failures");
        if (options_.window <= seconds{0} || options_.backoff_base <= seconds{0} ||
            options_.backoff_cap < options_.backoff_base)
            throw setup_error(
                "jot: login_throttle_options window and back-off must be positive, cap >= base");
        if (options_.backoff_cap > options_.window)
            throw setup_error("jot: login_throttle_options.backoff_cap must not exceed window");
    }

    /// Whether `username` may try a password now from `address`. Reads only. Fails with store errors.
    [[nodiscard]] result<login_decision> check(std::string_view username, std::string_view address) const {
        const time_point now = clock_.now();
        const auto keys = keys_of(username, address);
        if (!keys) return keys.error();
        auto pair = store_->failures((*keys)[0], now);
        if (!pair) return pair.error();
        auto user = store_->failures((*keys)[1], now);
        if (!user) return user.error();
        return decide(*pair, *user, now);
    }

    /// Counts a failed password for `username` from `address`; returns the decision for the next attempt.
    /// Fails with store errors.
    [[nodiscard]] result<login_decision> record_failure(std::string_view username,
                                                        std::string_view address) const {
        const time_point now = clock_.now();
        const auto keys = keys_of(username, address);
        if (!keys) return keys.error();
        auto pair = store_->add_failure((*keys)[0], now, options_.window);
        if (!pair) return pair.error();
        auto user = store_->add_failure((*keys)[1], now, options_.window);
        if (!user) return user.error();
        return decide(*pair, *user, now);
    }

    /// Forgets the failures of `username`, from `address` and from everywhere, after a correct password.
    /// Fails with store errors.
    [[nodiscard]] result<void> record_success(std::string_view username, std::string_view address) const {
        const auto keys = keys_of(username, address);
        if (!keys) return keys.error();
        if (auto r = store_->clear_failures((*keys)[0]); !r) return r;
        return store_->clear_failures((*keys)[1]);
    }

    /// The store keys of (username, address) and of username, as check() uses them (for audits and tests):
    /// fixed-length digests. Fails with crypto_failure.
    [[nodiscard]] static result<std::array<std::string, 2>> keys_of(std::string_view username,
                                                                    std::string_view address) {
        // Length-prefixed, so that no (username, address) pair can stand for another.
        std::string pair = std::to_string(username.size());
        pair += ':';
        pair += username;
        pair += '|';
        pair += address;
        std::array<std::string, 2> out{"login:ua:", "login:u:"};
        if (!append_digest(out[0], pair) || !append_digest(out[1], username)) return errc::crypto_failure;
        return out;
    }

    [[nodiscard]] const login_throttle_options& options() const noexcept { return options_; }
    [[nodiscard]] Store& store() const noexcept { return *store_; }
    [[nodiscard]] Clock& clock() noexcept { return clock_; }

private:
    login_decision decide(const failure_count& pair, const failure_count& user, time_point now) const {
        const auto wait_until = [this](const failure_count& c, std::uint64_t max) {
            return later_by(c.last, backoff_after(c.count, max, options_.backoff_base, options_.backoff_cap));
        };
        const time_point retry_at = std::max(wait_until(pair, options_.max_failures),
                                             wait_until(user, options_.max_failures_per_user));
        const bool counted =
            pair.count >= options_.max_failures || user.count >= options_.max_failures_per_user;
        return {.allowed = !counted || now >= retry_at,
                .retry_at = counted ? retry_at : time_point{},
                .failures = std::max(pair.count, user.count)};
    }

    static bool append_digest(std::string& out, std::string_view text) {
        std::array<unsigned char, 32> h{};
        if (!crypto::sha256(text, h)) return false;
        out += base64url_encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
        return true;
    }

    std::shared_ptr<Store> store_;
    login_throttle_options options_;
    Clock clock_;
};

/// The login throttle over the in-memory store and the system clock.
using login_throttle = basic_login_throttle<memory_store, system_clock>;

static_assert(std::is_same_v<jot::v0::login_throttle, jot::login_throttle>);

}  // namespace jot::inline v0
