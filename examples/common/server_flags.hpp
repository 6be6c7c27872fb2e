// SPDX-License-Identifier: MIT
// The HTTP edge's flags, the same on both example servers: threads, queue, connections, deadlines, limits.
#pragma once

#include <string>  // std::string

#include <CLI/CLI.hpp>

#include "../http/options.hpp"
#include "access_log.hpp"
#include "config.hpp"
#include "listen_address.hpp"

namespace jot_examples {

/// Adds the flags of `o` (with their JOT_* environment names) to `app`.
inline void add_server_flags(CLI::App& app, http::server_options& o) {
    add_config(app, "--threads", o.io_threads, "I/O threads (0: one per core)")->check(CLI::Range(0, 256));
    add_config(app, "--work-threads", o.work_threads,
               "threads for blocking work: password hashing, store calls (0: four per core)")
        ->check(CLI::Range(0, 1024));
    add_config(app, "--work-queue", o.work_queue,
               "blocking jobs that may wait for a work thread; beyond, 503 with Retry-After")
        ->check(CLI::Range(1, 1 << 20));
    add_config(app, "--max-connections", o.max_connections,
               "open connections; a new one beyond gets 503 and is closed")
        ->check(CLI::Range(1, 1 << 20));
    add_duration(app, "--header-timeout", o.header_timeout,
                 "the request head must arrive within this, from its first byte");
    add_duration(app, "--body-timeout", o.body_timeout, "the request body must arrive within this");
    add_duration(app, "--idle-timeout", o.idle_timeout,
                 "a kept-alive connection may wait this long for a request");
    add_duration(app, "--write-timeout", o.write_timeout, "the client must read the answer within this");
    add_config(app, "--max-header-bytes", o.max_header_bytes, "largest request head in bytes (431 beyond)")
        ->check(CLI::Range(1024, 1 << 20));
    add_config(app, "--max-headers", o.max_header_fields, "most header fields in a request (431 beyond)")
        ->check(CLI::Range(8, 10000));
    add_config(app, "--max-body", o.max_body_bytes, "largest request body in bytes (413 beyond)")
        ->check(CLI::Range(256, 1 << 20));
    add_duration(app, "--drain-timeout", o.drain_timeout,
                 "on SIGTERM, requests in flight may take this long (at most 4s)")
        ->check(CLI::Validator(
            [](const std::string& text) {
                const auto d = parse_duration(text);
                return d && d->count() <= 4 ? std::string() : std::string("at most 4s");
            },
            "DURATION<=4s"));
}

/// Adds --log-format text|json (JOT_LOG_FORMAT).
inline void add_log_flag(CLI::App& app, log_format& format) {
    app.add_option_function<std::string>(
           "--log-format",
           [&format](const std::string& v) { format = v == "json" ? log_format::json : log_format::text; },
           "log lines as text, or as one JSON object per line")
        ->check(CLI::IsMember({"text", "json"}))
        ->envname(env_name("--log-format"))
        ->type_name("text|json")
        ->default_str("text");
}

/// Adds --metrics-listen HOST:PORT|off (JOT_METRICS_LISTEN): where GET /metrics is served.
inline void add_metrics_flag(CLI::App& app, std::string& listen) {
    add_config(app, "--metrics-listen", listen,
               "serve GET /metrics on this HOST:PORT instead of the public listener, or \"off\"")
        ->type_name("HOST:PORT|off")
        ->check(CLI::Validator(
            [](const std::string& text) {
                try {
                    (void)parse_metrics_listen(text);
                    return std::string();
                } catch (const config_error& e) {
                    return std::string(e.what());
                }
            },
            ""));
}

}  // namespace jot_examples
