// SPDX-License-Identifier: MIT
// What handlers of the example servers share: JSON answers, RFC 6749/6750 error bodies, forms, JSON
// parameters, cookies and Bearer tokens.
#pragma once

#include <cstddef>      // std::size_t
#include <map>          // std::map
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <nlohmann/json.hpp>

#include "message.hpp"

namespace jot_examples::http {

/// Sets a JSON body.
inline void send_json(response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

/// Responses that carry or concern tokens must not be cached (RFC 6749 §5.1).
inline void no_store(response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Pragma", "no-cache");
}

/// An RFC 6749 §5.2 error body: {"error": code, "error_description": description}.
inline void send_error(response& res, int status, std::string_view code, std::string_view description) {
    nlohmann::json body = {{"error", code}};
    if (!description.empty()) body["error_description"] = description;
    no_store(res);
    send_json(res, status, body);
}

/// The answer to a request the server failed on; it says nothing of why (that could quote the request).
[[nodiscard]] inline response internal_error() {
    response res;
    send_error(res, 500, "server_error", "internal error");
    return res;
}

/// The media type of a request body, lowercased and without parameters ("application/json").
[[nodiscard]] inline std::string media_type(const request& req) {
    std::string t(req.header("Content-Type"));
    if (const auto semi = t.find(';'); semi != std::string::npos) t.resize(semi);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
    for (auto& c : t) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return t;
}

namespace detail {
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
inline std::optional<std::string> form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}
}  // namespace detail

/// Parses an application/x-www-form-urlencoded body. nullopt for bad escapes or a parameter given twice
/// (RFC 6749 §3.1: parameters MUST NOT be included more than once).
[[nodiscard]] inline std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
    std::map<std::string, std::string> out;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto name = detail::form_decode(pair.substr(0, eq));
        auto value =
            detail::form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!name || !value) return std::nullopt;
        if (!out.emplace(*std::move(name), *std::move(value)).second) return std::nullopt;
    }
    return out;
}

/// Parses a JSON object body of string, number, boolean or null members (nesting at most 4 deep).
/// nullopt for anything else.
[[nodiscard]] inline std::optional<nlohmann::json> parse_json_object(std::string_view body) {
    bool too_deep = false;
    auto j = nlohmann::json::parse(
        body,
        [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > 4) too_deep = true;
            return !too_deep;
        },
        false);
    if (too_deep || !j.is_object()) return std::nullopt;
    return j;
}

/// The request's parameters from a JSON object or a form body; `error` explains a rejection. Other
/// media types are rejected (415).
struct body_params {
    std::map<std::string, std::string> values;  // string members only; other JSON types mark the name bad
    std::map<std::string, bool> non_string;
    [[nodiscard]] const std::string* find(const std::string& name) const {
        const auto it = values.find(name);
        return it == values.end() ? nullptr : &it->second;
    }
};

/// Reads the body of `req` as JSON or form parameters. On failure, writes the 400/415 answer and returns
/// nullopt.
[[nodiscard]] inline std::optional<body_params> read_params(const request& req, response& res,
                                                            bool allow_empty = false) {
    const std::string& body = req.body();
    const std::string type = media_type(req);
    body_params p;
    if (body.empty() && allow_empty) return p;
    if (type == "application/json") {
        const auto j = parse_json_object(body);
        if (!j) {
            send_error(res, 400, "invalid_request", "the body is not a JSON object");
            return std::nullopt;
        }
        for (const auto& [k, v] : j->items()) {
            if (v.is_string())
                p.values[k] = v.get<std::string>();
            else
                p.non_string[k] = true;
        }
        return p;
    }
    if (type == "application/x-www-form-urlencoded") {
        auto f = parse_form(body);
        if (!f) {
            send_error(res, 400, "invalid_request", "malformed form body or repeated parameter");
            return std::nullopt;
        }
        p.values = *std::move(f);
        return p;
    }
    send_error(res, 415, "invalid_request",
               "the body must be application/json or application/x-www-form-urlencoded");
    return std::nullopt;
}

/// The value of cookie `name`, if the request carries it (the first one wins).
[[nodiscard]] inline std::optional<std::string> cookie(const request& req, std::string_view name) {
    for (const std::string_view header : req.headers("Cookie")) {
        std::string_view rest = header;
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            std::string_view pair = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
            std::string_view value = pair.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return std::string(value);
        }
    }
    return std::nullopt;
}

/// What an Authorization header holds.
struct bearer {
    enum class kind { none, malformed, token } what = kind::none;
    std::string token{};
};

/// Reads "Authorization: Bearer <token>" (RFC 6750 §2.1; the scheme is case-insensitive). No header or
/// another scheme is `none`; "Bearer" with an empty or spaced token is `malformed`.
[[nodiscard]] inline bearer bearer_token(const request& req) {
    if (!req.has_header("Authorization")) return {};
    const std::string_view h = req.header("Authorization");
    constexpr std::string_view scheme = "bearer";
    if (h.size() < scheme.size() || !iequals(h.substr(0, scheme.size()), scheme)) return {};
    if (h.size() == scheme.size()) return {bearer::kind::malformed, {}};
    if (h[scheme.size()] != ' ') return {};
    std::string_view t = h.substr(scheme.size());
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t.empty() || t.find_first_of(" \t,") != std::string_view::npos) return {bearer::kind::malformed, {}};
    return {bearer::kind::token, std::string(t)};
}

/// A 401 with `WWW-Authenticate: Bearer realm="jot", error="invalid_token", error_description=...`
/// (RFC 6750 §3) and the same error as a JSON body. `description` must never quote the token.
inline void send_bearer_challenge(response& res, std::string_view description) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"jot\", error=\"invalid_token\", error_description=\"" +
                                           std::string(description) + "\"");
    send_error(res, 401, "invalid_token", description);
}

}  // namespace jot_examples::http
