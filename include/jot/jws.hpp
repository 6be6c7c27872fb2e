// SPDX-License-Identifier: MIT
// JWS compact serialization (RFC 7515): split with limits, strict header rules, sign and verify bytes.
#pragma once

#include <cstddef>      // std::size_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "base64url.hpp"
#include "detail/json.hpp"
#include "detail/json_scan.hpp"
#include "error.hpp"
#include "key.hpp"

namespace jot::inline v0 {

/// Bounds on what the parser will look at. Both are runtime values; neither changes a type.
struct parse_limits {
    std::size_t max_token_bytes = std::size_t{8} * 1024;
    std::size_t max_json_depth = 16;
};

/// Header members a signer sets; "alg" comes from the algorithm and is never taken from here.
struct header_fields {
    std::string type = "JWT";    // "typ"; empty leaves it out
    std::string kid{};           // empty leaves it out
    std::string content_type{};  // "cty"; empty leaves it out
};

namespace detail {

/// The three parts of a compact JWS, as views into the token.
struct jws_parts {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
    std::string_view signing_input;  // header '.' payload
};

[[nodiscard]] inline result<jws_parts> split_compact(std::string_view token, std::size_t max_bytes) noexcept {
    if (token.size() > max_bytes) return errc::token_too_large;
    const auto first = token.find('.');
    if (first == std::string_view::npos) return errc::token_malformed;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return errc::token_malformed;
    jws_parts p{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
                token.substr(0, second)};
    // An empty signature is left to the header checks, so that "alg":"none" is named as such.
    if (p.header.empty()) return errc::token_malformed;
    return p;
}

[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// The JOSE header, checked against every rule that does not need a key.
struct checked_header {
    algorithm alg = algorithm::hs256;
    std::string text;  // the decoded header JSON
    std::optional<std::string> kid;
    std::optional<std::string> type;
};

/// Decodes the header part into `out.text` and checks it: strict JSON, then the JOSE rules in order.
[[nodiscard]] inline result<void> decode_header(std::string_view b64, const parse_limits& limits,
                                                checked_header& out) {
    if (!base64url_decode_into(out.text, b64)) return errc::base64_invalid;
    using kind = json_value_view::kind;
    json_value_view alg, crit, b64_member, kid, typ, cty;
    bool embedded_key = false;
    const errc scanned = json_scanner(out.text, limits.max_json_depth)
                             .scan_object([&](std::string_view name, const json_value_view& v) {
                                 if (name == "alg")
                                     alg = v;
                                 else if (name == "crit")
                                     crit = v;
                                 else if (name == "b64")
                                     b64_member = v;
                                 else if (name == "kid")
                                     kid = v;
                                 else if (name == "typ")
                                     typ = v;
                                 else if (name == "cty")
                                     cty = v;
                                 // RFC 8725 §3.10: a key named by the token is chosen by the attacker.
                                 else if (name == "jwk" || name == "jku" || name == "x5u" || name == "x5c")
                                     embedded_key = true;
                             });
    if (scanned == errc::json_invalid || scanned == errc::payload_invalid) return errc::header_invalid;
    if (scanned != errc{}) return scanned;

    if (alg.raw.empty() || alg.type != kind::string) return errc::header_invalid;
    const std::string alg_storage = alg.escaped ? decode_json_string(alg) : std::string();
    const std::string_view alg_name =
        alg.escaped ? std::string_view(alg_storage) : alg.raw.substr(1, alg.raw.size() - 2);
    // RFC 8725 §2.1, §3.1: unsecured tokens are refused in every spelling.
    if (iequals(alg_name, "none")) return errc::algorithm_none;
    const auto known = algorithm_from_name(alg_name);
    if (!known) return errc::algorithm_unknown;
    out.alg = *known;
    // RFC 7515 §4.1.11: jot implements no extension, so any critical one is fatal.
    if (!crit.raw.empty()) {
        if (crit.type != kind::array) return errc::header_invalid;
        const auto list = nlohmann::json::parse(crit.raw, nullptr, false);
        if (!list.is_array() || list.empty()) return errc::header_invalid;
        for (const auto& c : list)
            if (!c.is_string()) return errc::header_invalid;
        return errc::header_crit_unsupported;
    }
    if (!b64_member.raw.empty()) {
        if (b64_member.type != kind::boolean) return errc::header_invalid;
        if (b64_member.raw == "false") return errc::header_unencoded_payload;
    }
    if (embedded_key) return errc::header_embedded_key;
    if (!kid.raw.empty()) {
        if (kid.type != kind::string) return errc::header_invalid;
        out.kid = decode_json_string(kid);
    }
    if (!typ.raw.empty()) {
        if (typ.type != kind::string) return errc::header_invalid;
        out.type = decode_json_string(typ);
    }
    if (!cty.raw.empty() && cty.type != kind::string) return errc::header_invalid;
    return {};
}

/// The signature length an algorithm needs with this key.
[[nodiscard]] inline std::size_t signature_size(algorithm alg, const key& k) noexcept {
    const auto& t = traits(alg);
    return t.family == key_family::rsa ? (k.bits() + 7) / 8 : t.signature_size;
}

/// Signs `input` with `k` under `alg` into `sig` (raw bytes). The one non-template signing core.
[[nodiscard]] inline result<void> sign_bytes(const key& k, algorithm alg, std::string_view input,
                                             std::string& sig) {
    if (auto fit = k.fits(alg, key_use::sign); !fit) return fit;
    const auto& t = traits(alg);
    if (t.family == key_family::hmac) {
        sig.resize(size(t.digest));
        if (!k.impl().hmac->mac(t.digest, input, reinterpret_cast<unsigned char*>(sig.data())))
            return errc::crypto_failure;
        return {};
    }
    if (!crypto::sign(k.impl().pkey.get(), t, input, sig)) return errc::crypto_failure;
    return {};
}

/// Checks raw signature bytes over `input`. The one non-template verification core.
[[nodiscard]] inline result<void> verify_bytes(const key& k, algorithm alg, std::string_view input,
                                               std::string_view sig) {
    if (sig.size() != signature_size(alg, k)) return errc::signature_length_invalid;
    const auto& t = traits(alg);
    if (t.family == key_family::hmac) {
        unsigned char expected[64];
        if (!k.impl().hmac->mac(t.digest, input, expected)) return errc::crypto_failure;
        const bool same = crypto::constant_time_equal(std::as_bytes(std::span(expected, sig.size())),
                                                      std::as_bytes(std::span(sig.data(), sig.size())));
        crypto::cleanse(expected, sizeof expected);
        return same ? result<void>{} : errc::signature_invalid;
    }
    switch (crypto::verify(k.impl().pkey.get(), t, input, sig)) {
        case crypto::check::valid:
            return {};
        case crypto::check::invalid:
            return errc::signature_invalid;
        case crypto::check::failure:
            break;
    }
    return errc::crypto_failure;
}

/// Serializes a header with "alg" first, then the given fields.
[[nodiscard]] inline std::string header_json(algorithm alg, const header_fields& f) {
    std::string h = R"({"alg":")";
    h += name(alg);
    h += '"';
    const auto add = [&h](std::string_view member, const std::string& value) {
        if (value.empty()) return;
        h += ",\"";
        h += member;
        h += "\":";
        h += nlohmann::json(value).dump();
    };
    add("typ", f.type);
    add("kid", f.kid);
    add("cty", f.content_type);
    h += '}';
    return h;
}

/// header.payload.signature for any algorithm; the templates below only fix the types.
[[nodiscard]] inline result<std::string> sign_compact(const key& k, algorithm alg, std::string_view payload,
                                                      const header_fields& fields) {
    std::string token;
    base64url_encode_append(token, header_json(alg, fields));
    token += '.';
    base64url_encode_append(token, payload);
    std::string sig;
    if (auto r = sign_bytes(k, alg, token, sig); !r) return r.error();
    token += '.';
    base64url_encode_append(token, sig);
    return token;
}

}  // namespace detail

/// A JWS whose signature verified; its payload may be any bytes. Made only by verify_jws.
class verified_jws {
public:
    [[nodiscard]] const nlohmann::json& header() const noexcept { return header_; }
    [[nodiscard]] const std::string& payload() const noexcept { return payload_; }
    [[nodiscard]] algorithm alg() const noexcept { return alg_; }

    class passkey {
        passkey() = default;
        friend result<verified_jws> verify_jws_with(const key&, algorithm, std::string_view,
                                                    const parse_limits&);
    };
    verified_jws(passkey, nlohmann::json header, std::string payload, algorithm alg)
        : header_(std::move(header)), payload_(std::move(payload)), alg_(alg) {}

private:
    nlohmann::json header_;
    std::string payload_;
    algorithm alg_;
};

/// Verifies a compact JWS with one key bound to one algorithm; the payload is not interpreted.
/// Every header rule applies. Thread-safe.
[[nodiscard]] inline result<verified_jws> verify_jws_with(const key& k, algorithm alg, std::string_view token,
                                                          const parse_limits& limits) {
    auto parts = detail::split_compact(token, limits.max_token_bytes);
    if (!parts) return parts.error();
    detail::checked_header h;
    if (auto r = detail::decode_header(parts->header, limits, h); !r) return r.error();
    // RFC 8725 §3.1: the key's algorithm is fixed; the header must agree with it, not choose it.
    if (h.alg != alg) return errc::algorithm_not_allowed;
    if (auto fit = k.fits(alg, key_use::verify); !fit) return fit.error();
    std::string scratch;
    if (!base64url_decode_into(scratch, parts->signature)) return errc::base64_invalid;
    if (auto r = detail::verify_bytes(k, alg, parts->signing_input, scratch); !r) return r.error();
    std::string payload;
    if (!base64url_decode_into(payload, parts->payload)) return errc::base64_invalid;
    return verified_jws(verified_jws::passkey{}, nlohmann::json::parse(h.text), std::move(payload), alg);
}

/// Verifies a compact JWS signed with algorithm Alg; a key of another family does not compile.
template <class Alg>
[[nodiscard]] result<verified_jws> verify_jws(const key_for<Alg>& k, std::string_view token,
                                              const parse_limits& limits = {}) {
    return verify_jws_with(k.untyped(), Alg::id, token, limits);
}

/// Signs payload bytes as a compact JWS with a key and algorithm chosen at run time.
[[nodiscard]] inline result<std::string> sign_jws_with(const key& k, algorithm alg, std::string_view payload,
                                                       const header_fields& fields = {}) {
    return detail::sign_compact(k, alg, payload, fields);
}

/// Signs arbitrary payload bytes as a compact JWS with algorithm Alg.
template <class Alg>
[[nodiscard]] result<std::string> sign_jws(const key_for<Alg>& k, std::string_view payload,
                                           const header_fields& fields = {}) {
    return detail::sign_compact(k.untyped(), Alg::id, payload, fields);
}

}  // namespace jot::inline v0
