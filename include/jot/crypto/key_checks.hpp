// SPDX-License-Identifier: MIT
// Checks of public values run once when a key is loaded: RSA exponent and ROCA fingerprint, Ed25519 point.
#pragma once

#include <openssl/bn.h>

#include <array>        // std::array
#include <cstdint>      // std::uint64_t
#include <memory>       // std::unique_ptr
#include <string_view>  // std::string_view

#include "../error.hpp"
#include "openssl.hpp"

namespace jot::inline v0::crypto {

/// The longest RSA public exponent jot accepts, in bits: e < 2^32. Real keys use 65537 (or 3); a longer
/// exponent only makes every verification slower, so a key that has one is refused (Go bounds it too).
inline constexpr int max_rsa_exponent_bits = 32;

namespace detail {

using bn_ctx_ptr = std::unique_ptr<BN_CTX, openssl_deleter<BN_CTX, BN_CTX_free>>;
using bn_owned = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, BN_free>>;

/// One small prime of the ROCA fingerprint and the subgroup of (Z/pZ)* that 65537 generates, as a bit set.
struct roca_prime {
    unsigned p = 0;
    std::array<std::uint64_t, 3> subgroup{};
};

// CVE-2017-15361 (Nemec et al., "The Return of Coppersmith's Attack", CCS 2017, §2.3): an Infineon prime is
// k * M + (65537^a mod M) with M a primorial, so for each small prime p of M, N mod p lies in the subgroup
// that 65537 generates mod p. The published detector tests the odd primes up to 167, which divide M for
// every key size; a random modulus passes all of them with probability below 2^-150.
consteval std::array<roca_prime, 38> make_roca_table() {
    constexpr std::array<unsigned, 38> primes{3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
                                              47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
                                              107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
    std::array<roca_prime, 38> table{};
    for (std::size_t i = 0; i < primes.size(); ++i) {
        const unsigned p = primes[i];
        table[i].p = p;
        unsigned x = 1;
        do {
            table[i].subgroup[x / 64] |= std::uint64_t{1} << (x % 64);
            x = x * (65537 % p) % p;
        } while (x != 1);
    }
    return table;
}

inline constexpr std::array<roca_prime, 38> roca_table = make_roca_table();

// RFC 8032 §5.1: p = 2^255 - 19, little-endian, and the y coordinates of the eight points of order 1, 2, 4
// and 8 (identity, (0, -1), (+-sqrt(-1), 0) and four of order 8: y = y8 or p - y8).
inline constexpr std::array<unsigned char, 32> ed25519_p{
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
inline constexpr std::array<std::array<unsigned char, 32>, 5> ed25519_small_order_y{{
    {0x00},  // 0: order 4
    {0x01},  // 1: the identity
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // p - 1
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},  // y8
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a,
     0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},  // p - y8
}};

/// The y coordinate of an encoded point (sign bit cleared), reduced mod p; `canonical` tells whether the
/// encoding already was (y < p). Little-endian, as encoded.
inline std::array<unsigned char, 32> ed25519_reduced_y(std::string_view point, bool& canonical) noexcept {
    std::array<unsigned char, 32> y{};
    for (std::size_t i = 0; i < 32; ++i) y[i] = static_cast<unsigned char>(point[i]);
    y[31] &= 0x7f;
    canonical = false;
    for (std::size_t i = 32; i-- > 0;) {
        if (y[i] != ed25519_p[i]) {
            canonical = y[i] < ed25519_p[i];
            break;
        }
    }
    if (!canonical) {  // p <= y < 2^255, so y - p is y[0] - 0xed and every other byte is zero
        const auto low = static_cast<unsigned char>(y[0] - ed25519_p[0]);
        y = {};
        y[0] = low;
    }
    return y;
}

}  // namespace detail

/// Whether a 32-byte Ed25519 point encoding (a public key, or a signature's R) is one of the points of small
/// order, in any of its encodings.
[[nodiscard]] inline bool ed25519_small_order(std::string_view point) noexcept {
    if (point.size() != 32) return false;
    bool canonical = false;
    const auto y = detail::ed25519_reduced_y(point, canonical);
    for (const auto& bad : detail::ed25519_small_order_y)
        if (y == bad) return true;
    return false;
}

/// Whether an Ed25519 signature's S (bytes 32 to 63, little-endian) is below the group order L
/// (RFC 8032 §5.1.7: otherwise the signature is rejected).
[[nodiscard]] inline bool ed25519_canonical_s(std::string_view s) noexcept {
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian
    static constexpr std::array<unsigned char, 32> order{
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    if (s.size() != 32) return false;
    for (std::size_t i = 32; i-- > 0;) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b != order[i]) return b < order[i];
    }
    return false;
}

/// Refuses an Ed25519 public key of small order (key_ed25519_small_order), one whose y is not below p
/// (key_ed25519_non_canonical) and one that is not a point of the curve (key_invalid). A small-order point
/// is reported as such whatever its encoding.
[[nodiscard]] inline result<void> check_ed25519_public(std::string_view point) {
    if (point.size() != 32) return errc::key_invalid;
    if (ed25519_small_order(point)) return errc::key_ed25519_small_order;
    bool canonical = false;
    const auto y_le = detail::ed25519_reduced_y(point, canonical);
    if (!canonical) return errc::key_ed25519_non_canonical;
    // On the curve -x^2 + y^2 = 1 + d x^2 y^2 iff x^2 = (y^2 - 1) / (d y^2 + 1) is a square mod p; x = 0
    // (y = +-1) is of small order and was refused above.
    std::array<unsigned char, 32> p_le = detail::ed25519_p;
    detail::bn_ctx_ptr ctx(BN_CTX_new());
    detail::bn_owned p(BN_lebin2bn(p_le.data(), 32, nullptr)), y(BN_lebin2bn(y_le.data(), 32, nullptr));
    detail::bn_owned d(BN_new()), t(BN_new()), u(BN_new()), v(BN_new());
    bool ok = ctx && p && y && d && t && u && v;
    // d = -121665 / 121666 mod p
    ok = ok && BN_set_word(t.get(), 121666) == 1 && BN_mod_inverse(d.get(), t.get(), p.get(), ctx.get()) &&
         BN_mul_word(d.get(), 121665) == 1 && BN_nnmod(d.get(), d.get(), p.get(), ctx.get()) == 1 &&
         BN_sub(d.get(), p.get(), d.get()) == 1;
    ok = ok && BN_mod_sqr(t.get(), y.get(), p.get(), ctx.get()) == 1 &&     // y^2
         BN_copy(u.get(), t.get()) && BN_sub_word(u.get(), 1) == 1 &&       // y^2 - 1 (y^2 >= 1 here)
         BN_mod_mul(v.get(), d.get(), t.get(), p.get(), ctx.get()) == 1 &&  // d y^2
         BN_add_word(v.get(), 1) == 1 &&                                    // d y^2 + 1
         BN_mod_inverse(v.get(), v.get(), p.get(), ctx.get()) &&            // 1 / (d y^2 + 1)
         BN_mod_mul(t.get(), u.get(), v.get(), p.get(), ctx.get()) == 1;    // x^2
    const int symbol = ok ? BN_kronecker(t.get(), p.get(), ctx.get()) : -2;
    clear_errors();
    if (symbol == -2) return errc::crypto_failure;
    return symbol == 1 ? result<void>{} : result<void>{errc::key_invalid};
}

/// Refuses an RSA public key whose exponent is even, below 3 or of more than max_rsa_exponent_bits
/// (key_rsa_exponent_invalid), or whose modulus has the ROCA fingerprint (key_rsa_roca).
[[nodiscard]] inline result<void> check_rsa_public(EVP_PKEY* k) {
    BIGNUM* raw_n = nullptr;
    BIGNUM* raw_e = nullptr;
    const bool got = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &raw_n) == 1 &&
                     EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &raw_e) == 1;
    const detail::bn_owned n(raw_n), e(raw_e);
    clear_errors();
    if (!got || !n || !e) return errc::key_invalid;
    // e = 1 makes the "signature" the padded digest itself, which anyone can compute; an even e is no RSA
    // key at all (gcd(e, phi) > 1).
    if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > max_rsa_exponent_bits)
        return errc::key_rsa_exponent_invalid;
    for (const auto& prime : detail::roca_table) {
        const BN_ULONG r = BN_mod_word(n.get(), prime.p);
        if (r == static_cast<BN_ULONG>(-1)) return errc::crypto_failure;
        if ((prime.subgroup[r / 64] >> (r % 64) & 1) == 0) return {};
    }
    return errc::key_rsa_roca;
}

/// The checks of a freshly parsed key of `family` (RSA, EC or Ed25519): check_rsa_public, the curve's own
/// point check for EC (on the curve, of the group order) and check_ed25519_public.
[[nodiscard]] inline result<void> check_public(EVP_PKEY* k, key_family family) {
    switch (family) {
        case key_family::rsa:
            return check_rsa_public(k);
        case key_family::ec: {
            pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, k, nullptr));
            const bool ok = check && EVP_PKEY_public_check(check.get()) == 1;
            clear_errors();
            return ok ? result<void>{} : result<void>{errc::key_invalid};
        }
        case key_family::okp: {
            std::array<char, 32> raw{};
            std::size_t len = raw.size();
            const bool ok =
                EVP_PKEY_get_raw_public_key(k, reinterpret_cast<unsigned char*>(raw.data()), &len) == 1 &&
                len == raw.size();
            clear_errors();
            if (!ok) return errc::key_invalid;
            return check_ed25519_public(std::string_view(raw.data(), raw.size()));
        }
        case key_family::hmac:
            break;
    }
    return {};
}

}  // namespace jot::inline v0::crypto
