// SPDX-License-Identifier: MIT
// Compact JSON text for the signing hot path, written straight into the caller's buffer. Same output
// rules as nlohmann's dump() (members in the object's order, floats that stay floats, NaN as null), but
// invalid UTF-8 is an error value rather than an exception, and nothing is allocated beyond the output.
#pragma once

#include <charconv>      // std::to_chars
#include <cmath>         // std::isfinite
#include <cstdint>       // std::int64_t
#include <cstring>       // std::memcpy
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::errc

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "json.hpp"

namespace jot::inline v0::detail {

/// Appends `s` as a quoted JSON string. json_invalid_utf8 if `s` is not UTF-8.
[[nodiscard]] inline errc append_json_string(std::string& out, std::string_view s) {
    const std::size_t plain = plain_string_run<true>(s);
    if (plain == s.size()) {  // the common case, in one call: quotes around a copy
        const std::size_t at = out.size();
        out.append(s.size() + 2, '"');
        std::memcpy(out.data() + at + 1, s.data(), s.size());
        return errc{};
    }
    if (!valid_utf8(s.substr(plain))) return errc::json_invalid_utf8;
    out += '"';
    std::size_t run = 0;
    for (std::size_t i = plain; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (plain_string_byte[c]) continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default: {
                constexpr std::string_view hex = "0123456789abcdef";
                const char escape[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                out.append(escape, sizeof escape);
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
    return errc{};
}

/// Appends an integer in decimal.
template <class Integer>
void append_json_integer(std::string& out, Integer v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

/// Appends a double in its shortest round-trip form, marked as a float (".0") when it looks integral.
inline void append_json_float(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

/// Appends `j` as compact JSON. json_invalid_utf8 for a string that is not UTF-8; payload_invalid for
/// values JSON cannot hold (binary, discarded).
[[nodiscard]] inline errc append_json(std::string& out, const nlohmann::json& j) {
    using value_t = nlohmann::json::value_t;
    switch (j.type()) {
        case value_t::null:
            out += "null";
            return errc{};
        case value_t::boolean:
            out += j.get<bool>() ? "true" : "false";
            return errc{};
        case value_t::number_integer:
            append_json_integer(out, j.get<std::int64_t>());
            return errc{};
        case value_t::number_unsigned:
            append_json_integer(out, j.get<std::uint64_t>());
            return errc{};
        case value_t::number_float:
            append_json_float(out, j.get<double>());
            return errc{};
        case value_t::string:
            return append_json_string(out, j.get_ref<const std::string&>());
        case value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& v : j) {
                if (!first) out += ',';
                first = false;
                if (const errc e = append_json(out, v); e != errc{}) return e;
            }
            out += ']';
            return errc{};
        }
        case value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [name, v] : j.get_ref<const nlohmann::json::object_t&>()) {
                if (plain_string_run<true>(name) == name.size()) {  // the common case: ,"name": in one write
                    const std::size_t at = out.size();
                    out.append(name.size() + (first ? 3 : 4), '"');
                    char* w = out.data() + at;
                    if (!first) *w++ = ',';
                    name.copy(w + 1, name.size());
                    w[name.size() + 2] = ':';
                } else {
                    if (!first) out += ',';
                    if (const errc e = append_json_string(out, name); e != errc{}) return e;
                    out += ':';
                }
                first = false;
                if (const errc e = append_json(out, v); e != errc{}) return e;
            }
            out += '}';
            return errc{};
        }
        case value_t::binary:
        case value_t::discarded:
            break;
    }
    return errc::payload_invalid;
}

}  // namespace jot::inline v0::detail
