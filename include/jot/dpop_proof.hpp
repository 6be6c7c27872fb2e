// SPDX-License-Identifier: MIT
// Making DPoP proofs (RFC 9449 §4.2): a client signs each request with its private key, the public part in
// the header.
#pragma once

#include <array>        // std::array
#include <chrono>       // std::chrono::system_clock
#include <cstddef>      // std::byte
#include <optional>     // std::optional
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "base64url.hpp"
#include "builder.hpp"
#include "clock.hpp"
#include "crypto/openssl.hpp"
#include "detail/uri.hpp"
#include "dpop.hpp"
#include "error.hpp"
#include "jwk.hpp"
#include "jws.hpp"
#include "key.hpp"

namespace jot::inline v0 {

/// What a proof carries beyond the request's method and URI.
struct dpop_proof_options {
    std::string_view access_token{};        // if set, the proof gets its ath (RFC 9449 §4.2)
    std::string_view nonce{};               // the server's nonce, if it gave one (RFC 9449 §8)
    std::string_view jti{};                 // empty: 128 random bits, base64url
    std::optional<time_point> issued_at{};  // default: now (seconds, rounded down)
};

/// A DPoP proof for a request with `method` and `uri`, signed with `private_key` under `alg`: header typ
/// dpop+jwt, alg and the key's public JWK; claims jti, htm, htu (the URI without query and fragment), iat,
/// and ath and nonce when given. Fails with dpop_algorithm_symmetric for an HMAC algorithm, the errors of
/// key::fits (key_algorithm_mismatch, key_not_private), dpop_request_uri_invalid when `uri` is not an
/// absolute http(s) URI a verifier could match, json_invalid_utf8 or crypto_failure. Thread-safe.
[[nodiscard]] inline result<std::string> sign_dpop_proof(const key& private_key, algorithm alg,
                                                         std::string_view method, std::string_view uri,
                                                         const dpop_proof_options& options = {}) {
    // RFC 9449 §4.2: the key must be asymmetric, and only its public part goes into the header.
    if (traits(alg).family == key_family::hmac || private_key.is_symmetric())
        return errc::dpop_algorithm_symmetric;
    if (auto fit = private_key.fits(alg, key_use::sign); !fit) return fit.error();
    if (!detail::normalized_http_uri(uri)) return errc::dpop_request_uri_invalid;
    const nlohmann::json header = {
        {"typ", dpop_proof_type}, {"alg", name(alg)}, {"jwk", key_parameters(private_key, false)}};

    std::string jti(options.jti);
    if (jti.empty()) {
        std::array<std::byte, 16> random{};
        if (!crypto::random_bytes(random)) return errc::crypto_failure;
        jti = base64url_encode(random);
    }
    const auto iat = std::chrono::duration_cast<std::chrono::seconds>(
        options.issued_at.value_or(std::chrono::system_clock::now()).time_since_epoch());
    nlohmann::json claims = {{"jti", jti},
                             {"htm", std::string(method)},
                             {"htu", std::string(uri.substr(0, uri.find_first_of("?#")))},
                             {"iat", iat.count()}};
    if (!options.access_token.empty()) {
        auto ath = dpop_access_token_hash(options.access_token);
        if (!ath) return ath.error();
        claims["ath"] = *std::move(ath);
    }
    if (!options.nonce.empty()) claims["nonce"] = std::string(options.nonce);

    std::string header_text, payload;
    if (const errc e = detail::append_json(header_text, header); e != errc{}) return e;
    if (const errc e = detail::append_json(payload, claims); e != errc{}) return e;
    return detail::sign_encoded(private_key, alg, base64url_encode(header_text), payload);
}

/// The same with the algorithm fixed at compile time: sign_dpop_proof<jot::es256>(ec_key, "GET", uri). An
/// HMAC algorithm does not compile.
template <class Alg>
requires(Alg::traits.family != key_family::hmac)
    [[nodiscard]] result<std::string> sign_dpop_proof(const key_for<Alg>& private_key,
                                                      std::string_view method, std::string_view uri,
                                                      const dpop_proof_options& options = {}) {
    return sign_dpop_proof(private_key.untyped(), Alg::id, method, uri, options);
}

}  // namespace jot::inline v0
