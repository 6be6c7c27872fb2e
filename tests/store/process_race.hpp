// SPDX-License-Identifier: MIT
// Test support for the persistent stores: refreshing one token from several processes at the same moment.
#pragma once

#include <sys/types.h>  // pid_t, ssize_t
#include <sys/wait.h>   // waitpid
#include <unistd.h>     // fork, pipe, read, write, close, _exit

#include <memory>  // std::make_shared
#include <string>  // std::string
#include <vector>  // std::vector

#include <jot/token_service.hpp>

#include "conformance.hpp"

namespace jot_test {

/// Forks `n` processes that each open a store of their own (make_store()), wait until all are ready, then
/// refresh `token` at the same moment with a service like the parent's (same key, same manual clock).
/// Returns what each got: "ok <refresh token>" or "err <errc name>".
template <class MakeStore>
std::vector<std::string> refresh_in_processes(std::size_t n, const std::string& token,
                                              const jot::token_service_options& options,
                                              MakeStore make_store) {
    using store_type = typename decltype(make_store())::element_type;
    (void)conformance::test_key(0);  // made before fork: every child signs with the same key
    int ready[2], go[2], results[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(go) == 0);
    REQUIRE(::pipe(results) == 0);
    std::vector<pid_t> children;
    for (std::size_t i = 0; i < n; ++i) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(ready[0]);
            ::close(go[1]);
            ::close(results[0]);
            int code = 0;
            try {
                jot::basic_token_service<store_type, jot::manual_clock> svc(
                    std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), options,
                    make_store(), jot::manual_clock{});
                char c = 'r';
                if (::write(ready[1], &c, 1) != 1) ::_exit(4);
                (void)::read(go[0], &c, 1);  // returns when the parent closes `go`: all start together
                const auto r = svc.refresh(token);
                std::string line =
                    r ? "ok " + r->refresh_token
                      : "err " + std::string(jot::name(static_cast<jot::errc>(r.error().value())));
                line += '\n';
                if (::write(results[1], line.data(), line.size()) != static_cast<ssize_t>(line.size()))
                    code = 5;
            } catch (...) {
                code = 3;
            }
            ::_exit(code);
        }
        children.push_back(pid);
    }
    ::close(ready[1]);
    ::close(go[0]);
    ::close(results[1]);
    char c = 0;
    for (std::size_t i = 0; i < n && ::read(ready[0], &c, 1) == 1; ++i) {
    }
    ::close(go[1]);
    std::string all;
    char buf[4096];
    for (ssize_t got; (got = ::read(results[0], buf, sizeof buf)) > 0;)
        all.append(buf, static_cast<std::size_t>(got));
    ::close(ready[0]);
    ::close(results[0]);
    for (const pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    std::vector<std::string> out;
    for (std::size_t start = 0, end; (end = all.find('\n', start)) != std::string::npos; start = end + 1)
        out.push_back(all.substr(start, end - start));
    return out;
}

}  // namespace jot_test
