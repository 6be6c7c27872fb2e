// SPDX-License-Identifier: MIT
// Must not compile: an HMAC key cannot reach an RSA algorithm (STYLE.md section 1).
// With JOT_EXPECT_COMPILES the correct call is compiled instead, proving the failure comes from the misuse.
#include <jot/jws.hpp>

jot::result<jot::verified_jws> misuse(const jot::hmac_key& k, std::string_view token) {
#ifdef JOT_EXPECT_COMPILES
    return jot::verify_jws<jot::hs256>(k, token);
#else
    return jot::verify_jws<jot::rs256>(k, token);
#endif
}
