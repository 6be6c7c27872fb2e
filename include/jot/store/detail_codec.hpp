// SPDX-License-Identifier: MIT
// Not API: how the persistent stores write times and numbers (integer microseconds, strict decimal text).
#pragma once

#include <charconv>      // std::from_chars, std::to_chars
#include <chrono>        // std::chrono::microseconds, std::chrono::floor
#include <cstdint>       // std::int64_t
#include <optional>      // std::optional
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::errc
#include <type_traits>   // std::is_integral_v

#include "../clock.hpp"

namespace jot::inline v0::detail {

/// A time as whole microseconds since the epoch, rounded towards the past: exact in a 64-bit integer and
/// in a Lua number (a double) until the year 2255, and monotonic, so `a <= b` implies
/// `store_micros(a) <= store_micros(b)`.
[[nodiscard]] inline std::int64_t store_micros(time_point t) noexcept {
    return std::chrono::floor<std::chrono::microseconds>(t).time_since_epoch().count();
}

/// The time written by store_micros().
[[nodiscard]] inline time_point store_time(std::int64_t micros) noexcept {
    return time_point{std::chrono::duration_cast<time_point::duration>(std::chrono::microseconds{micros})};
}

/// A time as a store gives it back: store_time(store_micros(t)).
[[nodiscard]] inline time_point store_rounded(time_point t) noexcept {
    return store_time(store_micros(t));
}

/// Reads a whole decimal number, all of `s` and nothing else (no sign for unsigned types, no spaces).
template <class Int>
[[nodiscard]] std::optional<Int> parse_decimal(std::string_view s) noexcept {
    static_assert(std::is_integral_v<Int>);
    Int v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

/// A number as decimal text.
template <class Int>
[[nodiscard]] std::string decimal(Int v) {
    static_assert(std::is_integral_v<Int>);
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

}  // namespace jot::inline v0::detail
