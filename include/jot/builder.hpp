// SPDX-License-Identifier: MIT
// Issuing JWTs: a header (alg, typ, kid) and claims, signed into a compact token.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "claims.hpp"
#include "error.hpp"
#include "jws.hpp"
#include "key.hpp"

namespace jot::inline v0 {

namespace detail {

/// Signs the JSON text of `claims_object` (an nlohmann object or a jot::claims).
template <class Claims>
[[nodiscard]] result<std::string> sign_claims(const key& k, algorithm alg, const Claims& claims_object,
                                              const header_view& fields) {
    std::string payload;
    payload.reserve(256);
    if constexpr (std::is_same_v<Claims, claims>) {
        if (const errc e = append_claims_json(payload, claims_object); e != errc{}) return e;
    } else {
        if (!claims_object.is_object()) return errc::payload_invalid;
        if (const errc e = append_json(payload, claims_object); e != errc{}) return e;
    }
    return sign_compact(k, alg, payload, fields);
}

}  // namespace detail

/// Signs a JSON claims object with algorithm Alg. Fails with key_not_private, key_too_weak, crypto_failure,
/// payload_invalid (not an object) or json_invalid_utf8.
template <class Alg>
[[nodiscard]] result<std::string> sign(const key_for<Alg>& k, const nlohmann::json& claims_object,
                                       const header_fields& fields = {}) {
    return detail::sign_claims(k.untyped(), Alg::id, claims_object, detail::view_of(fields));
}

/// Signs registered and custom claims with algorithm Alg.
template <class Alg>
[[nodiscard]] result<std::string> sign(const key_for<Alg>& k, const claims& c,
                                       const header_fields& fields = {}) {
    return detail::sign_claims(k.untyped(), Alg::id, c, detail::view_of(fields));
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
                                           std::string_view type = "JWT") const {
        return detail::sign_claims(key_, alg_, claims_object, {.type = type, .kid = kid_});
    }
    [[nodiscard]] result<std::string> sign(const claims& c, std::string_view type = "JWT") const {
        return detail::sign_claims(key_, alg_, c, {.type = type, .kid = kid_});
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
