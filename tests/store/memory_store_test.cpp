// SPDX-License-Identifier: MIT
// The conformance suite over memory_store, and what is particular to memory_store.
#include <jot/store/memory_store.hpp>

#include "conformance.hpp"
#include "rotation_cases.hpp"

template <>
struct store_factory<jot::memory_store> {
    static std::shared_ptr<jot::memory_store> make() { return std::make_shared<jot::memory_store>(); }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_access_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_attempts_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_client_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_bounded_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_rotation_id, jot::memory_store);

TEST_CASE("memory_store purges expired records as a side effect of writes") {
    using namespace std::chrono_literals;
    auto store = std::make_shared<jot::memory_store>(jot::memory_store_options{.purge_interval = 1min});
    auto ring = std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0));
    jot::basic_token_service<jot::memory_store, jot::manual_clock> svc(
        ring,
        {.issuer = "https://auth.example", .audience = {"api"}, .refresh_idle_ttl = 1h, .family_ttl = 2h},
        store);
    for (int i = 0; i < 100; ++i) (void)svc.login("user", "web").value();
    CHECK(store->dump()->families.size() == 100);
    svc.clock().advance(2h);
    (void)svc.login("user", "web").value();
    CHECK(store->dump()->families.size() == 1);
    CHECK(store->dump()->tokens.size() == 1);
}

TEST_CASE("memory_store purges in slices: one write handles at most purge_batch expired entries") {
    using namespace std::chrono_literals;
    auto store = std::make_shared<jot::memory_store>(jot::memory_store_options{.purge_batch = 100});
    auto ring = std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0));
    jot::basic_token_service<jot::memory_store, jot::manual_clock> svc(
        ring,
        {.issuer = "https://auth.example", .audience = {"api"}, .refresh_idle_ttl = 1h, .family_ttl = 2h},
        store);
    for (int i = 0; i < 1000; ++i) (void)svc.login("user" + std::to_string(i), "web").value();
    const auto records = [&store] {
        const auto d = store->dump().value();
        return d.families.size() + d.tokens.size();
    };
    CHECK(records() == 2000);
    svc.clock().advance(2h);
    // Each expired token is one entry; its family, left without tokens, goes with it.
    (void)svc.login("late", "web").value();
    CHECK(records() == 2000 - 2 * 100 + 2);
    (void)svc.login("later", "web").value();
    CHECK(records() == 2000 - 2 * 200 + 4);
    CHECK(store->purge_expired(svc.clock().now()).value() == 2000 - 2 * 200);
    CHECK(records() == 4);
}

TEST_CASE("memory_store holds one session's active token and its kept predecessors after 20,000 rotations") {
    using namespace std::chrono_literals;
    auto store = std::make_shared<jot::memory_store>();
    jot::basic_token_service<jot::memory_store, jot::manual_clock> svc(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)),
        conformance::default_options(), store);
    auto t = svc.login("alice", "web").value();
    for (int i = 0; i < 20'000; ++i) t = svc.refresh(t.refresh_token, "web").value();
    const auto d = store->dump().value();
    CHECK(d.families.size() == 1);
    CHECK(d.tokens.size() == 17);
    CHECK(t.generation == 20'001);
}
