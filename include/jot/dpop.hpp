// SPDX-License-Identifier: MIT
// DPoP proof verification (RFC 9449 §4.3): the proof's own public key, its claims and a single use each.
#pragma once

#include <array>        // std::array
#include <chrono>       // std::chrono::seconds
#include <cstddef>      // std::size_t
#include <memory>       // std::shared_ptr, std::make_shared
#include <optional>     // std::optional
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_same_v
#include <utility>      // std::move
#include <vector>       // std::vector

#include "algorithm.hpp"
#include "base64url.hpp"
#include "claims.hpp"
#include "clock.hpp"
#include "crypto/signature.hpp"
#include "detail/dpop_key.hpp"
#include "detail/json_scan.hpp"
#include "detail/uri.hpp"
#include "dpop_replay_cache.hpp"
#include "error.hpp"
#include "jwk.hpp"
#include "jws.hpp"
#include "key.hpp"
#include "verifier.hpp"

namespace jot::inline v0 {

/// The "typ" of a DPoP proof (RFC 9449 §4.2), compared exactly.
inline constexpr std::string_view dpop_proof_type = "dpop+jwt";

/// Every asymmetric algorithm jot implements: the default allow-list for DPoP proofs.
inline constexpr std::array<algorithm, 10> dpop_default_algorithms{
    algorithm::es256, algorithm::es384, algorithm::es512, algorithm::eddsa, algorithm::rs256,
    algorithm::rs384, algorithm::rs512, algorithm::ps256, algorithm::ps384, algorithm::ps512};

/// What a dpop_verifier accepts. Defaults are the strict choice.
struct dpop_options {
    /// Algorithms a proof may use; asymmetric only (RFC 9449 §4.3 step 5).
    std::vector<algorithm> algorithms{dpop_default_algorithms.begin(), dpop_default_algorithms.end()};
    /// iat may be at most max_age + leeway in the past and leeway in the future (RFC 9449 §11.1).
    std::chrono::seconds max_age{60};
    std::chrono::seconds leeway{5};
    std::size_t max_jti_bytes = 128;
    /// RSA proof keys may have at most this many bits: the client chooses the key, and so the cost of
    /// verifying it.
    std::size_t max_rsa_bits = 4096;
    /// Proof keys kept once read, by their jwk text (reading an EC key costs twice its verification); 0 keeps
    /// none.
    std::size_t key_cache_capacity = 1024;
    parse_limits limits{};
};

/// The HTTP request a proof must match, and what else the server requires of it. Views: the caller's
/// strings must outlive the call.
struct dpop_request {
    std::string_view method{};          // the request method, compared with htm exactly
    std::string_view uri{};             // the absolute request URI; query and fragment are ignored
    std::string_view access_token{};    // the access token presented with the proof, if any: ath is required
    std::string_view key_thumbprint{};  // the access token's cnf.jkt, if any: the proof's key must have it
    std::span<const std::string_view> nonces{};  // the server nonces accepted now; empty: no nonce required
};

/// The "ath" of a proof for `access_token`: base64url SHA-256 of its bytes (RFC 9449 §4.2). Fails with
/// crypto_failure if the digest fails.
[[nodiscard]] inline result<std::string> dpop_access_token_hash(std::string_view access_token) {
    std::array<unsigned char, 32> digest{};
    if (!crypto::sha256(access_token, digest)) return errc::crypto_failure;
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

/// A DPoP proof whose header, key, signature and claims passed a dpop_verifier, used once. Only a
/// dpop_verifier makes one; it cannot change. The binding of a token to the key is thumbprint() (cnf.jkt).
class verified_dpop_proof {
public:
    class passkey {
        passkey() = default;
        friend class dpop_verifier;
    };
    verified_dpop_proof(passkey, key k, algorithm alg, std::string thumbprint, std::string jti,
                        time_point iat, std::string htm, std::string htu, std::string nonce)
        : key_(std::move(k)),
          alg_(alg),
          thumbprint_(std::move(thumbprint)),
          jti_(std::move(jti)),
          iat_(iat),
          htm_(std::move(htm)),
          htu_(std::move(htu)),
          nonce_(std::move(nonce)) {}

    /// RFC 7638 thumbprint of the proof's key: the value of cnf.jkt (RFC 9449 §6.1).
    [[nodiscard]] const std::string& thumbprint() const noexcept { return thumbprint_; }
    /// The public key from the proof's header.
    [[nodiscard]] const key& public_key() const noexcept { return key_; }
    [[nodiscard]] algorithm alg() const noexcept { return alg_; }
    [[nodiscard]] const std::string& jwt_id() const noexcept { return jti_; }
    [[nodiscard]] time_point issued_at() const noexcept { return iat_; }
    [[nodiscard]] const std::string& method() const noexcept { return htm_; }
    /// htu as the proof wrote it.
    [[nodiscard]] const std::string& uri() const noexcept { return htu_; }
    /// The proof's nonce; empty when it has none.
    [[nodiscard]] const std::string& nonce() const noexcept { return nonce_; }

private:
    key key_;
    algorithm alg_;
    std::string thumbprint_, jti_;
    time_point iat_;
    std::string htm_, htu_, nonce_;
};

namespace detail {

/// The replay cache id of a proof: its key's thumbprint and its jti, so one client cannot use up another's.
[[nodiscard]] inline std::string dpop_replay_id(std::string_view thumbprint, std::string_view jti) {
    std::string id;
    id.reserve(thumbprint.size() + 1 + jti.size());
    id += thumbprint;
    id += '.';
    id += jti;
    return id;
}

/// The claims of a proof that the verifier reads, as scanned values (raw empty when absent).
struct dpop_claims {
    json_value_view jti{}, htm{}, htu{}, iat{}, ath{}, nonce{};
};

}  // namespace detail

/// Verifies DPoP proofs (RFC 9449 §4.3). Immutable after construction and safe to share between threads.
/// The proof's key is the one in its header: the only place jot takes a key from a token. Access tokens
/// never get this (verifier refuses an embedded jwk with header_embedded_key).
class dpop_verifier {
public:
    /// Throws setup_error for an empty or symmetric allow-list, a max_age not above zero, a leeway outside
    /// [0, 5 min], a zero max_jti_bytes, a max_rsa_bits below 2048 or limits too small for a proof.
    explicit dpop_verifier(dpop_options options = {})
        : options_(std::move(options)),
          keys_(std::make_shared<detail::dpop_key_cache>(options_.key_cache_capacity)) {
        if (options_.algorithms.empty()) throw setup_error("jot: dpop_options.algorithms is empty");
        for (const algorithm a : options_.algorithms)
            if (traits(a).family == key_family::hmac)
                throw setup_error("jot: dpop_options.algorithms holds a symmetric algorithm");
        if (options_.max_age <= std::chrono::seconds{0})
            throw setup_error("jot: dpop_options.max_age must be above 0");
        if (options_.leeway < std::chrono::seconds{0} || options_.leeway > std::chrono::minutes{5})
            throw setup_error("jot: dpop_options.leeway must be between 0 and 5 minutes");
        if (options_.max_jti_bytes == 0) throw setup_error("jot: dpop_options.max_jti_bytes must be above 0");
        if (options_.max_rsa_bits < 2048)
            throw setup_error("jot: dpop_options.max_rsa_bits must be at least 2048 (RSA's minimum)");
        if (options_.limits.max_token_bytes == 0 || options_.limits.max_json_depth < 3)
            throw setup_error("jot: dpop_options.limits are too small to hold a proof");
    }

    /// Verifies `proof` for `request` at the current system time and records its id in `seen`, so that it
    /// is accepted once. Returns the first rule it breaks (errc values of condition dpop_rejected, the JWS
    /// header and key errors, or dpop_replayed); never throws for bad proofs. Thread-safe if `seen` is.
    template <dpop_replay_cache Cache>
    [[nodiscard]] result<verified_dpop_proof> verify(std::string_view proof, const dpop_request& request,
                                                     Cache& seen) const {
        return verify_at(proof, request, seen, std::chrono::system_clock::now());
    }

    /// The same, as if the time were `now`.
    template <dpop_replay_cache Cache>
    [[nodiscard]] result<verified_dpop_proof> verify_at(std::string_view proof, const dpop_request& request,
                                                        Cache& seen, time_point now) const {
        auto checked = check(proof, request, now);
        if (!checked) return checked.error();
        // Remembered until the proof leaves the iat window (a fractional iat is rounded up by a second).
        const time_point until =
            later_by(checked->issued_at(), options_.max_age + options_.leeway + std::chrono::seconds{1});
        auto fresh =
            seen.insert(detail::dpop_replay_id(checked->thumbprint(), checked->jwt_id()), until, now);
        if (!fresh) return fresh.error();
        if (!*fresh) return errc::dpop_replayed;
        return checked;
    }

    [[nodiscard]] const dpop_options& options() const noexcept { return options_; }

private:
    // Every rule but single use, in the order of RFC 9449 §4.3; one non-template core for every cache.
    [[nodiscard]] result<verified_dpop_proof> check(std::string_view proof, const dpop_request& request,
                                                    time_point now) const {
        const auto request_uri = detail::normalized_http_uri(request.uri);
        if (!request_uri) return errc::dpop_request_uri_invalid;
        const auto& limits = options_.limits;
        const auto parts = detail::split_compact(proof, limits.max_token_bytes);
        if (!parts) return parts.error();
        std::string header_text;
        if (!base64url_decode_into(header_text, parts->header)) return errc::base64_invalid;
        detail::checked_header h;
        if (auto r = detail::check_header_except_keys(header_text, limits, h); !r) return r.error();
        std::string storage;
        if (h.type.raw.empty() || detail::string_value(h.type, storage) != dpop_proof_type)
            return errc::dpop_type_mismatch;
        if (traits(h.alg).family == key_family::hmac) return errc::dpop_algorithm_symmetric;
        bool allowed = false;
        for (const algorithm a : options_.algorithms) allowed = allowed || a == h.alg;
        if (!allowed) return errc::dpop_algorithm_not_allowed;
        // RFC 8725 §3.10: a key the token only points to is fetched from where the attacker says.
        if (h.key_reference) return errc::header_embedded_key;
        const auto read = keys_->get(h.jwk, options_.max_rsa_bits, limits.max_json_depth);
        if (!read) return read.error();
        const detail::dpop_key& k = **read;
        if (auto fit = k.parsed.permits(h.alg, key_use::verify); !fit)
            return fit.error() == errc::key_algorithm_mismatch ? errc::dpop_jwk_algorithm_mismatch
                                                               : fit.error();

        std::string scratch;
        if (!base64url_decode_into(scratch, parts->signature)) return errc::base64_invalid;
        if (auto r = detail::verify_bytes(k.parsed.k, h.alg, parts->signing_input, scratch); !r)
            return r.error();
        std::string payload;
        if (!base64url_decode_into(payload, parts->payload)) return errc::base64_invalid;
        detail::dpop_claims c;
        const errc scanned = detail::json_scanner(payload, limits.max_json_depth)
                                 .scan_object([&c](std::string_view name, const detail::json_value_view& v) {
                                     if (name == "jti") c.jti = v;
                                     if (name == "htm") c.htm = v;
                                     if (name == "htu") c.htu = v;
                                     if (name == "iat") c.iat = v;
                                     if (name == "ath") c.ath = v;
                                     if (name == "nonce") c.nonce = v;
                                 });
        if (scanned == errc::json_invalid) return errc::payload_invalid;
        if (scanned != errc{}) return scanned;
        return check_claims(c, k, h.alg, request, *request_uri, now);
    }

    [[nodiscard]] result<verified_dpop_proof> check_claims(const detail::dpop_claims& c,
                                                           const detail::dpop_key& k, algorithm alg,
                                                           const dpop_request& request,
                                                           const std::string& request_uri,
                                                           time_point now) const {
        using kind = detail::json_value_view::kind;
        for (const auto* v : {&c.jti, &c.htm, &c.htu, &c.ath, &c.nonce})
            if (!v->raw.empty() && v->type != kind::string) return errc::claim_invalid;
        std::string jti_text, htm_text, htu_text, ath_text, nonce_text;
        const auto text = [](const detail::json_value_view& v, std::string& out) {
            if (!v.raw.empty()) out = detail::decode_json_string(v);
            return std::string_view(out);
        };
        const std::string_view jti = text(c.jti, jti_text), htm = text(c.htm, htm_text),
                               htu = text(c.htu, htu_text), ath = text(c.ath, ath_text);
        if (jti.empty()) return errc::dpop_jti_missing;
        if (jti.size() > options_.max_jti_bytes) return errc::dpop_jti_too_long;
        if (htm.empty()) return errc::dpop_htm_missing;
        if (htm != request.method) return errc::dpop_htm_mismatch;
        if (c.htu.raw.empty()) return errc::dpop_htu_missing;
        const auto proof_uri = detail::normalized_http_uri(htu);
        if (!proof_uri) return errc::dpop_htu_invalid;
        if (*proof_uri != request_uri) return errc::dpop_htu_mismatch;

        if (c.iat.raw.empty()) return errc::dpop_iat_missing;
        const auto iat = detail::numeric_date(c.iat);
        if (!iat) return iat.error();
        // The verifier's time rules, with only iat and a max age: one copy of them.
        const detail::time_claim<double> absent = std::optional<double>{},
                                         issued = std::optional<double>(*iat);
        if (auto r = detail::check_token_times(absent, absent, issued, detail::seconds_since_epoch(now),
                                               static_cast<double>(options_.leeway.count()),
                                               static_cast<double>(options_.max_age.count()), true);
            !r) {
            if (r.error() == errc::token_issued_in_future) return errc::dpop_iat_in_future;
            if (r.error() == errc::token_too_old) return errc::dpop_iat_too_old;
            return r.error();
        }

        if (!request.access_token.empty()) {
            if (c.ath.raw.empty()) return errc::dpop_ath_missing;
            const auto expected = dpop_access_token_hash(request.access_token);
            if (!expected) return expected.error();
            if (ath != *expected) return errc::dpop_ath_mismatch;
        }
        if (!request.key_thumbprint.empty() && k.thumbprint != request.key_thumbprint)
            return errc::dpop_key_mismatch;
        const std::string_view nonce = text(c.nonce, nonce_text);
        if (!request.nonces.empty()) {
            // RFC 9449 §8: both answers are use_dpop_nonce, with the nonce to use.
            if (c.nonce.raw.empty()) return errc::dpop_nonce_missing;
            bool known = false;
            for (const std::string_view n : request.nonces) known = known || n == nonce;
            if (!known) return errc::dpop_nonce_mismatch;
        }
        return verified_dpop_proof(verified_dpop_proof::passkey{}, k.parsed.k, alg, k.thumbprint,
                                   std::move(jti_text), detail::from_seconds(*iat), std::move(htm_text),
                                   std::move(htu_text), std::move(nonce_text));
    }

    dpop_options options_;
    std::shared_ptr<detail::dpop_key_cache> keys_;  // shared by copies; thread-safe
};

/// Whether a DPoP failure asks the client to retry with a server nonce (RFC 9449 §8: use_dpop_nonce); every
/// other failure of a dpop_verifier is invalid_dpop_proof.
[[nodiscard]] inline bool needs_dpop_nonce(std::error_code e) noexcept {
    return e == errc::dpop_nonce_missing || e == errc::dpop_nonce_mismatch;
}

static_assert(std::is_same_v<jot::v0::dpop_verifier, jot::dpop_verifier>);

}  // namespace jot::inline v0
