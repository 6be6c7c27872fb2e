// SPDX-License-Identifier: MIT
// A minimal jot user: it compiles jot's headers under strict warnings, signs and verifies one token (so it
// links OpenSSL the way the package says) and prints the version it sees.
#include <jot/version.hpp>

#include <jot/jot.hpp>
#if defined(JOT_CONSUMER_WITH_SQLITE) && __has_include(<jot/store/sqlite_store.hpp>)
#include <jot/store/sqlite_store.hpp>
#endif
#if defined(JOT_CONSUMER_WITH_REDIS) && __has_include(<jot/store/redis_store.hpp>)
#include <jot/store/redis_store.hpp>
#endif

#include <chrono>   // std::chrono::system_clock
#include <cstdio>   // std::printf, std::fprintf
#include <cstring>  // std::strcmp

static_assert(JOT_VERSION == JOT_VERSION_MAJOR * 10000 + JOT_VERSION_MINOR * 100 + JOT_VERSION_PATCH);

int main() {
    using namespace std::chrono_literals;
    const auto key = jot::ec_key::from(jot::key::generate(jot::algorithm::es256)).value();
    const auto token =
        jot::sign<jot::es256>(key, jot::claims{.issuer = "https://auth.example",
                                               .subject = "alice",
                                               .audience = {"api"},
                                               .expires_at = std::chrono::system_clock::now() + 1min});
    jot::key_set keys;
    keys.add<jot::es256>(key.public_key(), "k");
    const jot::verifier verifier{keys, {.issuer = "https://auth.example", .audience = {"api"}}};
    if (const auto verified = verifier.verify(token.value()); !verified) {
        std::fprintf(stderr, "verify: %s\n", verified.error().message().c_str());
        return 1;
    }
    std::printf("jot %s\n", JOT_VERSION_STRING);
#ifdef JOT_EXPECTED_VERSION
    if (std::strcmp(JOT_VERSION_STRING, JOT_EXPECTED_VERSION) != 0) {
        std::fprintf(stderr, "expected jot %s\n", JOT_EXPECTED_VERSION);
        return 1;
    }
#endif
    return 0;
}
