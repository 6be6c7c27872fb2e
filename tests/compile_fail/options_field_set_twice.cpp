// SPDX-License-Identifier: MIT
// Must not compile: a designated initializer cannot set an option twice (STYLE.md section 2).
#include <jot/verifier.hpp>

jot::verifier_options options() {
#ifdef JOT_EXPECT_COMPILES
    return {.issuer = "a", .audience = {"api"}};
#else
    return {.issuer = "a", .issuer = "b"};
#endif
}
