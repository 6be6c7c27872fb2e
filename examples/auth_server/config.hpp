// SPDX-License-Identifier: MIT
// The auth server's configuration: flags, their JOT_* environment variables and an optional .env file.
#pragma once

#include <chrono>    // std::chrono::seconds
#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include <CLI/CLI.hpp>

#include <jot/algorithm.hpp>

#include "../common/config.hpp"
#include "../common/server_flags.hpp"
#include "../common/store.hpp"
#include "../http/options.hpp"

namespace jot_auth {

/// Everything the auth server reads at start-up. Durations are checked by the token service too.
struct config {
    std::string host = "127.0.0.1";
    int port = 4000;
    std::string issuer = "http://127.0.0.1:4000";
    std::string audience = "jot-example-api";
    std::string client_id = "jot-example-web";  // client_id claim of access tokens issued by /login
    std::string store = "sqlite:./jot-data/jot.db";
    std::string keys = "./jot-data/keys";
    std::string alg = "ES256";
    std::chrono::seconds access_ttl = std::chrono::minutes{15};
    std::chrono::seconds refresh_idle_ttl = std::chrono::days{14};
    std::chrono::seconds refresh_absolute_ttl = std::chrono::days{30};
    // Two tabs refreshing at once, or a retry after a lost answer, present the same refresh token twice:
    // without a window the second counts as reuse and ends the session (the library default stays 0).
    std::chrono::seconds grace{10};
    std::chrono::seconds leeway{0};
    std::size_t max_sessions = 100;
    std::uint64_t login_throttle_max = 5;  // failed logins of a user from one address before 429
    std::chrono::seconds login_throttle_window = std::chrono::minutes{15};
    std::chrono::seconds login_throttle_backoff{30};
    std::string users_file{};
    std::vector<std::string> users{};    // NAME:PASSWORD
    std::vector<std::string> clients{};  // ID:SECRET, for /introspect
    bool cookie_secure = true;
    std::string demo_api = "http://localhost:3000";  // the resource server the demo page at / calls
    std::vector<std::string> allowed_origins{};      // pages of other origins that may POST /login, /logout
    bool allow_weak_hashes = false;                  // accept users-file hashes below the OWASP Argon2id cost
    std::chrono::seconds rotate_keys_every{0};
    std::chrono::seconds keys_reload{2};
    std::chrono::seconds jwks_max_age{60};  // Cache-Control max-age of the published JWKS
    std::chrono::seconds key_publish_lead =
        std::chrono::minutes{2};                // a new key is in the JWKS this long first
    jot_examples::http::server_options http{};  // --threads, --max-connections, timeouts, limits
    jot_examples::log_format log_format = jot_examples::log_format::text;  // --log-format
    std::string metrics_listen;  // --metrics-listen: "" (the public listener), "off" or HOST:PORT
    bool hash_password = false;  // print the Argon2id hash of a password read on standard input, then exit
};

/// Parses flags over JOT_* variables over the .env file. Returns an exit status for --help and for
/// mistakes (after printing them), or nullopt to go on.
[[nodiscard]] inline std::optional<int> parse_config(int argc, char** argv, config& c) {
    using jot_examples::add_config;
    using jot_examples::add_duration;
    CLI::App app{"jot example auth server: login, refresh-token rotation, revocation, introspection, JWKS",
                 "auth_server"};
    app.option_defaults()->always_capture_default();
    try {
        jot_examples::load_env_file(argc, argv);
    } catch (const jot_examples::config_error& e) {
        std::fprintf(stderr, "auth_server: %s\n", e.what());
        return 2;
    }
    jot_examples::add_env_file_option(app);
    add_config(app, "--host", c.host, "address to listen on");
    add_config(app, "--port", c.port, "port to listen on (0 picks a free one)")->check(CLI::Range(0, 65535));
    add_config(app, "--issuer", c.issuer, "iss of access tokens");
    add_config(app, "--audience", c.audience, "aud of access tokens");
    add_config(app, "--client-id", c.client_id, "client_id claim of tokens issued by /login");
    add_config(app, "--store", c.store, jot_examples::store_kinds());
    add_config(app, "--keys", c.keys,
               "directory of signing keys (created 0700, keys 0600, shared by instances)");
    add_config(app, "--alg", c.alg,
               "signing algorithm (asymmetric: ES256, ES384, ES512, EdDSA, RS256, PS256, ...)");
    add_duration(app, "--access-ttl", c.access_ttl, "access-token lifetime");
    add_duration(app, "--refresh-idle-ttl", c.refresh_idle_ttl, "refresh-token idle lifetime (sliding)");
    add_duration(app, "--refresh-absolute-ttl", c.refresh_absolute_ttl, "session lifetime (absolute)");
    add_duration(app, "--grace", c.grace, "a just-rotated refresh token may be replayed this long", true);
    add_duration(app, "--leeway", c.leeway, "clock skew allowed on access tokens (at most 5m)", true);
    add_config(app, "--max-sessions", c.max_sessions,
               "live sessions per user (at least 1), oldest revoked beyond")
        ->check(CLI::PositiveNumber);
    add_config(app, "--login-throttle-max", c.login_throttle_max,
               "failed logins of one user from one address before 429 (20 from all addresses)")
        ->check(CLI::Range(1, 1000));
    add_duration(app, "--login-throttle-window", c.login_throttle_window,
                 "a run of failed logins ends after this long without one");
    add_duration(app, "--login-throttle-backoff", c.login_throttle_backoff,
                 "the first wait past the threshold; each further failure doubles it");
    add_config(app, "--users", c.users_file, "JSON file {name: argon2id PHC hash}");
    app.add_option("--user", c.users, "NAME:PASSWORD, hashed at start (repeatable; for demos)")
        ->envname(jot_examples::env_name("--user"))
        ->allow_extra_args(false);
    app.add_option("--client", c.clients, "ID:SECRET of a client allowed to call /introspect (repeatable)")
        ->envname(jot_examples::env_name("--client"))
        ->allow_extra_args(false);
    app.add_flag("--cookie-secure,!--no-cookie-secure", c.cookie_secure,
                 "mark the refresh cookie Secure (default on; off only for plain-HTTP development)")
        ->envname(jot_examples::env_name("--cookie-secure"));
    app.add_option("--demo-api", c.demo_api, "the resource server URL the demo page at / calls")
        ->envname(jot_examples::env_name("--demo-api"));
    app.add_option("--allowed-origin", c.allowed_origins,
                   "an origin besides the server's own whose pages may POST /login and /logout (repeatable)")
        ->envname(jot_examples::env_name("--allowed-origin"))
        ->allow_extra_args(false);
    app.add_flag("--allow-weak-hashes", c.allow_weak_hashes,
                 "accept users-file hashes below m=19456,t=2,p=1 (each is rehashed at its next login)")
        ->envname(jot_examples::env_name("--allow-weak-hashes"));
    add_duration(app, "--rotate-keys-every", c.rotate_keys_every,
                 "make a new signing key when the newest is this old (0s: only on SIGHUP)", true);
    add_duration(app, "--keys-reload", c.keys_reload, "how often to look for keys other instances added");
    add_duration(app, "--jwks-max-age", c.jwks_max_age, "how long resource servers may cache the JWKS");
    add_duration(app, "--key-publish-lead", c.key_publish_lead,
                 "a new signing key is published this long before it signs (at least --jwks-max-age)", true);
    jot_examples::add_server_flags(app, c.http);
    jot_examples::add_log_flag(app, c.log_format);
    jot_examples::add_metrics_flag(app, c.metrics_listen);
    app.add_flag("--hash-password", c.hash_password,
                 "read a password on standard input, print its Argon2id hash for a --users file, exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;  // --help is 0; every mistake is 2, as for a bad value below
    }
    if (c.key_publish_lead < c.jwks_max_age) {
        std::fprintf(
            stderr,
            "auth_server: --key-publish-lead (%llds) is shorter than --jwks-max-age (%llds): a resource "
            "server with a cached JWKS would see tokens of a key it does not know yet\n",
            static_cast<long long>(c.key_publish_lead.count()),
            static_cast<long long>(c.jwks_max_age.count()));
        return 2;
    }
    const auto alg = jot::algorithm_from_name(c.alg);
    if (!alg || jot::traits(*alg).family == jot::key_family::hmac) {
        std::fprintf(stderr,
                     "auth_server: --alg '%s' is not an asymmetric JWS algorithm (resource servers verify "
                     "with the public keys of the JWKS)\n",
                     c.alg.c_str());
        return 2;
    }
    return std::nullopt;
}

}  // namespace jot_auth
