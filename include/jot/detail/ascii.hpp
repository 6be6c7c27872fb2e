// SPDX-License-Identifier: MIT
// ASCII case folding, for the names that JOSE, HTTP and URIs compare without regard to case.
#pragma once

#include <cstddef>      // std::size_t
#include <string_view>  // std::string_view

namespace jot::inline v0::detail {

/// `c` in lower case if it is an ASCII capital letter; any other byte as it is.
[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Whether `a` and `b` are equal when ASCII letters are folded to lower case.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

}  // namespace jot::inline v0::detail
