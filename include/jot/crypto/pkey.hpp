// SPDX-License-Identifier: MIT
// Asymmetric keys with OpenSSL 3: decode PEM/DER, build from and export to JWK parameters, generate.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>      // std::strcmp
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include "openssl.hpp"

namespace jot::inline v0::crypto {

/// What a parsed EVP_PKEY is: family, curve, size, and whether it holds the private part.
struct pkey_info {
    key_family family = key_family::rsa;
    curve named_curve = curve::none;
    std::size_t bits = 0;
    bool has_private = false;
};

namespace detail {

using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO, BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, BN_clear_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509, X509_free>>;
using decoder_ctx_ptr =
    std::unique_ptr<OSSL_DECODER_CTX, openssl_deleter<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, openssl_deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_deleter<OSSL_PARAM, OSSL_PARAM_free>>;

inline curve curve_from_group_name(std::string_view n) {
    if (n == "prime256v1" || n == "P-256" || n == "secp256r1") return curve::p256;
    if (n == "secp384r1" || n == "P-384") return curve::p384;
    if (n == "secp521r1" || n == "P-521") return curve::p521;
    return curve::none;
}

// Whether the key holds its private part. One export call either fails (nullopt: the key is refused) or
// lists exactly what the key has, so a failing library can never make a private key pass for a public one.
inline std::optional<bool> has_private_param(EVP_PKEY* k, const char* name) {
    OSSL_PARAM* params = nullptr;
    if (EVP_PKEY_todata(k, EVP_PKEY_KEYPAIR, &params) != 1 || params == nullptr) return std::nullopt;
    const bool found = OSSL_PARAM_locate(params, name) != nullptr;
    for (OSSL_PARAM* p = params; p->key != nullptr; ++p)  // the export holds the private key's bytes
        if (p->data != nullptr) cleanse(p->data, p->data_size);
    OSSL_PARAM_free(params);
    return found;
}

inline pkey_ptr decode(std::string_view data, const char* input_type, int selection) {
    EVP_PKEY* raw = nullptr;
    decoder_ctx_ptr ctx(
        OSSL_DECODER_CTX_new_for_pkey(&raw, input_type, nullptr, nullptr, selection, nullptr, nullptr));
    if (!ctx) return nullptr;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t len = data.size();
    if (OSSL_DECODER_from_data(ctx.get(), &p, &len) != 1) {
        EVP_PKEY_free(raw);
        return nullptr;
    }
    return pkey_ptr(raw);
}

inline void push_bn(OSSL_PARAM_BLD* bld, const char* name, std::string_view be, std::vector<bn_ptr>& keep) {
    keep.emplace_back(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(be.data()), static_cast<int>(be.size()), nullptr));
    if (keep.back()) OSSL_PARAM_BLD_push_BN(bld, name, keep.back().get());
}

inline pkey_ptr from_params(const char* type, int selection, OSSL_PARAM_BLD* bld) {
    params_ptr params(OSSL_PARAM_BLD_to_param(bld));
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1)
        return nullptr;
    return pkey_ptr(raw);
}

}  // namespace detail

/// Family, curve, size and privacy of a key; nullopt for key types jot does not use.
[[nodiscard]] inline std::optional<pkey_info> inspect(EVP_PKEY* k) {
    pkey_info info;
    info.bits = static_cast<std::size_t>(EVP_PKEY_get_bits(k));
    const char* private_param = nullptr;
    switch (EVP_PKEY_get_base_id(k)) {
        case EVP_PKEY_RSA:
            info.family = key_family::rsa;
            private_param = OSSL_PKEY_PARAM_RSA_D;
            break;
        case EVP_PKEY_EC: {
            info.family = key_family::ec;
            char group[64] = {};
            std::size_t len = 0;
            if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
                return std::nullopt;
            info.named_curve = detail::curve_from_group_name(std::string_view(group, len));
            if (info.named_curve == curve::none) return std::nullopt;
            private_param = OSSL_PKEY_PARAM_PRIV_KEY;
            break;
        }
        case EVP_PKEY_ED25519:
            info.family = key_family::okp;
            info.named_curve = curve::ed25519;
            private_param = OSSL_PKEY_PARAM_PRIV_KEY;
            break;
        default:
            return std::nullopt;
    }
    const auto has_private = detail::has_private_param(k, private_param);
    if (!has_private) {
        clear_errors();
        return std::nullopt;
    }
    info.has_private = *has_private;
    clear_errors();
    return info;
}

/// A key from PEM text: PKCS#8 or traditional private keys, SubjectPublicKeyInfo, PKCS#1 RSA public keys,
/// or the public key of an X.509 certificate. Null on failure.
[[nodiscard]] inline pkey_ptr pkey_from_pem(std::string_view pem) {
    if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
        detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        detail::x509_ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
        pkey_ptr k(cert ? X509_get_pubkey(cert.get()) : nullptr);
        clear_errors();
        return k;
    }
    pkey_ptr k = detail::decode(pem, "PEM", 0);
    clear_errors();
    return k;
}

/// A key from DER bytes (the same structures as pkey_from_pem). Null on failure.
[[nodiscard]] inline pkey_ptr pkey_from_der(std::string_view der) {
    pkey_ptr k = detail::decode(der, "DER", 0);
    if (!k) {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        detail::x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
        if (cert && p == reinterpret_cast<const unsigned char*>(der.data() + der.size()))
            k.reset(X509_get_pubkey(cert.get()));
    }
    clear_errors();
    return k;
}

/// An RSA key from big-endian parameters; `d` and the CRT values may be empty for a public key.
[[nodiscard]] inline pkey_ptr rsa_from_params(std::string_view n, std::string_view e, std::string_view d = {},
                                              std::string_view p = {}, std::string_view q = {},
                                              std::string_view dp = {}, std::string_view dq = {},
                                              std::string_view qi = {}) {
    detail::param_bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bld) return nullptr;
    std::vector<detail::bn_ptr> keep;
    detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_N, n, keep);
    detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_E, e, keep);
    const bool priv = !d.empty();
    if (priv) {
        detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_D, d, keep);
        if (!p.empty() && !q.empty() && !dp.empty() && !dq.empty() && !qi.empty()) {
            detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p, keep);
            detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q, keep);
            detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp, keep);
            detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq, keep);
            detail::push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi, keep);
        }
    }
    for (const auto& bn : keep)
        if (!bn) return nullptr;
    pkey_ptr k = detail::from_params("RSA", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld.get());
    clear_errors();
    return k;
}

/// An EC key on `c` from its affine coordinates (each exactly the coordinate size) and optional private
/// scalar. Null unless the point is on the curve.
[[nodiscard]] inline pkey_ptr ec_from_params(curve c, std::string_view x, std::string_view y,
                                             std::string_view d = {}) {
    const std::size_t width = coordinate_size(c);
    if (c == curve::ed25519 || width == 0 || x.size() != width || y.size() != width) return nullptr;
    if (!d.empty() && d.size() != width) return nullptr;
    std::string point;
    point.reserve(1 + 2 * width);
    point.push_back(0x04);
    point.append(x).append(y);
    detail::param_bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bld) return nullptr;
    const std::string group(name(c));
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    std::vector<detail::bn_ptr> keep;
    if (!d.empty()) detail::push_bn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d, keep);
    pkey_ptr k = detail::from_params("EC", d.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR, bld.get());
    if (k) {
        pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr));
        const bool ok = check && EVP_PKEY_public_check(check.get()) == 1 &&
                        (d.empty() || EVP_PKEY_pairwise_check(check.get()) == 1);
        if (!ok) k.reset();
    }
    clear_errors();
    return k;
}

/// An Ed25519 key from its 32-byte public value and optional 32-byte private seed; null if they disagree.
[[nodiscard]] inline pkey_ptr ed25519_from_params(std::string_view x, std::string_view d = {}) {
    if (x.size() != 32 || (!d.empty() && d.size() != 32)) return nullptr;
    pkey_ptr k;
    if (d.empty()) {
        k.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
                                               reinterpret_cast<const unsigned char*>(x.data()), x.size()));
    } else {
        k.reset(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr,
                                                reinterpret_cast<const unsigned char*>(d.data()), d.size()));
        unsigned char pub[32];
        std::size_t len = sizeof pub;
        if (k && (EVP_PKEY_get_raw_public_key(k.get(), pub, &len) != 1 || len != 32 ||
                  CRYPTO_memcmp(pub, x.data(), 32) != 0))
            k.reset();
    }
    clear_errors();
    return k;
}

/// A big-endian BIGNUM parameter of a key, left-padded to `width` bytes when width > 0; empty if absent.
[[nodiscard]] inline std::string bn_param(EVP_PKEY* k, const char* name, std::size_t width = 0) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(k, name, &raw) != 1 || raw == nullptr) {
        clear_errors();
        return {};
    }
    detail::bn_ptr bn(raw);
    const std::size_t n = width ? width : static_cast<std::size_t>(BN_num_bytes(bn.get()));
    std::string out(n, '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) < 0)
        return {};
    return out;
}

/// The raw public (or, with `private_part`, private) value of an Ed25519 key.
[[nodiscard]] inline std::string ed25519_raw(EVP_PKEY* k, bool private_part) {
    std::string out(32, '\0');
    std::size_t len = out.size();
    const int ok = private_part
                       ? EVP_PKEY_get_raw_private_key(k, reinterpret_cast<unsigned char*>(out.data()), &len)
                       : EVP_PKEY_get_raw_public_key(k, reinterpret_cast<unsigned char*>(out.data()), &len);
    if (ok != 1 || len != 32) return {};
    return out;
}

/// A new key pair: RSA of `bits`, EC on `c`, or Ed25519. Null on failure.
[[nodiscard]] inline pkey_ptr generate(key_family family, curve c, std::size_t bits) {
    pkey_ptr k;
    switch (family) {
        case key_family::rsa:
            k.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
            break;
        case key_family::ec: {
            const std::string group(name(c));
            k.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group.c_str()));
            break;
        }
        case key_family::okp:
            k.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
            break;
        case key_family::hmac:
            break;
    }
    clear_errors();
    return k;
}

/// PEM text of the key: PKCS#8 for a private key, SubjectPublicKeyInfo for the public part.
[[nodiscard]] inline std::string to_pem(EVP_PKEY* k, bool private_part) {
    detail::bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio) return {};
    const int ok = private_part
                       ? PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr)
                       : PEM_write_bio_PUBKEY(bio.get(), k);
    if (ok != 1) {
        clear_errors();
        return {};
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

/// Whether two keys have the same type and public value (private parts are not compared).
[[nodiscard]] inline bool same_public_key(EVP_PKEY* a, EVP_PKEY* b) noexcept {
    const bool same = a != nullptr && b != nullptr && EVP_PKEY_eq(a, b) == 1;
    clear_errors();
    return same;
}

/// A new EVP_PKEY holding only the public part of `k`. Null on failure.
[[nodiscard]] inline pkey_ptr public_part(EVP_PKEY* k) {
    const std::string pem = to_pem(k, false);
    return pem.empty() ? nullptr : pkey_from_pem(pem);
}

/// The JWK members (RFC 7518 §6, RFC 8037 §2) of an asymmetric key as raw big-endian bytes, in RFC 7638
/// order; private members only with `include_private`. EC coordinates are padded to the curve size.
[[nodiscard]] inline std::vector<std::pair<std::string_view, std::string>> jwk_members(EVP_PKEY* k,
                                                                                       key_family family,
                                                                                       curve c,
                                                                                       bool include_private) {
    std::vector<std::pair<std::string_view, std::string>> m;
    switch (family) {
        case key_family::rsa:
            m = {{"e", bn_param(k, OSSL_PKEY_PARAM_RSA_E)}, {"n", bn_param(k, OSSL_PKEY_PARAM_RSA_N)}};
            if (include_private) {
                m.insert(m.end(), {{"d", bn_param(k, OSSL_PKEY_PARAM_RSA_D)},
                                   {"p", bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR1)},
                                   {"q", bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR2)},
                                   {"dp", bn_param(k, OSSL_PKEY_PARAM_RSA_EXPONENT1)},
                                   {"dq", bn_param(k, OSSL_PKEY_PARAM_RSA_EXPONENT2)},
                                   {"qi", bn_param(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1)}});
            }
            break;
        case key_family::ec: {
            const std::size_t w = coordinate_size(c);
            m = {{"x", bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, w)},
                 {"y", bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, w)}};
            if (include_private) m.emplace_back("d", bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, w));
            break;
        }
        case key_family::okp:
            m = {{"x", ed25519_raw(k, false)}};
            if (include_private) m.emplace_back("d", ed25519_raw(k, true));
            break;
        case key_family::hmac:
            break;
    }
    return m;
}

}  // namespace jot::inline v0::crypto
