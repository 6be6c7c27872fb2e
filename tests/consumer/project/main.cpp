// SPDX-License-Identifier: MIT
// A minimal jot user: it compiles jot's headers under strict warnings and prints the version it sees.
#include <jot/version.hpp>

#if __has_include(<jot/jot.hpp>)
#include <jot/jot.hpp>
#endif
#if defined(JOT_CONSUMER_WITH_SQLITE) && __has_include(<jot/store/sqlite_store.hpp>)
#include <jot/store/sqlite_store.hpp>
#endif
#if defined(JOT_CONSUMER_WITH_REDIS) && __has_include(<jot/store/redis_store.hpp>)
#include <jot/store/redis_store.hpp>
#endif

#include <cstdio>   // std::printf, std::fprintf
#include <cstring>  // std::strcmp

static_assert(JOT_VERSION == JOT_VERSION_MAJOR * 10000 + JOT_VERSION_MINOR * 100 + JOT_VERSION_PATCH);

int main() {
    std::printf("jot %s\n", JOT_VERSION_STRING);
#ifdef JOT_EXPECTED_VERSION
    if (std::strcmp(JOT_VERSION_STRING, JOT_EXPECTED_VERSION) != 0) {
        std::fprintf(stderr, "expected jot %s\n", JOT_EXPECTED_VERSION);
        return 1;
    }
#endif
    return 0;
}
