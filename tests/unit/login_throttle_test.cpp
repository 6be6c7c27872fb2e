// SPDX-License-Identifier: MIT
// login_throttle: thresholds per (username, address) and per username, exponential back-off, reset, set-up.
#include <jot/login_throttle.hpp>

#include <doctest/doctest.h>

#include <chrono>  // std::chrono
#include <memory>  // std::make_shared
#include <string>  // std::string

namespace {

using namespace std::chrono_literals;
using throttle = jot::basic_login_throttle<jot::memory_store, jot::manual_clock>;

throttle make(jot::login_throttle_options o = {}) {
    return throttle(std::make_shared<jot::memory_store>(), o, jot::manual_clock{});
}

}  // namespace

TEST_CASE("backoff_after waits nothing below the threshold, then doubles from the base up to the cap") {
    CHECK(jot::backoff_after(0, 5, 30s, 15min) == 0s);
    CHECK(jot::backoff_after(4, 5, 30s, 15min) == 0s);
    CHECK(jot::backoff_after(5, 5, 30s, 15min) == 30s);
    CHECK(jot::backoff_after(6, 5, 30s, 15min) == 60s);
    CHECK(jot::backoff_after(9, 5, 30s, 15min) == 480s);
    CHECK(jot::backoff_after(10, 5, 30s, 15min) == 15min);
    CHECK(jot::backoff_after(1'000'000, 5, 30s, 15min) == 15min);
    CHECK(jot::backoff_after(~0ULL, 5, 30s, 15min) == 15min);
}

TEST_CASE(
    "login_throttle refuses a user and client from the 6th attempt, whatever comes, until Retry-After") {
    auto t = make();
    auto& clock = t.clock();
    const auto t0 = clock.now();
    for (int i = 1; i <= 4; ++i) {
        CHECK(t.check("alice", "203.0.113.5").value().allowed);
        CHECK(t.record_failure("alice", "203.0.113.5").value().allowed);
    }
    CHECK(t.check("alice", "203.0.113.5").value().allowed);
    const auto fifth = t.record_failure("alice", "203.0.113.5").value();
    CHECK_FALSE(fifth.allowed);
    CHECK(fifth.failures == 5);
    CHECK(fifth.retry_at == t0 + 30s);
    CHECK(fifth.retry_after(t0) == 30s);

    const auto sixth = t.check("alice", "203.0.113.5").value();  // before the password is looked at
    CHECK_FALSE(sixth.allowed);
    clock.advance(29s + 1ms);
    CHECK(t.check("alice", "203.0.113.5").value().retry_after(clock.now()) == 1s);
    CHECK(t.check("bob", "203.0.113.5").value().allowed);     // other users are unaffected
    CHECK(t.check("alice", "198.51.100.7").value().allowed);  // and so is alice elsewhere
    clock.set(t0 + 30s);
    CHECK(t.check("alice", "203.0.113.5").value().allowed);

    SUBCASE("a further failure doubles the wait") {
        const auto d = t.record_failure("alice", "203.0.113.5").value();
        CHECK_FALSE(d.allowed);
        CHECK(d.retry_at == t0 + 30s + 60s);
        clock.advance(60s);
        CHECK_FALSE(t.record_failure("alice", "203.0.113.5").value().allowed);
        CHECK(t.check("alice", "203.0.113.5").value().retry_at == t0 + 90s + 120s);
    }
    SUBCASE("a success resets the pair and the user") {
        REQUIRE(t.record_success("alice", "203.0.113.5"));
        for (int i = 1; i <= 4; ++i) CHECK(t.record_failure("alice", "203.0.113.5").value().allowed);
    }
    SUBCASE("a quiet window ends the run") {
        clock.set(t0 + 15min);
        CHECK(t.check("alice", "203.0.113.5").value().failures == 0);
        CHECK(t.record_failure("alice", "203.0.113.5").value().failures == 1);
    }
}

TEST_CASE("login_throttle bounds one user's failures over many addresses by max_failures_per_user") {
    auto t = make({.max_failures = 5, .max_failures_per_user = 8});
    const auto t0 = t.clock().now();
    for (int i = 0; i < 7; ++i)
        CHECK(t.record_failure("alice", "192.0.2." + std::to_string(i)).value().allowed);
    const auto eighth = t.record_failure("alice", "192.0.2.99").value();
    CHECK_FALSE(eighth.allowed);
    CHECK(eighth.retry_at == t0 + 30s);
    CHECK_FALSE(t.check("alice", "198.51.100.1").value().allowed);  // every address waits
    CHECK(t.check("bob", "198.51.100.1").value().allowed);
}

TEST_CASE("login_throttle keeps usernames and addresses apart however they are spelled") {
    const auto a = throttle::keys_of("al", "ice|1").value();
    const auto b = throttle::keys_of("al|ice", "1").value();
    CHECK(a[0] != b[0]);
    CHECK(a[0].size() == b[0].size());
    CHECK(throttle::keys_of(std::string(100'000, 'x'), "a").value()[1].size() == a[1].size());
}

TEST_CASE("login_throttle refuses inconsistent options with setup_error") {
    const auto store = std::make_shared<jot::memory_store>();
    CHECK_THROWS_AS(throttle(nullptr, {}), jot::setup_error);
    CHECK_THROWS_AS(throttle(store, {.max_failures = 0}), jot::setup_error);
    CHECK_THROWS_AS(throttle(store, {.max_failures = 5, .max_failures_per_user = 4}), jot::setup_error);
    CHECK_THROWS_AS(throttle(store, {.window = 0s}), jot::setup_error);
    CHECK_THROWS_AS(throttle(store, {.backoff_base = 0s}), jot::setup_error);
    CHECK_THROWS_AS(throttle(store, {.backoff_base = 1min, .backoff_cap = 30s}), jot::setup_error);
    CHECK_THROWS_AS(throttle(store, {.window = 5min, .backoff_cap = 10min}), jot::setup_error);
    CHECK_NOTHROW(throttle(store, {}));
}
