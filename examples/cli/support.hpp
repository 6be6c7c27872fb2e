// SPDX-License-Identifier: MIT
// Helpers for the jot command-line tool: exit codes, files, key files, durations and token text.
#pragma once

#include <cerrno>        // errno
#include <chrono>        // std::chrono::seconds
#include <cstddef>       // std::byte, std::size_t
#include <cstring>       // std::strerror
#include <fstream>       // std::ifstream
#include <iostream>      // std::cin, std::cerr
#include <iterator>      // std::istreambuf_iterator
#include <optional>      // std::optional
#include <span>          // std::span
#include <sstream>       // std::ostringstream
#include <stdexcept>     // std::runtime_error
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code
#include <vector>        // std::vector

#include <nlohmann/json.hpp>

#include <jot/jot.hpp>

namespace jot_cli {

/// The tool's exit status: 1 is reserved for tokens that fail verification.
enum exit_status : int { exit_ok = 0, exit_invalid_token = 1, exit_usage = 2 };

/// A usage, input or key error: printed as "error: <what>" and exits with exit_usage.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// "<errc name>: <message>" for a jot error code, or "<category>: <message>" for any other.
inline std::string describe(std::error_code ec) {
    if (ec.category() == jot::error_category())
        return std::string(jot::name(static_cast<jot::errc>(ec.value()))) + ": " + ec.message();
    return std::string(ec.category().name()) + ": " + ec.message();
}

/// One-line JSON; invalid UTF-8 is replaced rather than thrown on.
inline std::string compact(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// {"<first>":<a>,"<second>":<b>} on one line, members in that order (nlohmann would sort them).
inline std::string two_members(std::string_view first, const nlohmann::json& a, std::string_view second,
                               const nlohmann::json& b) {
    return "{" + compact(std::string(first)) + ":" + compact(a) + "," + compact(std::string(second)) + ":" +
           compact(b) + "}";
}

/// Indented JSON for documents people read and keep (keys, key sets).
inline std::string pretty(const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The whole content of a file, at most `max_bytes`. Throws usage_error naming the file, never its content.
inline std::string read_file(const std::string& path, std::string_view what,
                             std::size_t max_bytes = 1 << 20) {
    const auto cannot = [&](const std::string& why) {
        return usage_error("cannot read " + std::string(what) + " '" + path + "': " + why);
    };
    std::ifstream in(path, std::ios::binary);
    if (!in) throw cannot(std::strerror(errno));
    std::string text;
    char buffer[4096];
    errno = 0;
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_bytes) throw cannot("larger than " + std::to_string(max_bytes) + " bytes");
    }
    if (in.bad()) throw cannot(errno ? std::strerror(errno) : "read failed");
    return text;
}

inline std::string_view trim(std::string_view s) noexcept {
    constexpr std::string_view space = " \t\r\n\v\f";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

/// The token argument: itself, or standard input (trimmed) for "-".
inline std::string read_token(const std::string& arg) {
    if (arg != "-") return arg;
    std::string text(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
    return std::string(trim(text));
}

/// The algorithm named `n`; throws usage_error for "none" and for names jot does not implement.
inline jot::algorithm parse_algorithm(std::string_view n) {
    if (const auto a = jot::algorithm_from_name(n)) return *a;
    std::string lower(n);
    for (auto& c : lower) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower == "none") throw usage_error("alg none is never accepted");
    std::string known;
    for (const auto& t : jot::all_algorithms) known += (known.empty() ? "" : ", ") + std::string(t.name);
    throw usage_error("unknown algorithm '" + std::string(n) + "' (expected one of " + known + ")");
}

/// Reads a key file: a JWK (first non-space character '{') or PEM. A PEM key has no kid, alg, use or key_ops.
/// Throws usage_error naming the file and the cause, never echoing its content.
inline jot::jwk load_key_file(const std::string& path) {
    const std::string text = read_file(path, "key file");
    const std::string_view body = trim(text);
    if (!body.empty() && body.front() == '{') {
        auto parsed = jot::parse_jwk(body);
        if (parsed) return *std::move(parsed);
        const auto doc = nlohmann::json::parse(body, nullptr, false);
        if (doc.is_object() && doc.contains("keys"))
            throw usage_error("key file '" + path + "' is a JWKS, not a single JWK (use --jwks)");
        throw usage_error("key file '" + path + "' holds no usable JWK: " + describe(parsed.error()));
    }
    auto k = jot::key::from_pem(body);
    if (!k) throw usage_error("key file '" + path + "' holds no usable PEM key: " + describe(k.error()));
    return jot::jwk{*std::move(k)};
}

/// The algorithm a key can only ever serve: ES256/384/512 by curve, EdDSA for Ed25519; none for RSA and HMAC.
inline std::optional<jot::algorithm> implied_algorithm(const jot::key& k) noexcept {
    for (const auto& t : jot::all_algorithms)
        if (t.required_curve != jot::curve::none && t.required_curve == k.named_curve()) return t.id;
    return std::nullopt;
}

/// Parses "30s", "15m", "2h", "14d": a positive whole number and one unit. Anything else is nullopt.
inline std::optional<std::chrono::seconds> parse_duration(std::string_view s) noexcept {
    if (s.size() < 2 || s.size() > 10) return std::nullopt;
    std::chrono::seconds::rep unit = 0;
    switch (s.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return std::nullopt;
    }
    std::chrono::seconds::rep n = 0;
    for (const char c : s.substr(0, s.size() - 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n == 0) return std::nullopt;
    return std::chrono::seconds{n * unit};
}

/// A random 128-bit identifier in base64url (for jti).
inline std::string random_id() {
    std::byte bytes[16];
    if (!jot::crypto::random_bytes(std::span(bytes))) throw usage_error("the system random generator failed");
    return jot::base64url_encode(std::span<const std::byte>(bytes));
}

}  // namespace jot_cli
