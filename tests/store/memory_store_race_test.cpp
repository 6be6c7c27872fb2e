// SPDX-License-Identifier: MIT
// The race scenarios of the conformance suite over memory_store (run under TSan by `ctest -R race`).
#include <jot/store/memory_store.hpp>

#include "conformance.hpp"

template <>
struct store_factory<jot::memory_store> {
    static std::shared_ptr<jot::memory_store> make() { return std::make_shared<jot::memory_store>(); }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_race_id, jot::memory_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_attempts_race_id, jot::memory_store);
