// SPDX-License-Identifier: MIT
// The parsed material behind a jot::key: an OpenSSL key or an HMAC secret with its keyed contexts.
#pragma once

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint64_t
#include <memory>   // std::unique_ptr
#include <string>   // std::string

#include "../algorithm.hpp"
#include "openssl.hpp"
#include "signature.hpp"

namespace jot::inline v0::crypto {

/// What a key is made of. Immutable once built; shared by every copy of the key.
struct key_material {
    key_family family = key_family::hmac;
    curve named_curve = curve::none;
    std::size_t bits = 0;
    bool has_private = false;
    shared_pkey pkey{};                                          // asymmetric keys
    std::uint64_t context_owner = detail::next_context_owner();  // asymmetric keys: their per-thread contexts
    std::string secret{};                                        // HMAC keys
    std::unique_ptr<hmac_engine> hmac{};                         // HMAC keys

    key_material() = default;
    key_material(const key_material&) = delete;
    key_material& operator=(const key_material&) = delete;
    ~key_material() { cleanse(secret.data(), secret.size()); }
};

}  // namespace jot::inline v0::crypto
