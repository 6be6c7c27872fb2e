// SPDX-License-Identifier: MIT
// Two translation units include every jot header and are linked into one program: an inline function or
// variable defined differently, or a non-inline definition in a header, breaks the link or this test.
#include <jot/jot.hpp>

#include <jot/access_revocation.hpp>
#include <jot/fwd.hpp>
#include <jot/remote_jwks.hpp>
#include <jot/store/any_store.hpp>
#include <jot/token_service.hpp>

#include "../support/test.hpp"

std::string sign_in_second_tu(const jot::key& k);

TEST_CASE("odr: tokens signed in one translation unit verify in another") {
    const auto k = jot::key::generate(jot::algorithm::es256).value();
    const auto token = sign_in_second_tu(k);
    REQUIRE_FALSE(token.empty());
    CHECK(jot::verify_jws_with(k, jot::algorithm::es256, token, {}));
    CHECK(&jot::error_category() != nullptr);
}
