// SPDX-License-Identifier: MIT
// The key ring under concurrency: readers sign and verify while rotate() and prune() run (TSan: ctest -R
// race).
#include <jot/key_ring.hpp>

#include <doctest/doctest.h>

#include <atomic>  // std::atomic
#include <chrono>  // std::chrono
#include <latch>   // std::latch
#include <thread>  // std::thread
#include <vector>  // std::vector

#include <jot/verifier.hpp>

TEST_CASE("key_ring race: readers sign and verify while the ring rotates") {
    using namespace std::chrono_literals;
    std::vector<jot::key> keys;
    for (int i = 0; i < 3; ++i) keys.push_back(jot::key::generate(jot::algorithm::es256).value());
    jot::key_ring ring(jot::algorithm::es256, keys[0], {.retain_retired = 1h});
    const jot::time_point t0{std::chrono::seconds{1'700'000'000}};

    constexpr int readers = 6, rounds = 100;
    std::atomic<int> failures{0};
    std::atomic<bool> done{false};
    std::latch go(readers + 1);
    std::vector<std::thread> pool;
    for (int r = 0; r < readers; ++r)
        pool.emplace_back([&] {
            go.arrive_and_wait();
            for (int i = 0; i < rounds; ++i) {
                const auto s = ring.snapshot(t0);
                const auto token = s->active.sign(nlohmann::json{{"sub", "a"}}).value();
                const jot::verifier v(
                    ring.snapshot(t0)->verification,
                    {.allow_any_issuer = true, .allow_any_audience = true, .allow_missing_exp = true});
                if (!v.verify_at(token, t0)) ++failures;
                if (ring.jwks(t0).at("keys").empty()) ++failures;
            }
        });
    std::thread writer([&] {
        go.arrive_and_wait();
        for (std::size_t i = 1; !done; ++i) {
            ring.rotate(keys[i % keys.size()], t0);
            (void)ring.prune(t0);
            std::this_thread::yield();
        }
    });
    for (auto& t : pool) t.join();
    done = true;
    writer.join();
    CHECK(failures == 0);
}
