// SPDX-License-Identifier: MIT
// Strict, canonical base64url (RFC 4648 §5) without padding, as JWS requires (RFC 7515 §2).
#pragma once

#include <array>        // std::array
#include <cstddef>      // std::byte, std::size_t
#include <cstdint>      // std::uint8_t, std::uint32_t
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "error.hpp"

namespace jot::inline v0 {

namespace detail {

inline constexpr char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
inline constexpr std::uint8_t base64url_invalid = 0xff;

inline constexpr std::array<std::uint8_t, 256> base64url_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = base64url_invalid;
    for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(base64url_alphabet[i])] = i;
    return t;
}();

}  // namespace detail

/// Length of the unpadded base64url text for n bytes.
[[nodiscard]] constexpr std::size_t base64url_encoded_size(std::size_t n) noexcept {
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/// Appends the base64url text of `in` to `out`. Thread-safe.
inline void base64url_encode_append(std::string& out, std::string_view in) {
    const std::size_t start = out.size();
    out.resize(start + base64url_encoded_size(in.size()));
    char* o = out.data() + start;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t i = 0;
    const auto& a = detail::base64url_alphabet;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
        *o++ = a[(v >> 18) & 63];
        *o++ = a[(v >> 12) & 63];
        *o++ = a[(v >> 6) & 63];
        *o++ = a[v & 63];
    }
    if (const std::size_t rest = in.size() - i; rest == 1) {
        const std::uint32_t v = std::uint32_t{p[i]} << 16;
        *o++ = a[(v >> 18) & 63];
        *o++ = a[(v >> 12) & 63];
    } else if (rest == 2) {
        const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
        *o++ = a[(v >> 18) & 63];
        *o++ = a[(v >> 12) & 63];
        *o++ = a[(v >> 6) & 63];
    }
}

/// The base64url text of `in`, unpadded. Thread-safe.
[[nodiscard]] inline std::string base64url_encode(std::string_view in) {
    std::string out;
    base64url_encode_append(out, in);
    return out;
}

/// The base64url text of `in`, unpadded. Thread-safe.
[[nodiscard]] inline std::string base64url_encode(std::span<const std::byte> in) {
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()));
}

/// Decodes `in` into `out` (replacing its contents, reusing its capacity). Rejects padding, characters
/// outside the URL-safe alphabet, impossible lengths and non-zero trailing bits, so that every byte string
/// has exactly one accepted encoding. Returns false on any of those; `out` is then unspecified.
[[nodiscard]] inline bool base64url_decode_into(std::string& out, std::string_view in) {
    if (in.size() % 4 == 1) return false;
    out.resize(in.size() / 4 * 3 + (in.size() % 4 == 0 ? 0 : in.size() % 4 - 1));
    const auto& t = detail::base64url_table;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    char* o = out.data();
    std::size_t i = 0;
    for (; i + 4 <= in.size(); i += 4) {
        const std::uint32_t a = t[p[i]], b = t[p[i + 1]], c = t[p[i + 2]], d = t[p[i + 3]];
        if ((a | b | c | d) & 0xc0) return false;
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        *o++ = static_cast<char>(v >> 16);
        *o++ = static_cast<char>((v >> 8) & 0xff);
        *o++ = static_cast<char>(v & 0xff);
    }
    if (const std::size_t rest = in.size() - i; rest == 2) {
        const std::uint32_t a = t[p[i]], b = t[p[i + 1]];
        if (((a | b) & 0xc0) || (b & 0x0f)) return false;
        *o++ = static_cast<char>((a << 2) | (b >> 4));
    } else if (rest == 3) {
        const std::uint32_t a = t[p[i]], b = t[p[i + 1]], c = t[p[i + 2]];
        if (((a | b | c) & 0xc0) || (c & 0x03)) return false;
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6);
        *o++ = static_cast<char>(v >> 16);
        *o++ = static_cast<char>((v >> 8) & 0xff);
    }
    return true;
}

/// The bytes that `in` encodes, or errc::base64_invalid. Thread-safe.
[[nodiscard]] inline result<std::string> base64url_decode(std::string_view in) {
    std::string out;
    if (!base64url_decode_into(out, in)) return errc::base64_invalid;
    return out;
}

}  // namespace jot::inline v0
