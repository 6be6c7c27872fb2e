// SPDX-License-Identifier: MIT
// The JWT verifier: a fixed key set and policy, reusable and thread-safe, that returns verified tokens.
#pragma once

#include <chrono>       // std::chrono::seconds
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include "claims.hpp"
#include "clock.hpp"
#include "error.hpp"
#include "jws.hpp"
#include "key_set.hpp"

namespace jot::inline v0 {

/// What a verifier accepts beyond a good signature. Defaults are the strict choice.
struct verifier_options {
    std::string issuer{};  // iss must equal this (required unless allow_any_issuer)
    std::vector<std::string>
        audience{};            // aud must contain one of these (required unless allow_any_audience)
    std::string subject{};     // if set, sub must equal this
    std::string type = "JWT";  // typ: "JWT" also accepts no typ; any other value must be present
    std::vector<std::string> required_claims{};  // must be present, whatever their value
    std::chrono::seconds leeway{0};              // clock skew allowed on exp, nbf and iat (at most 5 minutes)
    std::chrono::seconds max_age{0};             // if non-zero, iat is required and may be at most this old
    parse_limits limits{};
    bool allow_any_issuer = false;
    bool allow_any_audience = false;
    bool allow_any_type = false;
    bool allow_missing_exp = false;
};

class verifier;

/// A JWT whose signature, header and claims passed a verifier. Only a verifier makes one; it cannot change.
class verified_token {
public:
    class passkey {
        passkey() = default;
        friend class verifier;
    };
    verified_token(passkey, nlohmann::json header, nlohmann::json claims, algorithm alg)
        : header_(std::move(header)), claims_(std::move(claims)), alg_(alg) {}

    [[nodiscard]] const nlohmann::json& header() const noexcept { return header_; }
    [[nodiscard]] const nlohmann::json& claims() const noexcept { return claims_; }
    [[nodiscard]] algorithm alg() const noexcept { return alg_; }
    [[nodiscard]] std::string_view kid() const noexcept { return string_member(header_, "kid"); }
    [[nodiscard]] std::string_view type() const noexcept { return string_member(header_, "typ"); }
    [[nodiscard]] std::string_view issuer() const noexcept { return string_member(claims_, "iss"); }
    [[nodiscard]] std::string_view subject() const noexcept { return string_member(claims_, "sub"); }
    [[nodiscard]] std::string_view jwt_id() const noexcept { return string_member(claims_, "jti"); }
    /// aud as a list (a single string becomes one element).
    [[nodiscard]] std::vector<std::string> audience() const { return audience_of(claims_).value(); }
    [[nodiscard]] std::optional<time_point> expires_at() const noexcept { return date_member("exp"); }
    [[nodiscard]] std::optional<time_point> not_before() const noexcept { return date_member("nbf"); }
    [[nodiscard]] std::optional<time_point> issued_at() const noexcept { return date_member("iat"); }

private:
    static std::string_view string_member(const nlohmann::json& j, const char* name) noexcept {
        const auto it = j.find(name);
        return it != j.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                                : std::string_view{};
    }
    std::optional<time_point> date_member(const char* name) const noexcept {
        const auto it = claims_.find(name);
        if (it == claims_.end()) return std::nullopt;
        const auto d = detail::read_numeric_date(*it);
        return d ? std::optional(detail::from_seconds(*d)) : std::nullopt;
    }

    nlohmann::json header_;
    nlohmann::json claims_;
    algorithm alg_;
};

namespace detail {

/// The typ comparison of RFC 7515 §4.1.9: case-insensitive, "application/" optional.
[[nodiscard]] inline bool same_media_type(std::string_view a, std::string_view b) noexcept {
    const auto strip = [](std::string_view s) {
        constexpr std::string_view prefix = "application/";
        return s.size() > prefix.size() && iequals(s.substr(0, prefix.size()), prefix)
                   ? s.substr(prefix.size())
                   : s;
    };
    return iequals(strip(a), strip(b));
}

[[nodiscard]] inline result<void> check_claims(const nlohmann::json& c, const verifier_options& o,
                                               time_point now) {
    const double t = seconds_since_epoch(now);
    const auto skew = static_cast<double>(o.leeway.count());
    const auto end = c.end();

    const auto exp = c.find("exp");
    if (exp == end) {
        if (!o.allow_missing_exp) return errc::claim_missing;
    } else {
        const auto v = read_numeric_date(*exp);
        if (!v) return v.error();
        if (t >= *v + skew) return errc::token_expired;  // RFC 7519 §4.1.4: on or after exp is too late
    }
    if (const auto nbf = c.find("nbf"); nbf != end) {
        const auto v = read_numeric_date(*nbf);
        if (!v) return v.error();
        if (t + skew < *v) return errc::token_not_yet_valid;
    }
    if (const auto iat = c.find("iat"); iat != end) {
        const auto v = read_numeric_date(*iat);
        if (!v) return v.error();
        if (*v > t + skew) return errc::token_issued_in_future;
        if (o.max_age.count() > 0 && t - *v > static_cast<double>(o.max_age.count()) + skew)
            return errc::token_too_old;
    } else if (o.max_age.count() > 0) {
        return errc::claim_missing;
    }

    const auto string_claim = [&](const char* name, const std::string& expected, bool required,
                                  errc mismatch) -> result<void> {
        const auto it = c.find(name);
        if (it == end) return required ? result<void>(errc::claim_missing) : result<void>();
        if (!it->is_string()) return errc::claim_invalid;
        if (required && it->get_ref<const std::string&>() != expected) return mismatch;
        return {};
    };
    if (auto r = string_claim("iss", o.issuer, !o.allow_any_issuer, errc::issuer_mismatch); !r) return r;
    if (auto r = string_claim("sub", o.subject, !o.subject.empty(), errc::subject_mismatch); !r) return r;
    if (auto r = string_claim("jti", {}, false, errc::claim_invalid); !r) return r;

    const auto aud = audience_of(c);
    if (!aud) return aud.error();
    if (!o.allow_any_audience) {
        if (c.find("aud") == end) return errc::claim_missing;
        bool match = false;
        for (const auto& a : *aud)
            for (const auto& want : o.audience) match = match || a == want;
        if (!match) return errc::audience_mismatch;
    }
    for (const auto& name : o.required_claims)
        if (!c.contains(name)) return errc::claim_missing;
    return {};
}

}  // namespace detail

/// Verifies JWTs against a fixed set of keys and a policy. Immutable after construction and safe to share
/// between threads. The token's header never chooses the key: keys are picked by kid (all keys when the
/// token has none) and a key verifies only under the one algorithm it is bound to.
class verifier {
public:
    /// Throws setup_error for an empty key set or inconsistent options.
    verifier(key_set keys, verifier_options options) : keys_(std::move(keys)), options_(std::move(options)) {
        if (keys_.empty()) throw setup_error("jot: a verifier needs at least one key");
        if (!options_.allow_any_issuer && options_.issuer.empty())
            throw setup_error(
                "jot: verifier_options.issuer is empty (set allow_any_issuer to skip the check)");
        if (!options_.allow_any_audience && options_.audience.empty())
            throw setup_error(
                "jot: verifier_options.audience is empty (set allow_any_audience to skip the check)");
        for (const auto& a : options_.audience)
            if (a.empty()) throw setup_error("jot: verifier_options.audience holds an empty string");
        if (options_.leeway < std::chrono::seconds{0} || options_.leeway > std::chrono::minutes{5})
            throw setup_error("jot: verifier_options.leeway must be between 0 and 5 minutes");
        if (options_.max_age < std::chrono::seconds{0})
            throw setup_error("jot: verifier_options.max_age must not be negative");
        if (options_.limits.max_token_bytes == 0 || options_.limits.max_json_depth < 2)
            throw setup_error("jot: verifier_options.limits are too small to hold a token");
        if (!options_.allow_any_type && options_.type.empty())
            throw setup_error("jot: verifier_options.type is empty (set allow_any_type to skip the check)");
    }

    /// Verifies `token` at the current system time. Never throws for bad tokens. Thread-safe.
    [[nodiscard]] result<verified_token> verify(std::string_view token) const {
        return verify_at(token, std::chrono::system_clock::now());
    }

    /// Verifies `token` as if the time were `now`.
    [[nodiscard]] result<verified_token> verify_at(std::string_view token, time_point now) const {
        const auto& limits = options_.limits;
        auto parts = detail::split_compact(token, limits.max_token_bytes);
        if (!parts) return parts.error();
        std::string scratch;
        detail::checked_header h;
        if (auto r = detail::decode_header(parts->header, limits, scratch, h); !r) return r.error();
        if (!options_.allow_any_type) {
            const bool plain_jwt = detail::same_media_type(options_.type, "JWT");
            if (h.type ? !detail::same_media_type(*h.type, options_.type) : !plain_jwt)
                return errc::type_mismatch;
        }
        if (!base64url_decode_into(scratch, parts->signature)) return errc::base64_invalid;
        if (auto r = check_signature(h, parts->signing_input, scratch); !r) return r.error();

        if (!base64url_decode_into(scratch, parts->payload)) return errc::base64_invalid;
        nlohmann::json claims;
        if (auto r = detail::parse_strict_json(scratch, claims, limits.max_json_depth); !r) {
            return r.error() == make_error_code(errc::json_invalid) ? make_error_code(errc::payload_invalid)
                                                                    : r.error();
        }
        if (!claims.is_object()) return errc::payload_invalid;
        if (auto r = detail::check_claims(claims, options_, now); !r) return r.error();
        return verified_token(verified_token::passkey{}, std::move(h.json), std::move(claims), h.alg);
    }

    [[nodiscard]] const verifier_options& options() const noexcept { return options_; }
    [[nodiscard]] const key_set& keys() const noexcept { return keys_; }

private:
    result<void> check_signature(const detail::checked_header& h, std::string_view input,
                                 std::string_view sig) const {
        bool kid_matched = false;
        bool tried = false;
        result<void> last = errc::signature_invalid;
        for (const auto& b : keys_) {
            if (h.kid && !b.kid.empty() && b.kid != *h.kid) continue;  // a key without kid serves any
            kid_matched = true;
            if (b.alg != h.alg) continue;
            tried = true;
            last = detail::verify_bytes(b.k, b.alg, input, sig);
            if (last) return last;
        }
        if (!kid_matched) return errc::key_not_found;
        if (!tried) return errc::algorithm_not_allowed;
        return last;
    }

    key_set keys_;
    verifier_options options_;
};

static_assert(std::is_same_v<jot::v0::verifier, jot::verifier>);

}  // namespace jot::inline v0
