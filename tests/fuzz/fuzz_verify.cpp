// SPDX-License-Identifier: MIT
// Fuzz target: any bytes as a token, through a verifier with HMAC, EC and EdDSA keys and a full policy.
#include <jot/jot.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {
const jot::verifier& fuzz_verifier() {
    static const jot::verifier v = [] {
        jot::key_set keys({.allow_mixed_secret_and_public_keys = true});
        keys.add(jot::algorithm::hs256, jot::key::hmac(std::string(32, 'k')).value(), "hs")
            .add(jot::algorithm::es256, jot::key::generate(jot::algorithm::es256).value(), "es")
            .add(jot::algorithm::eddsa, jot::key::generate(jot::algorithm::eddsa).value());
        return jot::verifier{keys,
                             {.issuer = "iss",
                              .audience = {"api"},
                              .required_claims = {"sub"},
                              .leeway = std::chrono::seconds{30},
                              .max_age = std::chrono::hours{1}}};
    }();
    return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view token(reinterpret_cast<const char*>(data), size);
    const auto r = fuzz_verifier().verify_at(token, jot::time_point{std::chrono::seconds{1'700'000'000}});
    if (r) {
        // A token that verifies must have a well-formed header and claims.
        if (!r->claims().is_object() || !r->header().is_object()) std::abort();
    } else if (r.error().category() != jot::error_category()) {
        std::abort();
    }
    return 0;
}
