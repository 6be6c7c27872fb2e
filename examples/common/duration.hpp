// SPDX-License-Identifier: MIT
// Durations written like "30s", "15m", "2h", "14d" for the example servers' flags and environment.
#pragma once

#include <chrono>       // std::chrono::seconds
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace jot_examples {

/// Parses a whole number followed by one unit: s, m, h or d. "0s" is allowed (callers decide whether zero
/// makes sense). Anything else, or more than ten years, is nullopt.
[[nodiscard]] inline std::optional<std::chrono::seconds> parse_duration(std::string_view s) noexcept {
    if (s.size() < 2 || s.size() > 12) return std::nullopt;
    std::chrono::seconds::rep unit = 0;
    switch (s.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return std::nullopt;
    }
    std::chrono::seconds::rep n = 0;
    for (const char c : s.substr(0, s.size() - 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
        if (n > 10LL * 366 * 86400) return std::nullopt;
    }
    if (n * unit > 10LL * 366 * 86400) return std::nullopt;
    return std::chrono::seconds{n * unit};
}

/// The shortest exact spelling of `d` in the units parse_duration reads, e.g. 900s -> "15m".
[[nodiscard]] inline std::string format_duration(std::chrono::seconds d) {
    const auto n = d.count();
    if (n != 0 && n % 86400 == 0) return std::to_string(n / 86400) + "d";
    if (n != 0 && n % 3600 == 0) return std::to_string(n / 3600) + "h";
    if (n != 0 && n % 60 == 0) return std::to_string(n / 60) + "m";
    return std::to_string(n) + "s";
}

}  // namespace jot_examples
