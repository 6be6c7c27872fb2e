// SPDX-License-Identifier: MIT
// jot example auth server: the tutorial's /login, /token and /logout on jot's token lifecycle, and more.
#include <malloc.h>            // mallopt, M_MMAP_THRESHOLD
#include <atomic>              // std::atomic
#include <chrono>              // std::chrono::steady_clock
#include <condition_variable>  // std::condition_variable
#include <cstdio>              // std::fprintf, stdout
#include <exception>           // std::exception
#include <iostream>            // std::cin
#include <memory>              // std::make_shared
#include <mutex>               // std::mutex, std::unique_lock
#include <string>              // std::string
#include <thread>              // std::thread

#include <jot/token_service.hpp>

#include "../common/access_log.hpp"
#include "../common/metrics_endpoint.hpp"
#include "../common/service_metrics.hpp"
#include "../common/signals.hpp"
#include "../common/store.hpp"
#include "../http/server.hpp"
#include "config.hpp"
#include "keys.hpp"
#include "routes.hpp"
#include "users.hpp"

namespace {

/// Key reloads, scheduled rotations and purges, on one thread until stop().
class maintenance {
public:
    maintenance(jot_auth::service& svc, jot_auth::key_directory& keys, const jot_auth::config& c,
                jot_examples::access_log& log)
        : thread_([&svc, &keys, &c, &log, this] { run(svc, keys, c, log); }) {}
    maintenance(const maintenance&) = delete;
    maintenance& operator=(const maintenance&) = delete;
    ~maintenance() {
        {
            const std::lock_guard lock(m_);
            stop_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }

private:
    void run(jot_auth::service& svc, jot_auth::key_directory& keys, const jot_auth::config& c,
             jot_examples::access_log& log) {
        using clock = std::chrono::steady_clock;
        auto next_purge = clock::now() + std::chrono::minutes{1};
        std::unique_lock lock(m_);
        while (!cv_.wait_for(lock, c.keys_reload, [this] { return stop_; })) {
            lock.unlock();
            try {
                if (c.rotate_keys_every.count() > 0) keys.rotate(c.rotate_keys_every);
                keys.reload();
                if (clock::now() >= next_purge) {
                    next_purge = clock::now() + std::chrono::minutes{1};
                    if (const auto n = svc.purge_expired(); n && *n > 0)
                        log.note("purge: removed " + std::to_string(*n) + " expired records");
                }
            } catch (const std::exception& e) {
                log.note(std::string("maintenance: ") + e.what(), jot_examples::log_level::error);
            }
            lock.lock();
        }
    }

    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

int run(jot_auth::config& c) {
    jot_examples::access_log log(stdout, c.log_format);
    const auto say = [&log](const std::string& s) { log.note(s); };

    const auto alg = *jot::algorithm_from_name(c.alg);
    jot_examples::store_metrics store_calls;
    jot_examples::lifecycle_metrics lifecycle;
    jot_examples::metrics::counter_set logins{
        "jot_login_attempts_total",
        "POST /login attempts with a username and a password, by outcome (throttled: refused by the login "
        "throttle without checking the password).",
        "outcome", jot_examples::enum_names(jot_auth::login_outcome::store_error)};
    const auto store = jot_examples::open_store(c.store).observed(store_calls.observer());
    // A retired key verifies for as long as any token it signed can live, plus a minute.
    const auto retain = c.access_ttl + c.leeway + std::chrono::minutes{1};
    jot_auth::key_directory keys(c.keys, alg, retain, say, c.key_publish_lead);

    jot_auth::user_db users({}, 0, c.allow_weak_hashes);
    if (!c.users_file.empty()) users.load_file(c.users_file, jot_examples::read_text_file(c.users_file));
    for (const auto& u : c.users) users.add_spec(u);
    if (users.empty())
        log.note("no users (--users FILE or --user NAME:PASSWORD); every login fails",
                 jot_examples::log_level::warn);
    jot_auth::client_db clients;
    for (const auto& spec : c.clients) clients.add_spec(spec);

    jot::token_service_options opts{
        .issuer = c.issuer,
        .audience = {c.audience},
        .access_ttl = c.access_ttl,
        .refresh_idle_ttl = c.refresh_idle_ttl,
        .family_ttl = c.refresh_absolute_ttl,
        .grace = c.grace,
        .max_sessions = c.max_sessions,
        .leeway = c.leeway,
        .on_event =
            [&log, &lifecycle](const jot::lifecycle_event& e) {
                lifecycle.count(e);
                // Ids only: the event never holds a token or a secret.
                log.event(jot::name(e.kind),
                          {{"sub", e.subject}, {"family", e.family_id}, {"generation", e.generation}});
            },
    };
    const auto shared_store = std::make_shared<jot::any_store>(store);
    jot_auth::service svc(keys.ring(), opts, shared_store);
    const jot_auth::throttle limit(shared_store, {.max_failures = c.login_throttle_max,
                                                  .window = c.login_throttle_window,
                                                  .backoff_base = c.login_throttle_backoff,
                                                  .backoff_cap = c.login_throttle_window});

    jot_examples::http::router router;
    jot_auth::auth_routes routes(
        svc, limit, users, clients,
        {.client_id = c.client_id,
         .cookie_secure = c.cookie_secure,
         .demo_api = c.demo_api,
         .allowed_origins = c.allowed_origins,
         .jwks_max_age = c.jwks_max_age,
         .on_login = [&logins](jot_auth::login_outcome o) { logins[static_cast<std::size_t>(o)].add(); }});
    routes.install(router, c.store != "memory");
    jot_examples::metrics::registry metrics;
    jot_examples::metrics_endpoint metrics_at(c.metrics_listen, metrics, router, log);
    jot_examples::http::server server(c.http, router, log);
    metrics.add([&server](std::string& out) { server.write_metrics(out); });
    metrics.add([&lifecycle](std::string& out) { lifecycle.write(out); });
    metrics.add([&logins](std::string& out) { logins.write(out); });
    metrics.add([&store_calls](std::string& out) { store_calls.write(out); });
    const auto port = server.listen(c.host, static_cast<unsigned short>(c.port));
    jot_examples::watch_signals(
        [&server, &log](int sig) {
            log.note(std::string("shutting down on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
            server.stop();
        },
        [&keys, &log] {
            try {
                keys.rotate();
            } catch (const std::exception& e) {
                log.note(std::string("SIGHUP: key rotation failed: ") + e.what(),
                         jot_examples::log_level::error);
            }
        });
    maintenance background(svc, keys, c, log);
    say("auth_server: store " + store.description() + ", keys " + c.keys + " (" + c.alg + ", active kid " +
        keys.ring()->active_kid() + "), " + std::to_string(users.size()) + " users, " +
        std::to_string(clients.size()) + " introspection clients");
    if (server.connection_limit() < c.http.max_connections)
        log.note(
            "the open-file limit allows only " + std::to_string(server.connection_limit()) + " connections",
            jot_examples::log_level::warn);
    say(metrics_at.start());
    say("auth_server listening on http://" + c.host + ":" + std::to_string(port));
    server.run();
    metrics_at.stop();
    say("auth_server stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // Argon2id allocates 19 MiB per hash. glibc serves a block that size from a thread's heap once an
    // earlier one was freed (its mmap threshold grows), and keeps it: RSS then grows with every work
    // thread. A fixed threshold keeps such blocks in mmap, returned to the system on free.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    jot_examples::block_signals();
    jot_auth::config c;
    if (const auto status = jot_auth::parse_config(argc, argv, c)) return *status;
    try {
        if (c.hash_password) {
            std::string password;
            std::getline(std::cin, password);
            if (!password.empty() && password.back() == '\r') password.pop_back();
            if (password.empty())
                throw jot_examples::config_error("--hash-password: no password on standard input");
            std::printf("%s\n", jot_auth::argon2id_hash(password).c_str());
            return 0;
        }
        return run(c);
    } catch (const jot_examples::config_error& e) {
        jot_examples::access_log::report(c.log_format, "auth_server", e.what());
        return 2;
    } catch (const jot::setup_error& e) {
        jot_examples::access_log::report(c.log_format, "auth_server", e.what());
        return 2;
    } catch (const std::exception& e) {
        jot_examples::access_log::report(c.log_format, "auth_server", e.what());
        return 1;
    }
}
