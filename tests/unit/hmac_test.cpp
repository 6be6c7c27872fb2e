// SPDX-License-Identifier: MIT
// The HMAC engine as built by default (precomputed SHA-2 states where OpenSSL has them).
#include "../support/hmac_vectors.hpp"

TEST_CASE("hmac_engine gives RFC 4231's HMAC-SHA-2 values") {
    jot_test::check_rfc4231();
}
