// SPDX-License-Identifier: MIT
#include <jot/crypto/ecdsa_der.hpp>

#include "../support/test.hpp"

#include <string>

using jot::crypto::ecdsa_der_to_raw;
using jot::crypto::ecdsa_raw_to_der;

TEST_CASE("ecdsa_der converts R || S to minimal DER and back for every curve size") {
    for (const std::size_t width : {32u, 48u, 66u}) {
        CAPTURE(width);
        for (const char lead : {'\x00', '\x01', '\x7f', '\x80', '\xff'}) {
            std::string raw(2 * width, '\x5a');
            raw[0] = lead;
            raw[width] = static_cast<char>(~lead);
            const std::string der = ecdsa_raw_to_der(raw);
            REQUIRE_FALSE(der.empty());
            std::string back;
            REQUIRE(ecdsa_der_to_raw(der, width, back));
            CHECK(back == raw);
        }
    }
}

TEST_CASE("ecdsa_der refuses non-minimal, negative, oversized and trailing encodings") {
    std::string raw;
    const auto bad = [&](std::string der) { return !ecdsa_der_to_raw(der, 32, raw); };
    CHECK(bad(""));
    CHECK(bad(std::string("\x30\x06\x02\x01\x01\x02\x01\x01\x00", 9)));  // trailing byte
    CHECK(bad(std::string("\x30\x06\x02\x01\x81\x02\x01\x01", 8)));      // negative r
    CHECK(bad(std::string("\x30\x07\x02\x02\x00\x01\x02\x01\x01", 9)));  // non-minimal r
    CHECK(bad(std::string("\x30\x06\x02\x00\x02\x02\x01\x01", 8)));      // empty r
    CHECK(bad(std::string("\x30\x81\x06\x02\x01\x01\x02\x01\x01", 9)));  // long form for a short length
    CHECK(bad("\x30\x24\x02\x21\x01" + std::string(32, '\x01') + "\x02\x01\x01"));  // r wider than the curve
    CHECK_FALSE(bad(std::string("\x30\x06\x02\x01\x01\x02\x01\x01", 8)));
    CHECK(raw == std::string(31, '\0') + "\x01" + std::string(31, '\0') + "\x01");
}
