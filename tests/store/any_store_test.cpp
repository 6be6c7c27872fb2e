// SPDX-License-Identifier: MIT
// The conformance suite over any_store, and opening stores by URL with the backends this build has.
#include <jot/store/any_store.hpp>

#include "conformance.hpp"
#include "rotation_cases.hpp"

#include <chrono>  // std::chrono::steady_clock
#include <memory>  // std::make_shared
#include <mutex>   // std::mutex, std::lock_guard
#include <string>  // std::string
#include <vector>  // std::vector

#if JOT_TEST_WITH_SQLITE
#include <jot/store/sqlite_opener.hpp>

#include "../support/temp_dir.hpp"
#endif
#if JOT_TEST_WITH_REDIS
#include <jot/store/redis_opener.hpp>

#include "../support/redis_server.hpp"
#endif

template <>
struct store_factory<jot::any_store> {
    static std::shared_ptr<jot::any_store> make() {
        return std::make_shared<jot::any_store>(jot::open_store("memory"));
    }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_id, jot::any_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_access_id, jot::any_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_attempts_id, jot::any_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_client_id, jot::any_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_bounded_id, jot::any_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_rotation_id, jot::any_store);

TEST_CASE("any_store holds the backend it was given and says what it is") {
    auto memory = std::make_shared<jot::memory_store>();
    jot::any_store s(memory, "memory");
    CHECK(s.description() == "memory");
    CHECK(s.target<jot::memory_store>() == memory);
    REQUIRE(s.deny_jti("j", jot::time_point::max()));
    CHECK(memory->is_denied("j", jot::time_point{}).value());
    const jot::any_store copy = s;  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(copy.target<jot::memory_store>() == memory);
    CHECK_THROWS_AS(jot::any_store(std::shared_ptr<jot::memory_store>(), "none"), jot::setup_error);
}

TEST_CASE("open_store opens memory and refuses a URL no opener of the build accepts, naming the forms") {
    const auto m = jot::open_store("memory");
    CHECK(m.description() == "memory");
    CHECK(m.target<jot::memory_store>());
    try {
        (void)jot::open_store("postgres://user:secret@db/jot");
        FAIL("no exception");
    } catch (const jot::setup_error& e) {
        const std::string what = e.what();
        CHECK(what.find("memory") != std::string::npos);
        CHECK(what.find("postgres") != std::string::npos);
        CHECK(what.find("secret") == std::string::npos);
    }
    CHECK(jot::store_schemes() == "memory");
}

#if JOT_TEST_WITH_SQLITE
TEST_CASE("open_store opens sqlite:PATH, creating the parent directory, with sqlite_opener") {
    jot_test::temp_dir dir;
    const std::string path = dir.file("sub/dir/jot.db");
    auto s = jot::open_store<jot::sqlite_opener>("sqlite:" + path);
    CHECK(s.description() == "sqlite:" + path);
    CHECK(s.target<jot::sqlite_store>());
    REQUIRE(s.deny_jti("j", jot::time_point::max()));
    CHECK(jot::open_store<jot::sqlite_opener>("sqlite:" + path).is_denied("j", jot::time_point{}).value());
    CHECK_THROWS_AS((void)jot::open_store<jot::sqlite_opener>("sqlite:"), jot::setup_error);
    CHECK((jot::store_schemes<jot::sqlite_opener>() == "memory | sqlite:PATH"));
}
#endif

#if JOT_TEST_WITH_REDIS
TEST_CASE("open_store opens redis:// and unix:// with redis_opener, hiding the password") {
    jot_test::redis_server server({.tcp = true});
    auto s = jot::open_store<jot::redis_opener>(server.url());
    CHECK(s.description() == server.url());
    CHECK(s.target<jot::redis_store>());
    REQUIRE(server.command({"CONFIG", "SET", "requirepass", "s3cret"}) == "OK");
    const std::string url = "redis://:s3cret@127.0.0.1:" + std::to_string(server.port());
    auto p = jot::open_store<jot::redis_opener>(url);
    CHECK(p.description() == "redis://:***@127.0.0.1:" + std::to_string(server.port()));
    try {
        (void)jot::open_store<jot::redis_opener>("redis://:wrong@127.0.0.1:" + std::to_string(server.port()));
        FAIL("no exception");
    } catch (const jot::setup_error& e) {
        CHECK(std::string(e.what()).find("wrong") == std::string::npos);
    }
    try {
        (void)jot::open_store<jot::redis_opener>("redis://:s3cret@127.0.0.1:99999");
        FAIL("no exception");
    } catch (const jot::setup_error& e) {
        CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
    }
}
#endif

TEST_CASE("an observed any_store reports every call with its time and error, and still reaches its backend") {
    auto memory = std::make_shared<jot::memory_store>();
    const jot::any_store plain(memory, "memory");
    std::vector<jot::store_call_report> seen;
    std::mutex m;
    const auto s = plain.observed([&](const jot::store_call_report& r) {
        const std::lock_guard lock(m);
        seen.push_back(r);
    });
    CHECK(s.description() == "memory");
    CHECK(s.target<jot::memory_store>() == memory);  // seen through the observer
    auto observed = s;                               // copies share the observer
    REQUIRE(observed.deny_jti("j", jot::time_point::max()));
    CHECK(observed.is_denied("j", jot::time_point{}).value());
    CHECK(!observed.find_token("no-such-token").value());  // not found is a value, not an error
    observed.lookup_access_async("j", "alice", "", jot::time_point{},
                                 [](const jot::result<jot::access_lookup>& r) { CHECK(r); });
    auto unplain = plain;
    REQUIRE(unplain.deny_jti("k",
                             jot::time_point::max()));  // the store observed() was called on stays unobserved
    {
        const std::lock_guard lock(m);
        REQUIRE(seen.size() == 4);
        CHECK(seen[0].call == jot::store_call::deny_jti);
        CHECK(seen[1].call == jot::store_call::is_denied);
        CHECK(seen[2].call == jot::store_call::find_token);
        CHECK(seen[3].call == jot::store_call::lookup_access_async);
        for (const auto& r : seen) {
            CHECK(!r.error);
            CHECK(r.took >= std::chrono::steady_clock::duration::zero());
        }
    }
    CHECK(std::string(jot::name(jot::store_call::lookup_access_async)) == "lookup_access_async");
    CHECK(std::string(jot::name(jot::store_call::clear_failures)) == "clear_failures");
    CHECK_THROWS_AS((void)plain.observed({}), jot::setup_error);
}

#if JOT_TEST_WITH_REDIS
TEST_CASE("an observed any_store reports a failed call's error") {
    jot_test::redis_server redis({.tcp = true});
    jot::store_call_report last{};
    auto s = jot::open_store<jot::redis_opener>(redis.url()).observed([&](const jot::store_call_report& r) {
        if (r.call == jot::store_call::deny_jti) last = r;
    });
    REQUIRE(s.deny_jti("i", jot::time_point::max()));
    CHECK(!last.error);
    redis.stop();
    CHECK(!s.deny_jti("j", jot::time_point::max()));
    CHECK(last.error == jot::condition::store_failure);
}
#endif
