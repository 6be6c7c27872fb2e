// SPDX-License-Identifier: MIT
// jot: make keys, sign, verify and inspect JWTs from the command line.
#include <chrono>        // std::chrono
#include <cstddef>       // std::size_t
#include <cstdint>       // std::int64_t
#include <exception>     // std::exception
#include <iostream>      // std::cout, std::cerr
#include <optional>      // std::optional
#include <set>           // std::set
#include <span>          // std::span
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code
#include <utility>       // std::move, std::pair
#include <vector>        // std::vector

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <jot/jot.hpp>

#include "support.hpp"

namespace jot_cli {
namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// 9999-12-31T23:59:59Z, the latest NumericDate jot accepts.
constexpr std::int64_t latest_numeric_date = 253'402'300'799;

// The latest whole second a jot::time_point holds (2262-04-11T23:47:16Z with a nanosecond clock).
constexpr std::int64_t latest_clock_time =
    std::chrono::duration_cast<std::chrono::seconds>(jot::time_point::max().time_since_epoch()).count();

// The deepest JSON nesting --max-depth may ask for.
constexpr std::size_t max_json_depth = 256;

/// Throws usage_error naming the flags when the issuer or audience check is neither configured nor waived.
void require_issuer_and_audience(bool issuer_missing, bool audience_missing) {
    if (issuer_missing && audience_missing)
        throw usage_error(
            "verify needs --iss and --aud (the issuer and audience to accept); --any-issuer and "
            "--any-audience skip those checks");
    if (issuer_missing)
        throw usage_error("verify needs --iss (the issuer to accept); --any-issuer skips the issuer check");
    if (audience_missing)
        throw usage_error(
            "verify needs --aud (an audience to accept); --any-audience skips the audience check");
}

struct keygen_options {
    std::string alg;
    std::string kid;
    std::size_t bits = 0;
    bool pem = false;
    std::string out_file;
    bool force = false;
};

int keygen(const keygen_options& o) {
    const jot::algorithm alg = parse_algorithm(o.alg);
    const auto& t = jot::traits(alg);
    if (o.pem && t.family == jot::key_family::hmac)
        throw usage_error("an HMAC secret has no PEM form; omit --pem to get a JWK (kty oct)");
    if (o.pem && !o.kid.empty())
        throw usage_error("--kid has no place in PEM output; omit --pem to get a JWK");

    jot::result<jot::key> k = jot::errc::key_invalid;
    if (t.family == jot::key_family::hmac) {
        const std::size_t bits = o.bits ? o.bits : 16 * jot::size(t.digest);
        if (bits % 8 != 0 || bits < 8 * jot::size(t.digest) || bits > 8 * 1024)
            throw usage_error("--bits for " + std::string(t.name) + " must be a multiple of 8 from " +
                              std::to_string(8 * jot::size(t.digest)) + " to 8192");
        std::string secret(bits / 8, '\0');
        if (!jot::crypto::random_bytes(std::as_writable_bytes(std::span(secret))))
            throw usage_error("the system random generator failed");
        k = jot::key::hmac(secret);
        jot::crypto::cleanse(secret.data(), secret.size());
    } else if (t.family == jot::key_family::rsa) {
        const std::size_t bits = o.bits ? o.bits : 2048;
        if (bits < 2048 || bits > 16384) throw usage_error("--bits for RSA must be from 2048 to 16384");
        k = jot::key::generate(alg, bits);
    } else {
        if (o.bits) throw usage_error("--bits applies only to RSA and HMAC keys; the curve fixes the size");
        k = jot::key::generate(alg);
    }
    if (!k) throw usage_error("key generation failed: " + describe(k.error()));

    const std::string text =
        o.pem ? k->to_pem()
              : pretty(jot::to_jwk(*k, o.kid.empty() ? jot::thumbprint(*k) : o.kid, alg, true)) + '\n';
    if (!o.out_file.empty()) {
        write_private_file(o.out_file, text, o.force);
        return exit_ok;
    }
    if (stdout_is_regular_file())
        std::cerr << "warning: a private key written through the shell gets its default mode; "
                     "use -o FILE to create it readable by you only (0600)\n";
    std::cout << text;
    return exit_ok;
}

/// The public JWK of a key file: its kid (or the thumbprint) and its alg (or the one its curve implies).
nlohmann::json public_jwk(const std::string& path) {
    const jot::jwk j = load_key_file(path);
    if (j.k.is_symmetric())
        throw usage_error("key file '" + path +
                          "' holds an HMAC secret, which has no public part to publish");
    const std::string kid = j.kid.empty() ? jot::thumbprint(j.k) : j.kid;
    return jot::to_jwk(j.k.public_key(), kid, j.alg ? j.alg : implied_algorithm(j.k));
}

int pub(const std::string& path) {
    std::cout << pretty(public_jwk(path)) << '\n';
    return exit_ok;
}

int jwks(const std::vector<std::string>& paths) {
    nlohmann::json keys = nlohmann::json::array();
    std::set<std::string> kids;
    for (const auto& path : paths) {
        nlohmann::json k = public_jwk(path);
        // RFC 7517 §4.5: kids within a set should be distinct, or a verifier cannot pick by kid.
        if (!kids.insert(k["kid"].get<std::string>()).second)
            throw usage_error("key file '" + path + "' repeats the kid of an earlier key");
        keys.push_back(std::move(k));
    }
    std::cout << pretty({{"keys", std::move(keys)}}) << '\n';
    return exit_ok;
}

int thumbprint(const std::string& path) {
    std::cout << jot::thumbprint(load_key_file(path).k) << '\n';
    return exit_ok;
}

struct sign_options {
    std::string key_file;
    std::string alg;
    std::string kid;
    bool kid_given = false;
    std::string typ = "JWT";
    std::string claims;
    std::string iss;
    std::string sub;
    std::vector<std::string> aud;
    std::string exp;
    bool no_iat = false;
    bool jti = false;
};

/// The key of a key file and the algorithm it signs with: --alg, else the JWK's alg; a usage error if
/// there is none or the key may not sign with it.
std::pair<jot::jwk, jot::algorithm> signing_key(const std::string& key_file, const std::string& alg_name) {
    jot::jwk j = load_key_file(key_file);
    std::optional<jot::algorithm> alg = alg_name.empty() ? j.alg : parse_algorithm(alg_name);
    if (!alg) throw usage_error("--alg is required: the key file names no algorithm");
    if (auto fit = j.permits(*alg, jot::key_use::sign); !fit)
        throw usage_error("key file '" + key_file + "' cannot sign " + std::string(jot::name(*alg)) + ": " +
                          describe(fit.error()));
    return {std::move(j), *alg};
}

int sign(const sign_options& o) {
    const auto [j, alg] = signing_key(o.key_file, o.alg);

    nlohmann::json claims = nlohmann::json::object();
    if (!o.claims.empty()) {
        claims = nlohmann::json::parse(o.claims, nullptr, false);
        if (!claims.is_object()) throw usage_error("--claims must be a JSON object");
    }
    const std::int64_t now = unix_now();
    if (!o.no_iat) claims["iat"] = now;
    if (!o.exp.empty()) {
        const auto d = parse_duration(o.exp);
        if (!d)
            throw usage_error(
                "--exp: invalid duration '" + o.exp +
                "' (expected a positive whole number and a unit s, m, h or d, e.g. 30s, 15m, 2h, 14d)");
        if (now + d->count() > latest_numeric_date)
            throw usage_error("--exp: the duration reaches past the year 9999");
        claims["exp"] = now + d->count();
    }
    if (!o.iss.empty()) claims["iss"] = o.iss;
    if (!o.sub.empty()) claims["sub"] = o.sub;
    if (o.aud.size() == 1) claims["aud"] = o.aud.front();
    if (o.aud.size() > 1) claims["aud"] = o.aud;
    if (o.jti) claims["jti"] = random_id();

    const jot::signer signer(alg, j.k, o.kid_given ? o.kid : j.kid);
    auto token = signer.sign(claims, o.typ);
    if (!token) throw usage_error("signing failed: " + describe(token.error()));
    std::cout << *token << '\n';
    return exit_ok;
}

struct verify_options {
    std::string key_file;
    std::string jwks_file;
    std::vector<std::string> algs;
    std::string iss;
    std::vector<std::string> aud;
    std::string sub;
    std::string typ;
    bool typ_given = false;
    std::vector<std::string> required;
    std::int64_t leeway = 0;
    std::optional<std::int64_t> now;
    std::optional<std::size_t> max_bytes;
    std::optional<std::size_t> max_depth;
    bool any_issuer = false;
    bool any_audience = false;
    bool allow_missing_exp = false;
    bool jws_only = false;
    std::string token;
};

int print_invalid(std::error_code ec, const std::string& detail = {}) {
    std::cerr << "error: " << describe(ec) << (detail.empty() ? "" : " (" + detail + ")") << '\n';
    return exit_invalid_token;
}

/// Signature-only verification: tries each bound key that the token's kid allows until one verifies.
int verify_jws_only(const jot::key_set& keys, std::string_view token, const jot::parse_limits& limits) {
    // RFC 8725 §3.1: the kid only narrows the candidates; the header's alg must equal a key's binding, which
    // verify_jws_with checks (with every other header rule) before it touches the signature.
    std::optional<std::string> kid;
    if (const auto peek = jot::decode_unverified(token, limits)) {
        const auto it = peek->header.find("kid");
        if (it != peek->header.end() && it->is_string()) kid = it->get<std::string>();
    }
    std::error_code first_error, best_error;
    bool kid_matched = false;
    for (const auto& b : keys) {
        if (kid && !b.kid.empty() && b.kid != *kid) continue;
        kid_matched = true;
        auto r = jot::verify_jws_with(b.k, b.alg, token, limits);
        if (r) {
            std::cout << two_members("header", r->header(), "payload", jot::base64url_encode(r->payload()))
                      << '\n';
            return exit_ok;
        }
        if (!first_error) first_error = r.error();
        if (!best_error && r.error() != jot::errc::algorithm_not_allowed) best_error = r.error();
    }
    if (!kid_matched) return print_invalid(jot::errc::key_not_found);
    return print_invalid(best_error ? best_error : first_error);
}

int verify(const verify_options& o) {
    std::vector<jot::algorithm> allowed;
    for (const auto& n : o.algs) {
        const jot::algorithm a = parse_algorithm(n);
        bool seen = false;
        for (const auto b : allowed) seen = seen || a == b;
        if (!seen) allowed.push_back(a);
    }
    if (!o.jws_only)
        require_issuer_and_audience(o.iss.empty() && !o.any_issuer, o.aud.empty() && !o.any_audience);
    if (o.leeway < 0 || o.leeway > 300) throw usage_error("--leeway must be from 0 to 300 seconds");
    if (o.now && (*o.now < 0 || *o.now > latest_clock_time))
        throw usage_error("--now must be a UNIX time from 0 to " + std::to_string(latest_clock_time) + " (" +
                          utc_time(latest_clock_time) + ", the latest time the system clock holds)");
    jot::parse_limits limits{};
    if (o.max_bytes) {
        if (*o.max_bytes == 0) throw usage_error("--max-bytes must be positive");
        limits.max_token_bytes = *o.max_bytes;
    }
    if (o.max_depth) {
        if (*o.max_depth < 2 || *o.max_depth > max_json_depth)
            throw usage_error("--max-depth must be from 2 to " + std::to_string(max_json_depth));
        limits.max_json_depth = *o.max_depth;
    }

    jot::key_set keys;
    if (!o.key_file.empty()) {
        const jot::jwk j = load_key_file(o.key_file);
        std::error_code why;
        for (const auto a : allowed) {
            if (auto fit = j.permits(a, jot::key_use::verify); fit)
                keys.add(a, j.k, j.kid);
            else if (!why)
                why = fit.error();
        }
        if (keys.empty())
            throw usage_error("key file '" + o.key_file +
                              "' fits none of the allowed algorithms: " + describe(why));
    } else {
        const std::string text = read_file(o.jwks_file, "JWKS file");
        auto set = jot::key_set_from_jwks(std::string_view(text), allowed);
        if (set.error() == jot::errc::key_invalid)
            throw usage_error("JWKS file '" + o.jwks_file +
                              "' is malformed or holds no key usable with the allowed algorithms");
        if (!set) throw usage_error("JWKS file '" + o.jwks_file + "' is refused: " + describe(set.error()));
        keys = *std::move(set);
    }

    const std::string token = read_token(o.token);
    if (o.jws_only) return verify_jws_only(keys, token, limits);

    jot::verifier_options vo{
        .issuer = o.iss,
        .audience = o.aud,
        .subject = o.sub,
        .type = o.typ,
        .required_claims = o.required,
        .leeway = std::chrono::seconds{o.leeway},
        .limits = limits,
        .allow_any_issuer = o.any_issuer,
        .allow_any_audience = o.any_audience,
        .allow_any_type = !o.typ_given,
        .allow_missing_exp = o.allow_missing_exp,
    };
    std::optional<jot::verifier> v;
    try {
        v.emplace(std::move(keys), std::move(vo));
    } catch (const jot::setup_error& e) {
        throw usage_error(e.what());
    }
    const auto now = o.now ? jot::time_point{std::chrono::seconds{*o.now}} : std::chrono::system_clock::now();
    const auto r = v->verify_at(token, now);
    if (!r) return print_invalid(r.error(), claim_failure_detail(r.error(), token, v->options(), now));
    std::cout << two_members("header", r->header(), "claims", r->claims()) << '\n';
    return exit_ok;
}

struct dpop_proof_options {
    std::string key_file;
    std::string alg;
    std::string htm;
    std::string htu;
    std::string access_token;
    std::string nonce;
};

int dpop_proof(const dpop_proof_options& o) {
    const auto [j, alg] = signing_key(o.key_file, o.alg);
    if (o.htm.empty() || o.htm.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
        throw usage_error("--htm must be an HTTP method in capitals, e.g. POST (got '" + o.htm + "')");
    const std::string access_token = o.access_token.empty() ? std::string() : read_token(o.access_token);
    auto proof =
        jot::sign_dpop_proof(j.k, alg, o.htm, o.htu, {.access_token = access_token, .nonce = o.nonce});
    if (!proof) throw usage_error("cannot make the proof: " + describe(proof.error()));
    std::cout << *proof << '\n';
    return exit_ok;
}

int decode(const std::string& arg) {
    const std::string token = read_token(arg);
    auto parts = jot::decode_unverified(token, {.max_token_bytes = token.size(), .max_json_depth = 64});
    if (!parts) return print_invalid(parts.error());
    const auto& claims = parts->claims;
    std::cerr << "warning: not verified: neither the signature nor the claims were checked; "
                 "do not trust this content\n";
    if (claims.is_object())
        std::cout << two_members("header", parts->header, "claims", claims) << '\n';
    else
        std::cout << two_members("header", parts->header, "payload", jot::base64url_encode(parts->payload))
                  << '\n';
    return exit_ok;
}

int run(int argc, char** argv) {
    CLI::App app{"jot: make keys, sign, verify and inspect JSON Web Tokens", "jot"};
    app.set_version_flag("--version", JOT_VERSION_STRING);
    app.require_subcommand(1);

    keygen_options kg;
    auto* keygen_cmd = app.add_subcommand("keygen", "Print a new private key as a JWK (or PKCS#8 PEM)");
    keygen_cmd->add_option("--alg", kg.alg, "Algorithm the key is for (HS256 ... EdDSA)")->required();
    keygen_cmd->add_option("--kid", kg.kid, "Key id (default: the RFC 7638 thumbprint)");
    keygen_cmd->add_option("--bits", kg.bits, "RSA modulus size (default 2048) or HMAC secret size");
    keygen_cmd->add_flag("--pem", kg.pem, "Print PKCS#8 PEM instead of a JWK (not for HMAC)");
    keygen_cmd->add_option("-o,--out", kg.out_file, "Write the key to FILE, readable by you only (0600)");
    keygen_cmd->add_flag("--force", kg.force, "With -o, replace FILE if it exists");

    std::string pub_file;
    auto* pub_cmd = app.add_subcommand("pub", "Print the public JWK of a key file");
    pub_cmd->add_option("keyfile", pub_file, "JWK or PEM key file")->required();

    std::vector<std::string> jwks_files;
    auto* jwks_cmd = app.add_subcommand("jwks", "Print a JWKS of the public keys of key files");
    jwks_cmd->add_option("keyfiles", jwks_files, "JWK or PEM key files")->required();

    std::string thumb_file;
    auto* thumb_cmd = app.add_subcommand("thumbprint", "Print the RFC 7638 thumbprint of a key");
    thumb_cmd->add_option("keyfile", thumb_file, "JWK or PEM key file")->required();

    sign_options so;
    auto* sign_cmd = app.add_subcommand("sign", "Sign a JWT and print it");
    sign_cmd->add_option("--key", so.key_file, "Private key file (JWK or PEM)")->required();
    sign_cmd->add_option("--alg", so.alg, "Algorithm (default: the JWK's alg)");
    auto* kid_opt = sign_cmd->add_option("--kid", so.kid, "Header kid (default: the JWK's kid)");
    sign_cmd->add_option("--typ", so.typ, "Header typ; empty leaves it out")->capture_default_str();
    sign_cmd->add_option("--claims", so.claims, "Claims as a JSON object");
    sign_cmd->add_option("--iss", so.iss, "Issuer");
    sign_cmd->add_option("--sub", so.sub, "Subject");
    sign_cmd->add_option("--aud", so.aud, "Audience (repeat for several)");
    sign_cmd->add_option("--exp", so.exp, "Lifetime: 30s, 15m, 2h, 14d");
    sign_cmd->add_flag("--no-iat", so.no_iat, "Leave out iat");
    sign_cmd->add_flag("--jti", so.jti, "Add a random 128-bit jti");

    verify_options vo;
    auto* verify_cmd = app.add_subcommand("verify", "Verify a JWT; print its header and claims");
    auto* key_opt = verify_cmd->add_option("--key", vo.key_file, "Key file (JWK or PEM)");
    auto* jwks_opt = verify_cmd->add_option("--jwks", vo.jwks_file, "JWKS file");
    key_opt->excludes(jwks_opt);
    verify_cmd->add_option("--alg", vo.algs, "Allowed algorithms, comma-separated")
        ->required()
        ->delimiter(',');
    auto* iss_opt = verify_cmd->add_option("--iss", vo.iss, "Required issuer (or --any-issuer)");
    auto* aud_opt =
        verify_cmd->add_option("--aud", vo.aud, "Accepted audience, repeatable (or --any-audience)");
    auto* any_iss_opt =
        verify_cmd->add_flag("--any-issuer", vo.any_issuer, "Accept tokens from any issuer (risky)");
    auto* any_aud_opt = verify_cmd->add_flag("--any-audience", vo.any_audience,
                                             "Accept tokens meant for any audience (risky)");
    any_iss_opt->excludes(iss_opt);
    any_aud_opt->excludes(aud_opt);
    auto* sub_opt = verify_cmd->add_option("--sub", vo.sub, "Required subject");
    auto* typ_opt = verify_cmd->add_option("--typ", vo.typ, "Required typ (default: any)");
    auto* req_opt =
        verify_cmd->add_option("--require", vo.required, "Claims that must be present")->delimiter(',');
    auto* leeway_opt =
        verify_cmd->add_option("--leeway", vo.leeway, "Clock skew allowed, in seconds (max 300)");
    auto* now_opt = verify_cmd->add_option("--now", vo.now, "Verify as of this UNIX time");
    auto* missing_exp_opt =
        verify_cmd->add_flag("--allow-missing-exp", vo.allow_missing_exp, "Accept tokens without exp");
    verify_cmd->add_option("--max-bytes", vo.max_bytes, "Largest token accepted (default 8192)");
    verify_cmd->add_option("--max-depth", vo.max_depth, "Deepest JSON nesting accepted (default 16)");
    auto* jws_opt =
        verify_cmd->add_flag("--jws-only", vo.jws_only, "Check the signature only; payload may be any bytes");
    for (auto* claim_opt : {iss_opt, aud_opt, any_iss_opt, any_aud_opt, sub_opt, typ_opt, req_opt, leeway_opt,
                            now_opt, missing_exp_opt})
        jws_opt->excludes(claim_opt);
    verify_cmd->add_option("token", vo.token, "The token, or - to read it from standard input")->required();

    std::string decode_token;
    auto* decode_cmd = app.add_subcommand("decode", "Print a token's header and claims WITHOUT verifying it");
    decode_cmd->add_option("token", decode_token, "The token, or - to read it from standard input")
        ->required();

    dpop_proof_options dp;
    auto* dpop_cmd = app.add_subcommand("dpop", "DPoP (RFC 9449): proofs of possession of a key");
    dpop_cmd->require_subcommand(1);
    auto* proof_cmd = dpop_cmd->add_subcommand("proof", "Print a DPoP proof for one HTTP request");
    proof_cmd->add_option("--key", dp.key_file, "Private key file (JWK or PEM), asymmetric")->required();
    proof_cmd->add_option("--alg", dp.alg, "Algorithm (default: the JWK's alg)");
    proof_cmd->add_option("--htm", dp.htm, "The request's method, e.g. POST")->required();
    proof_cmd->add_option("--htu", dp.htu, "The request's URI (query and fragment are left out)")->required();
    proof_cmd->add_option("--ath", dp.access_token,
                          "The access token the request carries (its hash goes in ath), or - for stdin");
    proof_cmd->add_option("--nonce", dp.nonce, "The server's DPoP-Nonce, if it sent one");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }
    if (verify_cmd->parsed() && vo.key_file.empty() && vo.jwks_file.empty())
        throw usage_error("verify needs --key or --jwks");
    so.kid_given = kid_opt->count() > 0;
    vo.typ_given = typ_opt->count() > 0;

    if (keygen_cmd->parsed()) return keygen(kg);
    if (pub_cmd->parsed()) return pub(pub_file);
    if (jwks_cmd->parsed()) return jwks(jwks_files);
    if (thumb_cmd->parsed()) return thumbprint(thumb_file);
    if (sign_cmd->parsed()) return sign(so);
    if (verify_cmd->parsed()) return verify(vo);
    if (decode_cmd->parsed()) return decode(decode_token);
    if (proof_cmd->parsed()) return dpop_proof(dp);
    return exit_usage;
}

}  // namespace
}  // namespace jot_cli

int main(int argc, char** argv) {
    try {
        return jot_cli::run(argc, argv);
    } catch (const jot_cli::usage_error& e) {
        std::cerr << "error: " << e.what() << '\n';
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
    }
    return jot_cli::exit_usage;
}
