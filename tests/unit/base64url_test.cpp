// SPDX-License-Identifier: MIT
#include <jot/base64url.hpp>

#include "../support/test.hpp"

#include <openssl/evp.h>

#include <string>

TEST_CASE("base64url encodes the RFC 4648 test vectors without padding") {
    CHECK(jot::base64url_encode("") == "");
    CHECK(jot::base64url_encode("f") == "Zg");
    CHECK(jot::base64url_encode("fo") == "Zm8");
    CHECK(jot::base64url_encode("foo") == "Zm9v");
    CHECK(jot::base64url_encode("foob") == "Zm9vYg");
    CHECK(jot::base64url_encode("fooba") == "Zm9vYmE");
    CHECK(jot::base64url_encode("foobar") == "Zm9vYmFy");
    CHECK(jot::base64url_encode(std::string("\xfb\xff\xbf", 3)) == "-_-_");
}

TEST_CASE("base64url round-trips every length and byte value") {
    std::string bytes;
    for (int n = 0; n < 300; ++n) {
        const auto encoded = jot::base64url_encode(bytes);
        CHECK(encoded.size() == jot::base64url_encoded_size(bytes.size()));
        const auto decoded = jot::base64url_decode(encoded);
        REQUIRE(decoded);
        CHECK(*decoded == bytes);
        bytes.push_back(static_cast<char>(n * 37 + 11));
    }
}

TEST_CASE("base64url rejects every non-canonical or foreign form") {
    SUBCASE("padding") {
        CHECK(jot::base64url_decode("Zg==").error() == jot::errc::base64_invalid);
    }
    SUBCASE("standard alphabet") {
        CHECK(jot::base64url_decode("+/+/").error() == jot::errc::base64_invalid);
    }
    SUBCASE("impossible length") {
        CHECK(jot::base64url_decode("Zm9vY").error() == jot::errc::base64_invalid);
    }
    SUBCASE("non-zero trailing bits") {
        CHECK(jot::base64url_decode("Zh").error() == jot::errc::base64_invalid);   // "Zg" is canonical
        CHECK(jot::base64url_decode("Zm9").error() == jot::errc::base64_invalid);  // "Zm8" is canonical
    }
    SUBCASE("whitespace and control bytes") {
        CHECK(jot::base64url_decode("Zm9v Yg").error() == jot::errc::base64_invalid);
        CHECK(jot::base64url_decode(std::string("Zm9\0", 4)).error() == jot::errc::base64_invalid);
        CHECK(jot::base64url_decode("Zm9v\n").error() == jot::errc::base64_invalid);
    }
    SUBCASE("bytes above 0x7f") {
        CHECK(jot::base64url_decode("Zm9\xc3").error() == jot::errc::base64_invalid);
    }
}

TEST_CASE("base64url encoding agrees with OpenSSL's base64 for every length, on every code path") {
    // Lengths past 16 take the SSSE3 path where the CPU has it; the tail and short inputs the scalar one.
    std::string bytes;
    for (int n = 0; n < 300; ++n) {
        std::string reference(4 * ((bytes.size() + 2) / 3) + 1, '\0');
        const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(reference.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<int>(bytes.size()));
        reference.resize(static_cast<std::size_t>(len));
        while (!reference.empty() && reference.back() == '=') reference.pop_back();
        for (char& c : reference) c = c == '+' ? '-' : c == '/' ? '_' : c;
        CAPTURE(n);
        CHECK(jot::base64url_encode(bytes) == reference);
        bytes.push_back(static_cast<char>((n * 151 + 7) ^ (n >> 3)));
    }
}
