// SPDX-License-Identifier: MIT
// A set of verification keys, each bound to exactly one algorithm and optionally named by a kid.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "algorithm.hpp"
#include "error.hpp"
#include "key.hpp"

namespace jot::inline v0 {

/// One key and the single algorithm it may verify (RFC 8725 §3.1).
struct bound_key {
    algorithm alg = algorithm::hs256;
    key k;
    std::string kid{};
};

/// The keys a verifier trusts. Adding a key that does not fit its algorithm throws setup_error.
class key_set {
public:
    /// Binds `k` to Alg; a key of another family does not compile.
    template <class Alg>
    key_set& add(const key_for<Alg>& k, std::string kid = {}) {
        return add(Alg::id, k.untyped(), std::move(kid));
    }

    /// Binds `k` to `alg`. Throws setup_error if the key does not fit (family, curve, strength).
    key_set& add(algorithm alg, const key& k, std::string kid = {}) {
        if (auto fit = k.fits(alg, key_use::verify); !fit)
            throw setup_error(std::string("jot: key does not fit ") + std::string(name(alg)) + ": " +
                              fit.error().message());
        keys_.push_back({alg, k.is_symmetric() ? k : k.public_key(), std::move(kid)});
        return *this;
    }

    [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
    [[nodiscard]] auto begin() const noexcept { return keys_.begin(); }
    [[nodiscard]] auto end() const noexcept { return keys_.end(); }

    /// True if some key carries this kid.
    [[nodiscard]] bool contains(std::string_view kid) const noexcept {
        for (const auto& b : keys_)
            if (b.kid == kid) return true;
        return false;
    }

private:
    std::vector<bound_key> keys_;
};

}  // namespace jot::inline v0
