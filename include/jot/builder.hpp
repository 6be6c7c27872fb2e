// SPDX-License-Identifier: MIT
// Issuing JWTs: a header (alg, typ, kid) and claims, signed into a compact token.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "claims.hpp"
#include "error.hpp"
#include "jws.hpp"
#include "key.hpp"

namespace jot::inline v0 {

/// Signs a JSON claims object with algorithm Alg. Fails with key_not_private, key_too_weak or crypto_failure.
template <class Alg>
[[nodiscard]] result<std::string> sign(const key_for<Alg>& k, const nlohmann::json& claims_object,
                                       const header_fields& fields = {}) {
    if (!claims_object.is_object()) return errc::payload_invalid;
    return detail::sign_compact(k.untyped(), Alg::id, claims_object.dump(), fields);
}

/// Signs registered and custom claims with algorithm Alg.
template <class Alg>
[[nodiscard]] result<std::string> sign(const key_for<Alg>& k, const claims& c,
                                       const header_fields& fields = {}) {
    return sign<Alg>(k, c.to_json(), fields);
}

/// A private key bound to one algorithm and kid, for code that picks the algorithm at run time.
/// Immutable; sign() is thread-safe.
class signer {
public:
    /// Throws setup_error if `k` cannot sign with `alg`.
    signer(algorithm alg, key k, std::string kid = {}) : alg_(alg), key_(std::move(k)), kid_(std::move(kid)) {
        if (auto fit = key_.fits(alg_, key_use::sign); !fit)
            throw setup_error(std::string("jot: key cannot sign ") + std::string(name(alg_)) + ": " +
                              fit.error().message());
    }

    /// Signs a claims object; the header gets this signer's alg and kid and the given typ.
    [[nodiscard]] result<std::string> sign(const nlohmann::json& claims_object,
                                           std::string type = "JWT") const {
        if (!claims_object.is_object()) return errc::payload_invalid;
        return detail::sign_compact(key_, alg_, claims_object.dump(), {.type = std::move(type), .kid = kid_});
    }
    [[nodiscard]] result<std::string> sign(const claims& c, std::string type = "JWT") const {
        return sign(c.to_json(), std::move(type));
    }

    [[nodiscard]] algorithm alg() const noexcept { return alg_; }
    [[nodiscard]] const key& signing_key() const noexcept { return key_; }
    [[nodiscard]] const std::string& kid() const noexcept { return kid_; }

private:
    algorithm alg_;
    key key_;
    std::string kid_;
};

}  // namespace jot::inline v0
