// SPDX-License-Identifier: MIT
// Must not compile: a token that decode_unverified read cannot stand in for a verified one, for example
// in the revocation check's facts (STYLE.md section 1).
#include <jot/access_revocation.hpp>
#include <jot/unverified_token.hpp>

jot::access_facts facts(std::string_view token) {
#ifdef JOT_EXPECT_COMPILES
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, jot::key::hmac(std::string(32, 'k')).value());
    return jot::facts_of(
        jot::verifier{keys, {.allow_any_issuer = true, .allow_any_audience = true}}.verify(token).value());
#else
    return jot::facts_of(jot::decode_unverified(token).value());
#endif
}
