// SPDX-License-Identifier: MIT
#include <jot/verifier.hpp>

#include "../support/test.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <jot/builder.hpp>

using namespace std::chrono_literals;

TEST_CASE("verifier race: one verifier and its keys are shared by many threads at once") {
    jot::key_set keys({.allow_mixed_secret_and_public_keys = true});  // every family in one verifier
    std::vector<std::string> tokens;
    const auto now = std::chrono::system_clock::now();
    for (const auto alg : {jot::algorithm::hs256, jot::algorithm::es256, jot::algorithm::eddsa}) {
        const auto k = jot::key::generate(alg).value();
        const std::string kid(jot::name(alg));
        keys.add(alg, k, kid);
        tokens.push_back(jot::signer(alg, k, kid)
                             .sign(jot::claims{.issuer = "i", .audience = {"a"}, .expires_at = now + 1h})
                             .value());
    }
    const jot::verifier v{keys, {.issuer = "i", .audience = {"a"}}};
    std::vector<std::string> tampered;
    for (const auto& token : tokens) {
        std::string t = token;
        char& c = t[t.rfind('.') + 5];  // a signature character, changed to a different one
        c = c == 'A' ? 'B' : 'A';
        tampered.push_back(t);
    }
    std::atomic<int> ok{0}, bad{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            for (int n = 0; n < 60; ++n) {
                const auto which = static_cast<std::size_t>(n + i) % tokens.size();
                (v.verify(tokens[which]) ? ok : bad)++;
                (v.verify(tampered[which]) ? bad : ok)++;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(ok == 8 * 60 * 2);
    CHECK(bad == 0);
}
