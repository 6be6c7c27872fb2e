// SPDX-License-Identifier: MIT
// Strict, canonical base64url (RFC 4648 §5) without padding, as JWS requires (RFC 7515 §2).
#pragma once

#include <array>        // std::array
#include <cstddef>      // std::byte, std::size_t
#include <cstdint>      // std::uint8_t, std::uint32_t
#include <cstring>      // std::memcpy
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "error.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

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

// Decoding tables with each character's six bits already shifted into place for its position in a group
// of four; invalid characters set bit 24, so one comparison checks a whole group.
inline constexpr std::uint32_t base64url_bad = 0x01000000;
template <int Shift>
inline constexpr std::array<std::uint32_t, 256> base64url_shifted = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::size_t c = 0; c < 256; ++c) {
        const std::uint8_t v = base64url_table[c];
        t[c] = v == base64url_invalid ? base64url_bad : std::uint32_t{v} << Shift;
    }
    return t;
}();

// Two output characters for every 12-bit value, so a group of three bytes takes two lookups.
inline constexpr std::array<std::array<char, 2>, 4096> base64url_pairs = [] {
    std::array<std::array<char, 2>, 4096> t{};
    for (std::size_t v = 0; v < t.size(); ++v)
        t[v] = {base64url_alphabet[v >> 6], base64url_alphabet[v & 63]};
    return t;
}();

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JOT_DETAIL_BASE64URL_SSSE3 1

/// Encodes 12 bytes at a time with SSSE3 (the method of Muła and Lemire, "Faster Base64 Encoding and
/// Decoding using AVX2 Instructions", 2018), while at least 16 bytes can be read; returns how many bytes it
/// encoded (a multiple of 12), writing four characters per three bytes to `out`.
__attribute__((target("ssse3"))) inline std::size_t base64url_encode_ssse3(const unsigned char* in,
                                                                           std::size_t n,
                                                                           char* out) noexcept {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 12, out += 16) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
        // Each 32-bit lane gets the three bytes of one group, in the order the multiplies below expect.
        v = _mm_shuffle_epi8(v, _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1));
        const __m128i hi =
            _mm_mulhi_epu16(_mm_and_si128(v, _mm_set1_epi32(0x0fc0fc00)), _mm_set1_epi32(0x04000040));
        const __m128i lo =
            _mm_mullo_epi16(_mm_and_si128(v, _mm_set1_epi32(0x003f03f0)), _mm_set1_epi32(0x01000010));
        const __m128i sextets = _mm_or_si128(hi, lo);  // one 6-bit value per byte
        // The alphabet as an offset per range: 0-25 'A', 26-51 'a', 52-61 '0', 62 '-', 63 '_'.
        __m128i range = _mm_subs_epu8(sextets, _mm_set1_epi8(51));
        const __m128i below_26 = _mm_cmpgt_epi8(_mm_set1_epi8(26), sextets);
        range = _mm_or_si128(range, _mm_and_si128(below_26, _mm_set1_epi8(13)));
        const __m128i offsets =
            _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                          '0' - 52, '0' - 52, '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0);
        const __m128i text = _mm_add_epi8(_mm_shuffle_epi8(offsets, range), sextets);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), text);
    }
    return i;
}

[[nodiscard]] inline bool cpu_has_ssse3() noexcept {
    static const bool has = __builtin_cpu_supports("ssse3");
    return has;
}
#endif

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
#ifdef JOT_DETAIL_BASE64URL_SSSE3
    if (in.size() >= 16 && detail::cpu_has_ssse3()) {
        i = detail::base64url_encode_ssse3(p, in.size(), o);
        o += i / 3 * 4;
    }
#endif
    const auto& a = detail::base64url_alphabet;
    const auto& pairs = detail::base64url_pairs;
    for (; i + 3 <= in.size(); i += 3, o += 4) {
        const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
        std::memcpy(o, pairs[v >> 12].data(), 2);
        std::memcpy(o + 2, pairs[v & 0xfff].data(), 2);
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

/// The number of bytes a base64url text of `n` characters decodes to; n % 4 == 1 is no such text.
[[nodiscard]] constexpr std::size_t base64url_decoded_size(std::size_t n) noexcept {
    return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

namespace detail {

/// Decodes `in` to `out`, which has room for base64url_decoded_size(in.size()) + 1 bytes: each group of
/// four characters is stored as one 32-bit word. Rejects what base64url_decode_into rejects.
[[nodiscard]] inline bool base64url_decode_raw(std::string_view in, char* out) noexcept {
    if (in.size() % 4 == 1) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    char* o = out;
    const auto& d0 = base64url_shifted<18>;
    const auto& d1 = base64url_shifted<12>;
    const auto& d2 = base64url_shifted<6>;
    const auto& d3 = base64url_shifted<0>;
    std::size_t i = 0;
    for (; i + 4 <= in.size(); i += 4, o += 3) {
        const std::uint32_t v = d0[p[i]] | d1[p[i + 1]] | d2[p[i + 2]] | d3[p[i + 3]];
        if (v >= base64url_bad) return false;
        const unsigned char bytes[4] = {static_cast<unsigned char>(v >> 16),
                                        static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v), 0};
        std::memcpy(o, bytes, 4);
    }
    if (const std::size_t rest = in.size() - i; rest == 2) {
        const std::uint32_t v = d0[p[i]] | d1[p[i + 1]];
        if (v >= base64url_bad || (v & 0xffff)) return false;  // non-zero trailing bits
        *o = static_cast<char>(v >> 16);
    } else if (rest == 3) {
        const std::uint32_t v = d0[p[i]] | d1[p[i + 1]] | d2[p[i + 2]];
        if (v >= base64url_bad || (v & 0xff)) return false;
        o[0] = static_cast<char>(v >> 16);
        o[1] = static_cast<char>((v >> 8) & 0xff);
    }
    return true;
}

}  // namespace detail

/// Decodes `in` into `out` (replacing its contents, reusing its capacity). Rejects padding, characters
/// outside the URL-safe alphabet, impossible lengths and non-zero trailing bits, so that every byte string
/// has exactly one accepted encoding. Returns false on any of those; `out` is then unspecified.
[[nodiscard]] inline bool base64url_decode_into(std::string& out, std::string_view in) {
    if (in.size() % 4 == 1) return false;
    const std::size_t n = base64url_decoded_size(in.size());
    out.resize(n + 1);  // the spare byte of the last 32-bit store
    if (!detail::base64url_decode_raw(in, out.data())) return false;
    out.resize(n);
    return true;
}

/// The bytes that `in` encodes, or errc::base64_invalid. Thread-safe.
[[nodiscard]] inline result<std::string> base64url_decode(std::string_view in) {
    std::string out;
    if (!base64url_decode_into(out, in)) return errc::base64_invalid;
    return out;
}

}  // namespace jot::inline v0
