// SPDX-License-Identifier: MIT
// The jot command-line tool run as a program: its output, its error messages and its exit codes.
#include <doctest/doctest.h>

#include <fcntl.h>     // O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC
#include <spawn.h>     // posix_spawn
#include <sys/wait.h>  // waitpid, WIFEXITED, WEXITSTATUS
#include <unistd.h>    // environ

#include <algorithm>     // std::count, std::find
#include <cstdint>       // std::int64_t
#include <cstdlib>       // mkdtemp
#include <filesystem>    // std::filesystem
#include <fstream>       // std::ifstream, std::ofstream
#include <iterator>      // std::istreambuf_iterator
#include <stdexcept>     // std::runtime_error
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code
#include <vector>        // std::vector

#include <nlohmann/json.hpp>

#include <jot/jot.hpp>

#ifndef JOT_CLI_PATH
#error "JOT_CLI_PATH must name the jot executable"
#endif

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int exit_ok = 0;
constexpr int exit_invalid = 1;
constexpr int exit_usage = 2;

/// A private scratch directory for key files and captured output, removed at exit.
class scratch_dir {
public:
    scratch_dir() {
        std::string pattern = (fs::temp_directory_path() / "jot-cli-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }
    [[nodiscard]] const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

const scratch_dir& scratch() {
    static const scratch_dir dir;
    return dir;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const std::string& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

struct outcome {
    int status = -1;
    std::string out{};
    std::string err{};
};

/// Runs the jot binary with `args` in the scratch directory, feeding `input` on standard input.
outcome jot_run(const std::vector<std::string>& args, std::string_view input = {}) {
    static int serial = 0;
    const std::string stem = scratch().file("run" + std::to_string(++serial));
    const std::string in = stem + ".in", out = stem + ".out", err = stem + ".err";
    write_text(in, input);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const std::string program = JOT_CLI_PATH;
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(spawned == 0, "cannot run " << program);
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    outcome o{WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, read_text(out), read_text(err)};
    fs::remove(in);
    fs::remove(out);
    fs::remove(err);
    return o;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

/// `jot keygen` into a file in the scratch directory; returns its path.
std::string make_key(const std::string& alg, const std::string& name,
                     const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"keygen", "--alg", alg};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = jot_run(args);
    REQUIRE_MESSAGE(r.status == exit_ok, alg << ": " << r.err);
    const std::string path = scratch().file(name);
    write_text(path, r.out);
    return path;
}

std::string sign_token(const std::vector<std::string>& args) {
    std::vector<std::string> full{"sign"};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = jot_run(full);
    REQUIRE_MESSAGE(r.status == exit_ok, r.err);
    return trimmed(r.out);
}

std::string b64(std::string_view s) {
    return jot::base64url_encode(s);
}

/// The claims of a token, read without verification (the test's own decoder, not the tool's).
json claims_of(const std::string& token) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const auto payload = jot::base64url_decode(std::string_view(token).substr(first + 1, second - first - 1));
    REQUIRE(payload);
    return json::parse(*payload);
}

/// The token with its payload replaced by `claims`, keeping the original header and signature.
std::string with_claims(const std::string& token, const json& claims) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    return token.substr(0, first + 1) + b64(claims.dump()) + token.substr(second);
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

TEST_CASE("jot keygen, sign and verify round-trip every algorithm") {
    for (const auto& t : jot::all_algorithms) {
        const std::string alg(t.name);
        CAPTURE(alg);
        const std::string key = make_key(alg, "roundtrip-" + alg + ".jwk");
        const json jwk = json::parse(read_text(key));
        CHECK(jwk["alg"] == alg);
        CHECK(jwk["kid"] == trimmed(jot_run({"thumbprint", key}).out));

        const std::string token = sign_token({"--key", key, "--alg", alg, "--iss", "https://issuer.example",
                                              "--sub", "alice", "--aud", "api", "--exp", "15m", "--jti"});
        const auto r = jot_run({"verify", "--key", key, "--alg", alg, "--iss", "https://issuer.example",
                                "--aud", "api", "--sub", "alice", token});
        REQUIRE_MESSAGE(r.status == exit_ok, r.err);
        CHECK(r.err.empty());
        CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
        const json out = json::parse(r.out);
        CHECK(out["header"]["alg"] == alg);
        CHECK(out["header"]["typ"] == "JWT");
        CHECK(out["header"]["kid"] == jwk["kid"]);
        CHECK(out["claims"]["sub"] == "alice");
        CHECK(out["claims"]["aud"] == "api");
        CHECK(out["claims"]["exp"].get<std::int64_t>() - out["claims"]["iat"].get<std::int64_t>() == 900);
        CHECK(out["claims"]["jti"].get<std::string>().size() == 22);  // 128 bits in base64url

        if (t.family != jot::key_family::hmac) {
            const auto pub = jot_run({"pub", key});
            REQUIRE(pub.status == exit_ok);
            const std::string pub_file = scratch().file("roundtrip-" + alg + ".pub.jwk");
            write_text(pub_file, pub.out);
            CHECK(
                jot_run({"verify", "--any-issuer", "--any-audience", "--key", pub_file, "--alg", alg, token})
                    .status == exit_ok);
        }
    }
}

TEST_CASE("jot keygen --pem writes PKCS#8 keys that sign and verify") {
    for (const std::string alg : {"RS256", "PS512", "ES384", "ES512", "EdDSA"}) {
        CAPTURE(alg);
        const std::string key = make_key(alg, "pem-" + alg + ".pem", {"--pem"});
        CHECK(starts_with(read_text(key), "-----BEGIN PRIVATE KEY-----"));
        const std::string token = sign_token({"--key", key, "--alg", alg, "--exp", "1h"});
        CHECK(json::parse(std::string(jot::base64url_decode(token.substr(0, token.find('.'))).value()))
                  .contains("kid") == false);
        CHECK(
            jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", alg, token}).status ==
            exit_ok);
    }
    SUBCASE("but refuses PEM for an HMAC secret") {
        const auto r = jot_run({"keygen", "--alg", "HS256", "--pem"});
        CHECK(r.status == exit_usage);
        CHECK(r.out.empty());
        CHECK(starts_with(r.err, "error: "));
    }
    SUBCASE("and --bits sizes RSA moduli") {
        const std::string key = make_key("RS256", "rsa3072.jwk", {"--bits", "3072"});
        const auto n = jot::base64url_decode(json::parse(read_text(key))["n"].get<std::string>());
        CHECK(n.value().size() == 384);
        CHECK(jot_run({"keygen", "--alg", "RS256", "--bits", "1024"}).status == exit_usage);
        CHECK(jot_run({"keygen", "--alg", "ES256", "--bits", "256"}).status == exit_usage);
    }
}

TEST_CASE("jot verify rejects an expired token with token_expired") {
    const std::string key = make_key("ES256", "expiry.jwk");
    const std::string token = sign_token({"--key", key, "--alg", "ES256", "--exp", "60s"});
    const auto exp = claims_of(token)["exp"].get<std::int64_t>();
    const auto r = jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "ES256",
                            "--now", std::to_string(exp), token});
    CHECK(r.status == exit_invalid);
    CHECK(r.out.empty());
    CHECK(starts_with(r.err, "error: token_expired: "));
}

TEST_CASE("jot verify honours --now and --leeway") {
    const std::string key = make_key("HS256", "clock.jwk");
    const std::string token = sign_token({"--key", key, "--alg", "HS256", "--exp", "2m"});
    const auto c = claims_of(token);
    const auto iat = c["iat"].get<std::int64_t>(), exp = c["exp"].get<std::int64_t>();
    const auto verify_at = [&](std::int64_t now, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"verify", "--any-issuer", "--any-audience",   "--key", key, "--alg",
                                      "HS256",  "--now",        std::to_string(now)};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(token);
        return jot_run(args);
    };
    CHECK(verify_at(exp - 1).status == exit_ok);
    CHECK(starts_with(verify_at(exp).err, "error: token_expired: "));
    CHECK(verify_at(exp, {"--leeway", "5"}).status == exit_ok);
    CHECK(verify_at(exp + 4, {"--leeway", "5"}).status == exit_ok);
    CHECK(starts_with(verify_at(exp + 5, {"--leeway", "5"}).err, "error: token_expired: "));
    CHECK(starts_with(verify_at(iat - 10).err, "error: token_issued_in_future: "));
    CHECK(verify_at(iat - 10, {"--leeway", "10"}).status == exit_ok);
    CHECK(verify_at(iat, {"--leeway", "301"}).status == exit_usage);
    CHECK(verify_at(iat, {"--leeway", "-1"}).status == exit_usage);
}

TEST_CASE("jot verify checks issuer, audience, subject, type and required claims") {
    const std::string key = make_key("EdDSA", "policy.jwk");
    const std::string token = sign_token({"--key", key, "--iss", "https://a.example", "--sub", "alice",
                                          "--aud", "api", "--aud", "web", "--exp", "5m", "--typ", "at+jwt"});
    const auto verify = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"verify", "--key", key, "--alg", "EdDSA"};
        const auto given = [&](const char* flag) {
            return std::find(extra.begin(), extra.end(), flag) != extra.end();
        };
        if (!given("--iss")) args.emplace_back("--any-issuer");
        if (!given("--aud")) args.emplace_back("--any-audience");
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(token);
        return jot_run(args);
    };
    CHECK(claims_of(token)["aud"] == json::array({"api", "web"}));
    CHECK(verify({"--aud", "web"}).status == exit_ok);
    CHECK(verify({"--aud", "other", "--aud", "api"}).status == exit_ok);
    CHECK(starts_with(verify({"--aud", "other"}).err, "error: audience_mismatch: "));
    CHECK(starts_with(verify({"--iss", "https://b.example"}).err, "error: issuer_mismatch: "));
    CHECK(starts_with(verify({"--sub", "bob"}).err, "error: subject_mismatch: "));
    CHECK(verify({"--typ", "at+jwt"}).status == exit_ok);
    CHECK(starts_with(verify({"--typ", "JWT"}).err, "error: type_mismatch: "));
    CHECK(verify({"--require", "iss,sub"}).status == exit_ok);
    CHECK(starts_with(verify({"--require", "iss,jti"}).err, "error: claim_missing: "));
    CHECK(starts_with(verify({"--max-bytes", "64"}).err, "error: token_too_large: "));

    const std::string forever = sign_token({"--key", key, "--sub", "alice"});
    CHECK(starts_with(
        jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "EdDSA", forever}).err,
        "error: claim_missing: "));
    CHECK(jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "EdDSA",
                   "--allow-missing-exp", forever})
              .status == exit_ok);
}

TEST_CASE("jot verify rejects a tampered token with signature_invalid") {
    for (const std::string alg : {"HS512", "RS256", "ES256", "EdDSA"}) {
        CAPTURE(alg);
        const std::string key = make_key(alg, "tamper-" + alg + ".jwk");
        const std::string token = sign_token({"--key", key, "--sub", "alice", "--exp", "5m"});
        json c = claims_of(token);
        c["sub"] = "mallory";
        const auto r = jot_run(
            {"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", alg, with_claims(token, c)});
        CHECK(r.status == exit_invalid);
        CHECK(starts_with(r.err, "error: signature_invalid: "));
    }
}

TEST_CASE("jot verify rejects alg none with algorithm_none") {
    const std::string key = make_key("HS256", "none.jwk");
    const std::string claims = b64(R"({"sub":"mallory"})");
    for (const std::string header : {R"({"alg":"none"})", R"({"alg":"NONE","typ":"JWT"})"}) {
        CAPTURE(header);
        for (const std::string signature : {"", "AAAA"}) {
            const auto r = jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg",
                                    "HS256", b64(header) + "." + claims + "." + signature});
            CHECK(r.status == exit_invalid);
            CHECK(starts_with(r.err, "error: algorithm_none: "));
        }
    }
    CHECK(jot_run({"verify", "--key", key, "--alg", "none", "x.y.z"}).status == exit_usage);
}

TEST_CASE("jot verify binds a key to each allowed algorithm it fits") {
    const std::string key = make_key("PS256", "multi.pem", {"--pem"});
    const std::string token = sign_token({"--key", key, "--alg", "PS256", "--exp", "5m"});
    CHECK(jot_run(
              {"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "RS256,PS256,ES256", token})
              .status == exit_ok);
    CHECK(starts_with(
        jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "RS256", token}).err,
        "error: algorithm_not_allowed: "));
    CHECK(
        jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "ES256", token}).status ==
        exit_usage);
}

TEST_CASE("jot verify reads the token from standard input with -") {
    const std::string key = make_key("ES384", "stdin.jwk");
    const std::string token = sign_token({"--key", key, "--sub", "alice", "--exp", "5m"});
    const auto r = jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "ES384", "-"},
                           "\n  " + token + " \n\n");
    REQUIRE_MESSAGE(r.status == exit_ok, r.err);
    CHECK(json::parse(r.out)["claims"]["sub"] == "alice");
}

TEST_CASE("jot verify --jwks picks the key by kid") {
    const std::string a = make_key("ES256", "set-a.jwk", {"--kid", "a"});
    const std::string b = make_key("RS384", "set-b.pem", {"--pem"});
    const std::string c = make_key("EdDSA", "set-c.jwk");
    const auto set = jot_run({"jwks", a, b, c});
    REQUIRE_MESSAGE(set.status == exit_ok, set.err);
    const std::string jwks = scratch().file("set.jwks");
    write_text(jwks, set.out);

    const std::string by_a = sign_token({"--key", a, "--sub", "via-a", "--exp", "5m"});
    const auto r = jot_run(
        {"verify", "--any-issuer", "--any-audience", "--jwks", jwks, "--alg", "ES256,RS384,EdDSA", by_a});
    REQUIRE_MESSAGE(r.status == exit_ok, r.err);
    CHECK(json::parse(r.out)["header"]["kid"] == "a");

    const std::string b_kid = trimmed(jot_run({"thumbprint", b}).out);
    CHECK(jot_run({"verify", "--any-issuer", "--any-audience", "--jwks", jwks, "--alg", "RS384",
                   sign_token({"--key", b, "--alg", "RS384", "--kid", b_kid, "--exp", "5m"})})
              .status == exit_ok);
    const std::string stranger = sign_token({"--key", a, "--kid", "z", "--exp", "5m"});
    CHECK(starts_with(
        jot_run({"verify", "--any-issuer", "--any-audience", "--jwks", jwks, "--alg", "ES256", stranger}).err,
        "error: key_not_found: "));
    CHECK(jot_run({"verify", "--any-issuer", "--any-audience", "--jwks", jwks, "--alg", "HS256", by_a})
              .status == exit_usage);
}

TEST_CASE("jot verify --jws-only checks the signature of a non-JSON payload") {
    const std::string key = make_key("HS256", "jws.jwk");
    const auto parsed = jot::parse_jwk(std::string_view(read_text(key)));
    REQUIRE(parsed);
    const auto hmac = jot::hmac_key::from(parsed->k);
    REQUIRE(hmac);
    const std::string payload = "not JSON at all \x01\x02\xff";
    const auto token = jot::sign_jws<jot::hs256>(*hmac, payload, {.type = "", .kid = parsed->kid});
    REQUIRE(token);

    const auto r = jot_run({"verify", "--key", key, "--alg", "HS256", "--jws-only", *token});
    REQUIRE_MESSAGE(r.status == exit_ok, r.err);
    const json out = json::parse(r.out);
    CHECK(out["header"]["alg"] == "HS256");
    CHECK(jot::base64url_decode(out["payload"].get<std::string>()).value() == payload);

    CHECK(starts_with(
        jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "HS256", *token}).err,
        "error: json_invalid_utf8: "));
    const auto text = jot::sign_jws<jot::hs256>(*hmac, "plain text", {.kid = parsed->kid});
    REQUIRE(text);
    CHECK(starts_with(
        jot_run({"verify", "--any-issuer", "--any-audience", "--key", key, "--alg", "HS256", *text}).err,
        "error: payload_invalid: "));
    CHECK(jot_run({"verify", "--key", key, "--alg", "HS256", "--jws-only", *text}).status == exit_ok);
    const std::string tampered =
        token->substr(0, token->find('.') + 1) + b64("other bytes") + token->substr(token->rfind('.'));
    CHECK(starts_with(jot_run({"verify", "--key", key, "--alg", "HS256", "--jws-only", tampered}).err,
                      "error: signature_invalid: "));
    CHECK(jot_run({"verify", "--key", key, "--alg", "HS256", "--jws-only", "--iss", "x", *token}).status ==
          exit_usage);
}

TEST_CASE("jot decode prints header and claims with a warning that nothing was verified") {
    const std::string key = make_key("RS512", "decode.jwk");
    const std::string token = sign_token({"--key", key, "--sub", "alice"});
    const std::string forged = with_claims(token, {{"sub", "mallory"}});
    const auto r = jot_run({"decode", forged});
    REQUIRE(r.status == exit_ok);
    CHECK(starts_with(r.err, "warning: not verified"));
    const json out = json::parse(r.out);
    CHECK(out["header"]["alg"] == "RS512");
    CHECK(out["claims"]["sub"] == "mallory");

    CHECK(jot_run({"decode", "-"}, token + "\n").status == exit_ok);
    const auto bad = jot_run({"decode", "not-a-token"});
    CHECK(bad.status == exit_invalid);
    CHECK(starts_with(bad.err, "error: token_malformed: "));
}

TEST_CASE("jot pub, jwks and thumbprint print public keys as JSON") {
    const std::string ec = make_key("ES512", "pub-ec.jwk", {"--kid", "mine"});
    const std::string rsa = make_key("RS256", "pub-rsa.pem", {"--pem"});

    const auto pub = jot_run({"pub", ec});
    REQUIRE(pub.status == exit_ok);
    const json ec_pub = json::parse(pub.out);
    CHECK(ec_pub["kty"] == "EC");
    CHECK(ec_pub["crv"] == "P-521");
    CHECK(ec_pub["kid"] == "mine");
    CHECK(ec_pub["alg"] == "ES512");
    CHECK(!ec_pub.contains("d"));

    const json rsa_pub = json::parse(jot_run({"pub", rsa}).out);
    CHECK(rsa_pub["kty"] == "RSA");
    CHECK(!rsa_pub.contains("alg"));  // an RSA key may serve RS* or PS*
    CHECK(!rsa_pub.contains("d"));
    const std::string rsa_thumbprint = trimmed(jot_run({"thumbprint", rsa}).out);
    CHECK(rsa_pub["kid"] == rsa_thumbprint);
    CHECK(jot::thumbprint(jot::parse_jwk(rsa_pub).value().k) == rsa_thumbprint);

    const auto set = jot_run({"jwks", ec, rsa});
    REQUIRE(set.status == exit_ok);
    const json jwks = json::parse(set.out);
    REQUIRE(jwks["keys"].size() == 2);
    CHECK(jwks["keys"][0] == ec_pub);
    CHECK(jwks["keys"][1] == rsa_pub);
    CHECK(jot_run({"jwks", ec, ec}).status == exit_usage);

    const std::string hs = make_key("HS256", "pub-hs.jwk");
    CHECK(jot_run({"pub", hs}).status == exit_usage);
    CHECK(jot_run({"jwks", ec, hs}).status == exit_usage);
    CHECK(trimmed(jot_run({"thumbprint", hs}).out) == json::parse(read_text(hs))["kid"]);
}

TEST_CASE("jot exits with 2 on usage errors and unreadable keys, without echoing key material") {
    const std::string key = make_key("HS256", "usage.jwk");
    CHECK(jot_run({}).status == exit_usage);
    CHECK(jot_run({"frobnicate"}).status == exit_usage);
    CHECK(jot_run({"sign", "--key", key, "--bogus"}).status == exit_usage);
    CHECK(jot_run({"verify", "--alg", "HS256", "x.y.z"}).status == exit_usage);

    const auto bad_duration = jot_run({"sign", "--key", key, "--exp", "15 minutes"});
    CHECK(bad_duration.status == exit_usage);
    CHECK(bad_duration.err.find("--exp") != std::string::npos);
    for (const std::string d : {"15", "m", "-5m", "1.5h", "0s", "3w"})
        CHECK_MESSAGE(jot_run({"sign", "--key", key, "--exp", d}).status == exit_usage, d);

    const auto missing = jot_run({"sign", "--key", scratch().file("no-such.jwk"), "--alg", "HS256"});
    CHECK(missing.status == exit_usage);
    CHECK(starts_with(missing.err, "error: "));
    CHECK(jot_run({"verify", "--key", scratch().path().string(), "--alg", "HS256", "x.y.z"}).status ==
          exit_usage);

    const std::string weak_secret = b64("sixteen byte key");
    const std::string weak = scratch().file("weak.jwk");
    write_text(weak, json{{"kty", "oct"}, {"k", weak_secret}}.dump());
    const auto r = jot_run({"sign", "--key", weak, "--alg", "HS256"});
    CHECK(r.status == exit_usage);
    CHECK(r.err.find("key_too_weak") != std::string::npos);
    CHECK(r.err.find(weak_secret) == std::string::npos);

    const std::string garbage = scratch().file("garbage.pem");
    write_text(garbage, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0IG1hdGVyaWFs\n-----END PRIVATE KEY-----\n");
    const auto g = jot_run({"thumbprint", garbage});
    CHECK(g.status == exit_usage);
    CHECK(g.err.find("c2VjcmV0") == std::string::npos);
}

TEST_CASE("jot --version prints the library version") {
    const auto r = jot_run({"--version"});
    CHECK(r.status == exit_ok);
    CHECK(trimmed(r.out) == JOT_VERSION_STRING);
}

TEST_CASE("jot verify requires --iss and --aud, or --any-issuer and --any-audience, and names the flags") {
    const std::string key = make_key("HS256", "strict.jwk");
    const std::string token =
        sign_token({"--key", key, "--iss", "https://a.example", "--aud", "api", "--exp", "5m"});
    const auto run = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"verify", "--key", key, "--alg", "HS256"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(token);
        return jot_run(args);
    };
    const auto neither = run({});
    CHECK(neither.status == exit_usage);
    CHECK(neither.out.empty());
    for (const char* flag : {"--iss", "--aud", "--any-issuer", "--any-audience"})
        CHECK_MESSAGE(neither.err.find(flag) != std::string::npos, flag);
    const auto no_aud = run({"--iss", "https://a.example"});
    CHECK(no_aud.status == exit_usage);
    CHECK(no_aud.err.find("--aud") != std::string::npos);
    CHECK(no_aud.err.find("--any-audience") != std::string::npos);
    const auto no_iss = run({"--aud", "api"});
    CHECK(no_iss.status == exit_usage);
    CHECK(no_iss.err.find("--iss") != std::string::npos);
    CHECK(no_iss.err.find("--any-issuer") != std::string::npos);

    CHECK(run({"--iss", "https://a.example", "--aud", "api"}).status == exit_ok);
    CHECK(run({"--any-issuer", "--aud", "api"}).status == exit_ok);
    CHECK(run({"--iss", "https://a.example", "--any-audience"}).status == exit_ok);
    CHECK(run({"--any-issuer", "--any-audience"}).status == exit_ok);
    CHECK(run({"--iss", "https://a.example", "--any-issuer", "--aud", "api"}).status == exit_usage);
    CHECK(run({"--any-issuer", "--aud", "api", "--any-audience"}).status == exit_usage);
    CHECK(run({"--jws-only", "--any-issuer"}).status == exit_usage);
    CHECK(run({"--jws-only"}).status == exit_ok);  // no claims are read, so no issuer or audience either
}

TEST_CASE("jot verify names the missing claim") {
    const std::string key = make_key("ES256", "missing.jwk");
    const std::string token = sign_token({"--key", key, "--iss", "https://a.example", "--exp", "5m"});
    const auto verify = [&](std::vector<std::string> extra, const std::string& t) {
        std::vector<std::string> args{"verify", "--key", key, "--alg", "ES256"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(t);
        return jot_run(args);
    };
    const auto no_aud = verify({"--iss", "https://a.example", "--aud", "api"}, token);
    CHECK(no_aud.status == exit_invalid);
    CHECK(starts_with(no_aud.err, "error: claim_missing: "));
    CHECK(no_aud.err.find("missing claim: aud") != std::string::npos);
    const auto no_jti = verify({"--any-issuer", "--any-audience", "--require", "iss,jti"}, token);
    CHECK(no_jti.err.find("missing claim: jti") != std::string::npos);
    const auto no_sub = verify({"--any-issuer", "--any-audience", "--sub", "alice"}, token);
    CHECK(no_sub.err.find("missing claim: sub") != std::string::npos);
    const std::string forever = sign_token({"--key", key, "--iss", "https://a.example"});
    const auto no_exp = verify({"--any-issuer", "--any-audience"}, forever);
    CHECK(starts_with(no_exp.err, "error: claim_missing: "));
    CHECK(no_exp.err.find("missing claim: exp") != std::string::npos);
    const auto no_iss =
        verify({"--iss", "https://a.example", "--any-audience"}, sign_token({"--key", key, "--exp", "5m"}));
    CHECK(no_iss.err.find("missing claim: iss") != std::string::npos);
}

TEST_CASE("jot verify gives the times of a time failure without echoing the token") {
    const std::string key = make_key("HS256", "times.jwk");
    const std::string token = sign_token({"--key", key, "--sub", "alice", "--exp", "60s"});
    const auto c = claims_of(token);
    const auto iat = c["iat"].get<std::int64_t>(), exp = c["exp"].get<std::int64_t>();
    const auto at = [&](std::int64_t now, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"verify",         "--key", key,
                                      "--alg",          "HS256", "--any-issuer",
                                      "--any-audience", "--now", std::to_string(now)};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(token);
        return jot_run(args);
    };
    const auto expired = at(exp + 10, {"--leeway", "5"});
    CHECK(expired.status == exit_invalid);
    CHECK(starts_with(expired.err, "error: token_expired: "));
    CHECK(expired.err.find("expired at " + std::to_string(exp) + " (") != std::string::npos);
    CHECK(expired.err.find("now " + std::to_string(exp + 10) + " (") != std::string::npos);
    CHECK(expired.err.find("leeway 5s") != std::string::npos);
    CHECK(expired.err.find("Z)") != std::string::npos);  // UTC dates beside the UNIX times
    const auto early = at(iat - 60);
    CHECK(starts_with(early.err, "error: token_issued_in_future: "));
    CHECK(early.err.find("issued at " + std::to_string(iat)) != std::string::npos);
    CHECK(early.err.find("leeway 0s") != std::string::npos);
    for (const auto& r : {expired, early}) {
        for (const auto& part : {token.substr(0, token.find('.')), token.substr(token.rfind('.') + 1)})
            CHECK(r.err.find(part) == std::string::npos);
        CHECK(r.err.find("alice") == std::string::npos);
    }

    const auto nbf_token = sign_token({"--key", key, "--claims", R"({"nbf":4102444800})", "--exp", "60s"});
    const auto not_yet = jot_run({"verify", "--key", key, "--alg", "HS256", "--any-issuer", "--any-audience",
                                  "--now", std::to_string(iat), nbf_token});
    CHECK(starts_with(not_yet.err, "error: token_not_yet_valid: "));
    CHECK(not_yet.err.find("not before 4102444800 (2100-01-01T00:00:00Z)") != std::string::npos);
}

TEST_CASE("jot verify refuses a --now the clock cannot hold instead of overflowing") {
    const std::string key = make_key("HS256", "now.jwk");
    const std::string token = sign_token({"--key", key, "--exp", "60s"});
    const auto at = [&](const std::string& now) {
        return jot_run({"verify", "--key", key, "--alg", "HS256", "--any-issuer", "--any-audience", "--now",
                        now, token});
    };
    for (const std::string now : {"9223372037", "253402300799", "-1", "99999999999999999999", "soon"}) {
        CAPTURE(now);
        const auto r = at(now);
        CHECK(r.status == exit_usage);
        CHECK(r.err.find("--now") != std::string::npos);
    }
    CHECK(at("9223372036").err.find("token_expired") != std::string::npos);
    CHECK(at("9223372037").err.find("9223372036") != std::string::npos);
}

TEST_CASE("jot verify --max-depth sets the JSON nesting limit") {
    const std::string key = make_key("HS256", "depth.jwk");
    const std::string token =
        sign_token({"--key", key, "--exp", "5m", "--claims", R"({"d":[[[[[[[[[[1]]]]]]]]]]})"});
    const auto verify = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"verify",       "--key",         key, "--alg", "HS256",
                                      "--any-issuer", "--any-audience"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(token);
        return jot_run(args);
    };
    CHECK(verify({}).status == exit_ok);
    CHECK(starts_with(verify({"--max-depth", "8"}).err, "error: json_too_deep: "));
    CHECK(verify({"--max-depth", "11"}).status == exit_ok);
    for (const std::string bad : {"0", "1", "257", "-3"}) {
        CAPTURE(bad);
        const auto r = verify({"--max-depth", bad});
        CHECK(r.status == exit_usage);
        CHECK(r.err.find("--max-depth") != std::string::npos);
    }
}

TEST_CASE("jot names the key file whose alg it does not know") {
    const std::string path = scratch().file("unknown-alg.jwk");
    write_text(path, json{{"kty", "oct"}, {"alg", "HS999"}, {"k", b64(std::string(32, 'k'))}}.dump());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"verify", "--key", path, "--alg", "HS256", "--any-issuer", "--any-audience", "x.y.z"},
             {"sign", "--key", path, "--alg", "HS256"},
             {"thumbprint", path}}) {
        const auto r = jot_run(args);
        CHECK(r.status == exit_usage);
        CHECK(r.err.find(path) != std::string::npos);
        CHECK(r.err.find("alg") != std::string::npos);
        CHECK(r.err.find("header") == std::string::npos);
    }
}

TEST_CASE("jot refuses weak keys and ambiguous key sets with the errc that says why") {
    const std::string pub = make_key("ES256", "set-ok.jwk", {"--kid", "k"});
    const auto other = jot::key::generate(jot::algorithm::es256).value();
    const json doubled = {
        {"keys", {json::parse(jot_run({"pub", pub}).out), jot::to_jwk(other.public_key(), "k")}}};
    const std::string jwks = scratch().file("duplicate.jwks");
    write_text(jwks, doubled.dump());
    const auto dup =
        jot_run({"verify", "--jwks", jwks, "--alg", "ES256", "--any-issuer", "--any-audience", "x.y.z"});
    CHECK(dup.status == exit_usage);
    CHECK(dup.err.find("key_set_duplicate_kid") != std::string::npos);
    CHECK(dup.err.find(jwks) != std::string::npos);

    const json mixed = {{"keys",
                         {jot::to_jwk(other.public_key(), "e"),
                          jot::to_jwk(jot::key::hmac(std::string(32, 's')).value(), "h", {}, true)}}};
    write_text(jwks, mixed.dump());
    const auto mix = jot_run(
        {"verify", "--jwks", jwks, "--alg", "ES256,HS256", "--any-issuer", "--any-audience", "x.y.z"});
    CHECK(mix.status == exit_usage);
    CHECK(mix.err.find("key_set_mixed_kinds") != std::string::npos);

    const std::string identity = scratch().file("identity.jwk");
    write_text(
        identity,
        json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", b64(std::string("\x01") + std::string(31, '\0'))}}
            .dump());
    const auto small =
        jot_run({"verify", "--key", identity, "--alg", "EdDSA", "--any-issuer", "--any-audience", "x.y.z"});
    CHECK(small.status == exit_usage);
    CHECK(small.err.find("key_ed25519_small_order") != std::string::npos);
}

TEST_CASE("jot keygen -o writes a key readable by its owner only and never replaces a file unasked") {
    const std::string path = scratch().file("private.jwk");
    const auto made = jot_run({"keygen", "--alg", "ES256", "-o", path});
    REQUIRE_MESSAGE(made.status == exit_ok, made.err);
    CHECK(made.out.empty());
    CHECK((fs::status(path).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    const std::string first = read_text(path);
    CHECK(json::parse(first).contains("d"));

    const auto again = jot_run({"keygen", "--alg", "ES256", "-o", path});
    CHECK(again.status == exit_usage);
    CHECK(again.err.find("--force") != std::string::npos);
    CHECK(read_text(path) == first);

    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
    const auto forced = jot_run({"keygen", "--alg", "EdDSA", "-o", path, "--force"});
    REQUIRE_MESSAGE(forced.status == exit_ok, forced.err);
    CHECK(read_text(path) != first);
    CHECK(json::parse(read_text(path))["alg"] == "EdDSA");
    CHECK((fs::status(path).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));

    const std::string pem = scratch().file("private.pem");
    REQUIRE(jot_run({"keygen", "--alg", "RS256", "--pem", "--out", pem}).status == exit_ok);
    CHECK(starts_with(read_text(pem), "-----BEGIN PRIVATE KEY-----"));
    CHECK((fs::status(pem).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(jot_run({"keygen", "--alg", "HS256", "-o", scratch().file("no-such-dir/key.jwk")}).status ==
          exit_usage);
}

TEST_CASE("jot keygen warns when a private key goes to a file through standard output") {
    const auto r = jot_run({"keygen", "--alg", "HS256"});  // jot_run sends stdout to a regular file
    CHECK(r.status == exit_ok);
    CHECK(starts_with(r.err, "warning: "));
    CHECK(r.err.find("-o FILE") != std::string::npos);
}

TEST_CASE("jot dpop proof prints a proof that a dpop_verifier accepts once, bound to the key's thumbprint") {
    const std::string key = make_key("ES256", "dpop-es256.jwk");
    const std::string access_token = "an.access.token";
    const auto made = jot_run({"dpop", "proof", "--key", key, "--htm", "POST", "--htu",
                               "https://api.example/token?x=1", "--ath", access_token, "--nonce", "n-1"});
    REQUIRE(made.status == exit_ok);
    const std::string proof = trimmed(made.out);
    const jot::dpop_verifier verifier;
    jot::memory_replay_cache cache;
    const std::string_view nonces[] = {"n-1"};
    const jot::dpop_request request{
        .method = "POST", .uri = "https://api.example/token", .access_token = access_token, .nonces = nonces};
    const auto verified = verifier.verify(proof, request, cache);
    REQUIRE_MESSAGE(verified, verified.error().message());
    CHECK(verified->thumbprint() == trimmed(jot_run({"thumbprint", key}).out));
    CHECK(verifier.verify(proof, request, cache).error() == jot::errc::dpop_replayed);
    CHECK(verifier
              .verify(trimmed(jot_run({"dpop", "proof", "--key", key, "--htm", "GET", "--htu",
                                       "https://api.example/token"})
                                  .out),
                      request, cache)
              .error() == jot::errc::dpop_htm_mismatch);

    SUBCASE("and refuses what no verifier could accept, with exit 2") {
        CHECK(jot_run({"dpop", "proof", "--key", make_key("HS256", "dpop-hs.jwk"), "--htm", "GET", "--htu",
                       "https://api.example/"})
                  .status == exit_usage);
        const auto lower =
            jot_run({"dpop", "proof", "--key", key, "--htm", "post", "--htu", "https://a.example/"});
        CHECK(lower.status == exit_usage);
        CHECK(lower.err.find("--htm") != std::string::npos);
        const auto relative = jot_run({"dpop", "proof", "--key", key, "--htm", "GET", "--htu", "/token"});
        CHECK(relative.status == exit_usage);
        CHECK(relative.err.find("not an absolute http(s) URI") != std::string::npos);
        CHECK(jot_run({"dpop", "proof", "--key", key, "--htm", "GET"}).status == exit_usage);
    }
}
