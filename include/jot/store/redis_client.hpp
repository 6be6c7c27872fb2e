// SPDX-License-Identifier: MIT
// The Redis client under redis_store: the URL forms, one hiredis connection, its pipelines and errors.
#pragma once

#include <chrono>       // std::chrono::milliseconds, std::chrono::steady_clock
#include <cstddef>      // std::size_t
#include <memory>       // std::unique_ptr
#include <optional>     // std::nullopt
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include <hiredis/hiredis.h>
#include <poll.h>      // poll
#include <pthread.h>   // pthread_sigmask
#include <signal.h>    // sigaction, sigtimedwait, sigpending
#include <sys/time.h>  // timeval

#include "../error.hpp"
#include "detail_codec.hpp"

namespace jot::inline v0::detail {

/// Thrown inside a redis_store step and caught at its boundary: it never leaves the store.
struct redis_failure {
    errc code = errc::store_unavailable;
    std::string what{};
};

[[noreturn]] inline void redis_throw_corrupt() {
    throw redis_failure{errc::store_corrupt, "unreadable record"};
}

struct redis_reply_deleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using redis_reply = std::unique_ptr<redisReply, redis_reply_deleter>;

struct redis_context_deleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using redis_context = std::unique_ptr<redisContext, redis_context_deleter>;

/// Where to connect, from a redis_store_options::url.
struct redis_endpoint {
    bool unix_socket = false;
    std::string host{};  // or the socket's path; for Sentinel, the primary last found
    int port = 6379;
    int db = 0;
    std::string user{};
    std::string password{};
    int wait_replicas = 0;  // ?wait=N: replicas each write step must reach
    struct address {
        std::string host;
        int port;
    };
    std::vector<address> sentinels{};  // redis-sentinel://: asked for the primary of `primary_name`
    std::string primary_name{};
};

/// `url` with its password, or its whole user information when that is not `[user]:password`, replaced by
/// `***`, for messages: `redis://user:***@host:6379/0`.
[[nodiscard]] inline std::string redact_redis_url(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string(url);
    const auto start = scheme + 3;
    const auto at = url.rfind('@');
    if (at == std::string_view::npos || at < start) return std::string(url);
    const auto user_info = url.substr(start, at - start);
    const auto colon = user_info.find(':');
    const std::string kept =
        colon == std::string_view::npos ? "" : std::string(user_info.substr(0, colon + 1));
    return std::string(url.substr(0, start)) + kept + "***" + std::string(url.substr(at));
}

/// `text` with every occurrence of `secret` (when not empty) replaced by `***`.
[[nodiscard]] inline std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (auto p = text.find(secret); p != std::string::npos; p = text.find(secret, p + 3))
        text.replace(p, secret.size(), "***");
    return text;
}

/// Reads a URL; throws setup_error when it is not one of the accepted forms. The message never holds the
/// URL's password.
inline redis_endpoint parse_redis_url(std::string_view url) {
    const auto bad = [&url](const char* why) -> setup_error {
        return setup_error(std::string("jot: redis_store_options.url '") + redact_redis_url(url) +
                           "': " + why);
    };
    const auto number = [&bad](std::string_view text, int low, int high, const char* why) {
        const auto n = parse_decimal<int>(text);
        if (!n || *n < low || *n > high) throw bad(why);
        return *n;
    };
    // host, [v6], host:port or [v6]:port
    const auto host_port = [&](std::string_view text, int default_port) {
        redis_endpoint::address a{{}, default_port};
        std::string_view port;
        if (text.starts_with('[')) {
            const auto close = text.find(']');
            if (close == std::string_view::npos) throw bad("unclosed [ in the host");
            a.host = std::string(text.substr(1, close - 1));
            text = text.substr(close + 1);
            if (!text.empty() && !text.starts_with(':')) throw bad("unexpected text after the host");
            if (text == ":") throw bad("the port must be in [1, 65535]");
            if (!text.empty()) port = text.substr(1);
        } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
            a.host = std::string(text.substr(0, colon));
            port = text.substr(colon + 1);
            if (port.empty()) throw bad("the port must be in [1, 65535]");
        } else {
            a.host = std::string(text);
        }
        if (a.host.empty()) throw bad("no host");
        if (!port.empty()) a.port = number(port, 1, 65535, "the port must be in [1, 65535]");
        return a;
    };
    redis_endpoint e;
    std::string_view rest = url;
    // The query: wait=N everywhere, db=N where the path cannot say it.
    const bool unix_socket = url.starts_with("unix://");
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        std::string_view query = rest.substr(q + 1);
        rest = rest.substr(0, q);
        bool seen_db = false, seen_wait = false;
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto item = query.substr(0, amp);
            query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
            if (item.starts_with("wait=") && !seen_wait) {
                e.wait_replicas =
                    number(item.substr(5), 0, 1000, "wait must be a number of replicas (0-1000)");
                seen_wait = true;
            } else if (item.starts_with("db=") && !seen_db &&
                       (unix_socket || url.starts_with("redis-sentinel://"))) {
                e.db = number(item.substr(3), 0, 1 << 20, "the database must be a number");
                seen_db = true;
            } else {
                throw bad(unix_socket
                              ? "the query parameters are db=<number> and wait=<replicas>"
                              : "the query parameter is wait=<replicas> (and db=<number> for Sentinel)");
            }
        }
    }
    if (unix_socket) {
        rest = rest.substr(7);
        e.unix_socket = true;
        if (!rest.starts_with('/')) throw bad("expected unix:///absolute/path");
        e.host = std::string(rest);
        return e;
    }
    const bool sentinel = url.starts_with("redis-sentinel://");
    if (sentinel) {
        rest = rest.substr(17);
    } else if (url.starts_with("redis://")) {
        rest = rest.substr(8);
    } else {
        throw bad(
            "expected redis://host[:port][/db], redis-sentinel://host[:port][,...]/primary or unix:///path");
    }
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const auto auth = rest.substr(0, at);
        const auto colon = auth.find(':');
        if (colon == std::string_view::npos) throw bad("credentials must be [user]:password");
        e.user = std::string(auth.substr(0, colon));
        e.password = std::string(auth.substr(colon + 1));
        rest = rest.substr(at + 1);
    }
    std::string_view path;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        path = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
    }
    if (sentinel) {
        if (path.empty() || path.find('/') != std::string_view::npos)
            throw bad("expected redis-sentinel://host[:port][,host[:port]...]/primary-name");
        e.primary_name = std::string(path);
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            e.sentinels.push_back(host_port(rest.substr(0, comma), 26379));
            if (comma == std::string_view::npos) break;
            rest = rest.substr(comma + 1);
            if (rest.empty()) throw bad("no host");
        }
        if (e.sentinels.empty()) throw bad("no host");
        return e;
    }
    if (!path.empty()) e.db = number(path, 0, 1 << 20, "the database must be a number");
    auto a = host_port(rest, 6379);
    e.host = std::move(a.host);
    e.port = a.port;
    return e;
}

/// Blocks SIGPIPE in this thread while a step talks to Redis (a write to a socket that the server closed
/// must fail with EPIPE, not end the process), and discards a SIGPIPE raised meanwhile. Does nothing (one
/// system call instead of four) where the process ignores SIGPIPE, as servers usually do.
class sigpipe_guard {
public:
    sigpipe_guard() noexcept {
        struct sigaction current {};
        if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) return;
        active_ = true;
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    sigpipe_guard(const sigpipe_guard&) = delete;
    sigpipe_guard& operator=(const sigpipe_guard&) = delete;
    ~sigpipe_guard() {
        if (!active_) return;
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
                const timespec zero{0, 0};
                (void)sigtimedwait(&pipe_, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }

private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool active_ = false;
    bool was_pending_ = false;
};

/// One command: its arguments and, for EVALSHA, the script it runs (to load it again on NOSCRIPT).
struct redis_command {
    std::vector<std::string> args{};
    int script = -1;
};

/// One connection to Redis, used by one thread at a time. An I/O error or timeout leaves it broken.
class redis_connection {
public:
    redis_connection(const redis_endpoint& e, std::chrono::milliseconds connect_timeout,
                     std::chrono::milliseconds command_timeout) {
        const timeval connect_tv = to_timeval(connect_timeout);
        ctx_.reset(e.unix_socket ? redisConnectUnixWithTimeout(e.host.c_str(), connect_tv)
                                 : redisConnectWithTimeout(e.host.c_str(), e.port, connect_tv));
        if (!ctx_) throw redis_failure{errc::store_unavailable, "cannot allocate a connection"};
        if (ctx_->err) throw redis_failure{errc::store_unavailable, ctx_->errstr};
        if (redisSetTimeout(ctx_.get(), to_timeval(command_timeout)) != REDIS_OK)
            throw redis_failure{errc::store_unavailable, ctx_->errstr};
        if (!e.unix_socket) (void)redisEnableKeepAlive(ctx_.get());
        if (!e.password.empty()) {
            auto r = e.user.empty() ? command({"AUTH", e.password}) : command({"AUTH", e.user, e.password});
            if (r->type == REDIS_REPLY_ERROR) throw redis_failure{errc::store_unavailable, r->str};
        }
        if (e.db != 0) {
            auto r = command({"SELECT", decimal(e.db)});
            if (r->type == REDIS_REPLY_ERROR) throw redis_failure{errc::store_unavailable, r->str};
        }
    }

    [[nodiscard]] bool broken() const noexcept { return broken_; }

    /// False if the server closed the connection (or sent something unasked) while it was idle. A connection
    /// back in the pool for under a millisecond is taken as open without asking the kernel: under load that
    /// saves a system call per step, and a close in that window is as likely as one just after the check.
    [[nodiscard]] bool idle_and_open() const noexcept {
        if (std::chrono::steady_clock::now() - released_ < std::chrono::milliseconds(1)) return true;
        pollfd p{ctx_->fd, POLLIN, 0};
        return ::poll(&p, 1, 0) == 0;
    }
    void mark_released() noexcept { released_ = std::chrono::steady_clock::now(); }

    /// Sends `cmds` in one write and reads all replies (error replies included). Throws store_unavailable on
    /// an I/O error or timeout, which breaks the connection.
    std::vector<redis_reply> pipeline(const std::vector<redis_command>& cmds) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& c : cmds) {
            argv.clear();
            lens.clear();
            for (const auto& a : c.args) {
                argv.push_back(a.data());
                lens.push_back(a.size());
            }
            if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(), lens.data()) !=
                REDIS_OK)
                fail();
        }
        std::vector<redis_reply> out;
        out.reserve(cmds.size());
        for (std::size_t i = 0; i < cmds.size(); ++i) {
            void* r = nullptr;
            if (redisGetReply(ctx_.get(), &r) != REDIS_OK || !r) fail();
            out.emplace_back(static_cast<redisReply*>(r));
            // A primary demoted by a failover: the next step must find the new one.
            const redisReply* got = out.back().get();
            if (got->type == REDIS_REPLY_ERROR &&
                (std::string_view(got->str, got->len).starts_with("READONLY") ||
                 std::string_view(got->str, got->len).starts_with("MASTERDOWN")))
                broken_ = true;
        }
        return out;
    }

    redis_reply command(std::vector<std::string> args) {
        auto r = pipeline({redis_command{std::move(args)}});
        return std::move(r.front());
    }

private:
    static timeval to_timeval(std::chrono::milliseconds ms) noexcept {
        return {static_cast<decltype(timeval::tv_sec)>(ms.count() / 1000),
                static_cast<decltype(timeval::tv_usec)>((ms.count() % 1000) * 1000)};
    }
    [[noreturn]] void fail() {
        broken_ = true;
        throw redis_failure{errc::store_unavailable, ctx_->errstr};
    }

    redis_context ctx_;
    bool broken_ = false;
    std::chrono::steady_clock::time_point released_{};
};

/// An error reply as a jot error: a damaged or mistyped record is store_corrupt; anything else (loading,
/// read-only replica, out of memory, busy script) store_unavailable.
[[nodiscard]] inline errc redis_error_code(std::string_view message) noexcept {
    if (message.starts_with("WRONGTYPE") || message.find("JOTCORRUPT") != std::string_view::npos)
        return errc::store_corrupt;
    return errc::store_unavailable;
}

/// A connection to `e`'s server. For Sentinel (`e.sentinels`), to the primary that the first sentinel able to
/// answer names for `e.primary_name`, once that server confirms it is a primary (ROLE): during a failover a
/// sentinel may still name the old one. Sentinels are asked without a password. Throws redis_failure.
inline std::unique_ptr<redis_connection> connect_to(const redis_endpoint& e,
                                                    std::chrono::milliseconds connect_timeout,
                                                    std::chrono::milliseconds command_timeout) {
    if (e.sentinels.empty()) return std::make_unique<redis_connection>(e, connect_timeout, command_timeout);
    std::string why = "no sentinel answered";
    for (const auto& s : e.sentinels) {
        try {
            redis_connection sentinel(redis_endpoint{.host = s.host, .port = s.port}, connect_timeout,
                                      command_timeout);
            const auto r = sentinel.command({"SENTINEL", "get-master-addr-by-name", e.primary_name});
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
                why = "a sentinel does not know the primary '" + e.primary_name + "'";
                continue;
            }
            const auto port = parse_decimal<int>({r->element[1]->str, r->element[1]->len});
            if (!port || *port < 1 || *port > 65535) {
                why = "a sentinel named an unreadable port";
                continue;
            }
            redis_endpoint primary = e;
            primary.sentinels.clear();
            primary.host = std::string(r->element[0]->str, r->element[0]->len);
            primary.port = *port;
            auto c = std::make_unique<redis_connection>(primary, connect_timeout, command_timeout);
            const auto role = c->command({"ROLE"});
            if (role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
                role->element[0]->type == REDIS_REPLY_STRING &&
                std::string_view(role->element[0]->str, role->element[0]->len) == "master")
                return c;
            why = "the server a sentinel named is not a primary (a failover may be under way)";
        } catch (const redis_failure& f) {
            why = f.what;
        }
    }
    throw redis_failure{errc::store_unavailable, why};
}

}  // namespace jot::inline v0::detail
