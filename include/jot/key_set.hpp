// SPDX-License-Identifier: MIT
// A set of verification keys, each bound to exactly one algorithm and optionally named by a kid.
#pragma once

#include <span>         // std::span, std::as_bytes
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include "algorithm.hpp"
#include "crypto/pkey.hpp"
#include "error.hpp"
#include "key.hpp"

namespace jot::inline v0 {

/// One key and the single algorithm it may verify (RFC 8725 §3.1).
struct bound_key {
    algorithm alg = algorithm::hs256;
    key k;
    std::string kid{};
};

/// Tuning of a key_set.
struct key_set_options {
    /// Lets HMAC secrets sit beside RSA, EC or Ed25519 keys. Risky: whoever can verify with the set can also
    /// forge tokens for its secret keys, a published set must never hold them (RFC 8725 §3.1), and one
    /// misbound algorithm is then enough for key confusion. Meant for migrations, not for steady state.
    bool allow_mixed_secret_and_public_keys = false;
};

namespace detail {
/// Whether two keys are the same key: the same HMAC secret, or the same public key (private parts ignored).
[[nodiscard]] inline bool same_key(const key& a, const key& b) {
    if (a.family() != b.family()) return false;
    if (a.is_symmetric())
        return crypto::constant_time_equal(std::as_bytes(std::span(a.impl().secret)),
                                           std::as_bytes(std::span(b.impl().secret)));
    return crypto::same_public_key(a.impl().pkey.get(), b.impl().pkey.get());
}
}  // namespace detail

/// The keys a verifier trusts. A kid names one key (it may be bound to several algorithms), and a set holds
/// either secret or asymmetric keys, unless key_set_options says otherwise. Not thread-safe while it is
/// being filled; a filled set is read-only and may be shared.
class key_set {
public:
    key_set() = default;
    explicit key_set(key_set_options options) noexcept : options_(options) {}

    /// Binds `k` to Alg; a key of another family does not compile. Throws setup_error as add() does.
    template <class Alg>
    key_set& add(const key_for<Alg>& k, std::string kid = {}) {
        return add(Alg::id, k.untyped(), std::move(kid));
    }

    /// Binds `k` to `alg`. Throws setup_error for the reasons try_add() gives.
    key_set& add(algorithm alg, const key& k, std::string kid = {}) {
        if (auto r = try_add(alg, k, std::move(kid)); !r)
            throw setup_error(std::string("jot: cannot add a key for ") + std::string(name(alg)) + ": " +
                              r.error().message());
        return *this;
    }

    /// Binds `k` (its public part) to `alg`, or says why not: the key does not fit `alg` (fits()), another
    /// key already has this kid (key_set_duplicate_kid; the same key under another algorithm is fine), or
    /// the set would mix secret and asymmetric keys (key_set_mixed_kinds). Adding an entry twice is a no-op.
    [[nodiscard]] result<void> try_add(algorithm alg, const key& k, std::string kid = {}) {
        if (auto fit = k.fits(alg, key_use::verify); !fit) return fit.error();
        if (!options_.allow_mixed_secret_and_public_keys && !keys_.empty() &&
            keys_.front().k.is_symmetric() != k.is_symmetric())
            return errc::key_set_mixed_kinds;
        if (!kid.empty()) {
            for (const auto& b : keys_) {
                if (b.kid != kid) continue;
                // RFC 7517 §4.5: a kid that names two keys lets the token, not the verifier, pick the key.
                if (!detail::same_key(b.k, k)) return errc::key_set_duplicate_kid;
                if (b.alg == alg) return {};
            }
        }
        keys_.push_back({alg, k.is_symmetric() ? k : k.public_key(), std::move(kid)});
        return {};
    }

    [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
    [[nodiscard]] auto begin() const noexcept { return keys_.begin(); }
    [[nodiscard]] auto end() const noexcept { return keys_.end(); }
    [[nodiscard]] const key_set_options& options() const noexcept { return options_; }

    /// True if some key carries this kid.
    [[nodiscard]] bool contains(std::string_view kid) const noexcept {
        for (const auto& b : keys_)
            if (b.kid == kid) return true;
        return false;
    }

private:
    key_set_options options_{};
    std::vector<bound_key> keys_;
};

}  // namespace jot::inline v0
