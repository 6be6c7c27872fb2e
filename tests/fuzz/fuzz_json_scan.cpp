// SPDX-License-Identifier: MIT
// Fuzz target: the hot-path JSON scanner and the strict DOM parser must give the same verdict on any text.
#include <jot/detail/json.hpp>
#include <jot/detail/json_scan.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using jot::errc;
    errc scanned = jot::detail::json_scanner(text, 8).scan_object([](std::string_view, const auto&) {});
    nlohmann::json j;
    const auto parsed = jot::detail::parse_strict_json(text, j, 8);
    errc dom =
        parsed ? (j.is_object() ? errc{} : errc::payload_invalid) : static_cast<errc>(parsed.error().value());
    // A text that is not an object is refused by both; which fault each names first may differ.
    if (scanned == errc::payload_invalid) {
        if (dom == errc{}) std::abort();
        return 0;
    }
    if (dom == errc::payload_invalid) dom = errc::json_invalid;
    if (scanned != dom) std::abort();
    return 0;
}
