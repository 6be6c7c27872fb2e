// SPDX-License-Identifier: MIT
// Forward declarations of jot's public types, for headers that name them without needing their definitions.
#pragma once

namespace jot::inline v0 {

// error.hpp
enum class errc;
enum class condition;
template <class T>
class result;
class setup_error;

// algorithm.hpp, key.hpp, key_set.hpp, jwk.hpp
enum class algorithm;
class key;
struct bound_key;
class key_set;
struct jwk;
struct jwks_limits;

// jws.hpp, claims.hpp, builder.hpp
struct parse_limits;
struct header_fields;
struct claims;

// verifier.hpp, unverified_token.hpp, verification_cache.hpp
struct verifier_options;
class verifier;
class verified_token;
struct unverified_token;
struct verification_cache_options;
class verification_cache;

// dpop.hpp, dpop_proof.hpp, dpop_replay_cache.hpp
struct dpop_options;
struct dpop_request;
class verified_dpop_proof;
class dpop_verifier;
struct dpop_proof_options;
struct memory_replay_cache_options;
class memory_replay_cache;

// clock.hpp
struct system_clock;
class manual_clock;

// key_ring.hpp, refresh_token.hpp, lifecycle_event.hpp
struct key_ring_options;
class key_ring;
class refresh_token;
enum class event_kind;
struct lifecycle_event;

// access_policy.hpp, access_revocation.hpp, token_service.hpp (basic_token_service is not declared here:
// its template parameters are constrained by concepts that need their own headers)
struct access_facts;
struct token_service_options;
struct issued_tokens;

// jwks_fetch.hpp, remote_jwks.hpp
struct jwks_request;
struct jwks_response;
struct jwks_failure;
struct remote_jwks_options;
struct jwks_snapshot;
template <class Clock>
class basic_remote_jwks;
using remote_jwks = basic_remote_jwks<system_clock>;

// store/refresh_store.hpp, store/memory_store.hpp, store/sqlite_store.hpp, store/redis_store.hpp,
// store/any_store.hpp
enum class token_state;
struct family_record;
struct token_record;
struct access_lookup;
struct store_dump;
struct rotate_request;
enum class rotate_status;
struct rotate_outcome;
struct memory_store_options;
class memory_store;
struct sqlite_store_options;
class sqlite_store;
struct redis_store_options;
class redis_store;
class any_store;

}  // namespace jot::inline v0
