// SPDX-License-Identifier: MIT
// The umbrella header for jot's core: keys, JWS, JWT signing and verification, JWK, DPoP proofs.
#pragma once

#include "access_policy.hpp"
#include "algorithm.hpp"
#include "base64url.hpp"
#include "builder.hpp"
#include "claims.hpp"
#include "clock.hpp"
#include "dpop.hpp"
#include "dpop_proof.hpp"
#include "dpop_replay_cache.hpp"
#include "error.hpp"
#include "jwk.hpp"
#include "jws.hpp"
#include "key.hpp"
#include "key_set.hpp"
#include "unverified_token.hpp"
#include "verification_cache.hpp"
#include "verifier.hpp"
#include "version.hpp"
