// SPDX-License-Identifier: MIT
// RAII handles for OpenSSL 3 objects and algorithm implementations fetched once per process.
#pragma once

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstddef>  // std::byte, std::size_t
#include <memory>   // std::unique_ptr
#include <span>     // std::span
#include <utility>  // std::exchange

#include "../algorithm.hpp"

namespace jot::inline v0::crypto {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
    void operator()(T* p) const noexcept { Free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY, EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, openssl_deleter<EVP_MAC_CTX, EVP_MAC_CTX_free>>;

/// A shared, immutable EVP_PKEY: copies share one parsed key (OpenSSL reference counting).
class shared_pkey {
public:
    shared_pkey() = default;
    explicit shared_pkey(pkey_ptr p) noexcept : p_(p.release()) {}
    shared_pkey(const shared_pkey& o) noexcept : p_(o.p_) {
        if (p_) EVP_PKEY_up_ref(p_);
    }
    shared_pkey(shared_pkey&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    shared_pkey& operator=(shared_pkey o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~shared_pkey() { EVP_PKEY_free(p_); }
    [[nodiscard]] EVP_PKEY* get() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }

private:
    EVP_PKEY* p_ = nullptr;
};

/// The message digest for a JWA hash, fetched once per process and never freed.
[[nodiscard]] inline const EVP_MD* message_digest(hash h) noexcept {
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    switch (h) {
        case hash::sha256:
            return sha256;
        case hash::sha384:
            return sha384;
        case hash::sha512:
            return sha512;
        case hash::none:
            break;
    }
    return nullptr;
}

/// The HMAC implementation, fetched once per process.
[[nodiscard]] inline EVP_MAC* hmac_algorithm() noexcept {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

/// Clears OpenSSL's thread-local error queue, so a failure never leaks into an unrelated later call.
inline void clear_errors() noexcept {
    ERR_clear_error();
}

/// Fills `out` with cryptographically secure random bytes; false if the generator failed.
[[nodiscard]] inline bool random_bytes(std::span<std::byte> out) noexcept {
    return out.empty() ||
           RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) == 1;
}

/// Compares two byte strings in time that depends only on their lengths.
[[nodiscard]] inline bool constant_time_equal(std::span<const std::byte> a,
                                              std::span<const std::byte> b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// Overwrites memory that held a secret, in a way the optimiser keeps.
inline void cleanse(void* p, std::size_t n) noexcept {
    OPENSSL_cleanse(p, n);
}

}  // namespace jot::inline v0::crypto
