// SPDX-License-Identifier: MIT
#include <jot/verifier.hpp>

#include "../support/test.hpp"

#include <chrono>
#include <string>

#include <jot/builder.hpp>
#include <jot/jwk.hpp>

#include "../support/forge.hpp"

using namespace std::chrono_literals;
using jot::errc;
using jot_test::forge_hs256;

namespace {

const jot::time_point now{std::chrono::seconds{1'700'000'000}};
constexpr long long t = 1'700'000'000;

std::string claims_json(const std::string& extra = {}) {
    std::string c = R"({"iss":"https://auth.example","aud":"api","sub":"alice","exp":)" +
                    std::to_string(t + 60) + R"(,"iat":)" + std::to_string(t - 10);
    return c + extra + "}";
}

jot::key hs_key() {
    return jot::key::hmac(jot_test::hs256_secret).value();
}

jot::verifier hs_verifier(jot::verifier_options o = {.issuer = "https://auth.example", .audience = {"api"}}) {
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, hs_key());
    return jot::verifier{keys, std::move(o)};
}

errc verify(const std::string& token, const jot::verifier& v = hs_verifier()) {
    const auto r = v.verify_at(token, now);
    return r ? errc{} : static_cast<errc>(r.error().value());
}

const std::string hs_header = R"({"alg":"HS256","typ":"JWT"})";

}  // namespace

TEST_CASE("verifier accepts a well-formed HS256 token forged by OpenSSL directly") {
    const auto r = hs_verifier().verify_at(forge_hs256(hs_header, claims_json()), now);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->subject() == "alice");
    CHECK(r->issuer() == "https://auth.example");
    CHECK(r->audience() == std::vector<std::string>{"api"});
    CHECK(r->expires_at() == now + 60s);
    CHECK(r->alg() == jot::algorithm::hs256);
}

TEST_CASE("verifier rejects alg none in every spelling") {
    for (const char* spelling : {"none", "None", "NONE", "nOnE"}) {
        CAPTURE(spelling);
        const std::string header = std::string(R"({"alg":")") + spelling + R"("})";
        CHECK(verify(jot_test::signing_input(header, claims_json()) + ".") == errc::algorithm_none);
        CHECK(verify(forge_hs256(header, claims_json())) == errc::algorithm_none);
    }
}

TEST_CASE("verifier rejects unknown, missing and mistyped algorithms") {
    CHECK(verify(forge_hs256(R"({"alg":"HS257"})", claims_json())) == errc::algorithm_unknown);
    CHECK(verify(forge_hs256(R"({"alg":"hs256"})", claims_json())) == errc::algorithm_unknown);
    CHECK(verify(forge_hs256(R"({"typ":"JWT"})", claims_json())) == errc::header_invalid);
    CHECK(verify(forge_hs256(R"({"alg":256})", claims_json())) == errc::header_invalid);
    CHECK(verify(forge_hs256(R"({"alg":"RS256"})", claims_json())) == errc::algorithm_not_allowed);
}

TEST_CASE("verifier rejects the HS256-with-public-key confusion attack") {
    const auto rsa = jot::key::generate(jot::algorithm::rs256).value();
    const std::string public_pem = rsa.public_key().to_pem();
    jot::key_set keys;
    keys.add(jot::algorithm::rs256, rsa.public_key());
    const jot::verifier v{keys, {.issuer = "https://auth.example", .audience = {"api"}}};
    // The attacker signs with the public key's PEM bytes as an HMAC secret.
    const auto forged = forge_hs256(hs_header, claims_json(), public_pem);
    CHECK(verify(forged, v) == errc::algorithm_not_allowed);
}

TEST_CASE("verifier selects keys by kid and binds each key to one algorithm") {
    const auto k1 = jot::key::hmac(std::string(32, '1')).value();
    const auto k2 = jot::key::hmac(std::string(32, '2')).value();
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, k1, "one").add(jot::algorithm::hs256, k2, "two");
    const jot::verifier v{keys, {.issuer = "https://auth.example", .audience = {"api"}}};
    const auto with_kid = [](const char* kid) {
        return std::string(R"({"alg":"HS256","kid":")") + kid + "\"}";
    };
    CHECK(verify(forge_hs256(with_kid("two"), claims_json(), std::string(32, '2')), v) == errc{});
    CHECK(verify(forge_hs256(with_kid("one"), claims_json(), std::string(32, '2')), v) ==
          errc::signature_invalid);
    CHECK(verify(forge_hs256(with_kid("three"), claims_json(), std::string(32, '2')), v) ==
          errc::key_not_found);
    // Without a kid every key of the header's algorithm is tried.
    CHECK(verify(forge_hs256(hs_header, claims_json(), std::string(32, '2')), v) == errc{});
    CHECK(verify(forge_hs256(R"({"alg":"HS256","kid":7})", claims_json()), v) == errc::header_invalid);
}

TEST_CASE("verifier rejects crit, b64 false and header-embedded keys") {
    CHECK(verify(forge_hs256(R"({"alg":"HS256","crit":["exp"],"exp":1})", claims_json())) ==
          errc::header_crit_unsupported);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","crit":[]})", claims_json())) == errc::header_invalid);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","crit":"b64"})", claims_json())) == errc::header_invalid);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","crit":[1]})", claims_json())) == errc::header_invalid);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","crit":["exp",["b64"]]})", claims_json())) ==
          errc::header_invalid);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","crit":[{}]})", claims_json())) == errc::header_invalid);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","crit":[ "exp" ]})", claims_json())) ==
          errc::header_crit_unsupported);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","b64":false,"crit":["b64"]})", claims_json())) ==
          errc::header_crit_unsupported);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","b64":false})", claims_json())) ==
          errc::header_unencoded_payload);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","b64":"no"})", claims_json())) == errc::header_invalid);
    for (const char* member : {"jwk", "jku", "x5u", "x5c"}) {
        CAPTURE(member);
        const std::string header =
            std::string(R"({"alg":"HS256",")") + member + R"(":{"kty":"oct","k":"AA"}})";
        CHECK(verify(forge_hs256(header, claims_json())) == errc::header_embedded_key);
    }
}

TEST_CASE("verifier rejects an access token whose header embeds the public key that signed it") {
    // The DPoP proof check takes its key from the header (dpop.hpp); an access token never may, even when
    // the embedded key is the configured one and the signature verifies (RFC 8725 §3.10).
    const auto k = jot::key::generate(jot::algorithm::es256).value();
    jot::key_set keys;
    keys.add(jot::algorithm::es256, k.public_key());
    const jot::verifier v{keys, {.issuer = "https://auth.example", .audience = {"api"}}};
    const auto plain = jot::sign_jws_with(k, jot::algorithm::es256, claims_json());
    REQUIRE(plain);
    CHECK(verify(*plain, v) == errc{});
    const nlohmann::json jwk = jot::key_parameters(k.public_key());
    for (const char* type : {"JWT", "at+jwt", "dpop+jwt"}) {
        CAPTURE(type);
        const nlohmann::json header = {{"alg", "ES256"}, {"typ", type}, {"jwk", jwk}};
        const auto token = jot::detail::sign_encoded(k, jot::algorithm::es256,
                                                     jot::base64url_encode(header.dump()), claims_json());
        REQUIRE(token);
        CHECK(verify(*token, v) == errc::header_embedded_key);
    }
}

TEST_CASE("verifier rejects duplicate member names in header and payload") {
    CHECK(verify(forge_hs256(R"({"alg":"HS256","alg":"none"})", claims_json())) ==
          errc::json_duplicate_member);
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"sub":"mallory")"))) == errc::json_duplicate_member);
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"x":{"a":1,"a":2})"))) ==
          errc::json_duplicate_member);
}

TEST_CASE("verifier rejects text that is not valid UTF-8 or not JSON") {
    CHECK(verify(forge_hs256(hs_header, claims_json(",\"name\":\"\xff\""))) == errc::json_invalid_utf8);
    CHECK(verify(forge_hs256(hs_header, claims_json(",\"name\":\"\xc0\xaf\""))) == errc::json_invalid_utf8);
    CHECK(verify(forge_hs256(hs_header, claims_json(",\"name\":\"\xed\xa0\x80\""))) ==
          errc::json_invalid_utf8);
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"name":"\ud800")"))) == errc::payload_invalid);
    CHECK(verify(forge_hs256("{\"alg\":\"HS256\",\"x\":\"\xfe\"}", claims_json())) ==
          errc::json_invalid_utf8);
    CHECK(verify(forge_hs256(hs_header, "not json")) == errc::payload_invalid);
    CHECK(verify(forge_hs256(hs_header, "[1,2]")) == errc::payload_invalid);
    CHECK(verify(forge_hs256(hs_header, claims_json() + "trailing")) == errc::payload_invalid);
    CHECK(verify(forge_hs256("not json", claims_json())) == errc::header_invalid);
    CHECK(verify(forge_hs256(R"(["alg","HS256"])", claims_json())) == errc::header_invalid);
    // Multi-byte UTF-8 that is valid passes.
    CHECK(verify(forge_hs256(hs_header, claims_json(",\"name\":\"J\xc3\xb6rg \xf0\x9f\x94\x91\""))) ==
          errc{});
}

TEST_CASE("verifier rejects numbers that are not finite and times that are not numbers") {
    CHECK(verify(forge_hs256(hs_header, R"({"aud":"api","iss":"https://auth.example","exp":1e400})")) ==
          errc::json_number_out_of_range);
    CHECK(verify(forge_hs256(hs_header, R"({"aud":"api","iss":"https://auth.example","exp":NaN})")) ==
          errc::payload_invalid);
    CHECK(verify(forge_hs256(hs_header, R"({"aud":"api","iss":"https://auth.example","exp":Infinity})")) ==
          errc::payload_invalid);
    const auto with_exp = [](const std::string& exp) {
        return forge_hs256(hs_header, R"({"aud":"api","iss":"https://auth.example","exp":)" + exp + "}");
    };
    CHECK(verify(with_exp("\"" + std::to_string(t + 60) + "\"")) == errc::claim_invalid);
    CHECK(verify(with_exp("1e300")) == errc::claim_invalid);
    CHECK(verify(with_exp("-1")) == errc::claim_invalid);
    CHECK(verify(with_exp("true")) == errc::claim_invalid);
    CHECK(verify(with_exp("null")) == errc::claim_invalid);
    CHECK(verify(with_exp(std::to_string(t) + ".5")) ==
          errc{});  // fractional NumericDate, still in the future
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"nbf":"0")"))) == errc::claim_invalid);
}

TEST_CASE("verifier accepts NumericDates up to year 9999 and reads those a time_point cannot hold as max()") {
    // libstdc++'s system_clock counts nanoseconds in 64 bits: its time_point ends on 2262-04-11. Found by
    // fuzz_claims: exp in the year 2508 made expires_at() overflow (undefined behaviour).
    const auto seconds = [](jot::time_point p) {
        return std::chrono::duration<double>(p.time_since_epoch()).count();
    };
    for (const long long date : {t + 60, 9'214'646'400LL, 17'000'000'100LL, 253'402'300'799LL}) {
        CAPTURE(date);
        const auto r = hs_verifier().verify_at(
            forge_hs256(hs_header,
                        R"({"aud":"api","iss":"https://auth.example","exp":)" + std::to_string(date) + "}"),
            now);
        REQUIRE(r);
        REQUIRE(r->expires_at());
        if (static_cast<double>(date) < seconds(jot::time_point::max()) - 1)
            CHECK(seconds(*r->expires_at()) == doctest::Approx(static_cast<double>(date)).epsilon(1e-15));
        else
            CHECK(*r->expires_at() == jot::time_point::max());
    }
    CHECK(jot::detail::from_seconds(1e300) == jot::time_point::max());
    CHECK(jot::detail::from_seconds(-1e300) == jot::time_point::min());
}

TEST_CASE("verifier reads registered names exactly: an escaped NUL makes another name") {
    // Found by fuzz_claims: "aud\u0000" was read as aud, as its first four bytes pack to the same value.
    const auto r = hs_verifier().verify_at(
        forge_hs256(
            R"({"alg":"HS256","alg\u0000":"none","typ":"JWT","kid\u0000":"other"})",
            claims_json(R"(,"exp\u0000":1,"sub\u0000":"mallory","aud\u0000":"other","iss\u0000":"x")")),
        now);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->kid().empty());
    CHECK(r->subject() == "alice");
    CHECK(r->issuer() == "https://auth.example");
    CHECK(r->audience() == std::vector<std::string>{"api"});
    CHECK(r->expires_at() == now + 60s);
    CHECK(r->claims().at(std::string("sub\0", 4)) == "mallory");
}

TEST_CASE("verifier treats exp as exclusive and honours leeway on exp, nbf and iat") {
    const auto with = [](long long exp, const std::string& extra = {}) {
        return forge_hs256(hs_header, R"({"aud":"api","iss":"https://auth.example","exp":)" +
                                          std::to_string(exp) + extra + "}");
    };
    CHECK(verify(with(t)) == errc::token_expired);
    CHECK(verify(with(t + 1)) == errc{});
    CHECK(verify(with(t - 5)) == errc::token_expired);
    const auto lenient = hs_verifier({.issuer = "https://auth.example", .audience = {"api"}, .leeway = 10s});
    CHECK(verify(with(t - 5), lenient) == errc{});
    CHECK(verify(with(t - 10), lenient) == errc::token_expired);

    CHECK(verify(with(t + 60, R"(,"nbf":)" + std::to_string(t + 5))) == errc::token_not_yet_valid);
    CHECK(verify(with(t + 60, R"(,"nbf":)" + std::to_string(t + 5)), lenient) == errc{});
    CHECK(verify(with(t + 60, R"(,"nbf":)" + std::to_string(t))) == errc{});
    CHECK(verify(with(t + 60, R"(,"iat":)" + std::to_string(t + 5))) == errc::token_issued_in_future);
    CHECK(verify(with(t + 60, R"(,"iat":)" + std::to_string(t + 5)), lenient) == errc{});
}

TEST_CASE("verifier enforces max age through iat") {
    const auto v = hs_verifier({.issuer = "https://auth.example", .audience = {"api"}, .max_age = 30s});
    const auto with_iat = [](long long iat) {
        return forge_hs256(hs_header, R"({"aud":"api","iss":"https://auth.example","exp":)" +
                                          std::to_string(t + 60) + R"(,"iat":)" + std::to_string(iat) + "}");
    };
    CHECK(verify(with_iat(t - 30), v) == errc{});
    CHECK(verify(with_iat(t - 31), v) == errc::token_too_old);
    CHECK(verify(forge_hs256(hs_header, R"({"aud":"api","iss":"https://auth.example","exp":)" +
                                            std::to_string(t + 60) + "}"),
                 v) == errc::claim_missing);
}

TEST_CASE("verifier requires exp unless told otherwise") {
    const std::string no_exp = R"({"aud":"api","iss":"https://auth.example"})";
    CHECK(verify(forge_hs256(hs_header, no_exp)) == errc::claim_missing);
    const auto v =
        hs_verifier({.issuer = "https://auth.example", .audience = {"api"}, .allow_missing_exp = true});
    CHECK(verify(forge_hs256(hs_header, no_exp), v) == errc{});
}

TEST_CASE("verifier checks issuer, subject and required claims") {
    CHECK(verify(forge_hs256(hs_header, R"({"aud":"api","iss":"https://evil.example","exp":)" +
                                            std::to_string(t + 9) + "}")) == errc::issuer_mismatch);
    CHECK(verify(forge_hs256(hs_header, R"({"aud":"api","exp":)" + std::to_string(t + 9) + "}")) ==
          errc::claim_missing);
    CHECK(verify(forge_hs256(hs_header, R"({"aud":"api","iss":7,"exp":)" + std::to_string(t + 9) + "}")) ==
          errc::claim_invalid);
    const auto bob_only =
        hs_verifier({.issuer = "https://auth.example", .audience = {"api"}, .subject = "bob"});
    CHECK(verify(forge_hs256(hs_header, claims_json()), bob_only) == errc::subject_mismatch);
    const auto need_role =
        hs_verifier({.issuer = "https://auth.example", .audience = {"api"}, .required_claims = {"role"}});
    CHECK(verify(forge_hs256(hs_header, claims_json()), need_role) == errc::claim_missing);
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"role":"admin")")), need_role) == errc{});
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"jti":5)"))) == errc::claim_invalid);
}

TEST_CASE("verifier accepts aud as a string or an array and requires one configured audience") {
    const auto with_aud = [](const std::string& aud) {
        return forge_hs256(hs_header, R"({"iss":"https://auth.example","exp":)" + std::to_string(t + 60) +
                                          (aud.empty() ? "" : R"(,"aud":)" + aud) + "}");
    };
    const auto v = hs_verifier({.issuer = "https://auth.example", .audience = {"api", "admin"}});
    CHECK(verify(with_aud(R"("api")"), v) == errc{});
    CHECK(verify(with_aud(R"(["web","admin"])"), v) == errc{});
    CHECK(verify(with_aud(R"(["web"])"), v) == errc::audience_mismatch);
    CHECK(verify(with_aud(R"([])"), v) == errc::audience_mismatch);
    CHECK(verify(with_aud(R"("API")"), v) == errc::audience_mismatch);
    CHECK(verify(with_aud(R"(["api",3])"), v) == errc::claim_invalid);
    CHECK(verify(with_aud(R"({"api":true})"), v) == errc::claim_invalid);
    CHECK(verify(with_aud(R"([3,"api"])"), v) == errc::claim_invalid);
    CHECK(verify(with_aud(R"([["api"]])"), v) == errc::claim_invalid);
    CHECK(verify(with_aud(R"([{"api":1}])"), v) == errc::claim_invalid);
    CHECK(verify(with_aud(R"([null])"), v) == errc::claim_invalid);
    CHECK(verify(with_aud(R"([ "web" , "api" ])"), v) == errc{});
    CHECK(verify(with_aud(""), v) == errc::claim_missing);
}

TEST_CASE("verifier checks typ and compares it as a media type") {
    const auto at = hs_verifier({.issuer = "https://auth.example", .audience = {"api"}, .type = "at+jwt"});
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"at+jwt"})", claims_json()), at) == errc{});
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"application/AT+JWT"})", claims_json()), at) == errc{});
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"JWT"})", claims_json()), at) == errc::type_mismatch);
    CHECK(verify(forge_hs256(R"({"alg":"HS256"})", claims_json()), at) == errc::type_mismatch);
    // A plain JWT verifier refuses explicitly typed tokens such as access tokens (RFC 8725 section 3.11).
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"at+jwt"})", claims_json())) == errc::type_mismatch);
    CHECK(verify(forge_hs256(R"({"alg":"HS256"})", claims_json())) == errc{});
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"jwt"})", claims_json())) == errc{});
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":1})", claims_json())) == errc::header_invalid);
}

TEST_CASE("verifier rejects malformed compact serializations") {
    const auto good = forge_hs256(hs_header, claims_json());
    CHECK(verify("") == errc::token_malformed);
    CHECK(verify("abc") == errc::token_malformed);
    CHECK(verify("a.b") == errc::token_malformed);
    CHECK(verify(good + ".x") == errc::token_malformed);
    CHECK(verify("." + good.substr(good.find('.') + 1)) == errc::token_malformed);
    CHECK(verify(good + "=") == errc::base64_invalid);
    CHECK(verify(" " + good) == errc::base64_invalid);
    std::string std_alphabet = good;
    std_alphabet[std_alphabet.rfind('.') + 1] = '+';
    CHECK(verify(std_alphabet) == errc::base64_invalid);
}

TEST_CASE("verifier rejects truncated, padded and non-canonical HMAC signatures") {
    const std::string input = jot_test::signing_input(hs_header, claims_json());
    const std::string mac = jot_test::openssl_hmac("SHA256", jot_test::hs256_secret, input);
    CHECK(verify(input + "." + jot::base64url_encode(mac.substr(0, 31))) == errc::signature_length_invalid);
    CHECK(verify(input + "." + jot::base64url_encode(mac + '\0')) == errc::signature_length_invalid);
    CHECK(verify(input + ".") == errc::signature_length_invalid);
    // 32 bytes encode to 43 characters whose last carries 2 unused bits; setting them is non-canonical.
    std::string sig = jot::base64url_encode(mac);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    sig.back() = alphabet[alphabet.find(sig.back()) | 1];
    CHECK(verify(input + "." + sig) == errc::base64_invalid);
}

TEST_CASE("verifier rejects ECDSA signatures of the wrong shape, and r = s = 0") {
    const auto k = jot::key::generate(jot::algorithm::es256).value();
    jot::key_set keys;
    keys.add(jot::algorithm::es256, k);
    const jot::verifier v{keys, {.issuer = "https://auth.example", .audience = {"api"}}};
    const std::string header = R"({"alg":"ES256"})";
    const auto token =
        jot::signer(jot::algorithm::es256, k).sign(nlohmann::json::parse(claims_json())).value();
    REQUIRE(verify(token, v) == errc{});
    const std::string raw = jot::base64url_decode(token.substr(token.rfind('.') + 1)).value();
    REQUIRE(raw.size() == 64);
    const std::string input = token.substr(0, token.rfind('.'));
    const auto with_sig = [&](const std::string& s) { return input + "." + jot::base64url_encode(s); };

    SUBCASE("DER instead of R || S") {
        std::string der = "\x30\x44\x02\x20" + raw.substr(0, 32) + "\x02\x20" + raw.substr(32);
        CHECK(verify(with_sig(der), v) == errc::signature_length_invalid);
    }
    SUBCASE("zero-padded to 66 bytes") {
        CHECK(verify(with_sig('\0' + raw.substr(0, 32) + '\0' + raw.substr(32)), v) ==
              errc::signature_length_invalid);
    }
    SUBCASE("truncated") {
        CHECK(verify(with_sig(raw.substr(0, 63)), v) == errc::signature_length_invalid);
    }
    SUBCASE("psychic signature r = s = 0 (CVE-2022-21449)") {
        CHECK(verify(with_sig(std::string(64, '\0')), v) == errc::signature_invalid);
    }
    SUBCASE("r = 0 with a real s") {
        CHECK(verify(with_sig(std::string(32, '\0') + raw.substr(32)), v) == errc::signature_invalid);
    }
    SUBCASE("r and s swapped") {
        CHECK(verify(with_sig(raw.substr(32) + raw.substr(0, 32)), v) == errc::signature_invalid);
    }
}

TEST_CASE("verifier enforces the token size and JSON depth limits") {
    const auto v = hs_verifier({.issuer = "https://auth.example",
                                .audience = {"api"},
                                .limits = {.max_token_bytes = 512, .max_json_depth = 4}});
    const auto at_limit = [&](std::size_t n) {
        std::string token;
        for (std::size_t fill = 0;; ++fill) {
            token = forge_hs256(hs_header, claims_json(R"(,"p":")" + std::string(fill, 'x') + "\""));
            if (token.size() >= n) return token;
        }
    };
    const auto exactly = at_limit(512);
    CAPTURE(exactly.size());
    if (exactly.size() == 512) CHECK(verify(exactly, v) == errc{});
    CHECK(verify(at_limit(513), v) == errc::token_too_large);
    // The claims object itself is depth 1.
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"d":{"a":{"b":1}})")), v) == errc{});
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"d":{"a":{"b":{"c":1}}})")), v) == errc{});
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"d":{"a":{"b":{"c":{}}}})")), v) ==
          errc::json_too_deep);
    CHECK(verify(forge_hs256(hs_header, claims_json(R"(,"d":[[[[1]]]])")), v) == errc::json_too_deep);
    // The default limit (16) stops a deeply nested payload without recursion trouble.
    CHECK(verify(forge_hs256(hs_header,
                             claims_json(R"(,"d":)" + std::string(5000, '[') + std::string(5000, ']'))),
                 hs_verifier({.issuer = "https://auth.example",
                              .audience = {"api"},
                              .limits = {.max_token_bytes = 1 << 20}})) == errc::json_too_deep);
}

TEST_CASE("verifier refuses inconsistent set-up with setup_error") {
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, hs_key());
    CHECK_THROWS_AS(jot::verifier(jot::key_set{}, {.issuer = "i", .audience = {"a"}}), jot::setup_error);
    CHECK_THROWS_AS(jot::verifier(keys, {.audience = {"a"}}), jot::setup_error);
    CHECK_THROWS_AS(jot::verifier(keys, {.issuer = "i"}), jot::setup_error);
    CHECK_THROWS_AS(jot::verifier(keys, {.issuer = "i", .audience = {""}}), jot::setup_error);
    CHECK_THROWS_AS(jot::verifier(keys, {.issuer = "i", .audience = {"a"}, .leeway = 6min}),
                    jot::setup_error);
    CHECK_THROWS_AS(jot::verifier(keys, {.issuer = "i", .audience = {"a"}, .type = ""}), jot::setup_error);
    CHECK_NOTHROW(jot::verifier(keys, {.allow_any_issuer = true, .allow_any_audience = true}));
    const auto p384 = jot::key::generate(jot::algorithm::es384).value();
    CHECK_THROWS_AS(jot::key_set{}.add(jot::algorithm::es256, p384), jot::setup_error);
    const auto weak = jot::key::hmac(std::string(40, 'k')).value();
    CHECK_THROWS_AS(jot::key_set{}.add(jot::algorithm::hs512, weak), jot::setup_error);
}

TEST_CASE("verifier errors map to the conditions that group them") {
    CHECK(jot::make_error_code(errc::token_expired) == jot::condition::claims_rejected);
    CHECK(jot::make_error_code(errc::signature_invalid) == jot::condition::untrusted);
    CHECK(jot::make_error_code(errc::base64_invalid) == jot::condition::malformed);
    CHECK(jot::make_error_code(errc::store_unavailable) == jot::condition::store_failure);
    CHECK(jot::make_error_code(errc::token_expired) != jot::condition::untrusted);
    CHECK(std::string(jot::name(errc::audience_mismatch)) == "audience_mismatch");
    CHECK(jot::make_error_code(errc::audience_mismatch).message().find("audience") != std::string::npos);
}

TEST_CASE("verifier: escaped strings and audience arrays read back decoded, with the claims text as signed") {
    jot::key_set keys;
    keys.add(jot::algorithm::hs256, hs_key(), "k/1");
    const jot::verifier v{keys, {.issuer = "https://auth.example", .audience = {"api"}, .type = "at+jwt"}};
    const std::string header = R"({"alg":"HS256","typ":"at\u002bjwt","kid":"k\/1"})";
    const std::string claims =
        R"({"iss":"https:\/\/auth.example","aud":["w\u00e9b","api","x\"y"],"sub":"al\u0069ce",)"
        R"("jti":"\ud834\udd1e","exp":)" +
        std::to_string(t + 60) + "}";
    auto r = v.verify_at(forge_hs256(header, claims), now);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->type() == "at+jwt");
    CHECK(r->kid() == "k/1");
    CHECK(r->issuer() == "https://auth.example");
    CHECK(r->subject() == "alice");
    CHECK(r->jwt_id() == "\xf0\x9d\x84\x9e");
    CHECK(r->audience() == std::vector<std::string>{"w\xc3\xa9"
                                                    "b",
                                                    "api", "x\"y"});
    CHECK(r->claims_text() == claims);
    CHECK(r->header_text() == header);
    CHECK(r->claims()["sub"] == "alice");
    // The token survives moves: its views are places in its own text.
    auto moved = *std::move(r);
    const auto copy_of_moved = std::move(moved);
    CHECK(copy_of_moved.subject() == "alice");
    CHECK(copy_of_moved.audience().size() == 3);

    // An escaped kid that does not match any key is key_not_found, and the escaped typ is still compared.
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"JWT","kid":"k\/2"})", claims_json()),
                 jot::verifier{keys, {.issuer = "https://auth.example", .audience = {"api"}}}) ==
          errc::key_not_found);
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"JW\u0054"})", claims_json())) == errc{});
    CHECK(verify(forge_hs256(R"({"alg":"HS256","typ":"JW\u0055"})", claims_json())) == errc::type_mismatch);
}

TEST_CASE("check_token_times: the time rules in their order, the first failure winning") {
    using claim = jot::detail::time_claim<double>;
    struct rules {
        double leeway = 0;
        double max_age = 0;
        bool allow_missing_exp = false;
    };
    const auto d = [](long long s) -> claim { return std::optional<double>(static_cast<double>(s)); };
    const claim absent = std::optional<double>{};
    const claim invalid = errc::claim_invalid;
    const auto check = [](const claim& exp, const claim& nbf, const claim& iat, rules o = {}) {
        const auto r = jot::detail::check_token_times(exp, nbf, iat, static_cast<double>(t), o.leeway,
                                                      o.max_age, o.allow_missing_exp);
        return r ? errc{} : static_cast<errc>(r.error().value());
    };

    CHECK(check(d(t + 1), d(t), d(t)) == errc{});
    // exp is exclusive; leeway applies to exp, nbf and iat.
    CHECK(check(d(t), absent, absent) == errc::token_expired);
    CHECK(check(d(t), absent, absent, {.leeway = 1}) == errc{});
    CHECK(check(d(t - 1), absent, absent, {.leeway = 1}) == errc::token_expired);
    CHECK(check(d(t + 1), d(t + 1), absent) == errc::token_not_yet_valid);
    CHECK(check(d(t + 1), d(t + 1), absent, {.leeway = 1}) == errc{});
    CHECK(check(d(t + 1), absent, d(t + 1)) == errc::token_issued_in_future);
    CHECK(check(d(t + 1), absent, d(t + 1), {.leeway = 1}) == errc{});
    // exp is required unless allowed; a max age requires iat.
    CHECK(check(absent, absent, absent) == errc::claim_missing);
    CHECK(check(absent, absent, absent, {.allow_missing_exp = true}) == errc{});
    CHECK(check(d(t + 1), absent, absent, {.max_age = 10}) == errc::claim_missing);
    CHECK(check(d(t + 1), absent, d(t - 10), {.max_age = 10}) == errc{});
    CHECK(check(d(t + 1), absent, d(t - 11), {.max_age = 10}) == errc::token_too_old);
    CHECK(check(d(t + 1), absent, d(t - 11), {.leeway = 1, .max_age = 10}) == errc{});
    // Each claim's read error and rule in its turn.
    CHECK(check(invalid, d(t + 5), invalid) == errc::claim_invalid);
    CHECK(check(d(t), invalid, invalid) == errc::token_expired);
    CHECK(check(d(t + 1), invalid, d(t + 5)) == errc::claim_invalid);
    CHECK(check(d(t + 1), d(t + 5), invalid) == errc::token_not_yet_valid);
    CHECK(check(d(t + 1), absent, invalid, {.max_age = 10}) == errc::claim_invalid);
    CHECK(check(d(t + 1), absent, d(t + 5), {.max_age = 1}) == errc::token_issued_in_future);
}

TEST_CASE("check_token_times on time_points: exact to the nanosecond, no overflow at time_point::max()") {
    using claim = jot::detail::time_claim<jot::time_point>;
    const auto check = [](const claim& exp, const claim& nbf, const claim& iat, jot::time_point at,
                          std::chrono::seconds leeway, std::chrono::seconds max_age = {}) {
        const auto r =
            jot::detail::check_token_times<jot::time_point>(exp, nbf, iat, at, leeway, max_age, false);
        return r ? errc{} : static_cast<errc>(r.error().value());
    };
    const claim absent = std::optional<jot::time_point>{};
    const claim exp = std::optional(now + 60s);
    CHECK(check(exp, absent, absent, now + 60s - 1ns, 0s) == errc{});
    CHECK(check(exp, absent, absent, now + 60s, 0s) == errc::token_expired);
    CHECK(check(exp, absent, absent, now + 61s - 1ns, 1s) == errc{});
    CHECK(check(exp, absent, std::optional(now), now + 30s + 1ns, 0s, 30s) == errc::token_too_old);
    CHECK(check(exp, absent, std::optional(now), now + 30s, 0s, 30s) == errc{});
    const claim never = std::optional(jot::time_point::max());
    CHECK(check(never, absent, absent, now, 300s) == errc{});
    CHECK(check(exp, never, absent, now, 300s) == errc::token_not_yet_valid);
}
