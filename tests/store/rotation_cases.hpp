// SPDX-License-Identifier: MIT
// The refresh step's rules (refresh_store.hpp, rules 1 to 6) as one table of cases, run on a store's own
// rotate(): the C++ stores decide with jot/store/detail_rotation.hpp, the Redis store with its Lua script,
// and every backend must give each case's outcome. A backend's test invokes
//   TEST_CASE_TEMPLATE_INVOKE(conformance_rotation_id, MyStore);
// with store_factory<MyStore> from conformance.hpp.
#pragma once

#include <jot/store/refresh_store.hpp>

#include <doctest/doctest.h>

#include <chrono>      // std::chrono
#include <cstddef>     // std::size_t
#include <functional>  // std::function
#include <string>      // std::string
#include <vector>      // std::vector

#include "conformance.hpp"

namespace rotation_cases {

using namespace std::chrono_literals;

inline const jot::time_point t0 = jot::time_point{std::chrono::seconds{1'700'000'000}};  // as manual_clock

inline jot::secret_hash hash_of(std::size_t n) {
    jot::secret_hash h{};
    h[0] = static_cast<unsigned char>(n + 1);
    h[31] = 0x5a;
    return h;
}

/// One family on a raw store: its tokens in the order they were issued, and the store's clock.
template <class Store>
struct chain {
    Store& store;
    std::string family = "fam-rotation";
    std::vector<std::string> ids{};
    jot::time_point now = t0;

    /// Family and first token; `idle` may outlast the family's hour, as the first token is not capped.
    void login(std::chrono::seconds idle) {
        const jot::family_record f{.id = family,
                                   .subject = "alice",
                                   .client = "web",
                                   .created = now,
                                   .absolute_expiry = now + 1h,
                                   .generation = 1};
        const jot::token_record t{.id = id(0),
                                  .family = family,
                                  .generation = 1,
                                  .hash = hash_of(0),
                                  .created = now,
                                  .idle_expiry = now + idle};
        REQUIRE(store.create_family(f, t, 0));
        ids.push_back(t.id);
    }

    [[nodiscard]] std::string id(std::size_t n) const { return family + "-t" + std::to_string(n); }

    /// Presents token `n` (its own secret unless `hash` says otherwise) and returns the step's status.
    jot::rotate_status present(std::size_t n, jot::rotate_request r = {}) {
        const std::size_t next = ids.size();
        if (r.token_id.empty()) r.token_id = id(n);
        if (r.presented == jot::secret_hash{}) r.presented = hash_of(n);
        r.successor = {.id = id(next), .hash = hash_of(next), .created = now, .idle_expiry = now + 10min};
        if (r.grace > 0s) r.sealed_successor = "sealed-" + std::to_string(next);
        r.now = now;
        const auto out = store.rotate(r);
        REQUIRE(out);
        if (out->status == jot::rotate_status::rotated) {
            CHECK(out->successor.id == id(next));
            CHECK(out->successor.generation == next + 1);
            ids.push_back(out->successor.id);
        }
        return out->status;
    }
};

template <class Store>
struct rotation_case {
    const char* name;
    std::function<jot::rotate_status(chain<Store>&)> run;
    jot::rotate_status expected;
    std::chrono::seconds first_idle = 10min;
};

template <class Store>
std::vector<rotation_case<Store>> table() {
    using jot::rotate_status;
    using c = chain<Store>;
    const jot::rotate_request grace{.grace = 30s};
    return {
        {"rule 1: an unknown id is not found",
         [](c& s) { return s.present(0, {.token_id = "fam-rotation-t9"}); }, rotate_status::not_found},
        {"rule 1: a wrong secret is not found", [](c& s) { return s.present(0, {.presented = hash_of(7)}); },
         rotate_status::not_found},
        {"rule 1a: another client's presentation", [](c& s) { return s.present(0, {.client = "cli"}); },
         rotate_status::client_mismatch},
        {"rule 1a: checked before revocation",
         [](c& s) {
             REQUIRE(s.store.revoke_family(s.family));
             return s.present(0, {.client = "cli"});
         },
         rotate_status::client_mismatch},
        {"rule 2: a token of a revoked family",
         [](c& s) {
             REQUIRE(s.store.revoke_family(s.family));
             return s.present(0);
         },
         rotate_status::revoked},
        {"rule 2: a revoked rotated token, its family alive",
         [](c& s) {
             REQUIRE(s.present(0) == rotate_status::rotated);
             REQUIRE(s.store.revoke_token(s.id(0), hash_of(0)));
             return s.present(0);
         },
         rotate_status::revoked},
        {"rule 2: checked before expiry",
         [](c& s) {
             REQUIRE(s.store.revoke_family(s.family));
             s.now += 2h;
             return s.present(0);
         },
         rotate_status::revoked},
        {"rule 3: at the idle expiry",
         [](c& s) {
             s.now += 10min;
             return s.present(0);
         },
         rotate_status::expired},
        {"rule 3: a rotated token past its idle expiry is expired, not reused",
         [grace](c& s) {
             REQUIRE(s.present(0, grace) == rotate_status::rotated);
             s.now += 10min;
             return s.present(0);
         },
         rotate_status::expired},
        {"rule 3: at the absolute expiry, before the idle expiry",
         [](c& s) {
             s.now += 1h;
             return s.present(0);
         },
         rotate_status::expired, 2h},
        {"rule 4: just before the absolute expiry",
         [](c& s) {
             s.now += 1h - 1ms;
             return s.present(0);
         },
         rotate_status::rotated, 2h},
        {"rule 4: the active token rotates", [](c& s) { return s.present(0); }, rotate_status::rotated},
        {"rule 4: just before its idle expiry",
         [](c& s) {
             s.now += 10min - 1ms;
             return s.present(0);
         },
         rotate_status::rotated},
        {"rule 4: the successor rotates in turn",
         [](c& s) {
             REQUIRE(s.present(0) == rotate_status::rotated);
             return s.present(1);
         },
         rotate_status::rotated},
        {"rule 4: a predecessor trimmed by keep_predecessors is not found",
         [](c& s) {
             for (std::size_t n = 0; n < 3; ++n)
                 REQUIRE(s.present(n, {.keep_predecessors = 1}) == rotate_status::rotated);
             return s.present(0, {.keep_predecessors = 1});
         },
         rotate_status::not_found},
        {"rule 5: the predecessor within the grace window",
         [grace](c& s) {
             REQUIRE(s.present(0, grace) == rotate_status::rotated);
             s.now += 29s;
             return s.present(0, grace);
         },
         rotate_status::grace_replay},
        {"rule 6: the predecessor at the end of the grace window",
         [grace](c& s) {
             REQUIRE(s.present(0, grace) == rotate_status::rotated);
             s.now += 30s;
             return s.present(0, grace);
         },
         rotate_status::reused},
        {"rule 6: a predecessor rotated without a grace window",
         [](c& s) {
             REQUIRE(s.present(0) == rotate_status::rotated);
             return s.present(0);
         },
         rotate_status::reused},
        {"rule 6: within the window, but the successor has rotated too",
         [grace](c& s) {
             REQUIRE(s.present(0, grace) == rotate_status::rotated);
             REQUIRE(s.present(1, grace) == rotate_status::rotated);
             return s.present(0, grace);
         },
         rotate_status::reused},
        {"rule 6: after reuse, the family's tokens are revoked",
         [](c& s) {
             REQUIRE(s.present(0) == rotate_status::rotated);
             REQUIRE(s.present(0) == rotate_status::reused);
             return s.present(1);
         },
         rotate_status::revoked},
    };
}

}  // namespace rotation_cases

TEST_CASE_TEMPLATE_DEFINE("refresh_store rotate gives every case of the rotation table its outcome", Store,
                          conformance_rotation_id) {
    for (const auto& row : rotation_cases::table<Store>()) {
        CAPTURE(row.name);
        const auto store = store_factory<Store>::make();
        rotation_cases::chain<Store> s{*store};
        s.login(row.first_idle);
        CHECK(std::string(jot::name(row.run(s))) == jot::name(row.expected));
    }
}
