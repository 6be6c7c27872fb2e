// SPDX-License-Identifier: MIT
// Test support: doctest plus readable printing of jot error codes ("jot:token_expired").
#pragma once

#include <ostream>  // std::ostream, needed by doctest to print std::error_code
#include <string>
#include <system_error>

#include <doctest/doctest.h>

#include <jot/error.hpp>

namespace doctest {
template <>
struct StringMaker<std::error_code> {
    static String convert(const std::error_code& ec) {
        if (ec.category() == jot::error_category())
            return (std::string("jot:") + jot::name(static_cast<jot::errc>(ec.value()))).c_str();
        return (std::string(ec.category().name()) + ":" + std::to_string(ec.value())).c_str();
    }
};
template <>
struct StringMaker<jot::errc> {
    static String convert(jot::errc e) { return (std::string("jot:") + jot::name(e)).c_str(); }
};
}  // namespace doctest
