// SPDX-License-Identifier: MIT
// Fuzz target: refresh token strings from cookies and bodies; a parsed token prints back to the same text.
#include <jot/refresh_token.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto t = jot::refresh_token::parse(text); t && t->text() != text) std::abort();
    return 0;
}
