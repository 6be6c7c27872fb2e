// SPDX-License-Identifier: MIT
// Configuration shared by the example servers: .env files, environment names and CLI11 option helpers.
#pragma once

#include <cerrno>       // errno
#include <chrono>       // std::chrono::seconds
#include <cstddef>      // std::size_t
#include <cstdlib>      // ::setenv, std::getenv
#include <cstring>      // std::strerror
#include <fstream>      // std::ifstream
#include <stdexcept>    // std::runtime_error
#include <string>       // std::string, std::getline
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <CLI/CLI.hpp>

#include "duration.hpp"

namespace jot_examples {

/// A configuration mistake: the server prints it and exits with status 2.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline std::string_view trim(std::string_view s) noexcept {
    constexpr std::string_view space = " \t\r\n\v\f";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

/// The whole content of a file of at most `max_bytes`. Throws config_error naming the file, never its
/// content.
[[nodiscard]] inline std::string read_text_file(const std::string& path, std::size_t max_bytes = 1 << 20) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw config_error("cannot read '" + path + "': " + std::strerror(errno));
    std::string text;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_bytes)
            throw config_error("'" + path + "' is larger than " + std::to_string(max_bytes) + " bytes");
    }
    if (in.bad()) throw config_error("cannot read '" + path + "'");
    return text;
}

/// The environment name of a flag: "--access-ttl" -> "JOT_ACCESS_TTL". The prefix keeps clear of variables
/// every shell sets, such as USER and PORT.
[[nodiscard]] inline std::string env_name(std::string_view flag) {
    std::string out = "JOT_";
    for (const char c : flag.substr(flag.find_first_not_of('-')))
        out += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return out;
}

/// Reads a .env file (KEY=VALUE lines, '#' comments, optional "export ", values optionally in single or
/// double quotes) into the environment. Variables already set win, so flags > environment > .env. Throws
/// config_error naming the file and line, never echoing a value.
inline void load_dotenv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw config_error("cannot read env file '" + path + "': " + std::strerror(errno));
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::string_view l = trim(line);
        if (l.empty() || l.front() == '#') continue;
        if (l.starts_with("export ")) l = trim(l.substr(7));
        const auto eq = l.find('=');
        const auto bad = [&](const char* why) {
            return config_error("env file '" + path + "' line " + std::to_string(number) + ": " + why);
        };
        if (eq == std::string_view::npos || eq == 0) throw bad("expected KEY=VALUE");
        const std::string key(trim(l.substr(0, eq)));
        for (const char c : key)
            if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                throw bad("invalid variable name");
        std::string_view raw = trim(l.substr(eq + 1));
        std::string value;
        if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
            const char q = raw.front();
            const auto close = raw.find(q, 1);
            if (close == std::string_view::npos) throw bad("unterminated quote");
            const std::string_view rest = trim(raw.substr(close + 1));
            if (!rest.empty() && rest.front() != '#') throw bad("text after the closing quote");
            value.assign(raw.substr(1, close - 1));
        } else {
            if (const auto hash = raw.find(" #"); hash != std::string_view::npos)
                raw = trim(raw.substr(0, hash));
            value.assign(raw);
        }
        ::setenv(key.c_str(), value.c_str(), 0);
    }
}

/// Loads the .env file named by --env-file (or JOT_ENV_FILE), else ./.env if it exists. Call before parsing.
inline void load_env_file(int argc, const char* const* argv) {
    std::string path;
    bool required = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--env-file" && i + 1 < argc) {
            path = argv[i + 1];
            required = true;
        } else if (a.starts_with("--env-file=")) {
            path = std::string(a.substr(11));
            required = true;
        }
    }
    if (path.empty()) {
        if (const char* e = std::getenv("JOT_ENV_FILE"); e && *e) {
            path = e;
            required = true;
        } else {
            path = ".env";
        }
    }
    if (!required && !std::ifstream(path)) return;
    load_dotenv(path);
}

/// Adds `--env-file` (already handled by load_env_file) so that it parses and shows in --help.
inline void add_env_file_option(CLI::App& app) {
    app.add_option("--env-file", "a .env file of JOT_* variables (default ./.env if present)");
}

/// Adds a flag with its JOT_* environment name.
template <class T>
CLI::Option* add_config(CLI::App& app, const std::string& flag, T& target, const std::string& help) {
    return app.add_option(flag, target, help)->envname(env_name(flag))->capture_default_str();
}

/// Adds a duration flag ("30s", "15m", "2h", "14d") with its JOT_* environment name; `allow_zero` says
/// whether "0s" is accepted.
inline CLI::Option* add_duration(CLI::App& app, const std::string& flag, std::chrono::seconds& target,
                                 const std::string& help, bool allow_zero = false) {
    auto* o = app.add_option_function<std::string>(
        flag,
        [&target, flag, allow_zero](const std::string& text) {
            const auto d = parse_duration(text);
            if (!d || (!allow_zero && d->count() == 0))
                throw CLI::ValidationError(flag, "'" + text + "' is not a duration like 30s, 15m, 2h or 14d" +
                                                     (allow_zero ? "" : " (and above zero)"));
            target = *d;
        },
        help);
    o->envname(env_name(flag))->default_str(format_duration(target))->type_name("DURATION");
    return o;
}

}  // namespace jot_examples
