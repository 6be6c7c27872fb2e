// SPDX-License-Identifier: MIT
// The JWA signature algorithms (RFC 7518 §3, RFC 8037) as a runtime enum and as compile-time tags.
#pragma once

#include <array>        // std::array
#include <concepts>     // std::convertible_to
#include <cstddef>      // std::size_t
#include <optional>     // std::optional
#include <string_view>  // std::string_view

namespace jot::inline v0 {

/// The algorithms jot signs and verifies. "none" is deliberately absent.
enum class algorithm {
    hs256,
    hs384,
    hs512,
    rs256,
    rs384,
    rs512,
    ps256,
    ps384,
    ps512,
    es256,
    es384,
    es512,
    eddsa
};

/// The kind of key an algorithm needs.
enum class key_family { hmac, rsa, ec, okp };

/// Hash functions used by the algorithms.
enum class hash { none, sha256, sha384, sha512 };

/// Named elliptic curves: NIST curves for ECDSA, Ed25519 for EdDSA.
enum class curve { none, p256, p384, p521, ed25519 };

/// Everything fixed by the choice of algorithm.
struct algorithm_traits {
    algorithm id;
    std::string_view name;  // the JWA "alg" value
    key_family family;
    hash digest;
    curve required_curve;        // curve::none where any key of the family fits
    std::size_t signature_size;  // 0 where it depends on the key (RSA: the modulus size)
    std::size_t min_key_bytes;   // HMAC: the hash size (RFC 7518 §3.2); RSA: 2048 bits
    bool pss;
};

inline constexpr std::array<algorithm_traits, 13> all_algorithms{{
    {algorithm::hs256, "HS256", key_family::hmac, hash::sha256, curve::none, 32, 32, false},
    {algorithm::hs384, "HS384", key_family::hmac, hash::sha384, curve::none, 48, 48, false},
    {algorithm::hs512, "HS512", key_family::hmac, hash::sha512, curve::none, 64, 64, false},
    {algorithm::rs256, "RS256", key_family::rsa, hash::sha256, curve::none, 0, 256, false},
    {algorithm::rs384, "RS384", key_family::rsa, hash::sha384, curve::none, 0, 256, false},
    {algorithm::rs512, "RS512", key_family::rsa, hash::sha512, curve::none, 0, 256, false},
    {algorithm::ps256, "PS256", key_family::rsa, hash::sha256, curve::none, 0, 256, true},
    {algorithm::ps384, "PS384", key_family::rsa, hash::sha384, curve::none, 0, 256, true},
    {algorithm::ps512, "PS512", key_family::rsa, hash::sha512, curve::none, 0, 256, true},
    {algorithm::es256, "ES256", key_family::ec, hash::sha256, curve::p256, 64, 0, false},
    {algorithm::es384, "ES384", key_family::ec, hash::sha384, curve::p384, 96, 0, false},
    {algorithm::es512, "ES512", key_family::ec, hash::sha512, curve::p521, 132, 0, false},
    {algorithm::eddsa, "EdDSA", key_family::okp, hash::none, curve::ed25519, 64, 0, false},
}};

/// The traits of an algorithm.
[[nodiscard]] constexpr const algorithm_traits& traits(algorithm a) noexcept {
    return all_algorithms[static_cast<std::size_t>(a)];
}

/// The JWA name of an algorithm, e.g. "ES256".
[[nodiscard]] constexpr std::string_view name(algorithm a) noexcept {
    return traits(a).name;
}

/// The algorithm with this exact (case-sensitive, RFC 7515 §4.1.1) JWA name, if jot implements it.
[[nodiscard]] constexpr std::optional<algorithm> algorithm_from_name(std::string_view n) noexcept {
    for (const auto& t : all_algorithms)
        if (t.name == n) return t.id;
    return std::nullopt;
}

/// The JOSE name of a curve ("P-256", "Ed25519"); empty for curve::none.
[[nodiscard]] constexpr std::string_view name(curve c) noexcept {
    switch (c) {
        case curve::p256:
            return "P-256";
        case curve::p384:
            return "P-384";
        case curve::p521:
            return "P-521";
        case curve::ed25519:
            return "Ed25519";
        case curve::none:
            break;
    }
    return {};
}

/// Size in bytes of a hash's output.
[[nodiscard]] constexpr std::size_t size(hash h) noexcept {
    switch (h) {
        case hash::sha256:
            return 32;
        case hash::sha384:
            return 48;
        case hash::sha512:
            return 64;
        case hash::none:
            break;
    }
    return 0;
}

/// Size in bytes of one coordinate (and of one ECDSA signature half) on a curve.
[[nodiscard]] constexpr std::size_t coordinate_size(curve c) noexcept {
    switch (c) {
        case curve::p256:
            return 32;
        case curve::p384:
            return 48;
        case curve::p521:
            return 66;
        case curve::ed25519:
            return 32;
        case curve::none:
            break;
    }
    return 0;
}

namespace detail {
template <algorithm A>
struct algorithm_tag {
    static constexpr algorithm id = A;
    static constexpr const algorithm_traits& traits = jot::traits(A);
};
}  // namespace detail

// Compile-time tags: sign<jot::es256>(key, ...) fixes the algorithm, its hash and its key type.
struct hs256 : detail::algorithm_tag<algorithm::hs256> {};
struct hs384 : detail::algorithm_tag<algorithm::hs384> {};
struct hs512 : detail::algorithm_tag<algorithm::hs512> {};
struct rs256 : detail::algorithm_tag<algorithm::rs256> {};
struct rs384 : detail::algorithm_tag<algorithm::rs384> {};
struct rs512 : detail::algorithm_tag<algorithm::rs512> {};
struct ps256 : detail::algorithm_tag<algorithm::ps256> {};
struct ps384 : detail::algorithm_tag<algorithm::ps384> {};
struct ps512 : detail::algorithm_tag<algorithm::ps512> {};
struct es256 : detail::algorithm_tag<algorithm::es256> {};
struct es384 : detail::algorithm_tag<algorithm::es384> {};
struct es512 : detail::algorithm_tag<algorithm::es512> {};
struct eddsa : detail::algorithm_tag<algorithm::eddsa> {};

/// Satisfied by the algorithm tags above.
template <class T>
concept signature_algorithm = requires {
    { T::id } -> std::convertible_to<algorithm>;
};

}  // namespace jot::inline v0
