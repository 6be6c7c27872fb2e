// SPDX-License-Identifier: MIT
// A remote JWKS key source: the keys of one URL, fetched through a caller's callable, cached and refreshed.
#pragma once

#include <algorithm>           // std::min, std::max, std::clamp
#include <array>               // std::array
#include <atomic>              // std::atomic
#include <chrono>              // std::chrono
#include <condition_variable>  // std::condition_variable_any
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint64_t
#include <functional>          // std::function
#include <limits>              // std::numeric_limits
#include <memory>              // std::shared_ptr, std::make_shared
#include <mutex>               // std::mutex, std::lock_guard, std::unique_lock, std::try_to_lock
#include <optional>            // std::optional
#include <stop_token>          // std::stop_token
#include <string>              // std::string
#include <string_view>         // std::string_view
#include <system_error>        // std::error_code
#include <thread>              // std::jthread
#include <type_traits>         // std::is_same_v
#include <unordered_map>       // std::unordered_map, std::erase_if
#include <utility>             // std::move
#include <vector>              // std::vector

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "clock.hpp"
#include "detail/json.hpp"
#include "detail/published.hpp"
#include "error.hpp"
#include "jwk.hpp"
#include "jwks_fetch.hpp"
#include "key_set.hpp"
#include "unverified_token.hpp"
#include "verification_cache.hpp"
#include "verifier.hpp"

namespace jot::inline v0 {

/// The asymmetric JWS algorithms: the default allow-list of a remote key source. An HMAC key from the
/// network would let whoever serves the JWKS choose a shared secret (RFC 8725 §3.1).
inline constexpr std::array<algorithm, 10> asymmetric_algorithms{
    algorithm::rs256, algorithm::rs384, algorithm::rs512, algorithm::ps256, algorithm::ps384,
    algorithm::ps512, algorithm::es256, algorithm::es384, algorithm::es512, algorithm::eddsa};

/// Tuning of a remote JWKS source.
struct remote_jwks_options {
    /// The floor of every refetch interval, at least 1 s: no fetch starts sooner after the previous one,
    /// whatever the max-age, the failures or the number of unknown kids.
    std::chrono::seconds min_interval{30};
    std::chrono::seconds default_max_age = std::chrono::minutes{5};  // without a Cache-Control max-age
    std::chrono::seconds max_max_age = std::chrono::hours{24};       // a larger max-age is cut to this
    /// How long past their max-age the keys are still used while refreshes fail (stale-if-error); after
    /// that the source holds no keys and verification fails with keys_unavailable.
    std::chrono::seconds max_staleness = std::chrono::hours{1};
    std::chrono::seconds negative_ttl = std::chrono::minutes{5};  // an unknown kid is not refetched for
    std::size_t negative_capacity = 1024;                         // unknown kids remembered at most
    std::chrono::milliseconds fetch_timeout = std::chrono::seconds{5};
    jwks_limits limits{};
    std::vector<algorithm> algorithms{asymmetric_algorithms.begin(), asymmetric_algorithms.end()};
    /// Verified tokens remembered per key set (a verification_cache in each snapshot, used by the *_cached
    /// members); 0: none.
    std::size_t cache_capacity = 0;
    /// Start a thread that refreshes before the keys expire (and retries failures every min_interval).
    /// Without it, the first caller that finds the keys expired refreshes them.
    bool background_refresh = false;
    /// Called once per distinct failure, on the refreshing thread (a repeat of the same failure is not
    /// reported again until a refresh succeeds); what it throws is dropped.
    std::function<void(const jwks_failure&)> on_failure{};
    /// Called after each fetch that loaded a different key set, with the number of keys; what it throws is
    /// dropped.
    std::function<void(std::size_t)> on_keys{};
};

/// One fetched key set, immutable: a verifier over it with the source's policy, and its cache times.
struct jwks_snapshot {
    std::shared_ptr<const jot::verifier> verifier{};
    std::string etag{};
    std::string document{};        // the JWKS text the keys were read from
    std::uint64_t generation = 0;  // increases with every key set that differs from the previous one
    time_point refresh_at{};       // when the keys' max-age ends
    time_point usable_until{};     // refresh_at + max_staleness: no keys after this
    /// Tokens verified with these keys (null when remote_jwks_options::cache_capacity is 0); thread-safe.
    std::shared_ptr<verification_cache> cache{};
};

/// A verified token shared with a cache.
using shared_verified_token = std::shared_ptr<const verified_token>;

/// The keys of one JWKS URL for a resource server. Readers take an immutable snapshot without a lock (a few
/// atomic operations, detail::published); refreshes replace it. The fetch is the caller's (no HTTP stack
/// here).
///
/// - The keys are refetched once older than the response's Cache-Control max-age (default_max_age without
///   one, cut to [min_interval, max_max_age]), with If-None-Match; a 304 keeps the keys and restarts their
///   age.
/// - A token whose kid the keys lack triggers a refetch, at most one per min_interval whatever the number of
///   distinct unknown kids; a kid still unknown after a fetch is remembered for negative_ttl and triggers
///   none.
/// - Single flight: one fetch at a time. The caller that starts it waits for it; every other caller goes on
///   with the keys held, never waiting for the fetch (a token of a just-rotated key may then fail once with
///   key_not_found until the fetch lands).
/// - Any failed refresh keeps the last good keys until max_staleness past their max-age, and is reported
///   once through on_failure and last_failure().
/// All members are thread-safe. No thread of its own unless background_refresh is set.
template <class Clock>
class basic_remote_jwks {
    static_assert(clock<Clock>);

public:
    /// Verifies with `policy` (verifier_options: issuer, audience, typ, ...) over the keys fetched from
    /// `url`. Fetches nothing yet: call refresh() at start-up to wait for the first keys, or let the first
    /// verify() fetch them. Throws setup_error for an empty url, an empty fetch, a min_interval under 1 s,
    /// negative times, a max_max_age under min_interval, an empty or HMAC algorithm list, or a policy the
    /// verifier refuses.
    basic_remote_jwks(std::string url, verifier_options policy, jwks_fetch fetch,
                      remote_jwks_options options = {}, Clock clock = Clock())
        : url_(std::move(url)),
          policy_(std::move(policy)),
          fetch_(std::move(fetch)),
          options_(std::move(options)),
          clock_(std::move(clock)) {
        using std::chrono::seconds;
        if (url_.empty()) throw setup_error("jot: a remote_jwks needs a url");
        if (!fetch_) throw setup_error("jot: a remote_jwks needs a fetch");
        if (options_.min_interval < seconds{1})
            throw setup_error("jot: remote_jwks_options.min_interval must be at least 1 s");
        if (options_.default_max_age < seconds{0} || options_.max_staleness < seconds{0} ||
            options_.negative_ttl < seconds{0} || options_.fetch_timeout <= std::chrono::milliseconds{0})
            throw setup_error("jot: remote_jwks_options times must not be negative");
        if (options_.max_max_age < options_.min_interval)
            throw setup_error("jot: remote_jwks_options.max_max_age is shorter than min_interval");
        if (options_.algorithms.empty()) throw setup_error("jot: remote_jwks_options.algorithms is empty");
        for (const algorithm a : options_.algorithms)
            if (traits(a).family == key_family::hmac)
                throw setup_error("jot: remote_jwks_options.algorithms holds " + std::string(name(a)) +
                                  ": keys from the network are never HMAC keys");
        // The policy is checked now, with a throwaway key, so that no fetch can throw setup_error later.
        (void)verifier(key_set{}.add(algorithm::es256, key::generate(algorithm::es256).value()), policy_);
        if (options_.background_refresh)
            refresher_ = std::jthread([this](std::stop_token stop) { background(std::move(stop)); });
    }

    basic_remote_jwks(const basic_remote_jwks&) = delete;
    basic_remote_jwks& operator=(const basic_remote_jwks&) = delete;

    /// Fetches now, ignoring max-age and min_interval (start-up, an operator's reload), waiting for a fetch
    /// already under way first. Returns the failure, if the fetch failed (the keys held stay).
    std::optional<jwks_failure> refresh() {
        const std::lock_guard flight(flight_);
        return fetch_locked();
    }

    /// The keys to verify with now, refreshing them first if their max-age has passed and no fetch started
    /// within min_interval (this caller then waits for the fetch; others do not). Null when the source holds
    /// no keys: never fetched successfully, or stale beyond max_staleness.
    [[nodiscard]] std::shared_ptr<const jwks_snapshot> snapshot() {
        const time_point now = clock_.now();
        auto s = current_.load();
        if ((!s || now >= s->refresh_at) && may_fetch(now)) {
            if (std::unique_lock flight(flight_, std::try_to_lock); flight.owns_lock()) {
                auto again = current_.load();
                if ((!again || now >= again->refresh_at) && may_fetch(now)) (void)fetch_locked();
                s = current_.load();
            }
        }
        if (s && clock_.now() >= s->usable_until) return nullptr;
        return s;
    }

    /// Verifies `token` with the current keys; on key_not_found for a kid not known to be unknown, refetches
    /// (as above) and verifies once more. Fails with the verifier's errors, or keys_unavailable when the
    /// source holds no keys.
    [[nodiscard]] result<verified_token> verify(std::string_view token) {
        auto s = snapshot();
        if (!s) return errc::keys_unavailable;
        const time_point now = clock_.now();
        auto r = s->verifier->verify_at(token, now);
        if (r || r.error() != errc::key_not_found) return r;
        const auto kid = refetchable_kid(token, now);
        if (!kid) return r;
        auto fresh = refetch_for_kid(*kid, s->generation, now);
        if (!fresh) return r;
        return fresh->verifier->verify_at(token, clock_.now());
    }

    /// verify() through the snapshot's verification cache (a token verified once is answered from memory
    /// until it expires), refetching as verify() does.
    [[nodiscard]] result<shared_verified_token> verify_cached(std::string_view token) {
        auto s = snapshot();
        if (!s) return errc::keys_unavailable;
        const time_point now = clock_.now();
        auto r = verify_with(*s, token, now);
        if (r || r.error() != errc::key_not_found) return r;
        const auto kid = refetchable_kid(token, now);
        if (!kid) return r;
        auto fresh = refetch_for_kid(*kid, s->generation, now);
        if (!fresh) return r;
        return verify_with(*fresh, token, clock_.now());
    }

    /// verify_cached() for a thread that must never wait (an I/O thread of an async server): the result
    /// when it needs no fetch, or nullopt when verify_cached() would fetch first (the keys' max-age has
    /// passed, or the token names an unknown kid, and a fetch may start now). Then call verify_cached()
    /// where waiting is fine.
    [[nodiscard]] std::optional<result<shared_verified_token>> try_verify_cached(std::string_view token) {
        const time_point now = clock_.now();
        const auto s = current_.load();
        if ((!s || now >= s->refresh_at) && may_fetch(now)) return std::nullopt;
        if (!s || now >= s->usable_until) return result<shared_verified_token>(errc::keys_unavailable);
        auto r = verify_with(*s, token, now);
        if (!r && r.error() == errc::key_not_found && may_fetch(now) && refetchable_kid(token, now))
            return std::nullopt;
        return r;
    }

    /// The failure of the last refresh, or nullopt if it succeeded (or none ran yet).
    [[nodiscard]] std::optional<jwks_failure> last_failure() const {
        const std::lock_guard lock(status_m_);
        return last_failure_;
    }

    /// Fetches started so far (successful or not), for metrics and tests.
    [[nodiscard]] std::uint64_t fetch_count() const noexcept { return fetches_.load(); }

    [[nodiscard]] const std::string& url() const noexcept { return url_; }
    [[nodiscard]] const remote_jwks_options& options() const noexcept { return options_; }
    [[nodiscard]] Clock& clock() noexcept { return clock_; }

private:
    using rep = time_point::rep;

    bool may_fetch(time_point now) const noexcept {
        const rep last = last_attempt_.load(std::memory_order_acquire);
        return last == never || now - time_point{time_point::duration{last}} >= options_.min_interval;
    }

    static result<shared_verified_token> verify_with(const jwks_snapshot& s, std::string_view token,
                                                     time_point now) {
        if (s.cache) return s.cache->verify_at(token, now);
        auto r = s.verifier->verify_at(token, now);
        if (!r) return r.error();
        return std::make_shared<const verified_token>(*std::move(r));
    }

    // The token's kid, if a refetch could bring it: a string kid not remembered as unknown.
    std::optional<std::string> refetchable_kid(std::string_view token, time_point now) {
        const auto peek = decode_unverified(token, policy_.limits);
        if (!peek) return std::nullopt;
        const auto it = peek->header.find("kid");
        if (it == peek->header.end() || !it->is_string()) return std::nullopt;
        std::string kid = it->template get<std::string>();
        if (known_unknown(kid, now)) return std::nullopt;
        return kid;
    }

    bool known_unknown(const std::string& kid, time_point now) {
        const std::lock_guard lock(negative_m_);
        const auto it = negative_.find(kid);
        if (it == negative_.end()) return false;
        if (now < it->second) return true;
        negative_.erase(it);
        return false;
    }

    void remember_unknown(const std::string& kid, time_point now) {
        const std::lock_guard lock(negative_m_);
        if (negative_.size() >= options_.negative_capacity)
            std::erase_if(negative_, [now](const auto& e) { return now >= e.second; });
        if (negative_.size() >= options_.negative_capacity) negative_.clear();
        negative_[kid] = now + options_.negative_ttl;
    }

    // The keys after a refetch for `kid`, or null if no newer keys can be had without waiting.
    std::shared_ptr<const jwks_snapshot> refetch_for_kid(const std::string& kid, std::uint64_t seen,
                                                         time_point now) {
        const auto newer = [&]() -> std::shared_ptr<const jwks_snapshot> {
            auto s = current_.load();
            return s && s->generation != seen ? s : nullptr;
        };
        if (auto s = newer()) return s;
        if (!may_fetch(now)) return nullptr;
        std::unique_lock flight(flight_, std::try_to_lock);
        if (!flight.owns_lock()) return nullptr;  // another caller fetches; this one does not wait
        if (auto s = newer()) return s;
        if (!may_fetch(now)) return nullptr;
        (void)fetch_locked();
        auto s = current_.load();
        if (!s || !s->verifier->keys().contains(kid)) {
            remember_unknown(kid, now);
            return nullptr;
        }
        return s;
    }

    // One fetch; the caller holds flight_.
    std::optional<jwks_failure> fetch_locked() {
        const time_point now = clock_.now();
        last_attempt_.store(now.time_since_epoch().count(), std::memory_order_release);
        ++fetches_;
        const auto held = current_.load();
        const auto response = [&]() -> result<jwks_response> {
            try {
                return fetch_({.url = url_,
                               .if_none_match = held ? std::string_view(held->etag) : std::string_view{},
                               .timeout = options_.fetch_timeout});
            } catch (...) {
                return std::make_error_code(std::errc::io_error);
            }
        }();
        if (!response) return fail({.kind = jwks_failure_kind::fetch, .code = response.error()});
        const time_point refresh_at = now + max_age(response->cache_control);
        // A 304, or a 200 with the same document: the keys held are confirmed and their age restarts.
        if (held && ((response->status == 304 && !held->etag.empty()) ||
                     (response->status == 200 && response->body == held->document))) {
            auto next = std::make_shared<jwks_snapshot>(*held);
            next->refresh_at = refresh_at;
            next->usable_until = refresh_at + options_.max_staleness;
            if (!response->etag.empty()) next->etag = response->etag;
            current_.store(std::move(next));
            return succeed();
        }
        if (response->status != 200)
            return fail({.kind = jwks_failure_kind::status, .status = response->status});
        key_set keys;
        if (auto failure = load(response->body, keys)) return fail(*failure);
        auto next = std::make_shared<jwks_snapshot>();
        const std::size_t count = keys.size();
        next->verifier = std::make_shared<const jot::verifier>(std::move(keys), policy_);
        if (options_.cache_capacity > 0)
            next->cache = std::make_shared<verification_cache>(
                *next->verifier, verification_cache_options{options_.cache_capacity});
        next->etag = response->etag;
        next->document = response->body;
        next->generation = held ? held->generation + 1 : 1;
        next->refresh_at = refresh_at;
        next->usable_until = refresh_at + options_.max_staleness;
        {
            // Kids that were unknown may have arrived with a rotation.
            const std::lock_guard lock(negative_m_);
            std::erase_if(negative_,
                          [&next](const auto& e) { return next->verifier->keys().contains(e.first); });
        }
        current_.store(std::move(next));
        if (options_.on_keys) {
            try {
                options_.on_keys(count);
            } catch (...) {  // a listener must not undo the refresh
            }
        }
        return succeed();
    }

    std::chrono::seconds max_age(std::string_view cache_control) const {
        const auto v = detail::cache_max_age(cache_control);
        const std::chrono::seconds age =
            v ? std::chrono::seconds{std::min<std::int64_t>(*v, options_.max_max_age.count())}
              : options_.default_max_age;
        return std::clamp(age, options_.min_interval, options_.max_max_age);
    }

    // Reads a JWKS body into `out`, strictly: every JWK must load; each key is bound to every allowed
    // algorithm it fits. Returns the failure, if any.
    std::optional<jwks_failure> load(std::string_view body, key_set& out) const {
        const auto failed = [](jwks_failure f) { return std::optional(f); };
        if (body.size() > options_.limits.max_bytes) return failed({.kind = jwks_failure_kind::too_large});
        nlohmann::json doc;
        if (!detail::parse_strict_json(body, doc, 8) || !doc.is_object())
            return failed({.kind = jwks_failure_kind::not_jwks});
        const auto list = doc.find("keys");
        if (list == doc.end() || !list->is_array()) return failed({.kind = jwks_failure_kind::not_jwks});
        if (list->size() > options_.limits.max_keys)
            return failed({.kind = jwks_failure_kind::too_many_keys});
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto k = parse_jwk((*list)[i]);
            if (!k)
                return failed({.kind = jwks_failure_kind::key_invalid, .code = k.error(), .key_index = i});
            if (k->k.is_symmetric()) continue;  // never a verification key from the network
            try {
                for (const algorithm a : options_.algorithms)
                    if (k->permits(a, key_use::verify)) out.add(a, k->k, k->kid);
            } catch (const setup_error&) {  // a key the set refuses: never an exception out of a refresh
                return failed(
                    {.kind = jwks_failure_kind::key_invalid, .code = errc::key_invalid, .key_index = i});
            }
        }
        if (out.empty()) return failed({.kind = jwks_failure_kind::no_usable_key});
        return std::nullopt;
    }

    std::optional<jwks_failure> fail(const jwks_failure& f) {
        bool report = false;
        {
            const std::lock_guard lock(status_m_);
            report = !last_failure_ || *last_failure_ != f;
            last_failure_ = f;
        }
        if (report && options_.on_failure) {
            try {
                options_.on_failure(f);
            } catch (...) {  // a listener must not break the refresh
            }
        }
        return f;
    }

    std::optional<jwks_failure> succeed() {
        const std::lock_guard lock(status_m_);
        last_failure_.reset();
        return std::nullopt;
    }

    void background(std::stop_token stop) {
        std::mutex m;
        while (!stop.stop_requested()) {
            (void)refresh();
            const auto s = current_.load();
            const time_point now = clock_.now();
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                s && !last_failure() ? s->refresh_at - now : options_.min_interval);
            wait = std::max<std::chrono::milliseconds>(wait, options_.min_interval);
            std::unique_lock lock(m);
            wake_.wait_for(lock, stop, wait, [] { return false; });
        }
    }

    static constexpr rep never = std::numeric_limits<rep>::min();

    std::string url_;
    verifier_options policy_;
    jwks_fetch fetch_;
    remote_jwks_options options_;
    Clock clock_;
    detail::published<jwks_snapshot> current_;
    std::mutex flight_;  // held by the one fetch under way
    std::atomic<rep> last_attempt_{never};
    std::atomic<std::uint64_t> fetches_{0};
    mutable std::mutex status_m_;
    std::optional<jwks_failure> last_failure_{};
    std::mutex negative_m_;
    std::unordered_map<std::string, time_point> negative_{};
    std::condition_variable_any wake_;
    std::jthread refresher_;  // last: stopped and joined before the members it uses go
};

/// The remote JWKS source on the system clock.
using remote_jwks = basic_remote_jwks<system_clock>;

static_assert(std::is_same_v<jot::v0::remote_jwks, jot::remote_jwks>);

}  // namespace jot::inline v0
