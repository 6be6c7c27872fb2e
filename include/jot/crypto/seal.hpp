// SPDX-License-Identifier: MIT
// Key derivation (HKDF-SHA256) and authenticated encryption (AES-256-GCM) of small secrets.
#pragma once

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>    // std::copy
#include <array>        // std::array
#include <cstddef>      // std::byte, std::size_t
#include <memory>       // std::unique_ptr
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "openssl.hpp"

namespace jot::inline v0::crypto {

using kdf_ctx_ptr = std::unique_ptr<EVP_KDF_CTX, openssl_deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, openssl_deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

/// A 256-bit symmetric key.
using key256 = std::array<unsigned char, 32>;

/// Sizes of the AES-256-GCM framing produced by seal(): nonce || ciphertext || tag.
inline constexpr std::size_t gcm_nonce_size = 12;
inline constexpr std::size_t gcm_tag_size = 16;

/// RFC 5869 HKDF-SHA256 (extract and expand) of `ikm` into 32 bytes; false if the library failed.
/// Thread-safe.
[[nodiscard]] inline bool hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info,
                                      key256& out) noexcept {
    static EVP_KDF* const hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    kdf_ctx_ptr ctx(hkdf ? EVP_KDF_CTX_new(hkdf) : nullptr);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
        OSSL_PARAM_construct_end()};
    const bool ok = ctx && EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
    if (!ok) clear_errors();
    return ok;
}

namespace detail {
[[nodiscard]] inline const EVP_CIPHER* aes256gcm() noexcept {
    static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return cipher;
}
}  // namespace detail

/// AES-256-GCM encryption of `plaintext` bound to `aad`, under a fresh random nonce. Appends
/// nonce || ciphertext || tag to `out`; false if the library failed. Thread-safe.
[[nodiscard]] inline bool seal(const key256& k, std::string_view aad, std::string_view plaintext,
                               std::string& out) {
    std::array<unsigned char, gcm_nonce_size> nonce{};
    if (!random_bytes(std::as_writable_bytes(std::span(nonce)))) return false;
    cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
    const std::size_t start = out.size();
    out.resize(start + gcm_nonce_size + plaintext.size() + gcm_tag_size);
    auto* o = reinterpret_cast<unsigned char*>(out.data() + start);
    std::copy(nonce.begin(), nonce.end(), o);
    int len = 0;
    bool ok = ctx &&
              EVP_EncryptInit_ex2(ctx.get(), detail::aes256gcm(), k.data(), nonce.data(), nullptr) == 1 &&
              EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                                static_cast<int>(aad.size())) == 1 &&
              EVP_EncryptUpdate(ctx.get(), o + gcm_nonce_size, &len,
                                reinterpret_cast<const unsigned char*>(plaintext.data()),
                                static_cast<int>(plaintext.size())) == 1 &&
              static_cast<std::size_t>(len) == plaintext.size() &&
              EVP_EncryptFinal_ex(ctx.get(), o + gcm_nonce_size + len, &len) == 1 && len == 0 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(gcm_tag_size),
                                  o + gcm_nonce_size + plaintext.size()) == 1;
    if (!ok) {
        out.resize(start);
        clear_errors();
    }
    return ok;
}

/// Decrypts and authenticates what seal() produced; writes the plaintext to `out`. False if `sealed` is
/// too short, was altered, or was sealed under another key or aad. Thread-safe.
[[nodiscard]] inline bool open(const key256& k, std::string_view aad, std::string_view sealed,
                               std::string& out) {
    if (sealed.size() < gcm_nonce_size + gcm_tag_size) return false;
    const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
    const std::size_t n = sealed.size() - gcm_nonce_size - gcm_tag_size;
    std::array<unsigned char, gcm_tag_size> tag{};
    std::copy(in + gcm_nonce_size + n, in + sealed.size(), tag.begin());
    cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
    out.resize(n);
    int len = 0;
    const bool ok =
        ctx && EVP_DecryptInit_ex2(ctx.get(), detail::aes256gcm(), k.data(), in, nullptr) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                          static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in + gcm_nonce_size,
                          static_cast<int>(n)) == 1 &&
        static_cast<std::size_t>(len) == n &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(gcm_tag_size), tag.data()) ==
            1 &&
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &len) == 1;
    if (!ok) {
        cleanse(out.data(), out.size());
        out.clear();
        clear_errors();
    }
    return ok;
}

}  // namespace jot::inline v0::crypto
