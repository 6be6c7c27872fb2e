// SPDX-License-Identifier: MIT
// A strict, allocation-light JSON scanner for the verification hot path: validates a whole document
// (RFC 8259 grammar, UTF-8, no duplicate names at any depth, bounded depth, finite numbers) and reports
// the top-level members of an object, or the elements of an array, without building a DOM.
#pragma once

#include <algorithm>    // std::min
#include <charconv>     // std::from_chars
#include <cmath>        // std::isfinite
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t
#include <cstring>      // std::memcpy
#include <memory>       // std::unique_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "../error.hpp"
#include "json.hpp"

namespace jot::inline v0::detail {

/// The kind and raw text of a scanned JSON value.
struct json_value_view {
    enum class kind { null, boolean, number, string, array, object };
    kind type = kind::null;
    std::string_view raw;  // the value's exact text (strings with their quotes)
    bool escaped = false;  // strings: true if the text holds escape sequences
};

/// The decoded text of a string value (quotes removed, escapes resolved). The scanner has validated it.
[[nodiscard]] inline std::string decode_json_string(const json_value_view& v) {
    const std::string_view s = v.raw.substr(1, v.raw.size() - 2);
    if (!v.escaped) return std::string(s);
    std::string out;
    out.reserve(s.size());
    const auto hex = [](char c) -> std::uint32_t {
        return static_cast<std::uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    };
    const auto put = [&out](std::uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
            out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out.push_back(s[i]);
            continue;
        }
        const char e = s[++i];
        switch (e) {
            case 'b':
                out.push_back('\b');
                break;
            case 'f':
                out.push_back('\f');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'u': {
                std::uint32_t cp =
                    (hex(s[i + 1]) << 12) | (hex(s[i + 2]) << 8) | (hex(s[i + 3]) << 4) | hex(s[i + 4]);
                i += 4;
                if (cp >= 0xd800 && cp <= 0xdbff) {  // the scanner guarantees a low surrogate follows
                    const std::uint32_t lo =
                        (hex(s[i + 3]) << 12) | (hex(s[i + 4]) << 8) | (hex(s[i + 5]) << 4) | hex(s[i + 6]);
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
                put(cp);
                break;
            }
            default:
                out.push_back(e);
                break;  // '"', '\\', '/'
        }
    }
    return out;
}

/// The numeric value of a scanned number.
[[nodiscard]] inline double json_number(const json_value_view& v) noexcept {
    if (v.raw.size() <= 15) {  // a plain integer below 10^15 is exact in a double: no parser needed
        std::uint64_t n = 0;
        bool digits = true;
        for (const char c : v.raw) {
            digits = digits && c >= '0' && c <= '9';
            n = n * 10 + static_cast<std::uint64_t>(static_cast<unsigned char>(c) - '0');
        }
        if (digits) return static_cast<double>(n);
    }
    double d = 0;
    std::from_chars(v.raw.data(), v.raw.data() + v.raw.size(), d);
    return d;
}

/// Validates `text` as one JSON object and calls `on_member(name, value)` for each top-level member,
/// with the member's decoded name. Stops at the first violation and returns its errc.
class json_scanner {
    // The member names seen so far, kept inline for typical documents so that scanning does not allocate.
    class name_stack {
    public:
        [[nodiscard]] std::size_t size() const noexcept { return size_; }
        [[nodiscard]] std::string_view operator[](std::size_t i) const noexcept {
            if (i >= inline_capacity) return spill_[i - inline_capacity];
            return {inline_[i].data, inline_[i].size};
        }
        void push_back(std::string_view v) {
            if (size_ < inline_capacity)
                inline_[size_] = {v.data(), v.size()};
            else
                spill_.push_back(v);
            ++size_;
        }
        void resize(std::size_t n) {
            if (n < size_) {
                size_ = n;
                if (n <= inline_capacity)
                    spill_.clear();
                else
                    spill_.resize(n - inline_capacity);
            }
        }

    private:
        // Plain pointer and size, so that the inline array is left unset until used: a scanner is made for
        // every token, and zeroing 32 views cost more than scanning a small one.
        struct name_ref {
            const char* data;
            std::size_t size;
        };
        static constexpr std::size_t inline_capacity = 32;
        name_ref inline_[inline_capacity];  // NOLINT(*-avoid-c-arrays,*-member-init): [0, size_) are set
        std::vector<std::string_view> spill_;
        std::size_t size_ = 0;
    };

public:
    json_scanner(std::string_view text, std::size_t max_depth) noexcept
        : text_(text), max_depth_(max_depth) {}

    template <class OnMember>
    [[nodiscard]] errc scan_object(OnMember&& on_member) {
        return whole_document('{', errc::payload_invalid, [&] { return object(0, &on_member); });
    }

    /// Validates `text` as one JSON array and calls `on_element(value)` for each element, in order. For the
    /// elements of an array value that scan_object reported; not a DOM, so nothing is allocated.
    template <class OnElement>
    [[nodiscard]] errc scan_array(OnElement&& on_element) {
        return whole_document('[', errc::json_invalid, [&] { return array(0, &on_element); });
    }

private:
    struct no_callback {
        void operator()(std::string_view, const json_value_view&) const noexcept {}
        void operator()(const json_value_view&) const noexcept {}
    };

    // The whole text as one value that starts with `open` (else `not_open`), read by `scan`, with nothing but
    // white space around it. Strings check their UTF-8 as they are scanned, and any other byte above 0x7f is
    // a syntax error, so a document that scans is UTF-8. A failing one is json_invalid_utf8 if it is not
    // UTF-8 anywhere, whatever failed first: the same answer as checking the whole text before scanning,
    // without a second pass.
    template <class Scan>
    errc whole_document(char open, errc not_open, Scan&& scan) {
        const errc e = [&] {
            skip_ws();
            if (pos_ >= text_.size() || text_[pos_] != open) return not_open;
            if (const errc inner = scan(); inner != errc{}) return inner;
            skip_ws();
            return pos_ == text_.size() ? errc{} : errc::json_invalid;
        }();
        if (e != errc{} && e != errc::json_invalid_utf8 && !valid_utf8(text_)) return errc::json_invalid_utf8;
        return e;
    }

    // Views of text_ between positions the scanner has reached, so always in range: no checks needed.
    [[nodiscard]] std::string_view tail(std::size_t from) const noexcept {
        return {text_.data() + from, text_.size() - from};
    }
    [[nodiscard]] std::string_view slice(std::size_t from, std::size_t to) const noexcept {
        return {text_.data() + from, to - from};
    }

    void skip_ws() noexcept {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            ++pos_;
        }
    }

    // One of 64 bits for a member name, from its length and first and last bytes: equal names get the same.
    static std::uint64_t name_mark(std::string_view n) noexcept {
        const std::size_t ends =
            n.empty() ? 0 : static_cast<unsigned char>(n.front()) * 7u + static_cast<unsigned char>(n.back());
        return std::uint64_t{1} << ((n.size() * 13 + ends) & 63);
    }

    static bool is_hex(char c) noexcept {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // A string starting at pos_ ('"'); sets `escaped`.
    errc string(bool& escaped) noexcept {
        ++pos_;
        escaped = false;
        while (pos_ < text_.size()) {
            pos_ += plain_string_run<true>(tail(pos_));
            if (pos_ >= text_.size()) break;
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                ++pos_;
                return errc{};
            }
            if (c < 0x20) return errc::json_invalid;
            if (c >= 0x80) {
                const auto* at = reinterpret_cast<const unsigned char*>(text_.data()) + pos_;
                const std::size_t n = utf8_sequence_size(
                    at, reinterpret_cast<const unsigned char*>(text_.data()) + text_.size());
                if (n == 0) return errc::json_invalid_utf8;
                pos_ += n;
                continue;
            }
            if (c != '\\') {
                ++pos_;
                continue;
            }
            escaped = true;
            if (pos_ + 1 >= text_.size()) return errc::json_invalid;
            const char e = text_[pos_ + 1];
            if (e == 'u') {
                const auto unit = [this](std::size_t at, std::uint32_t& v) {
                    if (at + 6 > text_.size() || text_[at] != '\\' || text_[at + 1] != 'u') return false;
                    v = 0;
                    for (std::size_t k = at + 2; k < at + 6; ++k) {
                        if (!is_hex(text_[k])) return false;
                        const char h = text_[k];
                        v = v * 16 + static_cast<std::uint32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
                    }
                    return true;
                };
                std::uint32_t cp = 0;
                if (!unit(pos_, cp)) return errc::json_invalid;
                pos_ += 6;
                if (cp >= 0xdc00 && cp <= 0xdfff) return errc::json_invalid;  // lone low surrogate
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    std::uint32_t lo = 0;
                    if (!unit(pos_, lo) || lo < 0xdc00 || lo > 0xdfff) return errc::json_invalid;
                    pos_ += 6;
                }
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
                return errc::json_invalid;
            pos_ += 2;
        }
        return errc::json_invalid;
    }

    errc number() noexcept {
        const std::size_t start = pos_;
        const auto digits = [this] {
            const std::size_t s = pos_;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
            return pos_ > s;
        };
        if (text_[pos_] == '-') ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '0') {
            ++pos_;
        } else if (!digits()) {
            return errc::json_invalid;
        }
        bool is_float = false;
        if (pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            if (!digits()) return errc::json_invalid;
            is_float = true;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
            if (!digits()) return errc::json_invalid;
            is_float = true;
        }
        if (is_float || pos_ - start > 15) {
            double d = 0;
            const std::string_view num = text_.substr(start, pos_ - start);
            const auto r = std::from_chars(num.data(), num.data() + num.size(), d);
            if (r.ec == std::errc::result_out_of_range ? overflows(num) : !std::isfinite(d))
                return errc::json_number_out_of_range;
        }
        return errc{};
    }

    // For a number out of double's range: true if it is too large (JOSE refuses it), false if it merely
    // underflows to zero (accepted, as by other JSON parsers). Decided by its decimal magnitude.
    static bool overflows(std::string_view num) noexcept {
        const auto e = num.find_first_of("eE");
        const std::string_view mantissa = num.substr(0, e);
        long long exponent = 0;
        if (e != std::string_view::npos) {
            std::string_view ex = num.substr(e + 1);
            const bool negative = !ex.empty() && ex[0] == '-';
            if (!ex.empty() && (ex[0] == '-' || ex[0] == '+')) ex.remove_prefix(1);
            for (const char c : ex) exponent = std::min(exponent * 10 + (c - '0'), 100000LL);
            if (negative) exponent = -exponent;
        }
        const auto dot = mantissa.find('.');
        std::string_view whole = mantissa.substr(0, dot);
        if (!whole.empty() && whole[0] == '-') whole.remove_prefix(1);
        const auto first = whole.find_first_not_of('0');
        long long magnitude = 0;
        if (first != std::string_view::npos) {
            magnitude = static_cast<long long>(whole.size() - first) - 1;
        } else if (dot != std::string_view::npos) {
            const std::string_view fraction = mantissa.substr(dot + 1);
            const auto nz = fraction.find_first_not_of('0');
            magnitude = nz == std::string_view::npos ? -100000LL : -static_cast<long long>(nz) - 1;
        }
        return magnitude + exponent > 0;
    }

    errc literal(std::string_view word) noexcept {
        if (text_.substr(pos_, word.size()) != word) return errc::json_invalid;
        pos_ += word.size();
        return errc{};
    }

    errc value(std::size_t depth, json_value_view& out) {
        skip_ws();
        if (pos_ >= text_.size()) return errc::json_invalid;
        const std::size_t start = pos_;
        errc e{};
        switch (text_[pos_]) {
            case '{':
                out.type = json_value_view::kind::object;
                e = object(depth + 1, static_cast<no_callback*>(nullptr));
                break;
            case '[':
                out.type = json_value_view::kind::array;
                e = array(depth + 1, static_cast<no_callback*>(nullptr));
                break;
            case '"':
                out.type = json_value_view::kind::string;
                e = string(out.escaped);
                break;
            case 't':
                out.type = json_value_view::kind::boolean;
                e = literal("true");
                break;
            case 'f':
                out.type = json_value_view::kind::boolean;
                e = literal("false");
                break;
            case 'n':
                out.type = json_value_view::kind::null;
                e = literal("null");
                break;
            default:
                out.type = json_value_view::kind::number;
                e = (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) ? number()
                                                                                       : errc::json_invalid;
                break;
        }
        out.raw = slice(start, pos_);
        return e;
    }

    template <class OnElement>
    errc array(std::size_t depth, OnElement* on_element) {
        if (depth >= max_depth_) return errc::json_too_deep;
        ++pos_;
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == ']') {
            ++pos_;
            return errc{};
        }
        for (;;) {
            json_value_view v;
            if (const errc e = value(depth, v); e != errc{}) return e;
            if (on_element) (*on_element)(v);
            skip_ws();
            if (pos_ >= text_.size()) return errc::json_invalid;
            if (text_[pos_] == ']') {
                ++pos_;
                return errc{};
            }
            if (text_[pos_] != ',') return errc::json_invalid;
            ++pos_;
        }
    }

    template <class OnMember>
    errc object(std::size_t depth, OnMember* on_member) {
        if (depth >= max_depth_) return errc::json_too_deep;
        ++pos_;
        const std::size_t names_start = names_.size();
        const std::size_t decoded_start = decoded_names_.size();
        const auto done = [&](errc e) {
            names_.resize(names_start);
            decoded_names_.resize(decoded_start);
            return e;
        };
        skip_ws();
        if (pos_ < text_.size() && text_[pos_] == '}') {
            ++pos_;
            return errc{};
        }
        std::uint64_t marks = 0;  // the name_mark bits of this object's names
        for (;;) {
            skip_ws();
            if (pos_ >= text_.size() || text_[pos_] != '"') return done(errc::json_invalid);
            json_value_view name{json_value_view::kind::string, {}, false};
            const std::size_t name_start = pos_;
            if (const errc e = string(name.escaped); e != errc{}) return done(e);
            name.raw = slice(name_start, pos_);
            std::string_view key = slice(name_start + 1, pos_ - 1);
            if (name.escaped) {
                decoded_names_.push_back(std::make_unique<std::string>(decode_json_string(name)));
                key = *decoded_names_.back();
            }
            // RFC 7515 §5.2, RFC 7519 §4, RFC 8725 §3.2: duplicate names are refused, escaped or not. The
            // names of this object are compared only when one with the same length and ends came before.
            const std::uint64_t mark = name_mark(key);
            if ((marks & mark) != 0) {
                for (std::size_t i = names_start; i < names_.size(); ++i)
                    if (names_[i] == key) return done(errc::json_duplicate_member);
            }
            marks |= mark;
            names_.push_back(key);
            skip_ws();
            if (pos_ >= text_.size() || text_[pos_] != ':') return done(errc::json_invalid);
            ++pos_;
            json_value_view v;
            if (const errc e = value(depth, v); e != errc{}) return done(e);
            if (on_member) (*on_member)(key, v);
            skip_ws();
            if (pos_ >= text_.size()) return done(errc::json_invalid);
            if (text_[pos_] == '}') {
                ++pos_;
                return done(errc{});
            }
            if (text_[pos_] != ',') return done(errc::json_invalid);
            ++pos_;
        }
    }

    std::string_view text_;
    std::size_t max_depth_;
    std::size_t pos_ = 0;
    name_stack names_;                                         // names of every open object, innermost last
    std::vector<std::unique_ptr<std::string>> decoded_names_;  // names that held escapes
};

}  // namespace jot::inline v0::detail
