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

/// The error codes, one row each: X(enumerator, value, message). Every row states its value, so that adding
/// a row never renumbers another. The enum, name() and the category's message() are made from this table.
#define JOT_DETAIL_ERRC_TABLE(X)                                                                    \
    /* malformed: the bytes are not a well-formed token */                                          \
    X(token_too_large, 1, "token is larger than the configured limit")                              \
    /* not three dot-separated parts, or an empty part */                                           \
    X(token_malformed, 2, "token is not three non-empty base64url parts separated by dots")         \
    X(base64_invalid, 3, "token part is not canonical base64url")                                   \
    /* header is not a JSON object or a member has the wrong type */                                \
    X(header_invalid, 4, "header is not a JSON object with well-typed members")                     \
    X(payload_invalid, 5, "payload is not a JSON object")                                           \
    X(json_invalid, 6, "text is not valid JSON")                                                    \
    X(json_invalid_utf8, 7, "text is not valid UTF-8")                                              \
    X(json_duplicate_member, 8, "JSON object has a duplicate member name")                          \
    X(json_too_deep, 9, "JSON is nested deeper than the configured limit")                          \
    X(json_number_out_of_range, 10, "JSON number is not finite")                                    \
    /* signature of the wrong size for the algorithm and key */                                     \
    X(signature_length_invalid, 11, "signature has the wrong length for the algorithm")             \
    /* untrusted: the token may be well formed but is not trusted */                                \
    /* "alg": "none" in any spelling */                                                             \
    X(algorithm_none, 100, "unsecured tokens (alg none) are never accepted")                        \
    /* an algorithm name jot does not implement */                                                  \
    X(algorithm_unknown, 101, "header names an unknown algorithm")                                  \
    /* a known algorithm that no configured key is bound to */                                      \
    X(algorithm_not_allowed, 102, "algorithm is not allowed for any configured key")                \
    X(key_not_found, 103, "no configured key matches the header's kid")                             \
    /* "crit" names an extension jot does not implement */                                          \
    X(header_crit_unsupported, 104, "header lists a critical extension that is not supported")      \
    /* "b64": false (RFC 7797) */                                                                   \
    X(header_unencoded_payload, 105, "unencoded payloads (b64 false) are not accepted")             \
    /* jwk, jku, x5u or x5c in the header */                                                        \
    X(header_embedded_key, 106, "keys embedded or referenced in the header are never used")         \
    X(signature_invalid, 107, "signature does not verify")                                          \
    /* "typ" is not the expected type */                                                            \
    X(type_mismatch, 108, "token type (typ) is not the expected one")                               \
    /* claims_rejected: trusted token whose claims fail the policy */                               \
    X(token_expired, 200, "token has expired")                                                      \
    X(token_not_yet_valid, 201, "token is not valid yet (nbf)")                                     \
    X(token_issued_in_future, 202, "token was issued in the future (iat)")                          \
    /* iat older than the configured max age */                                                     \
    X(token_too_old, 203, "token was issued longer ago than the maximum age")                       \
    X(claim_missing, 204, "a required claim is missing")                                            \
    X(claim_invalid, 205, "a registered claim has the wrong type or range")                         \
    X(issuer_mismatch, 206, "issuer (iss) is not the expected one")                                 \
    X(audience_mismatch, 207, "audience (aud) does not include an accepted audience")               \
    X(subject_mismatch, 208, "subject (sub) is not the expected one")                               \
    /* access token on the denylist or issued before a subject-wide revocation */                   \
    X(token_revoked, 209, "token has been revoked")                                                 \
    /* keys: loading and using keys */                                                              \
    /* bytes or JWK that do not form a key */                                                       \
    X(key_invalid, 300, "key material is invalid or unsupported")                                   \
    X(key_too_weak, 301, "key is too weak for the algorithm")                                       \
    /* key of the wrong family or curve for the algorithm */                                        \
    X(key_algorithm_mismatch, 302, "key does not fit the algorithm")                                \
    /* JWK alg/use/key_ops forbid this use */                                                       \
    X(key_use_forbidden, 303, "key parameters (alg, use, key_ops) forbid this use")                 \
    X(key_not_private, 304, "signing needs a private key")                                          \
    /* RSA public exponent even, below 3 or of more than 32 bits */                                 \
    X(key_rsa_exponent_invalid, 305, "RSA public exponent is even, below 3 or longer than 32 bits") \
    /* RSA modulus with the ROCA fingerprint (CVE-2017-15361) */                                    \
    X(key_rsa_roca, 306,                                                                            \
      "RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be recovered")    \
    /* Ed25519 public key of small order, in any encoding */                                        \
    X(key_ed25519_small_order, 307, "Ed25519 public key is a point of small order")                 \
    /* Ed25519 public key encoded with y >= p */                                                    \
    X(key_ed25519_non_canonical, 308, "Ed25519 public key is not canonically encoded")              \
    /* two different keys of a key set share a kid */                                               \
    X(key_set_duplicate_kid, 309, "key set holds two different keys with the same kid")             \
    X(key_set_mixed_kinds, 310, "key set mixes secret (HMAC) keys with asymmetric keys")            \
    /* a key source holds no keys (never fetched, or stale beyond its limit) */                     \
    X(keys_unavailable, 311, "no verification keys are available")                                  \
    /* lifecycle: refresh tokens and stores */                                                      \
    X(refresh_token_malformed, 400, "refresh token is malformed")                                   \
    X(refresh_token_not_found, 401, "refresh token is unknown")                                     \
    X(refresh_token_expired, 402, "refresh token has expired")                                      \
    X(refresh_token_revoked, 403, "refresh token has been revoked")                                 \
    X(refresh_token_reused, 404, "refresh token was reused; its session has been revoked")          \
    /* the token's session belongs to another client (RFC 6749 §6) */                              \
    X(refresh_token_client_mismatch, 405, "refresh token was issued to another client")             \
    X(store_unavailable, 500, "token store is unavailable")                                         \
    X(store_corrupt, 501, "token store holds a record that cannot be read")                         \
    /* internal */                                                                                  \
    /* an OpenSSL call failed unexpectedly */                                                       \
    X(crypto_failure, 600, "cryptographic operation failed")                                        \
    /* dpop_rejected: DPoP proofs (RFC 9449 4.3); invalid_dpop_proof but for the nonce rows */      \
    X(dpop_type_mismatch, 700, "dpop proof type (typ) is not dpop+jwt")                             \
    X(dpop_algorithm_symmetric, 701, "dpop proof is signed with a symmetric (HMAC) algorithm")      \
    X(dpop_algorithm_not_allowed, 702, "dpop proof algorithm is not on the allow-list")             \
    X(dpop_jwk_missing, 703, "dpop proof header has no jwk")                                        \
    X(dpop_jwk_invalid, 704, "dpop proof header jwk is not a JSON object")                          \
    X(dpop_jwk_private, 705, "dpop proof jwk holds private key members")                            \
    X(dpop_jwk_symmetric, 706, "dpop proof jwk is a symmetric (oct) key")                           \
    /* key type or curve of the jwk does not fit the header's alg */                                \
    X(dpop_jwk_algorithm_mismatch, 707, "dpop proof jwk does not fit the algorithm")                \
    X(dpop_jti_missing, 708, "dpop proof has no jti or an empty one")                               \
    X(dpop_jti_too_long, 709, "dpop proof jti is longer than the configured limit")                 \
    X(dpop_htm_missing, 710, "dpop proof has no htm")                                               \
    X(dpop_htm_mismatch, 711, "dpop proof htm is not the request method")                           \
    X(dpop_htu_missing, 712, "dpop proof has no htu")                                               \
    X(dpop_htu_invalid, 713, "dpop proof htu is not an absolute http or https URI")                 \
    X(dpop_htu_mismatch, 714, "dpop proof htu is not the request URI")                              \
    X(dpop_iat_missing, 715, "dpop proof has no iat")                                               \
    X(dpop_iat_too_old, 716, "dpop proof was issued before the accepted window (iat)")              \
    X(dpop_iat_in_future, 717, "dpop proof was issued in the future (iat)")                         \
    X(dpop_ath_missing, 718, "dpop proof has no ath although an access token was presented")        \
    X(dpop_ath_mismatch, 719, "dpop proof ath is not the hash of the presented access token")       \
    /* use_dpop_nonce: the server requires a nonce and the proof has none */                        \
    X(dpop_nonce_missing, 720, "dpop proof has no nonce although the server requires one")          \
    /* use_dpop_nonce: the proof's nonce is not one the server currently accepts */                 \
    X(dpop_nonce_mismatch, 721, "dpop proof nonce is not one the server accepts")                   \
    X(dpop_replayed, 722, "dpop proof jti was already used within the window")                      \
    /* the replay cache holds only unexpired entries and cannot take another */                     \
    X(dpop_replay_cache_full, 723, "dpop replay cache is full")                                     \
    /* the proof's key is not the one the access token is bound to (cnf.jkt) */                     \
    X(dpop_key_mismatch, 724, "dpop proof key is not the key the access token is bound to")         \
    /* the server's own request URI is not an absolute http or https URI */                         \
    X(dpop_request_uri_invalid, 725, "request URI of a dpop check is not an absolute http(s) URI")  \
    /* an RSA jwk above dpop_options::max_rsa_bits: the client picks its cost */                    \
    X(dpop_jwk_too_large, 726, "dpop proof jwk is an RSA key above the configured size")

/// One enumerator per distinct cause, from JOT_DETAIL_ERRC_TABLE above. Zero is unused; values are never
/// renumbered.
enum class errc {
#define JOT_DETAIL_ERRC_ENUMERATOR(n, v, message) n = (v),
    JOT_DETAIL_ERRC_TABLE(JOT_DETAIL_ERRC_ENUMERATOR)
#undef JOT_DETAIL_ERRC_ENUMERATOR
};

/// Groups of causes, for callers that only need to know what kind of failure it was.
enum class condition {
    malformed = 1,
    untrusted,
    claims_rejected,
    key_rejected,
    refresh_rejected,
    store_failure,
    dpop_rejected,
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
    if (v >= 700 && v < 800) return condition::dpop_rejected;
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
            case condition::dpop_rejected:
                return "dpop proof rejected";
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
#define JOT_DETAIL_ERRC_NAME(n, v, message) \
    case errc::n:                           \
        return #n;
        JOT_DETAIL_ERRC_TABLE(JOT_DETAIL_ERRC_NAME)
#undef JOT_DETAIL_ERRC_NAME
    }
    return "unknown";
}

namespace detail {

inline std::string error_category_impl::message(int ev) const {
    switch (static_cast<errc>(ev)) {
#define JOT_DETAIL_ERRC_MESSAGE(n, v, message) \
    case errc::n:                              \
        return message;
        JOT_DETAIL_ERRC_TABLE(JOT_DETAIL_ERRC_MESSAGE)
#undef JOT_DETAIL_ERRC_MESSAGE
    }
    return "unknown jot error";
}

#undef JOT_DETAIL_ERRC_TABLE

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
