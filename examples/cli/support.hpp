// SPDX-License-Identifier: MIT
// Helpers for the jot command-line tool: exit codes, files, key files, durations and token text.
#pragma once

#include <fcntl.h>     // open, O_*
#include <sys/stat.h>  // fstat, S_ISREG
#include <unistd.h>    // write, close, unlink

#include <cerrno>        // errno
#include <chrono>        // std::chrono::seconds
#include <cmath>         // std::floor
#include <cstddef>       // std::byte, std::size_t
#include <cstdint>       // std::int64_t
#include <cstdio>        // std::rename, std::snprintf
#include <cstdlib>       // mkstemp
#include <cstring>       // std::strerror
#include <ctime>         // gmtime_r, std::strftime
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
        if (parsed.error() == jot::errc::algorithm_unknown)
            throw usage_error("key file '" + path +
                              "' names an algorithm (\"alg\") that jot does not implement");
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

/// Writes `text` to a new file at `path`, readable and writable by its owner only (0600). Refuses an
/// existing file unless `replace`, which swaps the new file in by rename so no one sees a partial key.
/// Throws usage_error naming the file, never its content.
inline void write_private_file(const std::string& path, std::string_view text, bool replace) {
    const auto fail = [&](const std::string& why) {
        return usage_error("cannot write key file '" + path + "': " + why);
    };
    int fd = -1;
    std::string temp;
    if (replace) {
        temp = path + ".XXXXXX";
        fd = mkstemp(temp.data());  // mode 0600
    } else {
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST)
            throw usage_error("key file '" + path + "' exists; pass --force to replace it");
    }
    if (fd < 0) throw fail(std::strerror(errno));
    bool ok = ::fchmod(fd, 0600) == 0;
    for (std::size_t done = 0; ok && done < text.size();) {
        const auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    const int saved = errno;
    ok = ::close(fd) == 0 && ok;
    if (ok && replace) ok = std::rename(temp.c_str(), path.c_str()) == 0;
    if (!ok) {
        const int why = errno ? errno : saved;
        ::unlink(replace ? temp.c_str() : path.c_str());
        throw fail(std::strerror(why));
    }
}

/// True when standard output is a regular file (a shell redirection), where a key would get the umask's mode.
inline bool stdout_is_regular_file() noexcept {
    struct stat st {};
    return ::fstat(1, &st) == 0 && S_ISREG(st.st_mode);
}

/// "2023-11-14T22:13:20Z" for a UNIX time.
inline std::string utc_time(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    char out[32] = {};
    if (gmtime_r(&t, &tm) == nullptr || std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return "?";
    return out;
}

/// "1700000600 (2023-11-14T22:23:20Z)" for a NumericDate; fractions are kept to the millisecond.
inline std::string describe_time(double unix_seconds) {
    const double whole = std::floor(unix_seconds);
    std::string text = std::to_string(static_cast<std::int64_t>(whole));
    if (unix_seconds != whole) {
        char fraction[16] = {};
        std::snprintf(fraction, sizeof fraction, "%.3f", unix_seconds - whole);
        text += std::string(fraction).substr(1);
    }
    return text + " (" + utc_time(static_cast<std::int64_t>(whole)) + ")";
}

/// What a claims failure was about, for the message after "error: <errc>: <message>": the missing or
/// malformed claim's name, or the times (the claim, now, the leeway) for time failures. Empty for other
/// errors. Reads the claims again after the verifier refused them (their signature was checked); never
/// repeats a claim's text, only names and times.
inline std::string claim_failure_detail(std::error_code ec, std::string_view token,
                                        const jot::verifier_options& o, jot::time_point now);

/// A random 128-bit identifier in base64url (for jti).
inline std::string random_id() {
    std::byte bytes[16];
    if (!jot::crypto::random_bytes(std::span(bytes))) throw usage_error("the system random generator failed");
    return jot::base64url_encode(std::span<const std::byte>(bytes));
}

/// What a claim failure was about (the claim, the times), from the token decoded WITHOUT verification; never
/// token bytes. Empty when there is nothing to add.
inline std::string claim_failure_detail(std::error_code ec, std::string_view token,
                                        const jot::verifier_options& o, jot::time_point now) {
    if (ec.category() != jot::error_category() || jot::condition::claims_rejected != ec) return {};
    const auto parts = jot::decode_unverified(token, o.limits);
    if (!parts || !parts->claims.is_object()) return {};
    const auto& claims = parts->claims;
    const auto e = static_cast<jot::errc>(ec.value());
    const auto leeway = std::to_string(o.leeway.count()) + "s";
    const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
    const auto at = [&](const char* name) {
        const auto it = claims.find(name);
        return it != claims.end() && it->is_number() ? describe_time(it->get<double>()) : std::string("?");
    };
    const std::string times = ", now " + describe_time(std::floor(t)) + ", leeway " + leeway;
    switch (e) {
        case jot::errc::token_expired:
            return "expired at " + at("exp") + times;
        case jot::errc::token_not_yet_valid:
            return "not before " + at("nbf") + times;
        case jot::errc::token_issued_in_future:
            return "issued at " + at("iat") + times;
        case jot::errc::token_too_old:
            return "issued at " + at("iat") + times + ", max age " + std::to_string(o.max_age.count()) + "s";
        case jot::errc::claim_missing: {
            // In the verifier's order of checks, so the first missing claim is the one it refused.
            std::vector<std::string> wanted;
            if (!o.allow_missing_exp) wanted.emplace_back("exp");
            if (o.max_age.count() > 0) wanted.emplace_back("iat");
            if (!o.allow_any_issuer) wanted.emplace_back("iss");
            if (!o.subject.empty()) wanted.emplace_back("sub");
            if (!o.allow_any_audience) wanted.emplace_back("aud");
            wanted.insert(wanted.end(), o.required_claims.begin(), o.required_claims.end());
            for (const auto& name : wanted)
                if (!claims.contains(name)) return "missing claim: " + name;
            return {};
        }
        case jot::errc::claim_invalid: {
            for (const char* name : {"exp", "nbf", "iat"}) {
                const auto it = claims.find(name);
                if (it != claims.end() && (!it->is_number() || it->get<double>() < 0 ||
                                           it->get<double>() > static_cast<double>(253'402'300'799)))
                    return "claim " + std::string(name) + " is not a NumericDate from 0 to year 9999";
            }
            for (const char* name : {"iss", "sub", "jti"}) {
                const auto it = claims.find(name);
                if (it != claims.end() && !it->is_string())
                    return "claim " + std::string(name) + " is not a string";
            }
            return "claim aud is not a string or an array of strings";
        }
        case jot::errc::issuer_mismatch:
            return "expected iss " + o.issuer;
        case jot::errc::subject_mismatch:
            return "expected sub " + o.subject;
        case jot::errc::audience_mismatch: {
            std::string accepted;
            for (const auto& a : o.audience) accepted += (accepted.empty() ? "" : ", ") + a;
            return "accepted aud: " + accepted;
        }
        default:
            return {};
    }
}

}  // namespace jot_cli
