// SPDX-License-Identifier: MIT
// The race scenarios of the conformance suite over sqlite_store (run under TSan by `ctest -R race`).
#include <jot/store/sqlite_store.hpp>

#include "conformance.hpp"

#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe, _exit

#include <chrono>      // std::chrono
#include <cstdlib>     // mkdtemp
#include <filesystem>  // std::filesystem
#include <map>         // std::map
#include <string>      // std::string
#include <vector>      // std::vector

namespace {

class temp_dir {
public:
    temp_dir() {
        std::string t = (std::filesystem::temp_directory_path() / "jot-sqlite-XXXXXX").string();
        if (!mkdtemp(t.data())) throw std::runtime_error("cannot create a temporary directory");
        path_ = t;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(std::string_view name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

struct held_store {
    temp_dir dir;
    jot::sqlite_store store{{.path = dir.file("jot.db")}};
};

}  // namespace

template <>
struct store_factory<jot::sqlite_store> {
    static std::shared_ptr<jot::sqlite_store> make() {
        auto h = std::make_shared<held_store>();
        return std::shared_ptr<jot::sqlite_store>(h, &h->store);
    }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_race_id, jot::sqlite_store);

namespace {

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

}  // namespace

TEST_CASE("sqlite_store race: processes refreshing one token on one file rotate it once") {
    using namespace std::chrono_literals;
    constexpr std::size_t processes = 8;
    temp_dir dir;
    const std::string path = dir.file("jot.db");
    const auto open = [&path] {
        return std::make_shared<jot::sqlite_store>(jot::sqlite_store_options{.path = path});
    };
    auto o = conformance::default_options();
    SUBCASE("without a grace window: one winner, one reuse, the rest revoked") {}
    SUBCASE("within a grace window: one successor shared by all") {
        o.grace = 10s;
    }
    jot::basic_token_service<jot::sqlite_store, jot::manual_clock> svc(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), o, open(),
        jot::manual_clock{});
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        const auto t = svc.login("alice", "web").value();
        const auto results = refresh_in_processes(processes, t.refresh_token, o, open);
        REQUIRE(results.size() == processes);
        std::map<std::string, std::size_t> seen;
        for (const auto& r : results) ++seen[r];
        const auto d = svc.store().dump().value();
        std::size_t active = 0;
        for (const auto& tok : d.tokens)
            active += tok.family == t.family_id && tok.state == jot::token_state::active;
        if (o.grace == 0s) {
            std::size_t ok = 0;
            for (const auto& r : results) ok += r.starts_with("ok ");
            CHECK(ok == 1);
            CHECK(seen["err refresh_token_reused"] == 1);
            CHECK(seen["err refresh_token_revoked"] == processes - 2);
            CHECK(active == 0);
            CHECK(svc.store().find_family(t.family_id).value()->revoked);
        } else {
            CHECK(seen.size() == 1);  // the same line, "ok <the one successor>", from every process
            CHECK(results.front().starts_with("ok "));
            CHECK(active == 1);
            CHECK(svc.store().find_family(t.family_id).value()->generation == 2);
        }
    }
}
