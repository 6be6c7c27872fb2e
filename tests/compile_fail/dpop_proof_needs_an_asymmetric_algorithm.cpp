// SPDX-License-Identifier: MIT
// Must not compile: a DPoP proof is signed with an asymmetric key (RFC 9449 §4.2), so an HMAC algorithm tag
// is refused at compile time. With JOT_EXPECT_COMPILES the correct call is compiled instead.
#include <jot/dpop_proof.hpp>

#ifdef JOT_EXPECT_COMPILES
jot::result<std::string> misuse(const jot::ec_key& k) {
    return jot::sign_dpop_proof<jot::es256>(k, "GET", "https://api.example/");
}
#else
jot::result<std::string> misuse(const jot::hmac_key& k) {
    return jot::sign_dpop_proof<jot::hs256>(k, "GET", "https://api.example/");
}
#endif
