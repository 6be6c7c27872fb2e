// SPDX-License-Identifier: MIT
// jot example resource server: the tutorial's GET /posts behind Bearer access tokens checked against the
// auth server's JWKS (and, with --store, its revocations).
#include <algorithm>           // std::find
#include <chrono>              // std::chrono::system_clock
#include <condition_variable>  // std::condition_variable
#include <cstdio>              // std::fprintf, stdout
#include <exception>           // std::exception
#include <map>                 // std::map
#include <memory>              // std::shared_ptr
#include <mutex>               // std::mutex, std::unique_lock
#include <optional>            // std::optional
#include <string>              // std::string
#include <thread>              // std::thread, std::this_thread::sleep_for

#include <nlohmann/json.hpp>

#include <jot/verifier.hpp>

#include "../common/access_log.hpp"
#include "../common/any_store.hpp"
#include "../common/revocation.hpp"
#include "../common/signals.hpp"
#include "../http/server.hpp"
#include "config.hpp"
#include "jwks_cache.hpp"
#include "token_cache.hpp"

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

/// Refetches the JWKS every --jwks-refresh until stopped, so that retired keys leave.
class refresher {
public:
    refresher(jot_resource::jwks_cache& cache, std::chrono::seconds every)
        : thread_([this, &cache, every] {
              std::unique_lock lock(m_);
              while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
                  lock.unlock();
                  (void)cache.fetch();
                  lock.lock();
              }
          }) {}
    refresher(const refresher&) = delete;
    refresher& operator=(const refresher&) = delete;
    ~refresher() {
        {
            const std::lock_guard lock(m_);
            stop_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

int run(const jot_resource::config& c) {
    jot_examples::access_log log(stdout);
    const auto say = [&log](const std::string& s) { log.note(s); };

    std::optional<jot_examples::any_store> store;
    if (!c.store.empty()) store = jot_examples::open_store(c.store);
    const auto posts = load_posts(c.posts_file);

    const jot::verifier_options policy{.issuer = c.issuer,
                                       .audience = {c.audience},
                                       .type = "at+jwt",  // RFC 9068 §4: only access tokens, never ID tokens
                                       .required_claims = {"sub", "iat", "jti", "client_id"},
                                       .leeway = c.leeway};
    jot_resource::jwks_cache keys(c.jwks_url, policy, c.jwks_min_interval, say);
    const auto give_up = std::chrono::steady_clock::now() + c.jwks_wait;
    while (!keys.fetch()) {
        if (std::chrono::steady_clock::now() >= give_up) {
            std::fprintf(stderr, "resource_server: no usable JWKS from %s\n", c.jwks_url.c_str());
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    jot_resource::token_cache cache(c.verify_cache);

    namespace http = jot_examples::http;
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
    // Verification is CPU work and stays on the I/O thread, unless it needs a JWKS fetch; a revocation check
    // asks the store, so with --store the handler runs on the work pool.
    router.get(
        "/posts",
        [&](const http::request& req) {
            http::response res;
            const auto b = http::bearer_token(req);
            if (b.what != http::bearer::kind::token) {
                http::send_bearer_challenge(res, "a Bearer access token is required");
                return res;
            }
            const auto now = std::chrono::system_clock::now();
            auto state = keys.current();
            auto facts = cache.find(b.token, state->generation, now);
            if (!facts) {
                auto t = state->verifier->verify_at(b.token, now);
                if (!t && t.error() == jot::errc::key_not_found && keys.refetch_allowed(state->generation)) {
                    if (!req.on_work_pool()) return http::run_on_work_pool();
                    if (keys.refresh_for_unknown_kid(state->generation)) {
                        state = keys.current();
                        t = state->verifier->verify_at(b.token, now);
                    }
                }
                if (!t) {
                    http::send_bearer_challenge(res, t.error() == jot::errc::token_expired
                                                         ? "the access token expired"
                                                         : "the access token is invalid");
                    return res;
                }
                facts = jot_examples::facts_of(*t);
                cache.insert(b.token, *facts, state->generation, jot::later_by(facts->expires_at, c.leeway),
                             now);
            }
            if (store) {
                if (const auto r = jot_examples::check_revocation(*store, *facts, now, true); !r) {
                    if (r.error() == jot::condition::store_failure)
                        http::send_error(res, 503, "temporarily_unavailable",
                                         "the revocation store is unavailable");
                    else
                        http::send_bearer_challenge(res, "the access token was revoked");
                    return res;
                }
            }
            const auto it = posts.find(facts->subject);
            res.set_header("Cache-Control", "no-store");
            res.set_content(it == posts.end() ? std::string("[]") : it->second, "application/json");
            return res;
        },
        store ? http::execution::work_pool : http::execution::io_thread);
    router.get(
        "/healthz",
        [](const http::request&) {
            http::response res;
            http::send_json(res, 200, {{"status", "ok"}});
            return res;
        },
        http::execution::io_thread);

    http::server server(c.http, router, log);
    const auto port = server.listen(c.host, static_cast<unsigned short>(c.port));
    jot_examples::watch_signals(
        [&server, &log](int sig) {
            log.note(std::string("shutting down on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
            server.stop();
        },
        [&keys] { (void)keys.fetch(); });
    refresher background(keys, c.jwks_refresh);
    say("resource_server: jwks " + c.jwks_url + ", store " +
        (store ? store->description() : std::string("none")) + ", verify cache " +
        std::to_string(c.verify_cache));
    say("resource_server listening on http://" + c.host + ":" + std::to_string(port));
    server.run();
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
        std::fprintf(stderr, "resource_server: %s\n", e.what());
        return 2;
    } catch (const jot::setup_error& e) {
        std::fprintf(stderr, "resource_server: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "resource_server: %s\n", e.what());
        return 1;
    }
}
