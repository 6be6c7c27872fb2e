// SPDX-License-Identifier: MIT
// sqlite_store under SIGKILL: a child rotating in a loop is killed at random moments; nothing it reported
// is lost, the database stays whole, and the session cap's evictions are never half done.
#include <jot/store/sqlite_store.hpp>

#include "../support/temp_dir.hpp"
#include "conformance.hpp"

#include <signal.h>  // kill, SIGKILL
#include <sqlite3.h>
#include <stdlib.h>    // mkdtemp
#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe, _exit

#include <chrono>      // std::chrono
#include <filesystem>  // std::filesystem
#include <map>         // std::map
#include <random>      // std::mt19937
#include <sstream>     // std::istringstream
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string
#include <thread>      // std::this_thread::sleep_for
#include <vector>      // std::vector

namespace {

using namespace std::chrono_literals;

using jot_test::temp_dir;

/// Small, so that most logins of the child evict its oldest session inside the same transaction.
constexpr std::size_t session_cap = 4;

/// A step the child reported after it returned: the token it now holds and its generation.
struct reported {
    std::string family;
    std::string token;
    std::uint64_t generation = 0;
};

/// The child: logs in, rotates 25 times, logs in again (evicting the oldest session beyond session_cap),
/// ... and writes "<family> <token id> <generation>"
/// to `out` after each call has returned. Never returns.
[[noreturn]] void rotate_forever(const std::string& path, int out) {
    int code = 0;
    try {
        auto options = conformance::default_options();
        options.max_sessions = session_cap;
        jot::basic_token_service<jot::sqlite_store, jot::manual_clock> svc(
            std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), options,
            std::make_shared<jot::sqlite_store>(
                jot::sqlite_store_options{.path = path, .synchronous = jot::sqlite_synchronous::normal}),
            jot::manual_clock{});
        const auto report = [out](const jot::issued_tokens& t) {
            const std::string line = t.family_id + ' ' + conformance::id_of(t.refresh_token) + ' ' +
                                     std::to_string(t.generation) + '\n';
            if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
        };
        for (;;) {
            auto t = svc.login("crash", "web");
            if (!t) ::_exit(6);
            report(*t);
            for (int i = 0; i < 25; ++i) {
                t = svc.refresh(t->refresh_token);
                if (!t) ::_exit(7);
                report(*t);
            }
        }
    } catch (...) {
        code = 3;
    }
    ::_exit(code);
}

std::vector<reported> parse_reports(const std::string& text) {
    std::vector<reported> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (in.eof()) break;  // a line cut by the kill has no newline: never reported in full
        std::istringstream fields(line);
        reported r;
        fields >> r.family >> r.token >> r.generation;
        out.push_back(r);
    }
    return out;
}

std::string integrity_check(const std::string& path) {
    sqlite3* db = nullptr;
    std::string out;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK) {
            while (sqlite3_step(s) == SQLITE_ROW)
                out += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
            sqlite3_finalize(s);
        }
    }
    sqlite3_close(db);
    return out;
}

}  // namespace

TEST_CASE(
    "sqlite_store survives SIGKILL at random moments of a rotation loop, 20 times, losing nothing it "
    "reported") {
    temp_dir dir;
    const std::string path = dir.file("jot.db");
    { jot::sqlite_store create({.path = path}); }
    (void)conformance::test_key(0);  // made before fork
    std::mt19937 random(20240611);
    std::vector<reported> all;
    for (int kill = 0; kill < 20; ++kill) {
        CAPTURE(kill);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            rotate_forever(path, fds[1]);
        }
        ::close(fds[1]);
        std::this_thread::sleep_for(
            std::chrono::microseconds{std::uniform_int_distribution<int>(5'000, 60'000)(random)});
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        REQUIRE(WIFSIGNALED(status));  // killed while rotating, not ended by an error
        std::string text;
        char buf[4096];
        for (ssize_t got; (got = ::read(fds[0], buf, sizeof buf)) > 0;)
            text.append(buf, static_cast<std::size_t>(got));
        ::close(fds[0]);
        const auto reports = parse_reports(text);
        all.insert(all.end(), reports.begin(), reports.end());

        CHECK(integrity_check(path) == "ok");
        jot::sqlite_store store({.path = path});  // opens and checks the schema after the crash
        const auto d = store.dump().value();
        std::map<std::string, jot::token_record> tokens;
        std::map<std::string, int> active;
        for (const auto& t : d.tokens) {
            tokens[t.id] = t;
            active[t.family] += t.state == jot::token_state::active ? 1 : 0;
        }
        std::map<std::string, std::uint64_t> generation;
        CHECK(active.size() == d.families.size());  // every family has its tokens
        std::size_t live_families = 0;
        for (const auto& f : d.families) {
            generation[f.id] = f.generation;
            live_families += f.revoked ? 0 : 1;
            // Only the cap revokes here: a live family has exactly one active token, an evicted one none.
            CHECK(active[f.id] == (f.revoked ? 0 : 1));
        }
        CHECK(live_families <= session_cap);
        std::size_t lost = 0;
        const std::uint64_t kept = conformance::default_options().keep_predecessors;
        for (const auto& r : all) {  // every step ever reported, by this child and the ones before
            if (generation[r.family] < r.generation) {
                ++lost;
                continue;
            }
            const auto it = tokens.find(r.token);
            // Bounded sessions: a token this many generations behind its family's was deleted on purpose.
            if (it == tokens.end() && generation[r.family] > r.generation + kept) continue;
            if (it == tokens.end() || it->second.family != r.family || it->second.generation != r.generation)
                ++lost;
        }
        CHECK(lost == 0);
    }
    MESSAGE(all.size() << " steps reported across 20 kills");
    CHECK(all.size() > 20);
    const auto families = jot::sqlite_store({.path = path}).dump().value().families;
    CHECK(families.size() > session_cap);  // enough logins that the cap evicted sessions
}
