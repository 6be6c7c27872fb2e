// SPDX-License-Identifier: MIT
// The conformance suite over memory_store, and what is particular to memory_store.
#include <jot/store/memory_store.hpp>

#include "conformance.hpp"

template <>
struct store_factory<jot::memory_store> {
    static std::shared_ptr<jot::memory_store> make() { return std::make_shared<jot::memory_store>(); }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_attempts_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_client_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_bounded_id, jot::memory_store);

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
