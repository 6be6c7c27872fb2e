// SPDX-License-Identifier: MIT
// The HMAC engine built on EVP_MAC (JOT_HMAC_VIA_EVP_MAC, for FIPS providers), in its own executable.
#define JOT_HMAC_VIA_EVP_MAC 1
#include "../support/hmac_vectors.hpp"

TEST_CASE("hmac_engine over EVP_MAC gives RFC 4231's HMAC-SHA-2 values") {
#ifdef JOT_DETAIL_HMAC_SHA2_STATES
    FAIL("JOT_HMAC_VIA_EVP_MAC did not select EVP_MAC");
#endif
    jot_test::check_rfc4231();
}
