// SPDX-License-Identifier: MIT
// decode_unverified: a compact JWS's header and claims read WITHOUT checking the signature or any claim.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v
#include <utility>      // std::move

#include <nlohmann/json.hpp>

#include "base64url.hpp"
#include "detail/json.hpp"
#include "error.hpp"
#include "jws.hpp"

namespace jot::inline v0 {

/// The decoded parts of a compact JWS that nothing has checked: the signature was not verified and no claim
/// was looked at, so nothing in it may be trusted or used to choose a key, a tenant or an issuer. For
/// display, debugging and logs. To trust a token, use verifier::verify, which returns a verified_token.
struct unverified_token {
    nlohmann::json header{};  // the JOSE header, a JSON object
    nlohmann::json claims{};  // the payload as a JSON object, or null when the payload is not one
    std::string payload{};    // the payload's bytes as signed
};

/// Splits and decodes `token` without verifying anything. Fails with token_too_large (over
/// limits.max_token_bytes), token_malformed (not three parts, or an empty header), base64_invalid, or
/// header_invalid (a header that is not a strict JSON object within limits.max_json_depth). A payload that
/// is not a JSON object is not an error: `claims` is null and `payload` holds its bytes. Thread-safe.
[[nodiscard]] inline result<unverified_token> decode_unverified(std::string_view token,
                                                                const parse_limits& limits = {}) {
    const auto parts = detail::split_compact(token, limits.max_token_bytes);
    if (!parts) return parts.error();
    auto header_text = base64url_decode(parts->header);
    auto payload = base64url_decode(parts->payload);
    if (!header_text || !payload) return errc::base64_invalid;
    if (!base64url_decode(parts->signature)) return errc::base64_invalid;
    unverified_token out;
    if (!detail::parse_strict_json(*header_text, out.header, limits.max_json_depth) ||
        !out.header.is_object())
        return errc::header_invalid;
    if (nlohmann::json claims;
        detail::parse_strict_json(*payload, claims, limits.max_json_depth) && claims.is_object())
        out.claims = std::move(claims);
    out.payload = *std::move(payload);
    return out;
}

static_assert(std::is_same_v<jot::v0::unverified_token, jot::unverified_token>);

}  // namespace jot::inline v0
