// SPDX-License-Identifier: MIT
// The resource server's configuration: flags, their JOT_* environment variables and an optional .env file.
#pragma once

#include <chrono>    // std::chrono::seconds
#include <cstddef>   // std::size_t
#include <cstdio>    // std::fprintf
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include <CLI/CLI.hpp>

#include "../common/config.hpp"
#include "../common/server_flags.hpp"
#include "../common/store.hpp"
#include "../http/options.hpp"

namespace jot_resource {

/// Everything the resource server reads at start-up.
struct config {
    std::string host = "127.0.0.1";
    int port = 3000;
    std::string jwks_url = "http://127.0.0.1:4000/.well-known/jwks.json";
    std::string issuer = "http://127.0.0.1:4000";
    std::string audience = "jot-example-api";
    std::string store{};                      // empty: no revocation checks before expiry
    std::vector<std::string> cors_origins{};  // browser origins allowed to call GET /posts
    std::string posts_file{};
    std::chrono::seconds jwks_min_interval{30};
    std::chrono::seconds jwks_refresh = std::chrono::minutes{10};
    std::chrono::seconds jwks_max_staleness = std::chrono::hours{1};
    std::chrono::seconds jwks_wait{30};
    std::chrono::seconds leeway{0};
    std::size_t verify_cache = 10000;
    jot_examples::http::server_options http{.max_body_bytes = 4096};       // --threads, timeouts, limits
    jot_examples::log_format log_format = jot_examples::log_format::text;  // --log-format
    std::string metrics_listen;  // --metrics-listen: "" (the public listener), "off" or HOST:PORT
};

/// Parses flags over JOT_* variables over the .env file. Returns an exit status for --help and for
/// mistakes (after printing them), or nullopt to go on.
[[nodiscard]] inline std::optional<int> parse_config(int argc, char** argv, config& c) {
    using jot_examples::add_config;
    using jot_examples::add_duration;
    CLI::App app{"jot example resource server: GET /posts for the user of a Bearer access token",
                 "resource_server"};
    app.option_defaults()->always_capture_default();
    try {
        jot_examples::load_env_file(argc, argv);
    } catch (const jot_examples::config_error& e) {
        std::fprintf(stderr, "resource_server: %s\n", e.what());
        return 2;
    }
    jot_examples::add_env_file_option(app);
    add_config(app, "--host", c.host, "address to listen on");
    add_config(app, "--port", c.port, "port to listen on (0 picks a free one)")->check(CLI::Range(0, 65535));
    add_config(app, "--jwks-url", c.jwks_url, "the auth server's JWKS");
    add_config(app, "--issuer", c.issuer, "required iss of access tokens");
    add_config(app, "--audience", c.audience, "required aud of access tokens");
    add_config(app, "--store", c.store,
               "the auth server's store (" + jot_examples::store_kinds() +
                   "), to honour revocations before expiry; empty: none");
    add_config(app, "--posts", c.posts_file,
               "JSON file [{\"username\",\"title\"}, ...] (default: the tutorial's)");
    app.add_option("--cors-origin", c.cors_origins,
                   "a browser origin allowed to call GET /posts (repeatable)")
        ->envname(jot_examples::env_name("--cors-origin"))
        ->allow_extra_args(false);
    add_duration(
        app, "--jwks-min-interval", c.jwks_min_interval,
        "fetch the JWKS at most this often (on an unknown kid, a failure, or its max-age); at least 1s");
    add_duration(app, "--jwks-refresh", c.jwks_refresh,
                 "refetch the JWKS at least this often, whatever its max-age says");
    add_duration(app, "--jwks-max-staleness", c.jwks_max_staleness,
                 "while the JWKS cannot be fetched, keep its keys this long past their max-age", true);
    add_duration(app, "--jwks-wait", c.jwks_wait, "how long to wait for the JWKS at start", true);
    add_duration(app, "--leeway", c.leeway, "clock skew allowed on access tokens (at most 5m)", true);
    add_config(app, "--verify-cache", c.verify_cache,
               "verified tokens remembered until they expire (0: off)");
    jot_examples::add_server_flags(app, c.http);
    jot_examples::add_log_flag(app, c.log_format);
    jot_examples::add_metrics_flag(app, c.metrics_listen);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;  // --help is 0; every mistake is 2
    }
    if (!c.jwks_url.starts_with("http://") && !c.jwks_url.starts_with("https://")) {
        std::fprintf(stderr, "resource_server: --jwks-url must be an http:// or https:// URL\n");
        return 2;
    }
    return std::nullopt;
}

}  // namespace jot_resource
