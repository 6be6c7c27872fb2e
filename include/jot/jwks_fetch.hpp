// SPDX-License-Identifier: MIT
// The fetch a remote JWKS source is given: its request, its response, its failures, and Cache-Control.
#pragma once

#include <chrono>        // std::chrono::milliseconds
#include <cstddef>       // std::size_t
#include <cstdint>       // std::int64_t
#include <functional>    // std::function
#include <optional>      // std::optional
#include <string>        // std::string, std::to_string
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code

#include "error.hpp"
#include "jws.hpp"

namespace jot::inline v0 {

/// What the source asks its fetch for: GET `url`, with `If-None-Match: <if_none_match>` when not empty.
struct jwks_request {
    std::string_view url{};
    std::string_view if_none_match{};      // the ETag of the keys held, or empty
    std::chrono::milliseconds timeout{0};  // remote_jwks_options::fetch_timeout, for the fetch to apply
};

/// What the fetch got back: the HTTP status, the body and two response headers (empty when absent).
struct jwks_response {
    int status = 0;
    std::string body{};
    std::string cache_control{};
    std::string etag{};
};

/// The caller's HTTP client. Returns the response, or an error code when there is none (connection refused,
/// timeout, ...). Called on the thread that refreshes; it may block up to the request's timeout. What it
/// throws is reported as a fetch failure.
using jwks_fetch = std::function<result<jwks_response>(const jwks_request&)>;

/// Why a refresh failed; the source kept the keys it had.
enum class jwks_failure_kind {
    fetch,          // the fetch returned an error (`code`) or threw
    status,         // an HTTP status other than 200, or 304 when no keys were held (`status`)
    too_large,      // the body is over limits.max_bytes
    too_many_keys,  // more keys than limits.max_keys
    not_jwks,       // not strict JSON, or not an object with a "keys" array
    key_invalid,    // a JWK that does not load (`code`, `key_index`)
    no_usable_key,  // no key fits the allowed algorithms
};

/// The name of a failure kind as written in the enum, e.g. "not_jwks" (a metrics label, say).
[[nodiscard]] constexpr const char* name(jwks_failure_kind k) noexcept {
    switch (k) {
        case jwks_failure_kind::fetch:
            return "fetch";
        case jwks_failure_kind::status:
            return "status";
        case jwks_failure_kind::too_large:
            return "too_large";
        case jwks_failure_kind::too_many_keys:
            return "too_many_keys";
        case jwks_failure_kind::not_jwks:
            return "not_jwks";
        case jwks_failure_kind::key_invalid:
            return "key_invalid";
        case jwks_failure_kind::no_usable_key:
            return "no_usable_key";
    }
    return "unknown";
}

/// One failed refresh: its kind and the details that kind has.
struct jwks_failure {
    jwks_failure_kind kind = jwks_failure_kind::fetch;
    std::error_code code{};     // fetch: the fetch's error; key_invalid: why the key did not load
    int status = 0;             // status: the HTTP status
    std::size_t key_index = 0;  // key_invalid: the position of the JWK in "keys"
    friend bool operator==(const jwks_failure&, const jwks_failure&) = default;
};

/// A short lowercase description of a failure, for logs. Holds no key material.
[[nodiscard]] inline std::string describe(const jwks_failure& f) {
    switch (f.kind) {
        case jwks_failure_kind::fetch:
            return "jwks fetch failed: " + f.code.message();
        case jwks_failure_kind::status:
            return "jwks fetch answered HTTP " + std::to_string(f.status);
        case jwks_failure_kind::too_large:
            return "jwks document is over the size limit";
        case jwks_failure_kind::too_many_keys:
            return "jwks document holds more keys than the limit";
        case jwks_failure_kind::not_jwks:
            return "jwks document is not a JSON key set";
        case jwks_failure_kind::key_invalid:
            return "jwks key " + std::to_string(f.key_index) + " does not load: " + f.code.message();
        case jwks_failure_kind::no_usable_key:
            return "jwks document holds no key for the allowed algorithms";
    }
    return "jwks refresh failed";
}

namespace detail {

/// The max-age of a Cache-Control value in seconds; 0 for no-store or no-cache; nullopt without either.
[[nodiscard]] inline std::optional<std::int64_t> cache_max_age(std::string_view cc) noexcept {
    std::optional<std::int64_t> out;
    while (!cc.empty()) {
        const auto comma = cc.find(',');
        std::string_view d = cc.substr(0, comma);
        cc = comma == std::string_view::npos ? std::string_view{} : cc.substr(comma + 1);
        while (!d.empty() && (d.front() == ' ' || d.front() == '\t')) d.remove_prefix(1);
        while (!d.empty() && (d.back() == ' ' || d.back() == '\t')) d.remove_suffix(1);
        if (iequals(d, "no-store") || iequals(d, "no-cache")) return 0;
        if (d.size() > 8 && iequals(d.substr(0, 8), "max-age=")) {
            std::int64_t v = 0;
            std::string_view n = d.substr(8);
            if (n.size() > 1 && n.front() == '"' && n.back() == '"') n = n.substr(1, n.size() - 2);
            if (n.empty() || n.size() > 12) continue;
            bool digits = true;
            for (const char c : n) {
                digits = digits && c >= '0' && c <= '9';
                v = v * 10 + (c - '0');
            }
            if (digits) out = v;
        }
    }
    return out;
}

}  // namespace detail

}  // namespace jot::inline v0
