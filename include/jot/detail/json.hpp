// SPDX-License-Identifier: MIT
// Strict JSON for JOSE: valid UTF-8, no duplicate member names, bounded depth, finite numbers only.
#pragma once

#include <array>        // std::array
#include <bit>          // std::countr_zero, std::endian
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include "../error.hpp"

namespace jot::inline v0::detail {

/// A member name of up to four bytes as one number (its length included, so that "aud" and an escaped
/// "aud\u0000" differ), to compare names without calling memcmp; longer names are 0.
[[nodiscard]] constexpr std::uint64_t short_name(std::string_view n) noexcept {
    if (n.empty() || n.size() > 4) return 0;
    std::uint64_t v = std::uint64_t{n.size()} << 32;
    for (std::size_t i = 0; i < n.size(); ++i)
        v |= std::uint64_t{static_cast<unsigned char>(n[i])} << (8 * i);
    return v;
}

// Bytes that may stand in a JSON string as they are: all but '"', '\\' and control characters.
inline constexpr std::array<bool, 256> plain_string_byte = [] {
    std::array<bool, 256> t{};
    for (std::size_t c = 0x20; c < 256; ++c) t[c] = c != '"' && c != '\\';
    return t;
}();

/// The length of the leading run of `s` that a JSON string holds as it is: no '"', '\\' or control
/// character, and, if AsciiOnly, no byte above 0x7f. Eight bytes per step.
template <bool AsciiOnly>
[[nodiscard]] inline std::size_t plain_string_run(std::string_view s) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    const auto has_zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t x;
        std::memcpy(&x, s.data() + i, 8);
        std::uint64_t stop = ((x - ones * 0x20) & ~x & highs) | has_zero_byte(x ^ (ones * '"')) |
                             has_zero_byte(x ^ (ones * '\\'));
        if (AsciiOnly) stop |= x & highs;
        if (stop) {
            // The lowest flagged byte is exact (a borrow only flags bytes above a true stop), so on a
            // little-endian machine it is the end of the run; elsewhere the byte loop below finds it.
            if constexpr (std::endian::native == std::endian::little)
                return i + static_cast<std::size_t>(std::countr_zero(stop)) / 8;
            break;
        }
    }
    while (i < s.size() && plain_string_byte[static_cast<unsigned char>(s[i])] &&
           (!AsciiOnly || static_cast<unsigned char>(s[i]) < 0x80))
        ++i;
    return i;
}

/// The size of the UTF-8 sequence that starts with the byte at `p` (at least 0x80), or 0 if it is not well
/// formed (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) or runs past `end`.
[[nodiscard]] inline std::size_t utf8_sequence_size(const unsigned char* p,
                                                    const unsigned char* end) noexcept {
    const unsigned char c = *p;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (static_cast<std::size_t>(end - p) <= n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (std::size_t i = 2; i <= n; ++i)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n + 1;
}

/// True if `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
[[nodiscard]] inline bool valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        if (end - p >= 8) {
            std::uint64_t chunk;
            std::memcpy(&chunk, p, 8);
            if ((chunk & 0x8080808080808080ULL) == 0) {
                p += 8;
                continue;
            }
        }
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const std::size_t n = utf8_sequence_size(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

/// Builds an nlohmann::json while refusing what JOSE forbids; records the first violation.
class strict_json_builder {
public:
    using json = nlohmann::json;

    strict_json_builder(json& root, std::size_t max_depth) : root_(root), max_depth_(max_depth) {}

    bool null() { return put(nullptr); }
    bool boolean(bool v) { return put(v); }
    bool number_integer(json::number_integer_t v) { return put(v); }
    bool number_unsigned(json::number_unsigned_t v) { return put(v); }
    bool number_float(json::number_float_t v, const json::string_t&) { return put(v); }
    bool string(json::string_t& v) { return put(std::move(v)); }
    bool binary(json::binary_t&) { return fail(errc::json_invalid); }

    bool start_object(std::size_t) {
        if (stack_.size() >= max_depth_) return fail(errc::json_too_deep);
        json* j = place(json::value_t::object);
        stack_.push_back(j);
        return true;
    }
    bool key(json::string_t& k) {
        auto& obj = stack_.back()->get_ref<json::object_t&>();
        auto [it, inserted] = obj.try_emplace(std::move(k));
        if (!inserted) return fail(errc::json_duplicate_member);  // RFC 7515 §5.2 step 4, RFC 8725 §3.2
        member_ = &it->second;
        return true;
    }
    bool end_object() {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) {
        if (stack_.size() >= max_depth_) return fail(errc::json_too_deep);
        json* j = place(json::value_t::array);
        stack_.push_back(j);
        return true;
    }
    bool end_array() {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
        // nlohmann reports a number that overflows a double as out_of_range.406.
        return fail(ex.id == 406 ? errc::json_number_out_of_range : errc::json_invalid);
    }

    [[nodiscard]] errc error() const noexcept { return error_; }

private:
    bool fail(errc e) {
        if (error_ == errc{}) error_ = e;
        return false;
    }
    template <class V>
    json* place(V&& v) {
        if (stack_.empty()) {
            root_ = json(std::forward<V>(v));
            return &root_;
        }
        json* top = stack_.back();
        if (top->is_array()) {
            auto& arr = top->get_ref<json::array_t&>();
            arr.emplace_back(std::forward<V>(v));
            return &arr.back();
        }
        *member_ = json(std::forward<V>(v));
        return member_;
    }
    template <class V>
    bool put(V&& v) {
        place(std::forward<V>(v));
        return true;
    }

    json& root_;
    std::size_t max_depth_;
    std::vector<json*> stack_;
    json* member_ = nullptr;
    errc error_{};
};

/// Parses `text` as strict JSON into `out`. Never throws for bad input.
[[nodiscard]] inline result<void> parse_strict_json(std::string_view text, nlohmann::json& out,
                                                    std::size_t max_depth) {
    if (!valid_utf8(text)) return errc::json_invalid_utf8;
    strict_json_builder builder(out, max_depth);
    bool ok = false;
    try {
        ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder,
                                       nlohmann::json::input_format_t::json, true);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (...) {
        return errc::json_invalid;
    }
    // nlohmann stops at a NUL byte as if the input ended there, which would hide what follows it. A raw
    // NUL is never valid JSON (RFC 8259 §7: control characters are escaped even inside strings).
    if (ok)
        return text.find('\0') == std::string_view::npos ? result<void>{} : result<void>{errc::json_invalid};
    return builder.error() == errc{} ? errc::json_invalid : builder.error();
}

}  // namespace jot::inline v0::detail
