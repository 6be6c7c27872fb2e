// SPDX-License-Identifier: MIT
// Must not compile: only a verifier can make a verified_token (STYLE.md section 1).
#include <jot/verifier.hpp>

jot::verified_token forge() {
#ifdef JOT_EXPECT_COMPILES
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, jot::key::hmac(std::string(32, 'k')).value());
    return jot::verifier{keys, {.allow_any_issuer = true, .allow_any_audience = true}}
        .verify("x.y.z")
        .value();
#else
    return jot::verified_token({}, {}, {}, jot::algorithm::hs256);
#endif
}
