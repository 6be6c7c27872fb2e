// SPDX-License-Identifier: MIT
// JWT claims (RFC 7519 §4): NumericDate, audience as string or array, registered plus custom claims.
#pragma once

#include <chrono>       // std::chrono
#include <cmath>        // std::isfinite, std::floor
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include "clock.hpp"
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

inline nlohmann::json claims::to_json() const {
    if (!extra.is_object()) throw setup_error("jot: claims::extra must be a JSON object");
    nlohmann::json j = extra;
    if (!issuer.empty()) j["iss"] = issuer;
    if (!subject.empty()) j["sub"] = subject;
    if (audience.size() == 1) j["aud"] = audience.front();
    if (audience.size() > 1) j["aud"] = audience;
    if (expires_at) j["exp"] = to_numeric_date(*expires_at);
    if (not_before) j["nbf"] = to_numeric_date(*not_before);
    if (issued_at) j["iat"] = to_numeric_date(*issued_at);
    if (!jwt_id.empty()) j["jti"] = jwt_id;
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
    const auto name = [&](std::string_view n) {  // a registered name: three characters
        const char member[] = {',', '"', n[0], n[1], n[2], '"', ':'};
        out.append(member + (first ? 1 : 0), member + sizeof member);
        first = false;
    };
    const auto text = [&](std::string_view n, const std::string& v) {
        if (v.empty() || e != errc{}) return;
        name(n);
        e = append_json_string(out, v);
    };
    const auto date = [&](std::string_view n, const std::optional<time_point>& t) {
        if (!t) return;
        name(n);
        append_json_integer(out,
                            std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count());
    };
    text("iss", c.issuer);
    text("sub", c.subject);
    if (c.audience.size() == 1) {
        text("aud", c.audience.front());
    } else if (c.audience.size() > 1) {
        name("aud");
        out += '[';
        for (std::size_t i = 0; i < c.audience.size() && e == errc{}; ++i) {
            if (i > 0) out += ',';
            e = append_json_string(out, c.audience[i]);
        }
        out += ']';
    }
    date("exp", c.expires_at);
    date("nbf", c.not_before);
    date("iat", c.issued_at);
    text("jti", c.jwt_id);
    for (auto it = c.extra.begin(); it != c.extra.end() && e == errc{}; ++it) {
        const std::string& n = it.key();
        const bool overridden = (n == "iss" && !c.issuer.empty()) || (n == "sub" && !c.subject.empty()) ||
                                (n == "aud" && !c.audience.empty()) || (n == "exp" && c.expires_at) ||
                                (n == "nbf" && c.not_before) || (n == "iat" && c.issued_at) ||
                                (n == "jti" && !c.jwt_id.empty());
        if (overridden) continue;
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
