// SPDX-License-Identifier: MIT
#include <jot/fwd.hpp>

#include "../support/test.hpp"

#include <memory>  // std::shared_ptr

namespace {

// A header that only names jot's types compiles with fwd.hpp alone.
struct uses_names {
    std::shared_ptr<const jot::verifier> v;
    std::shared_ptr<jot::key_ring> ring;
    std::shared_ptr<jot::any_store> store;
    std::shared_ptr<jot::remote_jwks> jwks;
    const jot::verified_token* token = nullptr;
    const jot::unverified_token* peek = nullptr;
    std::shared_ptr<const jot::dpop_verifier> dpop;
    std::shared_ptr<jot::memory_replay_cache> replay;
    const jot::verified_dpop_proof* proof = nullptr;
    jot::errc* code = nullptr;
};

}  // namespace

#include <jot/access_policy.hpp>
#include <jot/access_revocation.hpp>
#include <jot/jot.hpp>
#include <jot/key_ring.hpp>
#include <jot/remote_jwks.hpp>
#include <jot/store/any_store.hpp>
#include <jot/token_service.hpp>

TEST_CASE("fwd declares the same types the headers define") {
    uses_names u;
    CHECK_FALSE(u.v);
    CHECK(u.code == nullptr);
    static_assert(sizeof(jot::verifier_options) > 0 && sizeof(jot::access_facts) > 0 &&
                  sizeof(jot::remote_jwks_options) > 0 && sizeof(jot::any_store) > 0 &&
                  sizeof(jot::dpop_options) > 0 && sizeof(jot::dpop_request) > 0 &&
                  sizeof(jot::dpop_proof_options) > 0 && sizeof(jot::memory_replay_cache_options) > 0);
    CHECK(u.proof == nullptr);
}
