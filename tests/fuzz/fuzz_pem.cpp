// SPDX-License-Identifier: MIT
// Fuzz target: PEM and DER key loading never crashes, and a key that loads can sign or verify.
#include <jot/jws.hpp>
#include <jot/key.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const auto& k :
         {jot::key::from_pem(text), jot::key::from_der(std::as_bytes(std::span(data, size)))}) {
        if (!k) continue;
        for (const auto& t : jot::all_algorithms) {
            if (!k->fits(t.id, jot::key_use::verify)) continue;
            if (k->is_private()) (void)jot::sign_jws_with(*k, t.id, "x");
            (void)jot::verify_jws_with(*k, t.id, "eyJhbGciOiJub25lIn0.e30.AAAA", {});
        }
    }
    return 0;
}
