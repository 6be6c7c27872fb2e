// SPDX-License-Identifier: MIT
#include <jot/verification_cache.hpp>

#include "../support/test.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <jot/builder.hpp>

using namespace std::chrono_literals;

namespace {
const jot::time_point t0{std::chrono::seconds{1'700'000'000}};
}  // namespace

TEST_CASE("verification_cache race: threads share one cache") {
    const auto k = jot::key::hmac(std::string(32, 'c')).value();
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, k);
    jot::verification_cache cache{jot::verifier{keys, {.issuer = "i", .audience = {"a"}}}, {.capacity = 64}};
    std::vector<std::string> tokens;
    for (int i = 0; i < 10; ++i)
        tokens.push_back(jot::signer(jot::algorithm::hs256, k)
                             .sign(jot::claims{.issuer = "i",
                                               .subject = "u" + std::to_string(i),
                                               .audience = {"a"},
                                               .expires_at = t0 + 60s})
                             .value());
    std::vector<std::thread> threads;
    std::atomic<int> bad{0};
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int n = 0; n < 200; ++n) {
                const auto& tok = tokens[static_cast<std::size_t>(n * 7 + t) % tokens.size()];
                const auto r = cache.verify_at(tok, t0);
                if (!r || (*r)->subject().empty()) ++bad;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(bad == 0);
    CHECK(cache.size() == 10);
}
