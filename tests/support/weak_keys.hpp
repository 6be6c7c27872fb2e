// SPDX-License-Identifier: MIT
// Test support: public keys of the shapes jot must refuse (RSA e = 1, even e, ROCA moduli, small-order and
// non-canonical Ed25519 points), built with OpenSSL's BIGNUM and encoders rather than with jot.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <jot/base64url.hpp>

#include "openssl_fixtures.hpp"

namespace jot_test {

struct bn_deleter {
    void operator()(BIGNUM* p) const { BN_free(p); }
};
using bn = std::unique_ptr<BIGNUM, bn_deleter>;

inline bn bn_from_dec(const char* dec) {
    BIGNUM* raw = nullptr;
    if (BN_dec2bn(&raw, dec) == 0) throw std::runtime_error("BN_dec2bn failed");
    return bn(raw);
}

inline std::string bn_bytes(const BIGNUM* b) {
    std::string out(static_cast<std::size_t>(BN_num_bytes(b)), '\0');
    BN_bn2bin(b, reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

/// The modulus of a freshly generated 2048-bit RSA key, big-endian.
inline std::string fresh_rsa_modulus() {
    const auto k = generate_rsa(2048);
    BIGNUM* n = nullptr;
    if (!k || EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1)
        throw std::runtime_error("no RSA modulus");
    const bn owned(n);
    return bn_bytes(n);
}

/// An RSA public key with modulus `n` and exponent `e` (big-endian), with no check by OpenSSL.
inline pkey rsa_public(const std::string& n, const std::string& e) {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    const bn bn_n(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
    const bn bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* raw = nullptr;
    const bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
                    EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    if (!ok) throw std::runtime_error("EVP_PKEY_fromdata failed for an RSA public key");
    return pkey(raw);
}

/// A 2048-bit modulus with the ROCA structure N = k * M + (65537^c mod M), M the product of the primes up to
/// 167 (Nemec et al., CCS 2017): every Infineon modulus has this shape, since both its primes have it.
inline std::string roca_modulus(unsigned c = 1234) {
    BN_CTX* ctx = BN_CTX_new();
    const bn m(BN_new()), g(BN_new()), r(BN_new()), k(BN_new()), n(BN_new());
    BN_one(m.get());
    for (unsigned p = 2; p <= 167; ++p) {
        bool prime = true;
        for (unsigned q = 2; q * q <= p; ++q) prime = prime && p % q != 0;
        if (prime) BN_mul_word(m.get(), p);
    }
    BN_set_word(g.get(), 65537);
    const bn exponent(BN_new());
    BN_set_word(exponent.get(), c);
    BN_mod_exp(r.get(), g.get(), exponent.get(), m.get(), ctx);
    do {  // k * M has 2048 or 2049 bits; keep a k that makes N exactly 2048 bits long
        BN_rand(k.get(), 2048 - BN_num_bits(m.get()) + 1, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
        BN_mul(n.get(), k.get(), m.get(), ctx);
        BN_add(n.get(), n.get(), r.get());
    } while (BN_num_bits(n.get()) != 2048);
    BN_CTX_free(ctx);
    if (BN_num_bits(n.get()) != 2048) throw std::runtime_error("ROCA modulus of the wrong size");
    return bn_bytes(n.get());
}

/// Big-endian bytes of a small exponent.
inline std::string exponent(std::uint64_t e) {
    std::string out;
    for (; e != 0; e >>= 8) out.insert(out.begin(), static_cast<char>(e & 0xff));
    return out;
}

/// {"kty":"RSA","n":...,"e":...} for big-endian n and e.
inline std::string rsa_jwk(const std::string& n, const std::string& e) {
    return R"({"kty":"RSA","n":")" + jot::base64url_encode(n) + R"(","e":")" + jot::base64url_encode(e) +
           R"("})";
}

/// 32 bytes from 64 hex digits (little-endian point encodings are written as they are stored).
inline std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

/// Every encoding of an Ed25519 point of small order: the eight points (orders 1, 2, 4 and 8) in canonical
/// form, x = 0 with the sign bit set, and y + p for y = 0 and 1 with either sign.
inline std::vector<std::string> small_order_ed25519_encodings() {
    const std::string ff(60, 'f');
    const std::vector<std::string> hex{
        "0000000000000000000000000000000000000000000000000000000000000000",  // y = 0, order 4
        "0000000000000000000000000000000000000000000000000000000000000080",  // y = 0, other x
        "0100000000000000000000000000000000000000000000000000000000000000",  // identity
        "ec" + ff + "7f",                                                    // y = p - 1, order 2
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8, y = p - y8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "0100000000000000000000000000000000000000000000000000000000000080",  // identity with x = -0
        "ec" + ff + "ff",                                                    // (0, -1) with x = -0
        "ed" + ff + "7f",                                                    // y = p, i.e. 0
        "ed" + ff + "ff",
        "ee" + ff + "7f",  // y = p + 1, i.e. the identity
        "ee" + ff + "ff",
    };
    std::vector<std::string> out;
    for (const auto& h : hex) out.push_back(from_hex(h));
    return out;
}

/// The SubjectPublicKeyInfo DER of a raw 32-byte Ed25519 public value (RFC 8410), built by hand so that
/// no encoder can normalise it.
inline std::string ed25519_spki_der(const std::string& raw) {
    return from_hex("302a300506032b6570032100") + raw;
}

/// PEM text of DER bytes under `label`, e.g. "PUBLIC KEY".
inline std::string pem_of(const std::string& der, const std::string& label) {
    std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                        reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
    b64.resize(static_cast<std::size_t>(len));
    std::string out = "-----BEGIN " + label + "-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    return out + "-----END " + label + "-----\n";
}

}  // namespace jot_test
