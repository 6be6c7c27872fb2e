// SPDX-License-Identifier: MIT
// Conversion between JWS ECDSA signatures (R || S, RFC 7518 §3.4) and DER, without BIGNUM.
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace jot::inline v0::crypto {

namespace detail {

inline void append_der_integer(std::string& out, std::string_view be) {
    std::size_t skip = 0;
    while (skip + 1 < be.size() && be[skip] == 0) ++skip;
    be.remove_prefix(skip);
    const bool pad = (static_cast<std::uint8_t>(be[0]) & 0x80) != 0;
    out.push_back(0x02);
    out.push_back(static_cast<char>(be.size() + (pad ? 1 : 0)));
    if (pad) out.push_back(0);
    out.append(be);
}

// Reads one DER length; false unless it is the minimal encoding and fits in `in`.
inline bool read_der_length(std::string_view& in, std::size_t& len) {
    if (in.empty()) return false;
    const auto first = static_cast<std::uint8_t>(in[0]);
    in.remove_prefix(1);
    if (first < 0x80) {
        len = first;
    } else if (first == 0x81) {
        if (in.empty()) return false;
        len = static_cast<std::uint8_t>(in[0]);
        in.remove_prefix(1);
        if (len < 0x80) return false;
    } else {
        return false;  // no ECDSA signature up to P-521 needs more than one length byte
    }
    return len <= in.size();
}

// Reads one positive, minimally encoded INTEGER into `out` as exactly `width` big-endian bytes.
inline bool read_der_integer(std::string_view& in, std::size_t width, char* out) {
    std::size_t len = 0;
    if (in.empty() || in[0] != 0x02) return false;
    in.remove_prefix(1);
    if (!read_der_length(in, len) || len == 0) return false;
    std::string_view v = in.substr(0, len);
    in.remove_prefix(len);
    if (static_cast<std::uint8_t>(v[0]) & 0x80) return false;  // negative
    if (v.size() > 1 && v[0] == 0) {
        if (!(static_cast<std::uint8_t>(v[1]) & 0x80)) return false;  // not minimal
        v.remove_prefix(1);
    }
    if (v.size() > width) return false;
    for (std::size_t i = 0; i < width - v.size(); ++i) out[i] = 0;
    for (std::size_t i = 0; i < v.size(); ++i) out[width - v.size() + i] = v[i];
    return true;
}

}  // namespace detail

/// DER encoding of the ECDSA signature R || S (two halves of equal size). Empty if `raw` has odd size.
[[nodiscard]] inline std::string ecdsa_raw_to_der(std::string_view raw) {
    std::string out;
    if (raw.empty() || raw.size() % 2 != 0) return out;
    const std::size_t half = raw.size() / 2;
    std::string body;
    body.reserve(raw.size() + 6);
    detail::append_der_integer(body, raw.substr(0, half));
    detail::append_der_integer(body, raw.substr(half));
    out.reserve(body.size() + 3);
    out.push_back(0x30);
    if (body.size() >= 0x80) out.push_back(static_cast<char>(0x81));
    out.push_back(static_cast<char>(body.size()));
    out += body;
    return out;
}

/// R || S with each half `width` bytes, from a strict DER ECDSA signature; false if `der` is not one.
[[nodiscard]] inline bool ecdsa_der_to_raw(std::string_view der, std::size_t width, std::string& raw) {
    std::size_t len = 0;
    if (der.empty() || der[0] != 0x30) return false;
    der.remove_prefix(1);
    if (!detail::read_der_length(der, len) || len != der.size()) return false;
    raw.resize(2 * width);
    return detail::read_der_integer(der, width, raw.data()) &&
           detail::read_der_integer(der, width, raw.data() + width) && der.empty();
}

}  // namespace jot::inline v0::crypto
