// SPDX-License-Identifier: MIT
// JWS compact serialization (RFC 7515): split with limits, strict header rules, sign and verify bytes.
#pragma once

#include <cstddef>      // std::size_t
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <nlohmann/json.hpp>

#include "algorithm.hpp"
#include "base64url.hpp"
#include "detail/ascii.hpp"
#include "detail/json.hpp"
#include "detail/json_scan.hpp"
#include "detail/json_write.hpp"
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

/// The text of a string value: a view of the bytes between its quotes, or, if it holds escapes, its
/// decoded form kept in `storage`.
[[nodiscard]] inline std::string_view string_value(const json_value_view& v, std::string& storage) {
    if (!v.escaped) return v.raw.substr(1, v.raw.size() - 2);
    storage = decode_json_string(v);
    return storage;
}

/// The JOSE header, checked against every rule that does not need a key. kid, typ and jwk are the scanned
/// values (raw empty when absent), views into the header text.
struct checked_header {
    algorithm alg = algorithm::hs256;
    json_value_view kid{};
    json_value_view type{};
    json_value_view jwk{};       // an embedded key: refused by check_header, the key of a DPoP proof
    bool key_reference = false;  // jku, x5u or x5c: always refused
};

/// Checks the decoded header `text` against the rules every JWS shares: strict JSON, alg, crit, b64 and
/// the types of kid, typ and cty. Records an embedded jwk and key references in `out` without judging them,
/// so that the two callers (check_header and the DPoP proof check) apply one copy of the shared rules.
[[nodiscard]] inline result<void> check_header_except_keys(std::string_view text, const parse_limits& limits,
                                                           checked_header& out) {
    using kind = json_value_view::kind;
    json_value_view alg, crit, b64_member, kid, typ, cty, jwk;
    bool key_reference = false;
    const errc scanned = json_scanner(text, limits.max_json_depth)
                             .scan_object([&](std::string_view name, const json_value_view& v) {
                                 switch (short_name(name)) {
                                     case short_name("alg"):
                                         alg = v;
                                         break;
                                     case short_name("crit"):
                                         crit = v;
                                         break;
                                     case short_name("b64"):
                                         b64_member = v;
                                         break;
                                     case short_name("kid"):
                                         kid = v;
                                         break;
                                     case short_name("typ"):
                                         typ = v;
                                         break;
                                     case short_name("cty"):
                                         cty = v;
                                         break;
                                     case short_name("jwk"):
                                         jwk = v;
                                         break;
                                     case short_name("jku"):
                                     case short_name("x5u"):
                                     case short_name("x5c"):
                                         key_reference = true;
                                         break;
                                     default:
                                         break;
                                 }
                             });
    if (scanned == errc::json_invalid || scanned == errc::payload_invalid) return errc::header_invalid;
    if (scanned != errc{}) return scanned;

    if (alg.raw.empty() || alg.type != kind::string) return errc::header_invalid;
    std::string alg_storage;
    const std::string_view alg_name = string_value(alg, alg_storage);
    // RFC 8725 §2.1, §3.1: unsecured tokens are refused in every spelling.
    if (iequals(alg_name, "none")) return errc::algorithm_none;
    const auto known = algorithm_from_name(alg_name);
    if (!known) return errc::algorithm_unknown;
    out.alg = *known;
    // RFC 7515 §4.1.11: jot implements no extension, so any critical one is fatal.
    if (!crit.raw.empty()) {
        if (crit.type != kind::array) return errc::header_invalid;
        std::size_t names = 0;
        bool all_strings = true;
        const errc listed =
            json_scanner(crit.raw, limits.max_json_depth).scan_array([&](const json_value_view& c) {
                ++names;
                all_strings = all_strings && c.type == kind::string;
            });
        if (listed != errc{} || names == 0 || !all_strings) return errc::header_invalid;
        return errc::header_crit_unsupported;
    }
    if (!b64_member.raw.empty()) {
        if (b64_member.type != kind::boolean) return errc::header_invalid;
        if (b64_member.raw == "false") return errc::header_unencoded_payload;
    }
    if (!kid.raw.empty() && kid.type != kind::string) return errc::header_invalid;
    if (!typ.raw.empty() && typ.type != kind::string) return errc::header_invalid;
    if (!cty.raw.empty() && cty.type != kind::string) return errc::header_invalid;
    out.kid = kid;
    out.type = typ;
    out.jwk = jwk;
    out.key_reference = key_reference;
    return {};
}

/// Checks the decoded header `text`: the shared rules, then no key embedded or referenced.
[[nodiscard]] inline result<void> check_header(std::string_view text, const parse_limits& limits,
                                               checked_header& out) {
    if (auto r = check_header_except_keys(text, limits, out); !r) return r;
    // RFC 8725 §3.10: a key named by the token is chosen by the attacker.
    if (!out.jwk.raw.empty() || out.key_reference) return errc::header_embedded_key;
    return {};
}

/// The signature length an algorithm needs with this key.
[[nodiscard]] inline std::size_t signature_size(algorithm alg, const key& k) noexcept {
    const auto& t = traits(alg);
    return t.family == key_family::rsa ? (k.bits() + 7) / 8 : t.signature_size;
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
    switch (crypto::verify(k.impl().pkey.get(), k.impl().context_owner, t, input, sig)) {
        case crypto::check::valid:
            return {};
        case crypto::check::invalid:
            return errc::signature_invalid;
        case crypto::check::failure:
            break;
    }
    return errc::crypto_failure;
}

/// Header members as views, so that signing does not copy them.
struct header_view {
    std::string_view type{};
    std::string_view kid{};
    std::string_view content_type{};
};

[[nodiscard]] inline header_view view_of(const header_fields& f) noexcept {
    return {f.type, f.kid, f.content_type};
}

/// Appends the header JSON, "alg" first, then the members that are not empty.
[[nodiscard]] inline errc append_header_json(std::string& out, algorithm alg, const header_view& f) {
    out += R"({"alg":")";
    out += name(alg);
    out += '"';
    errc e{};
    const auto add = [&](std::string_view member, std::string_view value) {
        if (value.empty() || e != errc{}) return;
        out += ",\"";
        out += member;
        out += "\":";
        e = append_json_string(out, value);
    };
    add("typ", f.type);
    add("kid", f.kid);
    add("cty", f.content_type);
    out += '}';
    return e;
}

/// The base64url text of the header JSON. json_invalid_utf8 if a member is not UTF-8.
[[nodiscard]] inline result<std::string> encoded_header(algorithm alg, const header_view& fields) {
    std::string header;
    header.reserve(32 + fields.type.size() + fields.kid.size() + fields.content_type.size());
    if (const errc e = append_header_json(header, alg, fields); e != errc{}) return e;
    return base64url_encode(header);
}

/// header.payload.signature from an already encoded header, for any algorithm; the payload is JSON text or
/// any bytes. The one signing core: the templates only fix the types.
[[nodiscard]] inline result<std::string> sign_encoded(const key& k, algorithm alg,
                                                      std::string_view header_b64, std::string_view payload) {
    if (auto fit = k.fits(alg, key_use::sign); !fit) return fit.error();
    const std::size_t signature_bytes = signature_size(alg, k);
    std::string token;
    token.reserve(header_b64.size() + base64url_encoded_size(payload.size()) +
                  base64url_encoded_size(signature_bytes) + 2);
    token += header_b64;
    token += '.';
    base64url_encode_append(token, payload);
    const auto& t = traits(alg);
    if (t.family == key_family::hmac) {
        unsigned char mac[64];
        if (!k.impl().hmac->mac(t.digest, token, mac)) return errc::crypto_failure;
        token += '.';
        base64url_encode_append(token, std::string_view(reinterpret_cast<const char*>(mac), signature_bytes));
        crypto::cleanse(mac, sizeof mac);
        return token;
    }
    std::string sig;
    if (!crypto::sign(k.impl().pkey.get(), k.impl().context_owner, t, token, sig))
        return errc::crypto_failure;
    token += '.';
    base64url_encode_append(token, sig);
    return token;
}

/// header.payload.signature with the header made from `fields`.
[[nodiscard]] inline result<std::string> sign_compact(const key& k, algorithm alg, std::string_view payload,
                                                      const header_view& fields) {
    const auto header = encoded_header(alg, fields);
    if (!header) return header.error();
    return sign_encoded(k, alg, *header, payload);
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
    std::string header_text;
    if (!base64url_decode_into(header_text, parts->header)) return errc::base64_invalid;
    detail::checked_header h;
    if (auto r = detail::check_header(header_text, limits, h); !r) return r.error();
    // RFC 8725 §3.1: the key's algorithm is fixed; the header must agree with it, not choose it.
    if (h.alg != alg) return errc::algorithm_not_allowed;
    if (auto fit = k.fits(alg, key_use::verify); !fit) return fit.error();
    std::string scratch;
    if (!base64url_decode_into(scratch, parts->signature)) return errc::base64_invalid;
    if (auto r = detail::verify_bytes(k, alg, parts->signing_input, scratch); !r) return r.error();
    std::string payload;
    if (!base64url_decode_into(payload, parts->payload)) return errc::base64_invalid;
    return verified_jws(verified_jws::passkey{}, nlohmann::json::parse(header_text), std::move(payload), alg);
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
    return detail::sign_compact(k, alg, payload, detail::view_of(fields));
}

/// Signs arbitrary payload bytes as a compact JWS with algorithm Alg.
template <class Alg>
[[nodiscard]] result<std::string> sign_jws(const key_for<Alg>& k, std::string_view payload,
                                           const header_fields& fields = {}) {
    return detail::sign_compact(k.untyped(), Alg::id, payload, detail::view_of(fields));
}

}  // namespace jot::inline v0
