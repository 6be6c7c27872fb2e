// SPDX-License-Identifier: MIT
// The normal form of an http or https URI that DPoP compares htu in (RFC 9449 §4.3, RFC 3986 §6.2.2-6.2.3).
#pragma once

#include <cstddef>      // std::size_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "ascii.hpp"

namespace jot::inline v0::detail {

[[nodiscard]] constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// RFC 3986 §2.3.
[[nodiscard]] constexpr bool uri_unreserved(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/// RFC 3986 §2.2.
[[nodiscard]] constexpr bool uri_sub_delim(char c) noexcept {
    return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' ||
           c == ',' || c == ';' || c == '=';
}

/// Appends `in` with percent-encoding normalized (RFC 3986 §6.2.2.1-2): triplets of unreserved characters
/// decoded, the others in upper case; `lower` also lower-cases every letter (for the host). Each other byte
/// must satisfy `allowed`. False on a broken triplet or a byte that is not allowed.
template <class Allowed>
[[nodiscard]] bool append_percent_normalized(std::string& out, std::string_view in, bool lower,
                                             Allowed allowed) {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            const char decoded = static_cast<char>(hi * 16 + lo);
            i += 2;
            if (uri_unreserved(decoded)) {
                out += lower ? ascii_lower(decoded) : decoded;
                continue;
            }
            constexpr std::string_view digits = "0123456789ABCDEF";
            out += '%';
            out += digits[static_cast<std::size_t>(hi)];
            out += digits[static_cast<std::size_t>(lo)];
            continue;
        }
        if (!allowed(c)) return false;
        out += lower ? ascii_lower(c) : c;
    }
    return true;
}

/// RFC 3986 §5.2.4: the path with "." and ".." segments resolved.
[[nodiscard]] inline std::string remove_dot_segments(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    const auto drop_last_segment = [&out] {
        const auto slash = out.rfind('/');
        out.resize(slash == std::string::npos ? 0 : slash);
    };
    while (!in.empty()) {
        if (in.starts_with("../")) {
            in.remove_prefix(3);
        } else if (in.starts_with("./") || in.starts_with("/./")) {  // "/./" keeps its second '/'
            in.remove_prefix(2);
        } else if (in == "/.") {
            in = "/";
        } else if (in.starts_with("/../")) {
            in.remove_prefix(3);
            drop_last_segment();
        } else if (in == "/..") {
            in = "/";
            drop_last_segment();
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            const auto next = in.find('/', 1);
            const auto segment = in.substr(0, next);
            out += segment;
            in.remove_prefix(segment.size());
        }
    }
    return out;
}

/// The normal form of an absolute http or https URI, for comparing DPoP's htu with the request (RFC 9449
/// §4.3): query and fragment dropped; scheme and host in lower case; percent-encoding normalized; dot
/// segments removed; an empty path is "/"; the default port (80, 443) or an empty one dropped, any other
/// written without leading zeros. nullopt for anything else: another scheme, no host, userinfo (RFC 9110
/// §4.2.4), a port above 65535, or a character that a URI cannot hold.
[[nodiscard]] inline std::optional<std::string> normalized_http_uri(std::string_view uri) {
    uri = uri.substr(0, uri.find('#'));
    uri = uri.substr(0, uri.find('?'));
    const auto colon = uri.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string scheme;
    for (const char c : uri.substr(0, colon)) scheme += ascii_lower(c);
    const bool https = scheme == "https";
    if (!https && scheme != "http") return std::nullopt;
    std::string_view rest = uri.substr(colon + 1);
    if (!rest.starts_with("//")) return std::nullopt;
    rest.remove_prefix(2);
    const auto path_at = rest.find('/');
    const std::string_view authority = rest.substr(0, path_at);
    const std::string_view path =
        path_at == std::string_view::npos ? std::string_view{} : rest.substr(path_at);
    if (authority.find('@') != std::string_view::npos) return std::nullopt;

    std::string out = scheme + "://";
    std::string_view host = authority, port;
    if (authority.starts_with('[')) {  // RFC 3986 §3.2.2 IP-literal
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(0, close + 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') return std::nullopt;
        if (!after.empty()) port = after.substr(1);
        for (const char c : host.substr(1, host.size() - 2))
            if (hex_value(c) < 0 && c != ':' && c != '.') return std::nullopt;
        if (host.size() == 2) return std::nullopt;
        for (const char c : host) out += ascii_lower(c);
    } else {
        const auto port_at = authority.find(':');
        if (port_at != std::string_view::npos) {
            host = authority.substr(0, port_at);
            port = authority.substr(port_at + 1);
        }
        if (host.empty()) return std::nullopt;
        if (!append_percent_normalized(out, host, true,
                                       [](char c) { return uri_unreserved(c) || uri_sub_delim(c); }))
            return std::nullopt;
    }
    unsigned long port_value = 0;
    for (const char c : port) {
        if (c < '0' || c > '9') return std::nullopt;
        port_value = port_value * 10 + static_cast<unsigned long>(c - '0');
        if (port_value > 65535) return std::nullopt;
    }
    // RFC 3986 §6.2.3: an empty port, or the scheme's default, is the same as none.
    if (!port.empty() && port_value != (https ? 443UL : 80UL)) {
        out += ':';
        out += std::to_string(port_value);
    }
    std::string normalized_path;
    if (!append_percent_normalized(normalized_path, path, false, [](char c) {
            return uri_unreserved(c) || uri_sub_delim(c) || c == ':' || c == '@' || c == '/';
        }))
        return std::nullopt;
    out += normalized_path.empty() ? std::string("/") : remove_dot_segments(normalized_path);
    return out;
}

}  // namespace jot::inline v0::detail
