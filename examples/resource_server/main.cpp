// SPDX-License-Identifier: MIT
// jot example resource server: the tutorial's GET /posts behind Bearer access tokens checked against the
// auth server's JWKS (and, with --store, its revocations).
#include <algorithm>  // std::find
#include <chrono>     // std::chrono::system_clock
#include <cstdio>     // std::fprintf, stdout
#include <exception>  // std::exception
#include <map>        // std::map
#include <optional>   // std::optional
#include <string>     // std::string
#include <thread>     // std::this_thread::sleep_for

#include <nlohmann/json.hpp>

#include <jot/access_policy.hpp>
#include <jot/access_revocation.hpp>
#include <jot/remote_jwks.hpp>

#include "../common/access_log.hpp"
#include "../common/metrics_endpoint.hpp"
#include "../common/service_metrics.hpp"
#include "../common/signals.hpp"
#include "../common/store.hpp"
#include "../http/client.hpp"
#include "../http/server.hpp"
#include "config.hpp"

namespace {

/// The posts of each user as a ready JSON body: the tutorial's two posts unless --posts names a file.
std::map<std::string, std::string> load_posts(const std::string& path) {
    nlohmann::json posts = nlohmann::json::array(
        {{{"username", "Kyle"}, {"title", "Post 1"}}, {{"username", "Jim"}, {"title", "Post 2"}}});
    if (!path.empty()) {
        posts = nlohmann::json::parse(jot_examples::read_text_file(path), nullptr, false);
        if (!posts.is_array())
            throw jot_examples::config_error("--posts '" + path + "': expected a JSON array");
    }
    std::map<std::string, nlohmann::json> by_user;
    for (const auto& p : posts) {
        if (!p.is_object() || !p.contains("username") || !p["username"].is_string())
            throw jot_examples::config_error("--posts: every post needs a string \"username\"");
        auto& list = by_user[p["username"].get<std::string>()];
        if (list.is_null()) list = nlohmann::json::array();
        list.push_back(p);
    }
    std::map<std::string, std::string> out;
    for (const auto& [user, list] : by_user) out[user] = list.dump();
    return out;
}

/// The remote JWKS source's fetch, on the layer's HTTP client: GET with If-None-Match, within the timeout.
jot::result<jot::jwks_response> fetch_jwks(const jot::jwks_request& r, jot_examples::jwks_metrics& m) {
    namespace http = jot_examples::http;
    using outcome = jot_examples::jwks_metrics::fetch_outcome;
    const auto start = std::chrono::steady_clock::now();
    http::get_options o{.connect_timeout = std::chrono::duration_cast<std::chrono::seconds>(r.timeout),
                        .read_timeout = std::chrono::duration_cast<std::chrono::seconds>(r.timeout),
                        .max_body_bytes = 256 * 1024};
    if (!r.if_none_match.empty()) o.headers.emplace_back("If-None-Match", std::string(r.if_none_match));
    auto got = http::get(r.url, o);
    const auto took = std::chrono::steady_clock::now() - start;
    if (!got.error.empty()) {
        m.fetched(outcome::error, took);
        return std::make_error_code(std::errc::io_error);
    }
    m.fetched(got.status == 200   ? outcome::ok
              : got.status == 304 ? outcome::not_modified
                                  : outcome::other_status,
              took);
    return jot::jwks_response{.status = got.status,
                              .body = std::move(got.body),
                              .cache_control = std::move(got.cache_control),
                              .etag = std::move(got.etag)};
}

int run(const jot_resource::config& c) {
    namespace http = jot_examples::http;
    jot_examples::access_log log(stdout, c.log_format);
    const auto say = [&log](const std::string& s) { log.note(s); };

    const auto posts = load_posts(c.posts_file);
    // The answer for a token that verified, once its revocation check (if any) is done.
    const auto posts_for = [&posts](const std::string& subject, const jot::result<void>& revocation) {
        http::response res;
        if (!revocation) {
            if (revocation.error() == jot::condition::store_failure)
                http::send_error(res, 503, "temporarily_unavailable", "the revocation store is unavailable");
            else
                http::send_bearer_challenge(res, "the access token was revoked");
            return res;
        }
        const auto it = posts.find(subject);
        res.set_header("Cache-Control", "no-store");
        res.set_content(it == posts.end() ? std::string("[]") : it->second, "application/json");
        return res;
    };
    jot_examples::store_metrics store_calls;
    jot_examples::jwks_metrics jwks;
    // Declared after what its callbacks use: destroying it answers the lookups still in flight.
    std::optional<jot::any_store> store;
    if (!c.store.empty()) store = jot_examples::open_store(c.store).observed(store_calls.observer());

    // RFC 9068 access tokens of the auth server, by the rule the auth server issues them with.
    jot::remote_jwks keys(c.jwks_url, jot::access_token_policy(c.issuer, {c.audience}, c.leeway),
                          [&jwks](const jot::jwks_request& r) { return fetch_jwks(r, jwks); },
                          {.min_interval = c.jwks_min_interval,
                           .max_max_age = std::max(c.jwks_refresh, c.jwks_min_interval),
                           .max_staleness = c.jwks_max_staleness,
                           .cache_capacity = c.verify_cache,
                           .background_refresh = true,
                           .on_failure =
                               [&log, &jwks](const jot::jwks_failure& f) {
                                   jwks.failed(f);
                                   log.note(jot::describe(f), jot_examples::log_level::warn);
                               },
                           .on_keys =
                               [&say, &jwks](std::size_t n) {
                                   jwks.loaded(n);
                                   say("jwks: loaded " + std::to_string(n) + " key(s)");
                               }});
    const auto give_up = std::chrono::steady_clock::now() + c.jwks_wait;
    while (keys.refresh()) {
        if (std::chrono::steady_clock::now() >= give_up) {
            jot_examples::access_log::report(c.log_format, "resource_server",
                                             "no usable JWKS from " + c.jwks_url);
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }

    http::router router;
    const auto allowed_origin = [&c](const http::request& req) {
        const auto origin = req.header("Origin");
        return !origin.empty() &&
               std::find(c.cors_origins.begin(), c.cors_origins.end(), origin) != c.cors_origins.end();
    };
    // CORS for the configured browser origins only: the preflight, and the header on every answer (a 401 too,
    // so the page can see it and refresh).
    router.on_answer([allowed_origin](const http::request& req, http::response& res) {
        if (!allowed_origin(req)) return;
        res.set_header("Access-Control-Allow-Origin", std::string(req.header("Origin")));
        res.set_header("Access-Control-Expose-Headers", "WWW-Authenticate");
        res.set_header("Vary", "Origin");
    });
    router.add(
        "OPTIONS", "/posts",
        [allowed_origin](const http::request& req) {
            http::response res{.status = 204};
            if (!allowed_origin(req)) return http::response{.status = 403};
            res.set_header("Access-Control-Allow-Methods", "GET");
            res.set_header("Access-Control-Allow-Headers", "Authorization");
            res.set_header("Access-Control-Max-Age", "600");
            return res;
        },
        http::execution::io_thread);
    // Verification is CPU work and stays on the I/O thread, unless the keys need a fetch first. A
    // revocation check asks the store: through a store that answers asynchronously (Redis) the I/O thread
    // hands the lookup over and answers when the store calls back; through one that blocks, the handler
    // runs on the work pool.
    const bool async_lookups = store && store->lookup_is_async();
    router.get(
        "/posts",
        [&](const http::request& req) {
            http::response res;
            const auto b = http::bearer_token(req);
            if (b.what != http::bearer::kind::token) {
                http::send_bearer_challenge(res, "a Bearer access token is required");
                return res;
            }
            auto t = req.on_work_pool() ? std::optional(keys.verify_cached(b.token))
                                        : keys.try_verify_cached(b.token);
            if (!t) return http::run_on_work_pool();
            if (!*t) {
                if (t->error() == jot::errc::keys_unavailable) {
                    http::send_error(res, 503, "temporarily_unavailable",
                                     "the auth server's keys are unavailable");
                    return res;
                }
                http::send_bearer_challenge(res, t->error() == jot::errc::token_expired
                                                     ? "the access token expired"
                                                     : "the access token is invalid");
                return res;
            }
            const auto& token = ***t;
            if (!store) return posts_for(std::string(token.subject()), {});
            auto facts = jot::facts_of(token);
            const auto now = std::chrono::system_clock::now();
            if (!async_lookups) return posts_for(facts.subject, jot::check_revocation(*store, facts, now));
            return http::answer_later([&, facts = std::move(facts), now](const http::responder& reply) {
                jot::check_revocation_async(
                    *store, facts, now,
                    [&posts_for, reply, subject = facts.subject](const jot::result<void>& r) {
                        reply(posts_for(subject, r));
                    });
            });
        },
        store && !async_lookups ? http::execution::work_pool : http::execution::io_thread);
    router.get(
        "/healthz",
        [](const http::request&) {
            http::response res;
            http::send_json(res, 200, {{"status", "ok"}});
            return res;
        },
        http::execution::io_thread);

    jot_examples::metrics::registry metrics;
    jot_examples::metrics_endpoint metrics_at(c.metrics_listen, metrics, router, log);
    http::server server(c.http, router, log);
    metrics.add([&server](std::string& out) { server.write_metrics(out); });
    metrics.add([&jwks](std::string& out) { jwks.write(out); });
    if (store) metrics.add([&store_calls](std::string& out) { store_calls.write(out); });
    const auto port = server.listen(c.host, static_cast<unsigned short>(c.port));
    jot_examples::watch_signals(
        [&server, &log](int sig) {
            log.note(std::string("shutting down on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
            server.stop();
        },
        [&keys] { (void)keys.refresh(); });
    say("resource_server: jwks " + c.jwks_url + ", store " +
        (store ? store->description() : std::string("none")) + ", verify cache " +
        std::to_string(c.verify_cache));
    say(metrics_at.start());
    say("resource_server listening on http://" + c.host + ":" + std::to_string(port));
    server.run();
    metrics_at.stop();
    say("resource_server stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    jot_examples::block_signals();
    jot_resource::config c;
    if (const auto status = jot_resource::parse_config(argc, argv, c)) return *status;
    try {
        return run(c);
    } catch (const jot_examples::config_error& e) {
        jot_examples::access_log::report(c.log_format, "resource_server", e.what());
        return 2;
    } catch (const jot::setup_error& e) {
        jot_examples::access_log::report(c.log_format, "resource_server", e.what());
        return 2;
    } catch (const std::exception& e) {
        jot_examples::access_log::report(c.log_format, "resource_server", e.what());
        return 1;
    }
}
