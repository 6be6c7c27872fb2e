// SPDX-License-Identifier: MIT
// Test support: keys in every encoding jot loads, produced by OpenSSL's own encoders.
#pragma once

#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace jot_test {

struct pkey_deleter {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using pkey = std::unique_ptr<EVP_PKEY, pkey_deleter>;

inline pkey generate_rsa(std::size_t bits) {
    return pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}
inline pkey generate_ec(const char* group) {
    return pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
}
inline pkey generate_ed25519() {
    return pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

/// Encodes `k` with OSSL_ENCODER: format "PEM" or "DER", structure e.g. "PrivateKeyInfo",
/// "SubjectPublicKeyInfo" or "type-specific" (PKCS#1 for RSA, SEC1 for EC).
inline std::string encode(EVP_PKEY* k, int selection, const char* format, const char* structure) {
    OSSL_ENCODER_CTX* ctx = OSSL_ENCODER_CTX_new_for_pkey(k, selection, format, structure, nullptr);
    unsigned char* data = nullptr;
    std::size_t len = 0;
    const bool ok =
        ctx && OSSL_ENCODER_CTX_get_num_encoders(ctx) > 0 && OSSL_ENCODER_to_data(ctx, &data, &len);
    OSSL_ENCODER_CTX_free(ctx);
    if (!ok) throw std::runtime_error(std::string("no encoder for ") + format + "/" + structure);
    std::string out(reinterpret_cast<const char*>(data), len);
    OPENSSL_free(data);
    return out;
}

inline std::string private_pem(EVP_PKEY* k, const char* structure = "PrivateKeyInfo") {
    return encode(k, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM", structure);
}
inline std::string public_pem(EVP_PKEY* k, const char* structure = "SubjectPublicKeyInfo") {
    return encode(k, OSSL_KEYMGMT_SELECT_PUBLIC_KEY, "PEM", structure);
}

/// A self-signed X.509 certificate for `k`, as PEM (or DER with `der`).
inline std::string self_signed_certificate(EVP_PKEY* k, bool der = false) {
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, k);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("jot test"),
                               -1, -1, 0);
    X509_set_issuer_name(cert, name);
    const bool eddsa = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519;
    if (X509_sign(cert, k, eddsa ? nullptr : EVP_sha256()) <= 0) {
        X509_free(cert);
        throw std::runtime_error("X509_sign failed");
    }
    std::string out;
    if (der) {
        unsigned char* buf = nullptr;
        const int len = i2d_X509(cert, &buf);
        out.assign(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
        OPENSSL_free(buf);
    } else {
        BIO* bio = BIO_new(BIO_s_mem());
        PEM_write_bio_X509(bio, cert);
        char* data = nullptr;
        const long len = BIO_get_mem_data(bio, &data);
        out.assign(data, static_cast<std::size_t>(len));
        BIO_free(bio);
    }
    X509_free(cert);
    return out;
}

}  // namespace jot_test
