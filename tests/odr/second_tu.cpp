// SPDX-License-Identifier: MIT
#include <jot/jot.hpp>

std::string sign_in_second_tu(const jot::key& k) {
    (void)jot::error_category();
    return jot::sign_jws_with(k, jot::algorithm::es256, "from the second unit").value();
}
