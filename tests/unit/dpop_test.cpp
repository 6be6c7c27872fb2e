// SPDX-License-Identifier: MIT
#include <jot/dpop.hpp>

#include "../support/test.hpp"

#include <array>
#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <jot/builder.hpp>
#include <jot/dpop_proof.hpp>
#include <jot/dpop_replay_cache.hpp>
#include <jot/jwk.hpp>
#include <jot/unverified_token.hpp>
#include <jot/verifier.hpp>

#include "../support/weak_keys.hpp"

using namespace std::chrono_literals;
using jot::algorithm;
using jot::errc;
using json = nlohmann::json;

namespace {

const jot::time_point now{std::chrono::seconds{1'700'000'000}};
constexpr std::string_view method = "POST";
constexpr std::string_view uri = "https://server.example.com/token";

// One private key per algorithm, made once: RSA generation is slow.
const jot::key& private_key(algorithm alg) {
    static std::map<algorithm, jot::key> keys;
    auto it = keys.find(alg);
    if (it == keys.end()) {
        auto k = jot::key::generate(alg);
        REQUIRE_MESSAGE(k, k.error().message());
        it = keys.emplace(alg, *k).first;
    }
    return it->second;
}

json good_header(algorithm alg = algorithm::es256) {
    return {{"typ", "dpop+jwt"},
            {"alg", std::string(jot::name(alg))},
            {"jwk", jot::key_parameters(private_key(alg))}};
}

json good_claims() {
    return {{"jti", "e1j3V_bKic8-LAEB"}, {"htm", method}, {"htu", uri}, {"iat", 1'700'000'000}};
}

// A proof over exactly these header and payload bytes, signed with `k` under `alg`.
std::string forge_text(const std::string& header, const std::string& payload,
                       algorithm alg = algorithm::es256, const jot::key* k = nullptr) {
    auto token =
        jot::detail::sign_encoded(k ? *k : private_key(alg), alg, jot::base64url_encode(header), payload);
    REQUIRE_MESSAGE(token, token.error().message());
    return *token;
}

std::string forge(const json& header, const json& claims, algorithm alg = algorithm::es256) {
    return forge_text(header.dump(), claims.dump(), alg);
}

jot::result<jot::verified_dpop_proof> verify(const std::string& proof, const jot::dpop_request& request = {},
                                             const jot::dpop_verifier& v = jot::dpop_verifier{},
                                             jot::time_point at = now) {
    jot::memory_replay_cache seen;
    jot::dpop_request r = request;
    if (r.method.empty()) r.method = method;
    if (r.uri.empty()) r.uri = uri;
    return v.verify_at(proof, r, seen, at);
}

errc code(const jot::result<jot::verified_dpop_proof>& r) {
    return r ? errc{} : static_cast<errc>(r.error().value());
}

errc with_header(const json& header) {
    return code(verify(forge(header, good_claims())));
}

errc with_claims(const json& claims) {
    return code(verify(forge(good_header(), claims)));
}

errc with_jwk(const json& jwk, algorithm alg = algorithm::es256) {
    json h = good_header(alg);
    h["jwk"] = jwk;
    return code(verify(forge(h, good_claims(), alg)));
}

}  // namespace

TEST_CASE("dpop verifies a proof of every asymmetric algorithm and returns its key's thumbprint") {
    for (const algorithm alg : jot::dpop_default_algorithms) {
        CAPTURE(jot::name(alg));
        const auto proof = jot::sign_dpop_proof(private_key(alg), alg, method, uri, {.issued_at = now});
        REQUIRE_MESSAGE(proof, proof.error().message());
        const auto r = verify(*proof);
        REQUIRE_MESSAGE(r, r.error().message());
        CHECK(r->thumbprint() == jot::thumbprint(private_key(alg).public_key()));
        CHECK(r->alg() == alg);
        CHECK(r->method() == method);
        CHECK(r->uri() == uri);
        CHECK(r->issued_at() == now);
        CHECK(r->jwt_id().size() == 22);  // 128 random bits
        CHECK(r->nonce().empty());
        CHECK_FALSE(r->public_key().is_private());
    }
}

TEST_CASE("dpop accepts a forged proof whose header and claims follow RFC 9449 exactly") {
    const auto r = verify(forge(good_header(), good_claims()));
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->jwt_id() == "e1j3V_bKic8-LAEB");
}

TEST_CASE("dpop applies the JWS header rules every token shares") {
    const std::string claims = good_claims().dump();
    CHECK(code(verify(std::string(9000, 'a'))) == errc::token_too_large);
    CHECK(code(verify("a.b")) == errc::token_malformed);
    CHECK(code(verify("!!.e30.AA")) == errc::base64_invalid);
    const std::string jwk = jot::key_parameters(private_key(algorithm::es256)).dump();
    const auto header = [&](std::string_view extra) {
        return R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" + jwk + std::string(extra) + "}";
    };
    CHECK(code(verify(forge_text(header(R"(,"typ":"dpop+jwt")"), claims))) == errc::json_duplicate_member);
    CHECK(code(verify(forge_text(header(",\"x\":\"\xff\""), claims))) == errc::json_invalid_utf8);
    CHECK(code(verify(forge_text(header(R"(,"crit":["exp"],"exp":1)"), claims))) ==
          errc::header_crit_unsupported);
    CHECK(code(verify(forge_text(header(R"(,"b64":false)"), claims))) == errc::header_unencoded_payload);
    CHECK(code(verify(forge_text(header(R"(,"kid":7)"), claims))) == errc::header_invalid);
    CHECK(code(verify(forge_text("[1]", claims))) == errc::header_invalid);
    CHECK(code(verify(forge_text(header(",\"x\":" + std::string(20, '[') + std::string(20, ']')), claims))) ==
          errc::json_too_deep);
}

TEST_CASE("dpop refuses alg none in any spelling and unknown algorithms") {
    for (const char* none : {"none", "None", "NONE", "nOnE"}) {
        CAPTURE(none);
        json h = good_header();
        h["alg"] = none;
        CHECK(with_header(h) == errc::algorithm_none);
    }
    json h = good_header();
    h["alg"] = "ES257";
    CHECK(with_header(h) == errc::algorithm_unknown);
    h["alg"] = "es256";  // RFC 7515 §4.1.1: case-sensitive
    CHECK(with_header(h) == errc::algorithm_unknown);
}

TEST_CASE("dpop requires typ dpop+jwt exactly") {
    for (const char* typ : {"JWT", "at+jwt", "DPoP+JWT", "application/dpop+jwt", "dpop+jwt "}) {
        CAPTURE(typ);
        json h = good_header();
        h["typ"] = typ;
        CHECK(with_header(h) == errc::dpop_type_mismatch);
    }
    json h = good_header();
    h.erase("typ");
    CHECK(with_header(h) == errc::dpop_type_mismatch);
    h["typ"] = 1;
    CHECK(with_header(h) == errc::header_invalid);
}

TEST_CASE("dpop refuses symmetric and unlisted algorithms") {
    auto hmac = jot::key::hmac(std::string(64, 'k'));
    REQUIRE(hmac);
    json h = good_header();
    h["alg"] = "HS256";
    CHECK(code(verify(forge_text(h.dump(), good_claims().dump(), algorithm::hs256, &*hmac))) ==
          errc::dpop_algorithm_symmetric);
    const jot::dpop_verifier es256_only{{.algorithms = {algorithm::es256}}};
    CHECK(code(verify(forge(good_header(algorithm::eddsa), good_claims(), algorithm::eddsa), {},
                      es256_only)) == errc::dpop_algorithm_not_allowed);
    CHECK(code(verify(forge(good_header(), good_claims()), {}, es256_only)) == errc{});
}

TEST_CASE("dpop refuses keys referenced by the header, and a missing or malformed jwk") {
    for (const char* member : {"jku", "x5u", "x5c"}) {
        CAPTURE(member);
        json h = good_header();
        h[member] = "https://attacker.example/key";
        CHECK(with_header(h) == errc::header_embedded_key);
    }
    json h = good_header();
    h.erase("jwk");
    CHECK(with_header(h) == errc::dpop_jwk_missing);
    CHECK(with_jwk("a key") == errc::dpop_jwk_invalid);
    CHECK(with_jwk(json::array()) == errc::dpop_jwk_invalid);
    json no_y = jot::key_parameters(private_key(algorithm::es256));
    no_y.erase("y");
    CHECK(with_jwk(no_y) == errc::key_invalid);
    CHECK(with_jwk(json{{"kty", "XYZ"}}) == errc::key_invalid);
}

TEST_CASE("dpop refuses a jwk with private members, a symmetric jwk and a jwk with alg none") {
    for (const algorithm alg : {algorithm::es256, algorithm::rs256, algorithm::eddsa}) {
        CAPTURE(jot::name(alg));
        CHECK(with_jwk(jot::key_parameters(private_key(alg), true), alg) == errc::dpop_jwk_private);
    }
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
        CAPTURE(member);
        json jwk = jot::key_parameters(private_key(algorithm::es256));
        jwk[member] = "AAAA";
        CHECK(with_jwk(jwk) == errc::dpop_jwk_private);
    }
    CHECK(with_jwk(json{{"kty", "oct"}, {"k", jot::base64url_encode(std::string(32, 'k'))}}) ==
          errc::dpop_jwk_symmetric);
    for (const char* none : {"none", "NONE"}) {
        json jwk = jot::key_parameters(private_key(algorithm::es256));
        jwk["alg"] = none;
        CHECK(with_jwk(jwk) == errc::algorithm_none);
    }
}

TEST_CASE("dpop refuses a jwk that does not fit the algorithm or fails jot's key checks") {
    CHECK(with_jwk(jot::key_parameters(private_key(algorithm::es384))) == errc::dpop_jwk_algorithm_mismatch);
    CHECK(with_jwk(jot::key_parameters(private_key(algorithm::rs256))) == errc::dpop_jwk_algorithm_mismatch);
    CHECK(with_jwk(jot::key_parameters(private_key(algorithm::es256)), algorithm::eddsa) ==
          errc::dpop_jwk_algorithm_mismatch);
    json restricted = jot::key_parameters(private_key(algorithm::es256));
    restricted["use"] = "enc";
    CHECK(with_jwk(restricted) == errc::key_use_forbidden);
    json small = {{"kty", "OKP"},
                  {"crv", "Ed25519"},
                  {"x", jot::base64url_encode(jot_test::small_order_ed25519_encodings().front())}};
    CHECK(with_jwk(small, algorithm::eddsa) == errc::key_ed25519_small_order);
    const json even_e = json::parse(jot_test::rsa_jwk(jot_test::fresh_rsa_modulus(), jot_test::exponent(4)));
    CHECK(with_jwk(even_e, algorithm::rs256) == errc::key_rsa_exponent_invalid);
}

TEST_CASE("dpop refuses an RSA proof key above max_rsa_bits") {
    static const jot::key big = jot::key::generate(algorithm::rs256, 4096 + 8).value();
    const auto proof = jot::sign_dpop_proof(big, algorithm::rs256, method, uri, {.issued_at = now});
    REQUIRE(proof);
    CHECK(code(verify(*proof)) == errc::dpop_jwk_too_large);
    CHECK(code(verify(*proof, {}, jot::dpop_verifier{{.max_rsa_bits = 4096 + 8}})) == errc{});
    // RSA keys of the default allow-list's largest size pass.
    const auto at_limit = jot::sign_dpop_proof(private_key(algorithm::rs256), algorithm::rs256, method, uri,
                                               {.issued_at = now});
    REQUIRE(at_limit);
    CHECK(code(verify(*at_limit)) == errc{});
}

TEST_CASE("dpop reads a proof key once and still checks it against each proof's alg") {
    for (const std::size_t capacity : {std::size_t{0}, std::size_t{1}, std::size_t{1024}}) {
        CAPTURE(capacity);
        const jot::dpop_verifier v{{.key_cache_capacity = capacity}};
        jot::memory_replay_cache seen;
        const jot::dpop_request request{.method = method, .uri = uri};
        for (int i = 0; i < 3; ++i) {
            const auto proof = jot::sign_dpop_proof(private_key(algorithm::es256), algorithm::es256, method,
                                                    uri, {.issued_at = now});
            REQUIRE(proof);
            const auto r = v.verify_at(*proof, request, seen, now);
            REQUIRE_MESSAGE(r, r.error().message());
            CHECK(r->thumbprint() == jot::thumbprint(private_key(algorithm::es256)));
        }
        // The same jwk text under another alg: a key read before does not skip the fit check.
        json h = good_header();
        h["alg"] = "ES384";
        CHECK(code(v.verify_at(forge_text(h.dump(), good_claims().dump(), algorithm::es384,
                                          &private_key(algorithm::es384)),
                               request, seen, now)) == errc::dpop_jwk_algorithm_mismatch);
        // Another key evicts the first from a cache of one; both still verify.
        for (const algorithm alg : {algorithm::eddsa, algorithm::es256}) {
            const auto proof = jot::sign_dpop_proof(private_key(alg), alg, method, uri, {.issued_at = now});
            REQUIRE(proof);
            const auto r = v.verify_at(*proof, request, seen, now);
            REQUIRE_MESSAGE(r, r.error().message());
            CHECK(r->thumbprint() == jot::thumbprint(private_key(alg)));
        }
        // A refused key is not kept: it is refused again.
        CHECK(code(v.verify_at(forge(good_header(algorithm::es384), good_claims(), algorithm::es384), request,
                               seen, now)) == errc{});
        json leaky = good_header();
        leaky["jwk"] = jot::key_parameters(private_key(algorithm::es256), true);
        for (int i = 0; i < 2; ++i)
            CHECK(code(v.verify_at(forge(leaky, good_claims()), request, seen, now)) ==
                  errc::dpop_jwk_private);
    }
}

TEST_CASE("dpop refuses a proof that the header's key did not sign") {
    json h = good_header();
    h["jwk"] = jot::key_parameters(private_key(algorithm::es256).public_key());
    auto other = jot::key::generate(algorithm::es256);
    REQUIRE(other);
    CHECK(code(verify(forge_text(h.dump(), good_claims().dump(), algorithm::es256, &*other))) ==
          errc::signature_invalid);
    std::string proof = forge(good_header(), good_claims());
    CHECK(code(verify(proof.substr(0, proof.rfind('.') + 1) + "AAAA")) == errc::signature_length_invalid);
}

TEST_CASE("dpop refuses a payload that is not a strict JSON object") {
    CHECK(code(verify(forge_text(good_header().dump(), "[]"))) == errc::payload_invalid);
    CHECK(code(verify(forge_text(good_header().dump(), "{"))) == errc::payload_invalid);
    CHECK(code(verify(forge_text(good_header().dump(), R"({"jti":"a","jti":"b"})"))) ==
          errc::json_duplicate_member);
}

TEST_CASE("dpop requires a jti of bounded length") {
    json c = good_claims();
    c.erase("jti");
    CHECK(with_claims(c) == errc::dpop_jti_missing);
    c["jti"] = "";
    CHECK(with_claims(c) == errc::dpop_jti_missing);
    c["jti"] = 7;
    CHECK(with_claims(c) == errc::claim_invalid);
    c["jti"] = std::string(128, 'j');
    CHECK(with_claims(c) == errc{});
    c["jti"] = std::string(129, 'j');
    CHECK(with_claims(c) == errc::dpop_jti_too_long);
}

TEST_CASE("dpop requires htm to equal the request method, case-sensitively") {
    json c = good_claims();
    c.erase("htm");
    CHECK(with_claims(c) == errc::dpop_htm_missing);
    c["htm"] = "post";
    CHECK(with_claims(c) == errc::dpop_htm_mismatch);
    c["htm"] = "GET";
    CHECK(with_claims(c) == errc::dpop_htm_mismatch);
    c["htm"] = json::array({"POST"});
    CHECK(with_claims(c) == errc::claim_invalid);
}

TEST_CASE("dpop requires htu to be the request URI in normal form") {
    json c = good_claims();
    c.erase("htu");
    CHECK(with_claims(c) == errc::dpop_htu_missing);
    c["htu"] = 1;
    CHECK(with_claims(c) == errc::claim_invalid);
    for (const char* bad : {"", "/token", "server.example.com/token", "ftp://server.example.com/token",
                            "https://user@server.example.com/token", "https://server.example.com:99999/"}) {
        CAPTURE(bad);
        c["htu"] = bad;
        CHECK(with_claims(c) == errc::dpop_htu_invalid);
    }
    for (const char* other : {"https://server.example.com/token/", "http://server.example.com/token",
                              "https://server.example.com:8443/token", "https://server.example.org/token",
                              "https://server.example.com/Token"}) {
        CAPTURE(other);
        c["htu"] = other;
        CHECK(with_claims(c) == errc::dpop_htu_mismatch);
    }
    for (const char* same : {"HTTPS://Server.Example.COM/token", "https://server.example.com:443/token",
                             "https://server.example.com:/token", "https://server.example.com/./token",
                             "https://server.example.com/a/../token", "https://server.example.com/%74oken",
                             "https://server.example.com/token?q=1", "https://server.example.com/token#f"}) {
        CAPTURE(same);
        c["htu"] = same;
        CHECK(with_claims(c) == errc{});
    }
    // The request side is normalized too: query and fragment of the request URI are ignored.
    CHECK(code(verify(forge(good_header(), good_claims()),
                      {.uri = "https://SERVER.example.com:443/token?x#y"})) == errc{});
    CHECK(code(verify(forge(good_header(), good_claims()), {.uri = "/token"})) ==
          errc::dpop_request_uri_invalid);
}

TEST_CASE("dpop accepts iat within max_age + leeway in the past and leeway in the future") {
    const auto at = [](double iat) {
        json c = good_claims();
        c["iat"] = iat;
        return with_claims(c);
    };
    const double t = 1'700'000'000;
    CHECK(at(t) == errc{});
    CHECK(at(t - 65) == errc{});
    CHECK(at(t - 65.5) == errc::dpop_iat_too_old);
    CHECK(at(t - 66) == errc::dpop_iat_too_old);
    CHECK(at(t + 5) == errc{});
    CHECK(at(t + 5.5) == errc::dpop_iat_in_future);
    CHECK(at(t + 6) == errc::dpop_iat_in_future);
    json c = good_claims();
    c.erase("iat");
    CHECK(with_claims(c) == errc::dpop_iat_missing);
    c["iat"] = "1700000000";
    CHECK(with_claims(c) == errc::claim_invalid);
    c["iat"] = -1;
    CHECK(with_claims(c) == errc::claim_invalid);

    const jot::dpop_verifier strict{{.max_age = 10s, .leeway = 0s}};
    c["iat"] = t - 10;
    CHECK(code(verify(forge(good_header(), c), {}, strict)) == errc{});
    c["iat"] = t - 11;
    CHECK(code(verify(forge(good_header(), c), {}, strict)) == errc::dpop_iat_too_old);
    c["iat"] = t + 1;
    CHECK(code(verify(forge(good_header(), c), {}, strict)) == errc::dpop_iat_in_future);
}

TEST_CASE("dpop requires ath to hash the presented access token") {
    const std::string access_token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    const auto ath = jot::dpop_access_token_hash(access_token);
    REQUIRE(ath);
    CHECK(ath->size() == 43);
    json c = good_claims();
    CHECK(code(verify(forge(good_header(), c), {.access_token = access_token})) == errc::dpop_ath_missing);
    c["ath"] = *jot::dpop_access_token_hash("another token");
    CHECK(code(verify(forge(good_header(), c), {.access_token = access_token})) == errc::dpop_ath_mismatch);
    c["ath"] = 1;
    CHECK(code(verify(forge(good_header(), c), {.access_token = access_token})) == errc::claim_invalid);
    c["ath"] = *ath;
    CHECK(code(verify(forge(good_header(), c), {.access_token = access_token})) == errc{});
    // Without an access token (a token request) the ath is not looked at.
    CHECK(code(verify(forge(good_header(), c))) == errc{});
}

TEST_CASE("dpop requires the proof key to be the one the access token is bound to") {
    const std::string jkt = jot::thumbprint(private_key(algorithm::es256));
    const std::string other = jot::thumbprint(private_key(algorithm::eddsa));
    const auto proof = forge(good_header(), good_claims());
    CHECK(code(verify(proof, {.key_thumbprint = jkt})) == errc{});
    CHECK(code(verify(proof, {.key_thumbprint = other})) == errc::dpop_key_mismatch);
}

TEST_CASE("dpop requires one of the server's nonces when it gives any") {
    const std::array<std::string_view, 2> nonces{"n-1", "n-2"};
    json c = good_claims();
    const auto code_of = [&] { return code(verify(forge(good_header(), c), {.nonces = nonces})); };
    CHECK(code_of() == errc::dpop_nonce_missing);
    c["nonce"] = "n-3";
    CHECK(code_of() == errc::dpop_nonce_mismatch);
    c["nonce"] = 3;
    CHECK(code_of() == errc::claim_invalid);
    c["nonce"] = "n-2";
    CHECK(code_of() == errc{});
    const auto r = verify(forge(good_header(), c), {.nonces = nonces});
    REQUIRE(r);
    CHECK(r->nonce() == "n-2");
    CHECK(jot::needs_dpop_nonce(errc::dpop_nonce_missing));
    CHECK(jot::needs_dpop_nonce(errc::dpop_nonce_mismatch));
    CHECK_FALSE(jot::needs_dpop_nonce(errc::dpop_replayed));
}

TEST_CASE("dpop accepts each proof once within its window") {
    const jot::dpop_verifier v;
    jot::memory_replay_cache seen;
    const jot::dpop_request request{.method = method, .uri = uri};
    const auto proof = forge(good_header(), good_claims());
    CHECK(v.verify_at(proof, request, seen, now));
    CHECK(v.verify_at(proof, request, seen, now + 1s).error() == errc::dpop_replayed);
    CHECK(v.verify_at(proof, request, seen, now + 65s).error() == errc::dpop_replayed);
    CHECK(v.verify_at(proof, request, seen, now + 66s).error() == errc::dpop_iat_too_old);
    // The same jti under another key is another proof.
    CHECK(v.verify_at(forge(good_header(algorithm::eddsa), good_claims(), algorithm::eddsa), request, seen,
                      now));
    // A proof that fails a rule does not use up its jti.
    json c = good_claims();
    c["jti"] = "fresh";
    CHECK(v.verify_at(forge(good_header(), c), {.method = "GET", .uri = uri}, seen, now).error() ==
          errc::dpop_htm_mismatch);
    CHECK(v.verify_at(forge(good_header(), c), request, seen, now));
}

TEST_CASE("dpop refuses a new proof when the replay cache holds only unexpired ids") {
    const jot::dpop_verifier v;
    jot::memory_replay_cache seen{{.capacity = 2}};
    const jot::dpop_request request{.method = method, .uri = uri};
    const auto proof_with = [](const char* jti) {
        json c = good_claims();
        c["jti"] = jti;
        return forge(good_header(), c);
    };
    CHECK(v.verify_at(proof_with("a"), request, seen, now));
    CHECK(v.verify_at(proof_with("b"), request, seen, now));
    CHECK(v.verify_at(proof_with("c"), request, seen, now).error() == errc::dpop_replay_cache_full);
    CHECK(v.verify_at(proof_with("a"), request, seen, now).error() == errc::dpop_replayed);  // not evicted
    CHECK(seen.size() == 2);
    // Once the first ids' windows end, they are dropped and make room.
    json c = good_claims();
    c["jti"] = "d";
    c["iat"] = 1'700'000'066;
    CHECK(v.verify_at(forge(good_header(), c), request, seen, now + 66s));
    CHECK(seen.size() == 1);
}

TEST_CASE("memory_replay_cache keeps an id until its time and refuses rather than forgets when full") {
    jot::memory_replay_cache seen{{.capacity = 2}};
    CHECK(*seen.insert("x", now + 10s, now));
    CHECK_FALSE(*seen.insert("x", now + 10s, now + 9s));
    CHECK(*seen.insert("y", now + 20s, now));
    CHECK(seen.insert("z", now + 20s, now).error() == errc::dpop_replay_cache_full);
    CHECK(*seen.insert("x", now + 30s, now + 10s));  // x's entry ended at now + 10s
    CHECK(seen.insert("z", now + 30s, now + 19s).error() == errc::dpop_replay_cache_full);
    CHECK(*seen.insert("z", now + 30s, now + 20s));
    CHECK(seen.size() == 2);
    CHECK_THROWS_AS(jot::memory_replay_cache({.capacity = 0}), jot::setup_error);
}

TEST_CASE("dpop errors are of condition dpop_rejected and have names and messages") {
    for (int v = 700; v <= 726; ++v) {
        const auto e = static_cast<errc>(v);
        CAPTURE(v);
        CHECK(std::string_view(jot::name(e)).starts_with("dpop_"));
        CHECK(std::error_code(e) == jot::condition::dpop_rejected);
        CHECK(std::error_code(e).message().find("dpop") != std::string::npos);
    }
    CHECK(std::error_code(errc::signature_invalid) != jot::condition::dpop_rejected);
    CHECK(std::error_code(errc::crypto_failure) == jot::condition::store_failure);
    CHECK(make_error_condition(jot::condition::dpop_rejected).message() == "dpop proof rejected");
}

TEST_CASE("dpop_verifier refuses options that cannot hold") {
    using jot::dpop_verifier;
    CHECK_THROWS_AS(dpop_verifier({.algorithms = {}}), jot::setup_error);
    CHECK_THROWS_AS(dpop_verifier({.algorithms = {algorithm::es256, algorithm::hs256}}), jot::setup_error);
    CHECK_THROWS_AS(dpop_verifier({.max_age = 0s}), jot::setup_error);
    CHECK_THROWS_AS(dpop_verifier({.leeway = -1s}), jot::setup_error);
    CHECK_THROWS_AS(dpop_verifier({.leeway = 6min}), jot::setup_error);
    CHECK_THROWS_AS(dpop_verifier({.max_jti_bytes = 0}), jot::setup_error);
    CHECK_THROWS_AS(dpop_verifier({.max_rsa_bits = 2047}), jot::setup_error);
    CHECK_THROWS_AS(dpop_verifier({.limits = {.max_token_bytes = 0}}), jot::setup_error);
    CHECK_NOTHROW(dpop_verifier{});
}

TEST_CASE("sign_dpop_proof writes the public key, the claims RFC 9449 names and nothing secret") {
    const jot::key& k = private_key(algorithm::es256);
    const auto proof =
        jot::sign_dpop_proof(k, algorithm::es256, "GET", "https://api.example/posts?page=2#top",
                             {.access_token = "at", .nonce = "n", .issued_at = now});
    REQUIRE(proof);
    const auto peek = jot::decode_unverified(*proof);
    REQUIRE(peek);
    CHECK(peek->header == json{{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", jot::key_parameters(k)}});
    CHECK_FALSE(peek->header["jwk"].contains("d"));
    CHECK(peek->claims["htm"] == "GET");
    CHECK(peek->claims["htu"] == "https://api.example/posts");
    CHECK(peek->claims["iat"] == 1'700'000'000);
    CHECK(peek->claims["ath"] == *jot::dpop_access_token_hash("at"));
    CHECK(peek->claims["nonce"] == "n");
    const std::array<std::string_view, 1> nonces{"n"};
    CHECK(code(verify(*proof, {.method = "GET",
                               .uri = "https://api.example/posts",
                               .access_token = "at",
                               .nonces = nonces})) == errc{});

    const auto a = jot::sign_dpop_proof(k, algorithm::es256, "GET", "https://api.example/");
    const auto b = jot::sign_dpop_proof(k, algorithm::es256, "GET", "https://api.example/");
    REQUIRE((a && b));
    CHECK(jot::decode_unverified(*a)->claims["jti"] != jot::decode_unverified(*b)->claims["jti"]);
    const auto fixed =
        jot::sign_dpop_proof(k, algorithm::es256, "GET", "https://api.example/", {.jti = "j-1"});
    REQUIRE(fixed);
    CHECK(jot::decode_unverified(*fixed)->claims["jti"] == "j-1");
}

TEST_CASE("sign_dpop_proof refuses symmetric and public keys, and a URI no verifier could match") {
    auto hmac = jot::key::hmac(std::string(64, 'k'));
    REQUIRE(hmac);
    CHECK(jot::sign_dpop_proof(*hmac, algorithm::hs256, "GET", uri).error() ==
          errc::dpop_algorithm_symmetric);
    CHECK(jot::sign_dpop_proof(private_key(algorithm::es256).public_key(), algorithm::es256, "GET", uri)
              .error() == errc::key_not_private);
    CHECK(jot::sign_dpop_proof(private_key(algorithm::es256), algorithm::rs256, "GET", uri).error() ==
          errc::key_algorithm_mismatch);
    for (const char* bad :
         {"", "/token", "ftp://server.example.com/token", "https://user@server.example.com/"}) {
        CAPTURE(bad);
        CHECK(jot::sign_dpop_proof(private_key(algorithm::es256), algorithm::es256, "GET", bad).error() ==
              errc::dpop_request_uri_invalid);
    }
    auto typed = jot::ec_key::from(private_key(algorithm::es256));
    REQUIRE(typed);
    CHECK(jot::sign_dpop_proof<jot::es256>(*typed, "GET", uri, {.issued_at = now}));
}

TEST_CASE("dpop proofs do not pass the access-token verifier, whatever type it accepts") {
    const jot::key& k = private_key(algorithm::es256);
    jot::key_set keys;
    keys.add(algorithm::es256, k.public_key());
    const jot::verifier any_type{keys,
                                 {.allow_any_issuer = true,
                                  .allow_any_audience = true,
                                  .allow_any_type = true,
                                  .allow_missing_exp = true}};
    const auto proof = jot::sign_dpop_proof(k, algorithm::es256, "GET", uri, {.issued_at = now});
    REQUIRE(proof);
    CHECK(any_type.verify_at(*proof, now).error() == errc::header_embedded_key);
}
