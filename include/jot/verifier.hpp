// SPDX-License-Identifier: MIT
// The JWT verifier: a fixed key set and policy, reusable and thread-safe, that returns verified tokens.
#pragma once

#include <array>        // std::array
#include <atomic>       // std::atomic
#include <chrono>       // std::chrono::seconds
#include <cmath>        // std::isfinite
#include <memory>       // std::unique_ptr
#include <mutex>        // std::call_once, std::once_flag
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include "claims.hpp"
#include "clock.hpp"
#include "detail/json_scan.hpp"
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

namespace detail {

/// Where a value sits in a verified token's text.
struct text_span {
    std::size_t at = 0;
    std::size_t size = 0;
};

/// The registered claims of a payload, read once by the scanner, as places in the token's text.
struct registered_claims {
    text_span issuer{}, subject{}, jwt_id{};
    text_span first_audience{};
    std::vector<text_span> more_audiences{};  // aud arrays beyond their first element
    std::size_t audience_count = 0;
    std::optional<double> expires_at{}, not_before{}, issued_at{};
};

/// The place of a scanned string value in `text`: the bytes between its quotes, or, when it holds escapes,
/// its decoded form appended to `text`. The caller reserves room for every append, so views into `text`
/// stay valid.
inline text_span place_string(std::string& text, const json_value_view& v) {
    if (v.raw.empty()) return {};
    if (!v.escaped) return {static_cast<std::size_t>(v.raw.data() + 1 - text.data()), v.raw.size() - 2};
    const std::string decoded = decode_json_string(v);
    const text_span s{text.size(), decoded.size()};
    text += decoded;
    return s;
}

/// The parsed DOMs of a verified token, made on first use. Thread-safe.
struct lazy_documents {
    std::once_flag header_once, claims_once;
    nlohmann::json header, claims;
};

/// Owns a lazy_documents that is allocated only when first needed; racing first uses agree on one.
class lazy_documents_ptr {
public:
    lazy_documents_ptr() = default;
    lazy_documents_ptr(lazy_documents_ptr&& o) noexcept : p_(o.p_.exchange(nullptr)) {}
    lazy_documents_ptr& operator=(lazy_documents_ptr&& o) noexcept {
        delete p_.exchange(o.p_.exchange(nullptr));
        return *this;
    }
    ~lazy_documents_ptr() { delete p_.load(); }

    [[nodiscard]] lazy_documents& get() const {
        lazy_documents* current = p_.load(std::memory_order_acquire);
        if (current) return *current;
        auto fresh = std::make_unique<lazy_documents>();
        if (p_.compare_exchange_strong(current, fresh.get(), std::memory_order_acq_rel))
            return *fresh.release();
        return *current;  // another thread won; ours is discarded
    }

private:
    mutable std::atomic<lazy_documents*> p_{nullptr};
};

}  // namespace detail

/// A JWT whose signature, header and claims passed a verifier. Only a verifier makes one; it cannot change.
/// Registered claims are read during verification; the full header and claims DOMs are built on first use.
/// All members are const and safe to call from several threads.
class verified_token {
public:
    class passkey {
        passkey() = default;
        friend class verifier;
    };
    /// `text` holds the header JSON, then the claims JSON, then decoded forms of escaped strings.
    verified_token(passkey, algorithm alg, std::string text, std::size_t header_size, std::size_t claims_size,
                   detail::text_span kid, detail::text_span type, detail::registered_claims claims)
        : alg_(alg),
          text_(std::move(text)),
          header_size_(header_size),
          claims_size_(claims_size),
          kid_(kid),
          type_(type),
          registered_(std::move(claims)) {}

    /// The JOSE header as JSON.
    [[nodiscard]] const nlohmann::json& header() const {
        auto& d = documents_.get();
        std::call_once(d.header_once,
                       [&] { d.header = nlohmann::json::parse(header_text(), nullptr, false); });
        return d.header;
    }
    /// Every claim as JSON.
    [[nodiscard]] const nlohmann::json& claims() const {
        auto& d = documents_.get();
        std::call_once(d.claims_once,
                       [&] { d.claims = nlohmann::json::parse(claims_text(), nullptr, false); });
        return d.claims;
    }
    /// The claims exactly as signed (JSON text).
    [[nodiscard]] std::string_view claims_text() const noexcept {
        return std::string_view(text_).substr(header_size_, claims_size_);
    }
    /// The JOSE header exactly as signed (JSON text).
    [[nodiscard]] std::string_view header_text() const noexcept {
        return std::string_view(text_).substr(0, header_size_);
    }

    [[nodiscard]] algorithm alg() const noexcept { return alg_; }
    [[nodiscard]] std::string_view kid() const noexcept { return view(kid_); }
    [[nodiscard]] std::string_view type() const noexcept { return view(type_); }
    [[nodiscard]] std::string_view issuer() const noexcept { return view(registered_.issuer); }
    [[nodiscard]] std::string_view subject() const noexcept { return view(registered_.subject); }
    [[nodiscard]] std::string_view jwt_id() const noexcept { return view(registered_.jwt_id); }
    /// aud as a list (a single string becomes one element).
    [[nodiscard]] std::vector<std::string> audience() const {
        std::vector<std::string> out;
        out.reserve(registered_.audience_count);
        if (registered_.audience_count > 0) out.emplace_back(view(registered_.first_audience));
        for (const auto& a : registered_.more_audiences) out.emplace_back(view(a));
        return out;
    }
    [[nodiscard]] std::optional<time_point> expires_at() const noexcept {
        return date(registered_.expires_at);
    }
    [[nodiscard]] std::optional<time_point> not_before() const noexcept {
        return date(registered_.not_before);
    }
    [[nodiscard]] std::optional<time_point> issued_at() const noexcept { return date(registered_.issued_at); }

private:
    static std::optional<time_point> date(std::optional<double> d) noexcept {
        return d ? std::optional(detail::from_seconds(*d)) : std::nullopt;
    }
    [[nodiscard]] std::string_view view(detail::text_span s) const noexcept {
        return std::string_view(text_).substr(s.at, s.size);
    }

    algorithm alg_;
    std::string text_;
    std::size_t header_size_;
    std::size_t claims_size_;
    detail::text_span kid_;
    detail::text_span type_;
    detail::registered_claims registered_;
    detail::lazy_documents_ptr documents_;
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

/// A NumericDate claim from its scanned value: a finite number in [0, year 9999].
[[nodiscard]] inline result<double> numeric_date(const json_value_view& v) noexcept {
    if (v.type != json_value_view::kind::number) return errc::claim_invalid;
    const double d = json_number(v);
    if (!std::isfinite(d) || d < 0 || d > max_numeric_date) return errc::claim_invalid;
    return d;
}

/// A time claim as read: absent (nullopt), a date, or the error that reading it gave (claim_invalid). Time is
/// double seconds since the epoch (the verifier, on the NumericDate as written) or a time_point (the
/// verification_cache, on the dates of a verified_token).
template <class Time>
using time_claim = result<std::optional<Time>>;

/// True if `now` is on or after `exp` + `leeway`.
[[nodiscard]] constexpr bool reached(double now, double exp, double leeway) noexcept {
    return now >= exp + leeway;
}
/// Subtracts from now, not adds to exp: exp may be time_point::max(), for a NumericDate past what it holds.
[[nodiscard]] inline bool reached(time_point now, time_point exp, std::chrono::seconds leeway) noexcept {
    return now - leeway >= exp;
}

/// The time rules, for the verifier and again for every use of a cached token. In this order, the first
/// failure wins: exp is required unless allow_missing_exp, and is exclusive (on or after exp + leeway is
/// expired, RFC 7519 §4.1.4); before nbf - leeway is too early; iat later than now + leeway is in the future;
/// with a max_age above zero, iat is required and may be at most max_age + leeway old. A claim that could
/// not be read reports its error in its turn.
template <class Time, class Span>
[[nodiscard]] result<void> check_token_times(const time_claim<Time>& exp, const time_claim<Time>& nbf,
                                             const time_claim<Time>& iat, Time now, Span leeway, Span max_age,
                                             bool allow_missing_exp) noexcept {
    if (!exp) return exp.error();
    if (!*exp) {
        if (!allow_missing_exp) return errc::claim_missing;
    } else if (reached(now, **exp, leeway)) {
        return errc::token_expired;
    }
    if (!nbf) return nbf.error();
    if (*nbf && now + leeway < **nbf) return errc::token_not_yet_valid;
    if (!iat) return iat.error();
    if (*iat) {
        if (**iat > now + leeway) return errc::token_issued_in_future;
        if (max_age > Span{} && now - **iat > max_age + leeway) return errc::token_too_old;
    } else if (max_age > Span{}) {
        return errc::claim_missing;
    }
    return {};
}

/// Scans the claims text (`size` bytes at `at` in `text`), reads the registered claims and applies the
/// policy. Decoded forms of escaped strings are appended to `text`, which has room reserved for them.
[[nodiscard]] inline result<registered_claims> check_claims(std::string& text, std::size_t at,
                                                            std::size_t size, const verifier_options& o,
                                                            time_point now) {
    using kind = json_value_view::kind;
    // optional, not an empty view for "absent": setting seven flags is cheaper than zeroing seven views.
    std::array<std::optional<json_value_view>, registered_claim_count> seen;
    std::size_t required_found = 0;
    const errc scanned = json_scanner(std::string_view(text).substr(at, size), o.limits.max_json_depth)
                             .scan_object([&](std::string_view name, const json_value_view& v) {
                                 if (const auto r = registered_claim_of(name)) seen[index_of(*r)] = v;
                                 for (const auto& r : o.required_claims) required_found += (r == name);
                             });
    if (scanned == errc::json_invalid) return errc::payload_invalid;
    if (scanned != errc{}) return scanned;
    static constexpr json_value_view absent{};  // raw empty
    const auto claim = [&seen](registered_claim r) -> const json_value_view& {
        const auto& v = seen[index_of(r)];
        return v ? *v : absent;
    };
    const json_value_view& iss = claim(registered_claim::iss);
    const json_value_view& sub = claim(registered_claim::sub);
    const json_value_view& aud = claim(registered_claim::aud);
    const json_value_view& exp = claim(registered_claim::exp);
    const json_value_view& nbf = claim(registered_claim::nbf);
    const json_value_view& iat = claim(registered_claim::iat);
    const json_value_view& jti = claim(registered_claim::jti);

    const auto read_date = [](const json_value_view& v) -> time_claim<double> {
        if (v.raw.empty()) return std::optional<double>{};
        const auto d = numeric_date(v);
        if (!d) return d.error();
        return std::optional<double>(*d);
    };
    const auto expires_at = read_date(exp), not_before = read_date(nbf), issued_at = read_date(iat);
    if (auto r = check_token_times(expires_at, not_before, issued_at, seconds_since_epoch(now),
                                   static_cast<double>(o.leeway.count()),
                                   static_cast<double>(o.max_age.count()), o.allow_missing_exp);
        !r)
        return r.error();
    registered_claims c;
    c.expires_at = *expires_at;
    c.not_before = *not_before;
    c.issued_at = *issued_at;

    for (const auto* v : {&iss, &sub, &jti})
        if (!v->raw.empty() && v->type != kind::string) return errc::claim_invalid;
    const auto view = [&text](text_span sp) { return std::string_view(text).substr(sp.at, sp.size); };
    c.issuer = place_string(text, iss);
    c.subject = place_string(text, sub);
    c.jwt_id = place_string(text, jti);
    if (!o.allow_any_issuer) {
        if (iss.raw.empty()) return errc::claim_missing;
        if (view(c.issuer) != o.issuer) return errc::issuer_mismatch;
    }
    if (!o.subject.empty()) {
        if (sub.raw.empty()) return errc::claim_missing;
        if (view(c.subject) != o.subject) return errc::subject_mismatch;
    }

    bool audience_match = false;
    const auto add_audience = [&](text_span a) {
        if (c.audience_count++ == 0)
            c.first_audience = a;
        else
            c.more_audiences.push_back(a);
        for (const auto& want : o.audience) audience_match = audience_match || view(a) == want;
    };
    if (aud.type == kind::string) {
        add_audience(place_string(text, aud));
    } else if (aud.type == kind::array) {
        bool all_strings = true;
        const errc listed =
            json_scanner(aud.raw, o.limits.max_json_depth).scan_array([&](const json_value_view& a) {
                all_strings = all_strings && a.type == kind::string;
                if (all_strings)
                    add_audience(place_string(text, a));  // views into text, or decoded in its room
            });
        if (listed != errc{} || !all_strings) return errc::claim_invalid;
    } else if (!aud.raw.empty()) {
        return errc::claim_invalid;
    }
    if (!o.allow_any_audience) {
        if (aud.raw.empty()) return errc::claim_missing;
        if (!audience_match) return errc::audience_mismatch;
    }
    if (required_found < o.required_claims.size()) return errc::claim_missing;
    return c;
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
        learn_signer_headers();
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
        // One buffer for the whole token: header, claims, then the signature (dropped once checked), with
        // room behind the claims for decoded escaped strings, so nothing in it moves while views exist.
        const std::size_t header_size = base64url_decoded_size(parts->header.size());
        const std::size_t claims_size = base64url_decoded_size(parts->payload.size());
        const std::size_t signature_size = base64url_decoded_size(parts->signature.size());
        std::string text;
        text.reserve(2 * (header_size + claims_size) + signature_size + 8);
        text.resize(header_size + claims_size + signature_size + 1);
        if (!detail::base64url_decode_raw(parts->header, text.data())) return errc::base64_invalid;
        const std::string_view header_text(text.data(), header_size);
        const known_header* known = find_known_header(parts->header);
        detail::checked_header h;
        std::string kid_storage;  // only for a kid that holds escapes
        std::string_view kid;
        if (known) {  // the same bytes as a header checked at construction: the same outcome
            if (!known->type_accepted) return errc::type_mismatch;
            h.alg = known->alg;
            kid = header_text.substr(known->kid.at, known->kid.size);
        } else {
            if (auto r = detail::check_header(header_text, limits, h); !r) return r.error();
            if (!type_accepted(h.type)) return errc::type_mismatch;
            if (!h.kid.raw.empty()) kid = detail::string_value(h.kid, kid_storage);
        }
        const bool has_kid = known ? known->has_kid : !h.kid.raw.empty();
        char* signature = text.data() + header_size + claims_size;
        if (!detail::base64url_decode_raw(parts->signature, signature)) return errc::base64_invalid;
        if (auto r = check_signature(h.alg, has_kid, kid, parts->signing_input,
                                     std::string_view(signature, signature_size));
            !r)
            return r.error();

        if (!detail::base64url_decode_raw(parts->payload, text.data() + header_size))
            return errc::base64_invalid;
        text.resize(header_size + claims_size);
        auto claims = detail::check_claims(text, header_size, claims_size, options_, now);
        if (!claims) return claims.error();
        const auto kid_place = known ? known->kid : detail::place_string(text, h.kid);
        const auto type_place = known ? known->type : detail::place_string(text, h.type);
        return verified_token(verified_token::passkey{}, h.alg, std::move(text), header_size, claims_size,
                              kid_place, type_place, *std::move(claims));
    }

    [[nodiscard]] const verifier_options& options() const noexcept { return options_; }
    [[nodiscard]] const key_set& keys() const noexcept { return keys_; }

private:
    // A header that a jot signer makes for one of the keys (alg, typ JWT or at+jwt, the key's kid), with what
    // checking it gave. A token whose header has exactly these bytes skips the header scan: most tokens a
    // verifier sees come from one signer, and the header is about a third of the JSON work.
    struct known_header {
        std::string encoded;  // base64url, as in a token
        algorithm alg{};
        bool has_kid = false;
        bool type_accepted = false;
        detail::text_span kid{}, type{};  // in the decoded header
    };

    void learn_signer_headers() {
        for (const auto& b : keys_) {
            for (const std::string_view type : {"JWT", "at+jwt"}) {
                auto encoded = detail::encoded_header(b.alg, {.type = type, .kid = b.kid});
                if (!encoded) continue;
                auto decoded = base64url_decode(*encoded);
                detail::checked_header h;
                if (!decoded || !detail::check_header(*decoded, options_.limits, h) || h.kid.escaped ||
                    h.type.escaped)
                    continue;  // left to the full path
                const auto span = [&](const detail::json_value_view& v) {
                    return v.raw.empty() ? detail::text_span{}
                                         : detail::text_span{
                                               static_cast<std::size_t>(v.raw.data() + 1 - decoded->data()),
                                               v.raw.size() - 2};
                };
                known_headers_.push_back({*std::move(encoded), h.alg, !h.kid.raw.empty(),
                                          type_accepted(h.type), span(h.kid), span(h.type)});
            }
        }
    }

    [[nodiscard]] const known_header* find_known_header(std::string_view encoded) const noexcept {
        for (const auto& k : known_headers_)
            if (k.encoded == encoded) return &k;
        return nullptr;
    }

    // The typ rule: with a type required, "JWT" also accepts a header without typ.
    [[nodiscard]] bool type_accepted(const detail::json_value_view& type) const {
        if (options_.allow_any_type) return true;
        if (type.raw.empty()) return detail::same_media_type(options_.type, "JWT");
        std::string storage;
        return detail::same_media_type(detail::string_value(type, storage), options_.type);
    }

    result<void> check_signature(algorithm alg, bool has_kid, std::string_view kid, std::string_view input,
                                 std::string_view sig) const {
        bool kid_matched = false;
        bool tried = false;
        result<void> last = errc::signature_invalid;
        for (const auto& b : keys_) {
            if (has_kid && !b.kid.empty() && b.kid != kid) continue;  // a key without kid serves any
            kid_matched = true;
            if (b.alg != alg) continue;
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
    std::vector<known_header> known_headers_;
};

static_assert(std::is_same_v<jot::v0::verifier, jot::verifier>);

}  // namespace jot::inline v0
