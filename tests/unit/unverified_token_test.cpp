// SPDX-License-Identifier: MIT
#include <jot/unverified_token.hpp>

#include "../support/test.hpp"

#include <string>  // std::string

#include <jot/base64url.hpp>
#include <jot/builder.hpp>
#include <jot/key.hpp>

using jot::errc;

namespace {

std::string part(std::string_view json) {
    return jot::base64url_encode(json);
}

}  // namespace

TEST_CASE("decode_unverified returns the header and claims of a signed token") {
    const jot::signer s(jot::algorithm::es256, jot::key::generate(jot::algorithm::es256).value(), "k1");
    const auto token = s.sign_text(R"({"sub":"alice","n":1})");
    REQUIRE(token);
    const auto t = jot::decode_unverified(*token);
    REQUIRE(t);
    CHECK(t->header["alg"] == "ES256");
    CHECK(t->header["kid"] == "k1");
    CHECK(t->claims["sub"] == "alice");
    CHECK(t->payload == R"({"sub":"alice","n":1})");
}

TEST_CASE("decode_unverified checks nothing: a forged signature decodes the same") {
    const std::string forged = part(R"({"alg":"RS256"})") + "." + part(R"({"admin":true})") + "." + part("x");
    const auto t = jot::decode_unverified(forged);
    REQUIRE(t);
    CHECK(t->claims["admin"] == true);
    CHECK(jot::decode_unverified(part(R"({"alg":"none"})") + "." + part("{}") + ".")->header["alg"] ==
          "none");
}

TEST_CASE("decode_unverified keeps a payload that is not a JSON object as bytes") {
    const auto t = jot::decode_unverified(part(R"({"alg":"HS256"})") + "." + part("plain text") + ".c2ln");
    REQUIRE(t);
    CHECK(t->claims.is_null());
    CHECK(t->payload == "plain text");
}

TEST_CASE("decode_unverified rejects what is not a compact JWS with the exact error") {
    const std::string h = part(R"({"alg":"HS256"})");
    CHECK(jot::decode_unverified("not-a-token").error() == errc::token_malformed);
    CHECK(jot::decode_unverified("a.b.c.d").error() == errc::token_malformed);
    CHECK(jot::decode_unverified(".e30.").error() == errc::token_malformed);
    CHECK(jot::decode_unverified(h + ".e30=.").error() == errc::base64_invalid);
    CHECK(jot::decode_unverified(h + ".e30.a+b").error() == errc::base64_invalid);
    CHECK(jot::decode_unverified(part("[1]") + ".e30.").error() == errc::header_invalid);
    CHECK(jot::decode_unverified(part(R"({"a":1,"a":2})") + ".e30.").error() == errc::header_invalid);
    CHECK(jot::decode_unverified(h + ".e30.", {.max_token_bytes = 8}).error() == errc::token_too_large);
}
