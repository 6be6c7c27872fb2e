// SPDX-License-Identifier: MIT
// The verifier policy of the access tokens a token_service issues (RFC 9068), shared with resource servers.
#pragma once

#include <array>        // std::array
#include <chrono>       // std::chrono::seconds
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include "verifier.hpp"

namespace jot::inline v0 {

/// The typ of access tokens (RFC 9068 §2.1).
inline constexpr std::string_view access_token_type = "at+jwt";

/// The claims every access token of a token_service carries besides iss, aud and exp: RFC 9068 §2.2's
/// sub, iat, jti and client_id, and sid, the session (the refresh-token family) as in OpenID Connect.
inline constexpr std::array<std::string_view, 5> access_token_claims{"sub", "iat", "jti", "client_id", "sid"};

/// The verifier_options for the access tokens of a token_service with this issuer, audience and leeway:
/// typ at+jwt (RFC 8725 §3.11: no other JWT of the same key passes), iss, aud, exp and every claim of
/// access_token_claims required. token_service verifies with exactly these options; a resource server that
/// uses them accepts what the service issues and nothing else. The verifier built from them throws
/// setup_error for an empty issuer or audience or a leeway above 5 minutes. Does not throw itself.
[[nodiscard]] inline verifier_options access_token_policy(std::string issuer,
                                                          std::vector<std::string> audience,
                                                          std::chrono::seconds leeway = std::chrono::seconds{
                                                              0}) {
    verifier_options o{.issuer = std::move(issuer),
                       .audience = std::move(audience),
                       .type = std::string(access_token_type),
                       .required_claims = {},
                       .leeway = leeway};
    for (const auto c : access_token_claims) o.required_claims.emplace_back(c);
    return o;
}

}  // namespace jot::inline v0
