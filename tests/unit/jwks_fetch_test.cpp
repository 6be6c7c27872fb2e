// SPDX-License-Identifier: MIT
#include <jot/jwks_fetch.hpp>

#include "../support/test.hpp"

#include <string>        // std::string
#include <system_error>  // std::errc, std::make_error_code

using jot::jwks_failure_kind;

TEST_CASE("jwks_failure describes each kind in lowercase, with the details it has") {
    const auto d = [](jot::jwks_failure f) { return jot::describe(f); };
    CHECK(d({.kind = jwks_failure_kind::fetch, .code = std::make_error_code(std::errc::timed_out)}) ==
          "jwks fetch failed: " + std::make_error_code(std::errc::timed_out).message());
    CHECK(d({.kind = jwks_failure_kind::status, .status = 503}) == "jwks fetch answered HTTP 503");
    CHECK(d({.kind = jwks_failure_kind::too_large}) == "jwks document is over the size limit");
    CHECK(d({.kind = jwks_failure_kind::too_many_keys}) == "jwks document holds more keys than the limit");
    CHECK(d({.kind = jwks_failure_kind::not_jwks}) == "jwks document is not a JSON key set");
    CHECK(d({.kind = jwks_failure_kind::key_invalid, .code = jot::errc::key_too_weak, .key_index = 2}) ==
          "jwks key 2 does not load: " + jot::make_error_code(jot::errc::key_too_weak).message());
    CHECK(d({.kind = jwks_failure_kind::no_usable_key}) ==
          "jwks document holds no key for the allowed algorithms");
}

TEST_CASE("jwks_failure compares equal only with the same kind and details") {
    const jot::jwks_failure a{.kind = jwks_failure_kind::status, .status = 500};
    CHECK(a == jot::jwks_failure{.kind = jwks_failure_kind::status, .status = 500});
    CHECK(a != jot::jwks_failure{.kind = jwks_failure_kind::status, .status = 502});
    CHECK(a != jot::jwks_failure{.kind = jwks_failure_kind::not_jwks});
}

TEST_CASE("jwks_fetch is any callable from a request to a response or an error") {
    const jot::jwks_fetch f = [](const jot::jwks_request& r) -> jot::result<jot::jwks_response> {
        if (r.if_none_match == "\"v1\"") return jot::jwks_response{.status = 304, .etag = "\"v1\""};
        return std::make_error_code(std::errc::connection_refused);
    };
    CHECK(f({.url = "https://x", .if_none_match = "\"v1\""})->status == 304);
    CHECK(f({.url = "https://x"}).error() == std::make_error_code(std::errc::connection_refused));
}
