// SPDX-License-Identifier: MIT
#include <jot/jot.hpp>

#include <jot/access_revocation.hpp>
#include <jot/fwd.hpp>
#include <jot/remote_jwks.hpp>
#include <jot/store/any_store.hpp>
#include <jot/token_service.hpp>

std::string sign_in_second_tu(const jot::key& k) {
    (void)jot::error_category();
    return jot::sign_jws_with(k, jot::algorithm::es256, "from the second unit").value();
}
