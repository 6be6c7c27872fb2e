// SPDX-License-Identifier: MIT
// Issuing JWTs: a header (alg, typ, kid) and claims, signed into a compact token.
#pragma once

#include <array>        // std::array
#include <cstddef>      // std::size_t
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

/// Appends the JSON text of `claims_object` (an nlohmann object or a jot::claims) to `payload`.
template <class Claims>
[[nodiscard]] errc append_claims_text(std::string& payload, const Claims& claims_object) {
    if constexpr (std::is_same_v<Claims, claims>) {
        return append_claims_json(payload, claims_object);
    } else {
        if (!claims_object.is_object()) return errc::payload_invalid;
        return append_json(payload, claims_object);
    }
}

/// The JSON text of `claims_object` (an nlohmann object or a jot::claims), to be signed.
template <class Claims>
[[nodiscard]] result<std::string> claims_payload(const Claims& claims_object) {
    std::string payload;
    payload.reserve(256);
    if (const errc e = append_claims_text(payload, claims_object); e != errc{}) return e;
    return payload;
}

/// Signs the JSON text of `claims_object` (an nlohmann object or a jot::claims).
template <class Claims>
[[nodiscard]] result<std::string> sign_claims(const key& k, algorithm alg, const Claims& claims_object,
                                              const header_view& fields) {
    const auto payload = claims_payload(claims_object);
    if (!payload) return payload.error();
    return sign_compact(k, alg, *payload, fields);
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
    /// Throws setup_error if `k` cannot sign with `alg`, or `kid` is not UTF-8.
    signer(algorithm alg, key k, std::string kid = {}) : alg_(alg), key_(std::move(k)), kid_(std::move(kid)) {
        if (auto fit = key_.fits(alg_, key_use::sign); !fit)
            throw setup_error(std::string("jot: key cannot sign ") + std::string(name(alg_)) + ": " +
                              fit.error().message());
        for (std::size_t i = 0; i < common_types.size(); ++i) {
            auto h = detail::encoded_header(alg_, {.type = common_types[i], .kid = kid_});
            if (!h) throw setup_error("jot: the kid of a signer must be UTF-8");
            common_headers_[i] = *std::move(h);
        }
    }

    /// Signs a claims object; the header gets this signer's alg and kid and the given typ.
    [[nodiscard]] result<std::string> sign(const nlohmann::json& claims_object,
                                           std::string_view type = "JWT") const {
        return sign_object(claims_object, type);
    }
    [[nodiscard]] result<std::string> sign(const claims& c, std::string_view type = "JWT") const {
        return sign_object(c, type);
    }

    /// Signs claims given as JSON object text, byte for byte: for callers that wrote the text themselves
    /// (the token service). Nothing checks that it is a JSON object; sign() does.
    [[nodiscard]] result<std::string> sign_text(std::string_view claims_json,
                                                std::string_view type = "JWT") const {
        for (std::size_t i = 0; i < common_types.size(); ++i)
            if (type == common_types[i])
                return detail::sign_encoded(key_, alg_, common_headers_[i], claims_json);
        return detail::sign_compact(key_, alg_, claims_json, {.type = type, .kid = kid_});
    }

    [[nodiscard]] algorithm alg() const noexcept { return alg_; }
    [[nodiscard]] const key& signing_key() const noexcept { return key_; }
    [[nodiscard]] const std::string& kid() const noexcept { return kid_; }

private:
    // Headers of these types are encoded once, at construction: JWTs and RFC 9068 access tokens.
    static constexpr std::array<std::string_view, 2> common_types = {"JWT", "at+jwt"};

    template <class Claims>
    result<std::string> sign_object(const Claims& claims_object, std::string_view type) const {
        const auto payload = detail::claims_payload(claims_object);
        if (!payload) return payload.error();
        return sign_text(*payload, type);
    }

    algorithm alg_;
    key key_;
    std::string kid_;
    std::array<std::string, common_types.size()> common_headers_{};
};

}  // namespace jot::inline v0
