// SPDX-License-Identifier: MIT
// Fuzz target: JWK and JWKS documents. A JWK that loads exports to one that loads to the same thumbprint.
#include <jot/jwk.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto k = jot::parse_jwk(text)) {
        const auto again = jot::parse_jwk(jot::to_jwk(k->k, k->kid, k->alg, true));
        if (!again || jot::thumbprint(again->k) != jot::thumbprint(k->k)) std::abort();
    }
    static constexpr std::array allowed{jot::algorithm::hs256, jot::algorithm::rs256, jot::algorithm::ps256,
                                        jot::algorithm::es256, jot::algorithm::es512, jot::algorithm::eddsa};
    (void)jot::key_set_from_jwks(text, allowed);
    return 0;
}
