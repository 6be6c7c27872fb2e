// SPDX-License-Identifier: MIT
// Fuzz target: base64url decoding is strict and canonical, so decode then encode gives back the input.
#include <jot/base64url.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto decoded = jot::base64url_decode(text);
    if (decoded && jot::base64url_encode(*decoded) != text) std::abort();
    if (jot::base64url_decode(jot::base64url_encode(text)).value() != text) std::abort();
    return 0;
}
