// SPDX-License-Identifier: MIT
// RFC 4231's HMAC-SHA-256/384/512 test cases through jot::crypto::hmac_engine, for both of its
// implementations (tests/unit/hmac_test.cpp and hmac_evp_mac_test.cpp).
#pragma once

#include <jot/crypto/signature.hpp>

#include <openssl/evp.h>

#include "test.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace jot_test {

inline std::string to_hex(const unsigned char* bytes, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < n; ++i) {
        hex.push_back(digits[bytes[i] >> 4]);
        hex.push_back(digits[bytes[i] & 15]);
    }
    return hex;
}

inline std::string hmac_hex(std::string_view key, jot::hash h, std::string_view msg) {
    const jot::crypto::hmac_engine engine(key);
    REQUIRE(engine.ready());
    unsigned char out[64];
    REQUIRE(engine.mac(h, msg, out));
    return to_hex(out, jot::size(h));
}

inline void check_rfc4231() {
    struct vector {
        std::string key, data;
        std::string_view sha256, sha384, sha512;
    };
    const vector vectors[] = {
        // Test case 1: a 20-byte key.
        {std::string(20, '\x0b'), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9"
         "d914e"
         "eb61f1702e696c203a126854"},
        // Test case 2: a key shorter than the hash.
        {"Jefe", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcae"
         "ab1a3"
         "4d4a6b4b636e070a38bce737"},
        // Test case 6: a 131-byte key, longer than every block, so it is hashed first.
        {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e"
         "64f73"
         "f63f0aec8b915a985d786598"},
    };
    for (const auto& v : vectors) {
        CAPTURE(v.data);
        CHECK(hmac_hex(v.key, jot::hash::sha256, v.data) == v.sha256);
        CHECK(hmac_hex(v.key, jot::hash::sha384, v.data) == v.sha384);
        CHECK(hmac_hex(v.key, jot::hash::sha512, v.data) == v.sha512);
    }
    // Every key length around the block sizes (64 and 128 bytes: keys longer than a block are hashed first)
    // and messages around them, against OpenSSL's one-shot EVP_Q_mac.
    for (std::size_t key_size = 32; key_size <= 260; key_size += 3) {
        const std::string key(key_size, static_cast<char>(key_size));
        for (std::size_t msg_size : {0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 300}) {
            const std::string msg(msg_size, 'm');
            for (const jot::hash h : {jot::hash::sha256, jot::hash::sha384, jot::hash::sha512}) {
                unsigned char expected[64];
                std::size_t len = 0;
                const char* md = h == jot::hash::sha256   ? "SHA256"
                                 : h == jot::hash::sha384 ? "SHA384"
                                                          : "SHA512";
                REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, md, nullptr, key.data(), key.size(),
                                  reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), expected,
                                  sizeof expected, &len) != nullptr);
                CAPTURE(key_size);
                CAPTURE(msg_size);
                CHECK(hmac_hex(key, h, msg) == to_hex(expected, len));
            }
        }
    }
}

}  // namespace jot_test
