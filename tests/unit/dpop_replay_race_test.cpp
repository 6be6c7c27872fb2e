// SPDX-License-Identifier: MIT
// Races on the DPoP replay cache: one winner per proof, and a full cache never admits more than its capacity.
#include <jot/dpop_replay_cache.hpp>

#include "../support/test.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <jot/dpop.hpp>
#include <jot/dpop_proof.hpp>

using namespace std::chrono_literals;
using jot::errc;

namespace {

const jot::time_point now{std::chrono::seconds{1'700'000'000}};
constexpr int threads = 8;

// Runs `body(thread index)` on `threads` threads released together.
template <class Body>
void race(Body body) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            ready.fetch_add(1);
            while (!go.load()) std::this_thread::yield();
            body(t);
        });
    while (ready.load() < threads) std::this_thread::yield();
    go.store(true);
    for (auto& th : pool) th.join();
}

}  // namespace

TEST_CASE("dpop_replay_race: one of several threads presenting the same proof wins") {
    auto k = jot::key::generate(jot::algorithm::es256);
    REQUIRE(k);
    const jot::dpop_verifier v;
    jot::memory_replay_cache seen;
    const jot::dpop_request request{.method = "GET", .uri = "https://api.example/posts"};
    for (int round = 0; round < 40; ++round) {
        CAPTURE(round);
        const auto proof = jot::sign_dpop_proof(*k, jot::algorithm::es256, "GET", "https://api.example/posts",
                                                {.issued_at = now});
        REQUIRE(proof);
        std::atomic<int> accepted{0}, replayed{0}, other{0};
        race([&](int) {
            const auto r = v.verify_at(*proof, request, seen, now);
            if (r)
                accepted.fetch_add(1);
            else if (r.error() == errc::dpop_replayed)
                replayed.fetch_add(1);
            else
                other.fetch_add(1);
        });
        CHECK(accepted.load() == 1);
        CHECK(replayed.load() == threads - 1);
        CHECK(other.load() == 0);
    }
}

TEST_CASE("dpop_replay_race: memory_replay_cache gives each id to exactly one inserting thread") {
    jot::memory_replay_cache seen;
    constexpr int ids = 2000;
    std::vector<std::atomic<int>> winners(ids);
    std::atomic<int> failed{0};
    race([&](int) {  // no doctest assertions off the main thread
        for (int i = 0; i < ids; ++i) {
            const auto r = seen.insert("id-" + std::to_string(i), now + 60s, now);
            if (!r)
                failed.fetch_add(1);
            else if (*r)
                winners[static_cast<std::size_t>(i)].fetch_add(1);
        }
    });
    CHECK(failed.load() == 0);
    int exactly_one = 0;
    for (const auto& w : winners) exactly_one += w.load() == 1;
    CHECK(exactly_one == ids);
    CHECK(seen.size() == ids);
}

TEST_CASE("dpop_replay_race: a full memory_replay_cache admits exactly its capacity under contention") {
    constexpr std::size_t capacity = 500;
    jot::memory_replay_cache seen{{.capacity = capacity}};
    std::atomic<int> admitted{0}, full{0}, other{0};
    race([&](int t) {
        for (int i = 0; i < 200; ++i) {
            const auto r = seen.insert(std::to_string(t) + "-" + std::to_string(i), now + 60s, now);
            if (r && *r)
                admitted.fetch_add(1);
            else if (!r && r.error() == errc::dpop_replay_cache_full)
                full.fetch_add(1);
            else
                other.fetch_add(1);
        }
    });
    CHECK(admitted.load() == static_cast<int>(capacity));
    CHECK(full.load() == threads * 200 - static_cast<int>(capacity));
    CHECK(other.load() == 0);
    CHECK(seen.size() == capacity);
    // Expiry makes room again, for every thread at once.
    std::atomic<int> later{0};
    race([&](int t) {
        const auto r = seen.insert("later-" + std::to_string(t), now + 120s, now + 60s);
        if (r && *r) later.fetch_add(1);
    });
    CHECK(later.load() == threads);
}

TEST_CASE("dpop_replay_race: threads verifying proofs of a few keys share the key cache") {
    std::vector<jot::key> keys;
    for (const auto alg : {jot::algorithm::es256, jot::algorithm::es256, jot::algorithm::eddsa})
        keys.push_back(jot::key::generate(alg).value());
    const std::vector<jot::algorithm> algs{jot::algorithm::es256, jot::algorithm::es256,
                                           jot::algorithm::eddsa};
    const jot::dpop_verifier v{{.key_cache_capacity = 2}};  // smaller than the keys: evictions race too
    jot::memory_replay_cache seen;
    const jot::dpop_request request{.method = "GET", .uri = "https://api.example/posts"};
    constexpr int per_thread = 30;
    std::vector<std::vector<std::string>> proofs(threads);
    for (int t = 0; t < threads; ++t)
        for (int i = 0; i < per_thread; ++i) {
            const auto k = static_cast<std::size_t>((t + i) % 3);
            proofs[static_cast<std::size_t>(t)].push_back(
                jot::sign_dpop_proof(keys[k], algs[k], "GET", "https://api.example/posts", {.issued_at = now})
                    .value());
        }
    std::atomic<int> accepted{0};
    race([&](int t) {
        for (const auto& p : proofs[static_cast<std::size_t>(t)])
            if (v.verify_at(p, request, seen, now)) accepted.fetch_add(1);
    });
    CHECK(accepted.load() == threads * per_thread);
}
