// SPDX-License-Identifier: MIT
// Must not compile: only a dpop_verifier can make a verified_dpop_proof (STYLE.md section 1).
#include <jot/dpop.hpp>

jot::verified_dpop_proof forge(const jot::key& k) {
#ifdef JOT_EXPECT_COMPILES
    jot::memory_replay_cache seen;
    (void)k;
    return jot::dpop_verifier{}
        .verify("x.y.z", {.method = "GET", .uri = "https://api.example/"}, seen)
        .value();
#else
    return jot::verified_dpop_proof({}, k, jot::algorithm::es256, "jkt", "jti", {}, "GET",
                                    "https://api.example/", "");
#endif
}
