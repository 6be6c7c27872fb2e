// SPDX-License-Identifier: MIT
// The race scenarios of the conformance suite over redis_store (run under TSan by `ctest -R race`).
#include <jot/store/redis_store.hpp>

#include "../support/redis_server.hpp"
#include "async_answers.hpp"
#include "conformance.hpp"
#include "process_race.hpp"

#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe, _exit, getpid

#include <atomic>  // std::atomic
#include <chrono>  // std::chrono
#include <map>     // std::map
#include <string>  // std::string
#include <thread>  // std::thread
#include <vector>  // std::vector

namespace {

jot_test::redis_server& shared_server() {
    static jot_test::redis_server server;
    return server;
}

std::string fresh_prefix() {
    static std::atomic<int> n{0};
    return "jot-t" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

}  // namespace

template <>
struct store_factory<jot::redis_store> {
    static std::shared_ptr<jot::redis_store> make() {
        return std::make_shared<jot::redis_store>(
            jot::redis_store_options{.url = shared_server().url(), .key_prefix = fresh_prefix()});
    }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_race_id, jot::redis_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_attempts_race_id, jot::redis_store);

namespace {}  // namespace

TEST_CASE("redis_store race: processes refreshing one token against one Redis rotate it once") {
    using namespace std::chrono_literals;
    constexpr std::size_t processes = 8;
    const jot::redis_store_options ro{.url = shared_server().url(), .key_prefix = fresh_prefix()};
    const auto open = [&ro] { return std::make_shared<jot::redis_store>(ro); };
    auto o = conformance::default_options();
    SUBCASE("without a grace window: one winner, one reuse, the rest revoked") {}
    SUBCASE("within a grace window: one successor shared by all") {
        o.grace = 10s;
    }
    jot::basic_token_service<jot::redis_store, jot::manual_clock> svc(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), o, open(),
        jot::manual_clock{});
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        const auto t = svc.login("alice", "web").value();
        const auto results = jot_test::refresh_in_processes(processes, t.refresh_token, o, open);
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

TEST_CASE(
    "redis_store race: lookup_access_async answers every lookup of many threads once, with its own result") {
    conformance::fixture<jot::redis_store> f;
    const auto t = f.svc.login("alice", "web").value();
    const auto now = f.svc.clock().now();
    constexpr std::size_t threads = 6;
    constexpr std::size_t each = 400;
    for (std::size_t i = 0; i < threads * each; i += 2)
        REQUIRE(f.svc.store().deny_jti("jti-" + std::to_string(i), now + std::chrono::minutes{1}));
    jot_test::answers a(threads * each);
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < threads; ++w)
        pool.emplace_back([&, w] {
            for (std::size_t k = 0; k < each; ++k) {
                const std::size_t i = w * each + k;
                // Every third without a session: pipelines of two and of three commands interleave.
                f.svc.store().lookup_access_async("jti-" + std::to_string(i), "alice",
                                                  i % 3 == 0 ? "" : t.family_id, now, a.on(i));
            }
        });
    for (auto& th : pool) th.join();
    REQUIRE(a.wait(threads * each));
    const auto calls = a.calls();
    CHECK(std::count(calls.begin(), calls.end(), 1) == static_cast<long>(threads * each));
    std::size_t wrong = 0;
    for (const auto& g : a.got()) {
        if (!g.value || g.value->denied != (g.lookup % 2 == 0) ||
            g.value->session.has_value() != (g.lookup % 3 != 0))
            ++wrong;
    }
    CHECK(wrong == 0);
}
