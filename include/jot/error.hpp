// SPDX-License-Identifier: MIT
// Error codes, conditions and the result type that every fallible jot operation returns.
#pragma once

#include <stdexcept>     // std::runtime_error, std::logic_error
#include <string>        // std::string
#include <system_error>  // std::error_code, std::error_category
#include <type_traits>   // std::is_error_code_enum
#include <utility>       // std::move
#include <variant>       // std::variant

namespace jot::inline v0 {

/// One enumerator per distinct cause. Zero is unused; values are never renumbered.
enum class errc {
    // malformed: the bytes are not a well-formed token
    token_too_large = 1,
    token_malformed,           // not three dot-separated parts, or an empty part
    base64_invalid,            // not canonical base64url
    header_invalid,            // header is not a JSON object or a member has the wrong type
    payload_invalid,           // payload is not a JSON object
    json_invalid,              // not valid JSON
    json_invalid_utf8,         // text is not valid UTF-8
    json_duplicate_member,     // an object names a member twice
    json_too_deep,             // nesting deeper than the limit
    json_number_out_of_range,  // a number that is not finite
    signature_length_invalid,  // signature of the wrong size for the algorithm and key
    // untrusted: the token may be well formed but is not trusted
    algorithm_none = 100,      // "alg": "none" in any spelling
    algorithm_unknown,         // an algorithm name jot does not implement
    algorithm_not_allowed,     // a known algorithm that no configured key is bound to
    key_not_found,             // no configured key has the header's kid
    header_crit_unsupported,   // "crit" names an extension jot does not implement
    header_unencoded_payload,  // "b64": false (RFC 7797)
    header_embedded_key,       // jwk, jku, x5u or x5c in the header
    signature_invalid,
    type_mismatch,  // "typ" is not the expected type
    // claims_rejected: trusted token whose claims fail the policy
    token_expired = 200,
    token_not_yet_valid,
    token_issued_in_future,
    token_too_old,  // iat older than the configured max age
    claim_missing,
    claim_invalid,  // a registered claim of the wrong JSON type or range
    issuer_mismatch,
    audience_mismatch,
    subject_mismatch,
    token_revoked,  // access token on the denylist or issued before a subject-wide revocation
    // keys: loading and using keys
    key_invalid = 300,  // bytes or JWK that do not form a key
    key_too_weak,
    key_algorithm_mismatch,     // key of the wrong family or curve for the algorithm
    key_use_forbidden,          // JWK alg/use/key_ops forbid this use
    key_not_private,            // signing needs a private key
    key_rsa_exponent_invalid,   // RSA public exponent even, below 3 or of more than 32 bits
    key_rsa_roca,               // RSA modulus with the ROCA fingerprint (CVE-2017-15361)
    key_ed25519_small_order,    // Ed25519 public key of small order, in any encoding
    key_ed25519_non_canonical,  // Ed25519 public key encoded with y >= p
    key_set_duplicate_kid,      // two different keys of a key set share a kid
    key_set_mixed_kinds,        // a key set mixes secret (HMAC) keys with asymmetric keys
    keys_unavailable,           // a key source holds no keys (never fetched, or stale beyond its limit)
    // lifecycle: refresh tokens and stores
    refresh_token_malformed = 400,
    refresh_token_not_found,
    refresh_token_expired,
    refresh_token_revoked,
    refresh_token_reused,
    refresh_token_client_mismatch,  // the token's session belongs to another client (RFC 6749 §6)
    store_unavailable = 500,
    store_corrupt,
    // internal
    crypto_failure = 600,  // an OpenSSL call failed unexpectedly
};

/// Groups of causes, for callers that only need to know what kind of failure it was.
enum class condition {
    malformed = 1,
    untrusted,
    claims_rejected,
    key_rejected,
    refresh_rejected,
    store_failure,
};

/// The name of an error code as written in the enum, e.g. "token_expired"; "unknown" otherwise.
[[nodiscard]] const char* name(errc e) noexcept;

namespace detail {

inline condition condition_of(errc e) noexcept {
    const int v = static_cast<int>(e);
    if (v < 100) return condition::malformed;
    if (v < 200) return condition::untrusted;
    if (v < 300) return condition::claims_rejected;
    if (v < 400) return condition::key_rejected;
    if (v < 500) return condition::refresh_rejected;
    return condition::store_failure;
}

class error_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "jot"; }
    std::string message(int ev) const override;
    bool equivalent(int code, const std::error_condition& cond) const noexcept override;
};

class condition_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "jot.condition"; }
    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
            case condition::malformed:
                return "malformed token";
            case condition::untrusted:
                return "untrusted token";
            case condition::claims_rejected:
                return "claims rejected";
            case condition::key_rejected:
                return "key rejected";
            case condition::refresh_rejected:
                return "refresh token rejected";
            case condition::store_failure:
                return "store failure";
        }
        return "unknown condition";
    }
};

}  // namespace detail

/// The category of jot::errc codes.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl instance;
    return instance;
}

/// The category of jot::condition values.
[[nodiscard]] inline const std::error_category& condition_category() noexcept {
    static const detail::condition_category_impl instance;
    return instance;
}

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

[[nodiscard]] inline std::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

inline const char* name(errc e) noexcept {
    switch (e) {
#define JOT_ERRC_NAME(n) \
    case errc::n:        \
        return #n;
        JOT_ERRC_NAME(token_too_large)
        JOT_ERRC_NAME(token_malformed)
        JOT_ERRC_NAME(base64_invalid)
        JOT_ERRC_NAME(header_invalid)
        JOT_ERRC_NAME(payload_invalid)
        JOT_ERRC_NAME(json_invalid)
        JOT_ERRC_NAME(json_invalid_utf8)
        JOT_ERRC_NAME(json_duplicate_member)
        JOT_ERRC_NAME(json_too_deep)
        JOT_ERRC_NAME(json_number_out_of_range)
        JOT_ERRC_NAME(signature_length_invalid)
        JOT_ERRC_NAME(algorithm_none)
        JOT_ERRC_NAME(algorithm_unknown)
        JOT_ERRC_NAME(algorithm_not_allowed)
        JOT_ERRC_NAME(key_not_found)
        JOT_ERRC_NAME(header_crit_unsupported)
        JOT_ERRC_NAME(header_unencoded_payload)
        JOT_ERRC_NAME(header_embedded_key)
        JOT_ERRC_NAME(signature_invalid)
        JOT_ERRC_NAME(type_mismatch)
        JOT_ERRC_NAME(token_expired)
        JOT_ERRC_NAME(token_not_yet_valid)
        JOT_ERRC_NAME(token_issued_in_future)
        JOT_ERRC_NAME(token_too_old)
        JOT_ERRC_NAME(claim_missing)
        JOT_ERRC_NAME(claim_invalid)
        JOT_ERRC_NAME(issuer_mismatch)
        JOT_ERRC_NAME(audience_mismatch)
        JOT_ERRC_NAME(subject_mismatch)
        JOT_ERRC_NAME(token_revoked)
        JOT_ERRC_NAME(key_invalid)
        JOT_ERRC_NAME(key_too_weak)
        JOT_ERRC_NAME(key_algorithm_mismatch)
        JOT_ERRC_NAME(key_use_forbidden)
        JOT_ERRC_NAME(key_not_private)
        JOT_ERRC_NAME(key_rsa_exponent_invalid)
        JOT_ERRC_NAME(key_rsa_roca)
        JOT_ERRC_NAME(key_ed25519_small_order)
        JOT_ERRC_NAME(key_ed25519_non_canonical)
        JOT_ERRC_NAME(key_set_duplicate_kid)
        JOT_ERRC_NAME(key_set_mixed_kinds)
        JOT_ERRC_NAME(keys_unavailable)
        JOT_ERRC_NAME(refresh_token_malformed)
        JOT_ERRC_NAME(refresh_token_not_found)
        JOT_ERRC_NAME(refresh_token_expired)
        JOT_ERRC_NAME(refresh_token_revoked)
        JOT_ERRC_NAME(refresh_token_reused)
        JOT_ERRC_NAME(refresh_token_client_mismatch)
        JOT_ERRC_NAME(store_unavailable)
        JOT_ERRC_NAME(store_corrupt)
        JOT_ERRC_NAME(crypto_failure)
#undef JOT_ERRC_NAME
    }
    return "unknown";
}

namespace detail {

inline std::string error_category_impl::message(int ev) const {
    switch (static_cast<errc>(ev)) {
        case errc::token_too_large:
            return "token is larger than the configured limit";
        case errc::token_malformed:
            return "token is not three non-empty base64url parts separated by dots";
        case errc::base64_invalid:
            return "token part is not canonical base64url";
        case errc::header_invalid:
            return "header is not a JSON object with well-typed members";
        case errc::payload_invalid:
            return "payload is not a JSON object";
        case errc::json_invalid:
            return "text is not valid JSON";
        case errc::json_invalid_utf8:
            return "text is not valid UTF-8";
        case errc::json_duplicate_member:
            return "JSON object has a duplicate member name";
        case errc::json_too_deep:
            return "JSON is nested deeper than the configured limit";
        case errc::json_number_out_of_range:
            return "JSON number is not finite";
        case errc::signature_length_invalid:
            return "signature has the wrong length for the algorithm";
        case errc::algorithm_none:
            return "unsecured tokens (alg none) are never accepted";
        case errc::algorithm_unknown:
            return "header names an unknown algorithm";
        case errc::algorithm_not_allowed:
            return "algorithm is not allowed for any configured key";
        case errc::key_not_found:
            return "no configured key matches the header's kid";
        case errc::header_crit_unsupported:
            return "header lists a critical extension that is not supported";
        case errc::header_unencoded_payload:
            return "unencoded payloads (b64 false) are not accepted";
        case errc::header_embedded_key:
            return "keys embedded or referenced in the header are never used";
        case errc::signature_invalid:
            return "signature does not verify";
        case errc::type_mismatch:
            return "token type (typ) is not the expected one";
        case errc::token_expired:
            return "token has expired";
        case errc::token_not_yet_valid:
            return "token is not valid yet (nbf)";
        case errc::token_issued_in_future:
            return "token was issued in the future (iat)";
        case errc::token_too_old:
            return "token was issued longer ago than the maximum age";
        case errc::claim_missing:
            return "a required claim is missing";
        case errc::claim_invalid:
            return "a registered claim has the wrong type or range";
        case errc::issuer_mismatch:
            return "issuer (iss) is not the expected one";
        case errc::audience_mismatch:
            return "audience (aud) does not include an accepted audience";
        case errc::subject_mismatch:
            return "subject (sub) is not the expected one";
        case errc::token_revoked:
            return "token has been revoked";
        case errc::key_invalid:
            return "key material is invalid or unsupported";
        case errc::key_too_weak:
            return "key is too weak for the algorithm";
        case errc::key_algorithm_mismatch:
            return "key does not fit the algorithm";
        case errc::key_use_forbidden:
            return "key parameters (alg, use, key_ops) forbid this use";
        case errc::key_not_private:
            return "signing needs a private key";
        case errc::key_rsa_exponent_invalid:
            return "RSA public exponent is even, below 3 or longer than 32 bits";
        case errc::key_rsa_roca:
            return "RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be recovered";
        case errc::key_ed25519_small_order:
            return "Ed25519 public key is a point of small order";
        case errc::key_ed25519_non_canonical:
            return "Ed25519 public key is not canonically encoded";
        case errc::key_set_duplicate_kid:
            return "key set holds two different keys with the same kid";
        case errc::key_set_mixed_kinds:
            return "key set mixes secret (HMAC) keys with asymmetric keys";
        case errc::keys_unavailable:
            return "no verification keys are available";
        case errc::refresh_token_malformed:
            return "refresh token is malformed";
        case errc::refresh_token_not_found:
            return "refresh token is unknown";
        case errc::refresh_token_expired:
            return "refresh token has expired";
        case errc::refresh_token_revoked:
            return "refresh token has been revoked";
        case errc::refresh_token_reused:
            return "refresh token was reused; its session has been revoked";
        case errc::refresh_token_client_mismatch:
            return "refresh token was issued to another client";
        case errc::store_unavailable:
            return "token store is unavailable";
        case errc::store_corrupt:
            return "token store holds a record that cannot be read";
        case errc::crypto_failure:
            return "cryptographic operation failed";
    }
    return "unknown jot error";
}

inline bool error_category_impl::equivalent(int code, const std::error_condition& cond) const noexcept {
    return cond.category() == condition_category() &&
           cond.value() == static_cast<int>(condition_of(static_cast<errc>(code)));
}

}  // namespace detail

/// Thrown for set-up mistakes: bad options, unusable keys given at construction, broken preconditions.
class setup_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// Thrown by result<T>::value() when the result holds an error.
class bad_result_access : public std::system_error {
public:
    explicit bad_result_access(std::error_code ec) : std::system_error(ec) {}
};

/// A value or an error code; its members are named like std::expected's.
template <class T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}   // NOLINT(google-explicit-constructor)
    result(errc e) : v_(std::in_place_index<1>, make_error_code(e)) {}  // NOLINT(google-explicit-constructor)
    result(std::error_code ec) : v_(std::in_place_index<1>, ec) {}      // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The value; throws bad_result_access when there is none.
    [[nodiscard]] T& value() & {
        check();
        return std::get<0>(v_);
    }
    [[nodiscard]] const T& value() const& {
        check();
        return std::get<0>(v_);
    }
    [[nodiscard]] T&& value() && {
        check();
        return std::get<0>(std::move(v_));
    }
    [[nodiscard]] T& operator*() & noexcept { return *std::get_if<0>(&v_); }
    [[nodiscard]] const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
    [[nodiscard]] T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
    [[nodiscard]] T* operator->() noexcept { return std::get_if<0>(&v_); }
    [[nodiscard]] const T* operator->() const noexcept { return std::get_if<0>(&v_); }

    /// The error; a default (success) error_code when there is a value.
    [[nodiscard]] std::error_code error() const noexcept {
        const auto* ec = std::get_if<1>(&v_);
        return ec ? *ec : std::error_code{};
    }

private:
    void check() const {
        if (!has_value()) throw bad_result_access(std::get<1>(v_));
    }
    std::variant<T, std::error_code> v_;
};

/// A success or an error code.
template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(errc e) : ec_(make_error_code(e)) {}  // NOLINT(google-explicit-constructor)
    result(std::error_code ec) : ec_(ec) {}      // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return !ec_; }
    explicit operator bool() const noexcept { return has_value(); }
    void value() const {
        if (ec_) throw bad_result_access(ec_);
    }
    [[nodiscard]] std::error_code error() const noexcept { return ec_; }

private:
    std::error_code ec_;
};

}  // namespace jot::inline v0

template <>
struct std::is_error_code_enum<jot::errc> : std::true_type {};
template <>
struct std::is_error_condition_enum<jot::condition> : std::true_type {};
