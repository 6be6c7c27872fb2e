// SPDX-License-Identifier: MIT
// Test support: builds tokens with arbitrary header and payload bytes, signed by OpenSSL directly, so the
// verifier is tested against an oracle that shares none of its signing code.
#pragma once

#include <openssl/evp.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include <jot/base64url.hpp>

namespace jot_test {

inline const std::string hs256_secret = "0123456789abcdef0123456789abcdef-test-secret";

/// HMAC of `data` with OpenSSL's one-shot API.
inline std::string openssl_hmac(std::string_view digest, std::string_view secret, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    const std::string md(digest);
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, md.c_str(), nullptr, secret.data(), secret.size(),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &len))
        throw std::runtime_error("EVP_Q_mac failed");
    return std::string(reinterpret_cast<const char*>(out), len);
}

/// base64url(header) '.' base64url(payload), exactly the given bytes.
inline std::string signing_input(std::string_view header, std::string_view payload) {
    return jot::base64url_encode(header) + "." + jot::base64url_encode(payload);
}

/// A compact token over the exact header and payload bytes, HMAC-SHA256-signed with `secret`.
inline std::string forge_hs256(std::string_view header, std::string_view payload,
                               std::string_view secret = hs256_secret) {
    const std::string input = signing_input(header, payload);
    return input + "." + jot::base64url_encode(openssl_hmac("SHA256", secret, input));
}

/// A compact token over the exact header and payload bytes with the given raw signature bytes.
inline std::string with_signature(std::string_view header, std::string_view payload, std::string_view sig) {
    return signing_input(header, payload) + "." + jot::base64url_encode(sig);
}

}  // namespace jot_test
