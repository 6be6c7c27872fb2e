// SPDX-License-Identifier: MIT
// remote_jwks from many threads: single flight, no waiting readers, the refetch bound under a kid storm.
#include <jot/remote_jwks.hpp>

#include "../support/scripted_jwks.hpp"
#include "../support/test.hpp"

#include <atomic>  // std::atomic
#include <chrono>  // std::chrono
#include <latch>   // std::latch
#include <string>  // std::string
#include <thread>  // std::thread
#include <vector>  // std::vector

using jot::errc;
using jot_test::jwks_of;
using jot_test::signing_key;
using namespace std::chrono_literals;

TEST_CASE("remote_jwks race: a storm of distinct unknown kids from many threads fetches once per interval") {
    constexpr int threads = 16, per_thread = 50;
    signing_key a{"a"};
    jot_test::scripted_fetch server;
    server.serve(jwks_of({&a}));
    jot::basic_remote_jwks<jot::manual_clock> jwks("https://auth.example/jwks", jot_test::test_policy(),
                                                   server.fetch(), {.min_interval = 10s});
    REQUIRE_FALSE(jwks.refresh());
    jwks.clock().advance(10s);
    server.delay = 20ms;  // a slow fetch: the other threads must go on without it
    std::vector<std::vector<std::string>> tokens(threads);
    for (int t = 0; t < threads; ++t)
        for (int i = 0; i < per_thread; ++i)
            tokens[t].push_back(signing_key("bogus-" + std::to_string(t) + "-" + std::to_string(i))
                                    .token(jwks.clock().now()));
    const std::string good = a.token(jwks.clock().now());
    std::atomic<int> not_found{0}, verified{0}, other{0};
    std::latch go(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            go.arrive_and_wait();
            for (const auto& token : tokens[t]) {
                const auto r = jwks.verify(token);
                (r.error() == errc::key_not_found ? not_found : other)++;
                (jwks.verify(good) ? verified : other)++;
            }
        });
    for (auto& t : pool) t.join();
    CHECK(server.calls == 2);
    CHECK(not_found == threads * per_thread);
    CHECK(verified == threads * per_thread);
    CHECK(other == 0);
}

TEST_CASE("remote_jwks race: readers never wait for a slow fetch once keys are held") {
    signing_key a{"a"};
    jot_test::scripted_fetch server;
    server.serve(jwks_of({&a}), "max-age=10");
    jot::basic_remote_jwks<jot::manual_clock> jwks("https://auth.example/jwks", jot_test::test_policy(),
                                                   server.fetch(), {.min_interval = 10s});
    REQUIRE_FALSE(jwks.refresh());
    jwks.clock().advance(10s);
    server.delay = 500ms;
    const std::string good = a.token(jwks.clock().now());
    std::thread refresher([&] { CHECK(jwks.verify(good)); });  // finds the keys expired and fetches
    while (server.calls < 2) std::this_thread::yield();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) CHECK(jwks.verify(good));
    CHECK(std::chrono::steady_clock::now() - start < 400ms);
    refresher.join();
    CHECK(server.calls == 2);
}

TEST_CASE("remote_jwks race: the background refresher fetches at start and stops with the source") {
    signing_key a{"a"};
    jot_test::scripted_fetch server;
    server.serve(jwks_of({&a}));
    {
        jot::remote_jwks jwks("https://auth.example/jwks", jot_test::test_policy(), server.fetch(),
                              {.min_interval = 1s, .background_refresh = true});
        for (int i = 0; i < 200 && server.calls == 0; ++i) std::this_thread::sleep_for(10ms);
        CHECK(server.calls == 1);
        for (int i = 0; i < 200 && !jwks.snapshot(); ++i) std::this_thread::sleep_for(10ms);
        CHECK(jwks.verify(a.token(std::chrono::system_clock::now())));
        CHECK(server.calls == 1);
    }
    CHECK(server.calls == 1);
}
