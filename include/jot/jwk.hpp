// SPDX-License-Identifier: MIT
// JSON Web Keys (RFC 7517, 7518 §6, 8037): import with strict checks, export, RFC 7638 thumbprints, JWKS.
#pragma once

#include <array>             // std::array
#include <initializer_list>  // std::initializer_list
#include <optional>          // std::optional
#include <span>              // std::span
#include <string>            // std::string
#include <string_view>       // std::string_view
#include <system_error>      // std::error_code
#include <utility>           // std::pair
#include <vector>            // std::vector

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "base64url.hpp"
#include "crypto/pkey.hpp"
#include "crypto/signature.hpp"
#include "detail/json.hpp"
#include "error.hpp"
#include "key.hpp"
#include "key_set.hpp"

namespace jot::inline v0 {

/// A key read from a JWK with the metadata that restricts its use.
struct jwk {
    key k;
    std::string kid{};
    std::optional<algorithm> alg{};      // the JWK's "alg", if any
    std::string use{};                   // "sig", or empty
    std::vector<std::string> key_ops{};  // empty when absent

    /// Whether the JWK's own parameters allow `a` for `u` (RFC 7517 §4.2-4.4), and the key fits `a`.
    [[nodiscard]] result<void> permits(algorithm a, key_use u) const {
        if (alg && *alg != a) return errc::key_use_forbidden;
        if (!use.empty() && use != "sig") return errc::key_use_forbidden;
        if (!key_ops.empty()) {
            const std::string_view op = u == key_use::sign ? "sign" : "verify";
            bool found = false;
            for (const auto& o : key_ops) found = found || o == op;
            if (!found) return errc::key_use_forbidden;
        }
        return k.fits(a, u);
    }
};

/// Limits on a JWKS document; a JWKS often comes from the network.
struct jwks_limits {
    std::size_t max_bytes = std::size_t{256} * 1024;
    std::size_t max_keys = 64;
    /// Accept a JWKS that holds secret (oct) keys beside asymmetric ones (see key_set_options): risky, as a
    /// set meant for verification should hold public keys only.
    bool allow_mixed_secret_and_public_keys = false;
};

namespace detail {

[[nodiscard]] inline result<std::string> jwk_bytes(const nlohmann::json& j, const char* member,
                                                   bool required) {
    const auto it = j.find(member);
    if (it == j.end())
        return required ? result<std::string>(errc::key_invalid) : result<std::string>(std::string{});
    if (!it->is_string()) return errc::key_invalid;
    auto bytes = base64url_decode(it->get_ref<const std::string&>());
    if (!bytes || (required && bytes->empty())) return errc::key_invalid;
    return bytes;
}

}  // namespace detail

/// Reads one JWK: kty RSA, EC (P-256/384/521), OKP (Ed25519) or oct, public or private.
/// Fails with key_invalid (malformed or inconsistent), key_too_weak, algorithm_unknown for an unknown
/// "alg", or the errors of key::from_pem for keys it refuses (RSA exponent, ROCA, Ed25519 point).
[[nodiscard]] inline result<jwk> parse_jwk(const nlohmann::json& j) {
    if (!j.is_object()) return errc::key_invalid;
    const auto kty_it = j.find("kty");
    if (kty_it == j.end() || !kty_it->is_string()) return errc::key_invalid;
    const auto& kty = kty_it->get_ref<const std::string&>();
    const auto opt_string = [&j](const char* m, std::string& out) -> bool {
        const auto it = j.find(m);
        if (it == j.end()) return true;
        if (!it->is_string()) return false;
        out = it->get<std::string>();
        return true;
    };
    std::string kid, alg_name, use, crv;
    if (!opt_string("kid", kid) || !opt_string("alg", alg_name) || !opt_string("use", use) ||
        !opt_string("crv", crv))
        return errc::key_invalid;
    std::vector<std::string> ops;
    if (const auto it = j.find("key_ops"); it != j.end()) {
        if (!it->is_array()) return errc::key_invalid;
        for (const auto& o : *it) {
            if (!o.is_string()) return errc::key_invalid;
            ops.push_back(o.get<std::string>());
        }
    }
    std::optional<algorithm> alg;
    if (!alg_name.empty()) {
        alg = algorithm_from_name(alg_name);
        if (!alg) return errc::algorithm_unknown;
    }

    result<key> k = errc::key_invalid;
    const bool has_d = j.contains("d");
    if (kty == "oct") {
        auto secret = detail::jwk_bytes(j, "k", true);
        if (!secret) return secret.error();
        k = key::hmac(*secret);
        crypto::cleanse(secret->data(), secret->size());
    } else if (kty == "RSA") {
        auto n = detail::jwk_bytes(j, "n", true), e = detail::jwk_bytes(j, "e", true);
        auto d = detail::jwk_bytes(j, "d", false), p = detail::jwk_bytes(j, "p", false),
             q = detail::jwk_bytes(j, "q", false), dp = detail::jwk_bytes(j, "dp", false),
             dq = detail::jwk_bytes(j, "dq", false), qi = detail::jwk_bytes(j, "qi", false);
        if (!n || !e || !d || !p || !q || !dp || !dq || !qi) return errc::key_invalid;
        if (has_d && d->empty()) return errc::key_invalid;
        if (n->size() < 256) return errc::key_too_weak;
        k = detail::key_from_pkey(crypto::rsa_from_params(*n, *e, *d, *p, *q, *dp, *dq, *qi));
    } else if (kty == "EC") {
        const curve c = crv == "P-256"   ? curve::p256
                        : crv == "P-384" ? curve::p384
                        : crv == "P-521" ? curve::p521
                                         : curve::none;
        if (c == curve::none) return errc::key_invalid;
        auto x = detail::jwk_bytes(j, "x", true), y = detail::jwk_bytes(j, "y", true),
             d = detail::jwk_bytes(j, "d", false);
        if (!x || !y || !d) return errc::key_invalid;
        if (has_d && d->empty()) return errc::key_invalid;
        k = detail::key_from_pkey(crypto::ec_from_params(c, *x, *y, *d));
    } else if (kty == "OKP") {
        if (crv != "Ed25519") return errc::key_invalid;
        auto x = detail::jwk_bytes(j, "x", true), d = detail::jwk_bytes(j, "d", false);
        if (!x || !d) return errc::key_invalid;
        if (has_d && d->empty()) return errc::key_invalid;
        k = detail::key_from_pkey(crypto::ed25519_from_params(*x, *d));
    } else {
        return errc::key_invalid;
    }
    if (!k) return k.error();
    if (alg) {
        if (auto fit = k->fits(*alg, key_use::verify); !fit) return fit.error();
    }
    return jwk{*std::move(k), std::move(kid), alg, std::move(use), std::move(ops)};
}

/// Reads one JWK from JSON text (strict JSON: no duplicate members).
[[nodiscard]] inline result<jwk> parse_jwk(std::string_view text) {
    nlohmann::json j;
    if (auto r = detail::parse_strict_json(text, j, 8); !r) return errc::key_invalid;
    return parse_jwk(j);
}

[[nodiscard]] inline result<jwk> parse_jwk(const std::string& text) {
    return parse_jwk(std::string_view(text));
}
[[nodiscard]] inline result<jwk> parse_jwk(const char* text) {
    return parse_jwk(std::string_view(text));
}

/// The JWK members that describe a key, in RFC 7638 order; private members only if asked and present.
[[nodiscard]] inline nlohmann::json key_parameters(const key& k, bool include_private = false) {
    nlohmann::json j = nlohmann::json::object();
    const auto& m = k.impl();
    switch (k.family()) {
        case key_family::hmac:
            j["kty"] = "oct";
            if (include_private) j["k"] = base64url_encode(m.secret);
            return j;
        case key_family::rsa:
            j["kty"] = "RSA";
            break;
        case key_family::ec:
            j["kty"] = "EC";
            break;
        case key_family::okp:
            j["kty"] = "OKP";
            break;
    }
    if (k.family() != key_family::rsa) j["crv"] = std::string(name(k.named_curve()));
    for (auto& [member, bytes] :
         crypto::jwk_members(m.pkey.get(), k.family(), k.named_curve(), include_private && k.is_private()))
        j[std::string(member)] = base64url_encode(bytes);
    return j;
}

namespace detail {
/// The RFC 7638 thumbprint, or crypto_failure if the digest fails: for paths that must not throw.
[[nodiscard]] inline result<std::string> try_thumbprint(const key& k) {
    // RFC 7638 §3.2: the required members only, in lexicographic order, without whitespace (nlohmann objects
    // are sorted and dump() is compact). HMAC keys: the required member is the secret itself.
    const nlohmann::json required = key_parameters(k, k.is_symmetric());
    std::array<unsigned char, 32> digest{};
    if (!crypto::sha256(required.dump(), digest)) return errc::crypto_failure;
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}
}  // namespace detail

/// RFC 7638 thumbprint: base64url SHA-256 of the required public members, sorted, without whitespace.
/// Throws setup_error if the digest itself fails.
[[nodiscard]] inline std::string thumbprint(const key& k) {
    auto t = detail::try_thumbprint(k);
    if (!t) throw setup_error("jot: SHA-256 failed while computing a thumbprint");
    return *std::move(t);
}

/// A JWK for `k` with kid, alg and use "sig". Public members only unless `include_private`.
[[nodiscard]] inline nlohmann::json to_jwk(const key& k, std::string_view kid = {},
                                           std::optional<algorithm> alg = std::nullopt,
                                           bool include_private = false) {
    nlohmann::json j = key_parameters(k, include_private);
    if (!kid.empty()) j["kid"] = std::string(kid);
    if (alg) j["alg"] = std::string(name(*alg));
    j["use"] = "sig";
    return j;
}

/// The public JWKS {"keys": [...]} of a key set. HMAC keys are never published.
[[nodiscard]] inline nlohmann::json to_jwks(const key_set& keys) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& b : keys)
        if (!b.k.is_symmetric()) arr.push_back(to_jwk(b.k, b.kid, b.alg));
    return {{"keys", std::move(arr)}};
}

namespace detail {
/// Whether a JWK refused with `e` must fail its whole set: a key of a known type that is dangerous to
/// trust (a forgeable RSA exponent, a ROCA modulus, a small-order or non-canonical Ed25519 point) says the
/// publisher is broken, whereas unknown or unusable keys are skipped (RFC 7517 §5).
[[nodiscard]] inline bool refuses_whole_set(std::error_code e) noexcept {
    return e == errc::key_rsa_exponent_invalid || e == errc::key_rsa_roca ||
           e == errc::key_ed25519_small_order || e == errc::key_ed25519_non_canonical;
}
}  // namespace detail

/// A key set from a JWKS. Each key is bound to its own "alg" if that is allowed, otherwise to every allowed
/// algorithm its type and curve fit. Keys of unknown types, malformed keys, and keys that the JWK's
/// use/key_ops forbid are skipped (RFC 7517 §5). Fails with key_invalid if the document is malformed or no
/// key remains; with key_rsa_exponent_invalid, key_rsa_roca, key_ed25519_small_order or
/// key_ed25519_non_canonical if any key is one of those; with key_set_duplicate_kid if two different keys
/// share a kid; with key_set_mixed_kinds if secret and asymmetric keys are mixed (unless the limits allow).
[[nodiscard]] inline result<key_set> key_set_from_jwks(const nlohmann::json& jwks,
                                                       std::span<const algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    if (!jwks.is_object()) return errc::key_invalid;
    const auto keys = jwks.find("keys");
    if (keys == jwks.end() || !keys->is_array() || keys->size() > limits.max_keys) return errc::key_invalid;
    key_set out({.allow_mixed_secret_and_public_keys = limits.allow_mixed_secret_and_public_keys});
    // Every entry's kid, with its key if it parsed: a kid repeated by an entry that is skipped is as
    // ambiguous as one repeated by a key in the set (RFC 7517 §4.5).
    std::vector<std::pair<std::string_view, std::optional<key>>> kids;
    for (const auto& entry : *keys) {
        auto parsed = parse_jwk(entry);
        if (!parsed && detail::refuses_whole_set(parsed.error())) return parsed.error();
        if (const auto kid = entry.is_object() ? entry.find("kid") : entry.end();
            kid != entry.end() && kid->is_string()) {
            const std::string_view name = kid->get_ref<const std::string&>();
            for (const auto& [seen, k] : kids)
                if (seen == name && !(k && parsed && detail::same_key(*k, parsed->k)))
                    return errc::key_set_duplicate_kid;
            kids.emplace_back(name, parsed ? std::optional<key>(parsed->k) : std::nullopt);
        }
        if (!parsed) continue;
        for (const algorithm a : allowed) {
            if (!parsed->permits(a, key_use::verify)) continue;
            if (auto added = out.try_add(a, parsed->k, parsed->kid); !added) return added.error();
        }
    }
    if (out.empty()) return errc::key_invalid;
    return out;
}

/// A key set from JWKS text, within the size limit and parsed as strict JSON.
[[nodiscard]] inline result<key_set> key_set_from_jwks(std::string_view text,
                                                       std::span<const algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    if (text.size() > limits.max_bytes) return errc::key_invalid;
    nlohmann::json j;
    if (auto r = detail::parse_strict_json(text, j, 8); !r) return errc::key_invalid;
    return key_set_from_jwks(j, allowed, limits);
}

[[nodiscard]] inline result<key_set> key_set_from_jwks(const std::string& text,
                                                       std::span<const algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    return key_set_from_jwks(std::string_view(text), allowed, limits);
}
[[nodiscard]] inline result<key_set> key_set_from_jwks(const char* text, std::span<const algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    return key_set_from_jwks(std::string_view(text), allowed, limits);
}

/// The same, with the allowed algorithms as a braced list: `key_set_from_jwks(text, {algorithm::es256})`.
[[nodiscard]] inline result<key_set> key_set_from_jwks(const nlohmann::json& jwks,
                                                       std::initializer_list<algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    return key_set_from_jwks(jwks, std::span<const algorithm>(allowed.begin(), allowed.size()), limits);
}
[[nodiscard]] inline result<key_set> key_set_from_jwks(std::string_view text,
                                                       std::initializer_list<algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    return key_set_from_jwks(text, std::span<const algorithm>(allowed.begin(), allowed.size()), limits);
}
[[nodiscard]] inline result<key_set> key_set_from_jwks(const std::string& text,
                                                       std::initializer_list<algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    return key_set_from_jwks(std::string_view(text), allowed, limits);
}
[[nodiscard]] inline result<key_set> key_set_from_jwks(const char* text,
                                                       std::initializer_list<algorithm> allowed,
                                                       const jwks_limits& limits = {}) {
    return key_set_from_jwks(std::string_view(text), allowed, limits);
}

}  // namespace jot::inline v0
