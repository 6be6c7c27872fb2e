// SPDX-License-Identifier: MIT
// JWT claims (RFC 7519 §4): NumericDate, audience as string or array, registered plus custom claims.
#pragma once

#include <algorithm>    // std::all_of
#include <array>        // std::array
#include <chrono>       // std::chrono
#include <cmath>        // std::isfinite, std::floor
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::decay_t, std::is_same_v
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include "clock.hpp"
#include "detail/json.hpp"
#include "detail/json_write.hpp"
#include "error.hpp"

namespace jot::inline v0 {

/// The claims of a token to be issued. Empty strings, empty audiences and unset times are left out.
struct claims {
    std::string issuer{};                             // iss
    std::string subject{};                            // sub
    std::vector<std::string> audience{};              // aud: a string when there is one, else an array
    std::optional<time_point> expires_at{};           // exp
    std::optional<time_point> not_before{};           // nbf
    std::optional<time_point> issued_at{};            // iat
    std::string jwt_id{};                             // jti
    nlohmann::json extra = nlohmann::json::object();  // custom claims; registered names here are overridden

    /// The JSON object of these claims. Throws setup_error if `extra` is not an object.
    [[nodiscard]] nlohmann::json to_json() const;
};

/// Seconds since the epoch as a JSON NumericDate (whole seconds).
[[nodiscard]] inline nlohmann::json to_numeric_date(time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

namespace detail {

// The registered claims (RFC 7519 §4.1) that jot reads and writes, in the order it writes them.
#define JOT_DETAIL_REGISTERED_CLAIMS(X) X(iss) X(sub) X(aud) X(exp) X(nbf) X(iat) X(jti)

/// A registered claim, named as in the JSON; also an index into registered_claim_names.
enum class registered_claim : std::uint8_t {
#define JOT_DETAIL_CLAIM_ENUMERATOR(c) c,
    JOT_DETAIL_REGISTERED_CLAIMS(JOT_DETAIL_CLAIM_ENUMERATOR)
#undef JOT_DETAIL_CLAIM_ENUMERATOR
};

/// The member names of the registered claims, indexed by registered_claim.
inline constexpr std::array registered_claim_names = {
#define JOT_DETAIL_CLAIM_NAME(c) std::string_view(#c),
    JOT_DETAIL_REGISTERED_CLAIMS(JOT_DETAIL_CLAIM_NAME)
#undef JOT_DETAIL_CLAIM_NAME
};

inline constexpr std::size_t registered_claim_count = registered_claim_names.size();

[[nodiscard]] constexpr std::size_t index_of(registered_claim c) noexcept {
    return static_cast<std::size_t>(c);
}

[[nodiscard]] constexpr std::string_view claim_name(registered_claim c) noexcept {
    return registered_claim_names[index_of(c)];
}

/// The registered claim a member name is, if any: one switch over short_name(), no string compare.
[[nodiscard]] constexpr std::optional<registered_claim> registered_claim_of(std::string_view name) noexcept {
    switch (short_name(name)) {
#define JOT_DETAIL_CLAIM_CASE(c) \
    case short_name(#c):         \
        return registered_claim::c;
        JOT_DETAIL_REGISTERED_CLAIMS(JOT_DETAIL_CLAIM_CASE)
#undef JOT_DETAIL_CLAIM_CASE
        default:
            return std::nullopt;
    }
}

#undef JOT_DETAIL_REGISTERED_CLAIMS

static_assert(std::all_of(registered_claim_names.begin(), registered_claim_names.end(),
                          [](std::string_view n) { return n.size() == 3; }),
              "append_claims_json writes registered names as three characters");

/// Calls `f(claim, value)` for each registered claim that `c` sets, in table order. The value is the
/// std::string (iss, sub, jti), the non-empty std::vector<std::string> (aud) or the time_point (exp, nbf,
/// iat). The one place that maps the members of `claims` to claim names.
template <class F>
void for_each_registered_claim(const claims& c, F&& f) {
    using r = registered_claim;
    if (!c.issuer.empty()) f(r::iss, c.issuer);
    if (!c.subject.empty()) f(r::sub, c.subject);
    if (!c.audience.empty()) f(r::aud, c.audience);
    if (c.expires_at) f(r::exp, *c.expires_at);
    if (c.not_before) f(r::nbf, *c.not_before);
    if (c.issued_at) f(r::iat, *c.issued_at);
    if (!c.jwt_id.empty()) f(r::jti, c.jwt_id);
}

}  // namespace detail

inline nlohmann::json claims::to_json() const {
    if (!extra.is_object()) throw setup_error("jot: claims::extra must be a JSON object");
    nlohmann::json j = extra;
    detail::for_each_registered_claim(*this, [&j](detail::registered_claim r, const auto& v) {
        using value = std::decay_t<decltype(v)>;
        nlohmann::json& member = j[std::string(detail::claim_name(r))];
        if constexpr (std::is_same_v<value, time_point>) {
            member = to_numeric_date(v);
        } else if constexpr (std::is_same_v<value, std::vector<std::string>>) {
            member = v.size() == 1 ? nlohmann::json(v.front()) : nlohmann::json(v);
        } else {
            member = v;
        }
    });
    return j;
}

namespace detail {

/// Appends the JSON object of `c` to `out`: the members claims::to_json() makes, registered claims first.
/// Throws setup_error if `c.extra` is not an object; json_invalid_utf8 if a string is not UTF-8.
[[nodiscard]] inline errc append_claims_json(std::string& out, const claims& c) {
    if (!c.extra.is_object()) throw setup_error("jot: claims::extra must be a JSON object");
    out += '{';
    bool first = true;
    errc e{};
    std::array<bool, registered_claim_count> set{};  // registered claims that `c` sets: `extra` loses them
    const auto name = [&](registered_claim r) {
        const std::string_view n = claim_name(r);
        const char member[] = {',', '"', n[0], n[1], n[2], '"', ':'};
        out.append(member + (first ? 1 : 0), member + sizeof member);
        first = false;
    };
    const auto text = [&](registered_claim r, const std::string& v) {
        if (v.empty() || e != errc{}) return;
        name(r);
        e = append_json_string(out, v);
    };
    for_each_registered_claim(c, [&](registered_claim r, const auto& v) {
        using value = std::decay_t<decltype(v)>;
        set[index_of(r)] = true;
        if constexpr (std::is_same_v<value, time_point>) {
            name(r);
            append_json_integer(
                out, std::chrono::duration_cast<std::chrono::seconds>(v.time_since_epoch()).count());
        } else if constexpr (std::is_same_v<value, std::vector<std::string>>) {
            if (v.size() == 1) {
                text(r, v.front());
                return;
            }
            name(r);
            out += '[';
            for (std::size_t i = 0; i < v.size() && e == errc{}; ++i) {
                if (i > 0) out += ',';
                e = append_json_string(out, v[i]);
            }
            out += ']';
        } else {
            text(r, v);
        }
    });
    for (auto it = c.extra.begin(); it != c.extra.end() && e == errc{}; ++it) {
        const std::string& n = it.key();
        if (const auto r = registered_claim_of(n); r && set[index_of(*r)]) continue;
        if (!first) out += ',';
        first = false;
        e = append_json_string(out, n);
        out += ':';
        if (e == errc{}) e = append_json(out, it.value());
    }
    out += '}';
    return e;
}

// 9999-12-31T23:59:59Z: later NumericDates are not dates, they are attacks on arithmetic.
inline constexpr double max_numeric_date = 253402300799.0;

/// Reads a NumericDate: a finite JSON number (fractions allowed) in [0, year 9999]; strings are refused.
[[nodiscard]] inline result<double> read_numeric_date(const nlohmann::json& v) noexcept {
    if (!v.is_number()) return errc::claim_invalid;
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < 0 || d > max_numeric_date) return errc::claim_invalid;
    return d;
}

[[nodiscard]] inline double seconds_since_epoch(time_point t) noexcept {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

/// A NumericDate as a time_point; dates past what time_point holds (year 2262 with nanosecond clocks)
/// become time_point::max() rather than overflow.
[[nodiscard]] inline time_point from_seconds(double s) noexcept {
    using limit = std::chrono::duration<double>;
    constexpr double latest = std::chrono::duration_cast<limit>(time_point::max().time_since_epoch()).count();
    constexpr double earliest =
        std::chrono::duration_cast<limit>(time_point::min().time_since_epoch()).count();
    if (!(s < latest - 1)) return time_point::max();  // the margin keeps rounding from overflowing
    if (!(s > earliest + 1)) return time_point::min();
    return time_point{std::chrono::duration_cast<time_point::duration>(limit(s))};
}

}  // namespace detail

/// The audience of a claims object: aud as a string or an array of strings. claim_invalid otherwise.
[[nodiscard]] inline result<std::vector<std::string>> audience_of(const nlohmann::json& claims) {
    std::vector<std::string> out;
    const auto it = claims.find("aud");
    if (it == claims.end()) return out;
    if (it->is_string()) {
        out.push_back(it->get<std::string>());
        return out;
    }
    if (!it->is_array()) return errc::claim_invalid;
    for (const auto& a : *it) {
        if (!a.is_string()) return errc::claim_invalid;
        out.push_back(a.get<std::string>());
    }
    return out;
}

}  // namespace jot::inline v0
