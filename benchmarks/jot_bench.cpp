// SPDX-License-Identifier: MIT
// jot against the floor: the same signature done directly with OpenSSL 3 on the same bytes, with the key
// parsed and the algorithm fetched in advance. Names: sign/<ALG>/jot, sign/<ALG>/floor, verify/<ALG>/...
#include <jot/jot.hpp>
#include <jot/token_service.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;

const auto bench_now = std::chrono::system_clock::now();

// A typical access token: header alg/typ/kid, payload iss sub aud iat exp jti name role (~200 bytes).
nlohmann::json typical_claims() {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(bench_now.time_since_epoch()).count();
    return {{"iss", "https://auth.example.com"},
            {"sub", "user-8c1f4e2a-5b7d-4d0e-9f3a-2e6b1c7d9a40"},
            {"aud", "https://api.example.com"},
            {"iat", now},
            {"exp", now + 900},
            {"jti", "6f1c2d3e-4b5a-4978-8695-a4b3c2d1e0f9"},
            {"name", "Alice Example"},
            {"role", "admin"}};
}

struct fixture {
    jot::algorithm alg;
    jot::key key;
    std::string kid;
    std::string token;
    std::string signing_input;
    std::string raw_signature;  // as OpenSSL produces it (DER for ECDSA)
    std::unique_ptr<jot::verifier> verifier;
};

fixture& fixture_for(jot::algorithm alg) {
    static std::map<jot::algorithm, fixture> all;
    auto it = all.find(alg);
    if (it != all.end()) return it->second;
    auto k = jot::key::generate(alg).value();
    fixture f{alg, k, jot::thumbprint(k), {}, {}, {}, {}};
    f.token = jot::signer(alg, k, f.kid).sign(typical_claims()).value();
    f.signing_input = f.token.substr(0, f.token.rfind('.'));
    jot::key_set keys;
    keys.add(alg, k, f.kid);
    f.verifier = std::make_unique<jot::verifier>(
        keys,
        jot::verifier_options{.issuer = "https://auth.example.com", .audience = {"https://api.example.com"}});
    return all.emplace(alg, std::move(f)).first->second;
}

const EVP_MD* md_for(jot::algorithm alg) {
    switch (jot::traits(alg).digest) {
        case jot::hash::sha256:
            return EVP_sha256();
        case jot::hash::sha384:
            return EVP_sha384();
        case jot::hash::sha512:
            return EVP_sha512();
        case jot::hash::none:
            break;
    }
    return nullptr;
}

// The floor for HMAC: one context keyed once and re-initialised with the same key for every MAC.
struct hmac_floor {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    explicit hmac_floor(const fixture& f) {
        const auto secret = jot::key_parameters(f.key, true)["k"].get<std::string>();
        const std::string raw = jot::base64url_decode(secret).value();
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                             const_cast<char*>(EVP_MD_get0_name(md_for(f.alg))), 0),
            OSSL_PARAM_construct_end()};
        if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), params) != 1)
            throw std::runtime_error("hmac init");
    }
    ~hmac_floor() {
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(mac);
    }
    std::size_t run(std::string_view input, unsigned char* out) const {
        std::size_t len = 0;
        EVP_MAC_init(ctx, nullptr, 0, nullptr);
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        EVP_MAC_final(ctx, out, &len, 64);
        return len;
    }
};

EVP_PKEY* pkey_of(const fixture& f) {
    return f.key.impl().pkey.get();
}

bool init_floor(EVP_MD_CTX* ctx, const fixture& f, bool sign) {
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* md = md_for(f.alg);
    const int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey_of(f))
                        : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey_of(f));
    if (ok != 1) return false;
    if (jot::traits(f.alg).pss) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    return true;
}

std::string floor_sign_once(const fixture& f, EVP_MD_CTX* ctx) {
    std::size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
    init_floor(ctx, f, true);
    EVP_DigestSign(ctx, nullptr, &len, in, f.signing_input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, f.signing_input.size());
    sig.resize(len);
    EVP_MD_CTX_reset(ctx);
    return sig;
}

void sign_jot(benchmark::State& state, jot::algorithm alg) {
    auto& f = fixture_for(alg);
    const jot::signer s(alg, f.key, f.kid);
    const auto claims = typical_claims();
    for (auto _ : state) benchmark::DoNotOptimize(s.sign(claims));
}

// Verification with the registered claims checked and read (sub, exp); the full claims DOM is not built.
void verify_jot(benchmark::State& state, jot::algorithm alg) {
    auto& f = fixture_for(alg);
    for (auto _ : state) {
        auto r = f.verifier->verify_at(f.token, bench_now);
        if (!r) state.SkipWithError("verification failed");
        benchmark::DoNotOptimize(r->subject());
        benchmark::DoNotOptimize(r->expires_at());
    }
}

// The same, and then every claim as an nlohmann::json DOM.
void verify_jot_dom(benchmark::State& state, jot::algorithm alg) {
    auto& f = fixture_for(alg);
    for (auto _ : state) {
        auto r = f.verifier->verify_at(f.token, bench_now);
        if (!r) state.SkipWithError("verification failed");
        benchmark::DoNotOptimize(r->claims()["name"]);
    }
}

void sign_floor(benchmark::State& state, jot::algorithm alg) {
    auto& f = fixture_for(alg);
    if (jot::traits(alg).family == jot::key_family::hmac) {
        const hmac_floor h(f);
        unsigned char out[64];
        for (auto _ : state) benchmark::DoNotOptimize(h.run(f.signing_input, out));
        return;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    for (auto _ : state) benchmark::DoNotOptimize(floor_sign_once(f, ctx));
    EVP_MD_CTX_free(ctx);
}

void verify_floor(benchmark::State& state, jot::algorithm alg) {
    auto& f = fixture_for(alg);
    if (jot::traits(alg).family == jot::key_family::hmac) {
        const hmac_floor h(f);
        unsigned char out[64];
        for (auto _ : state) benchmark::DoNotOptimize(h.run(f.signing_input, out));
        return;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const std::string sig = floor_sign_once(f, ctx);
    const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
    for (auto _ : state) {
        init_floor(ctx, f, false);
        const int ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                        in, f.signing_input.size());
        if (ok != 1) state.SkipWithError("floor verification failed");
        EVP_MD_CTX_reset(ctx);
    }
    EVP_MD_CTX_free(ctx);
}

// A stricter floor for the asymmetric algorithms: the context is initialised with the key once, and each
// operation runs on a copy of it (what jot does), so the per-call EVP_Digest*Init of the floor is not
// counted.
void keyed_floor(benchmark::State& state, jot::algorithm alg, bool sign) {
    auto& f = fixture_for(alg);
    EVP_MD_CTX* keyed = EVP_MD_CTX_new();
    EVP_MD_CTX* work = EVP_MD_CTX_new();
    const std::string sig = floor_sign_once(f, keyed);
    if (!init_floor(keyed, f, sign)) state.SkipWithError("init failed");
    const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
    unsigned char out[1024];
    for (auto _ : state) {
        EVP_MD_CTX_copy_ex(work, keyed);
        EVP_MD_CTX_set_flags(work, EVP_MD_CTX_FLAG_FINALISE);
        std::size_t len = sizeof out;
        const int ok = sign ? EVP_DigestSign(work, out, &len, in, f.signing_input.size())
                            : EVP_DigestVerify(work, reinterpret_cast<const unsigned char*>(sig.data()),
                                               sig.size(), in, f.signing_input.size());
        if (ok != 1) state.SkipWithError("floor operation failed");
        EVP_MD_CTX_reset(work);
    }
    EVP_MD_CTX_free(work);
    EVP_MD_CTX_free(keyed);
}

// A resource server's repeat visitor: the token is answered by a verification_cache (exp checked again).
void verify_cached(benchmark::State& state, jot::algorithm alg) {
    auto& f = fixture_for(alg);
    jot::verification_cache cache(*f.verifier);
    if (!cache.verify_at(f.token, bench_now)) state.SkipWithError("verification failed");
    for (auto _ : state) {
        auto r = cache.verify_at(f.token, bench_now);
        benchmark::DoNotOptimize((*r)->subject());
    }
}

// HS256 floor plus decoding the three parts: what any verifier must at least do before the JSON.
void verify_hs256_floor_b64(benchmark::State& state) {
    auto& f = fixture_for(jot::algorithm::hs256);
    const hmac_floor h(f);
    unsigned char out[64];
    const auto first = f.token.find('.');
    const auto second = f.token.rfind('.');
    const std::string_view token = f.token;
    std::string header, payload, sig;
    for (auto _ : state) {
        benchmark::DoNotOptimize(jot::base64url_decode_into(header, token.substr(0, first)));
        benchmark::DoNotOptimize(
            jot::base64url_decode_into(payload, token.substr(first + 1, second - first - 1)));
        benchmark::DoNotOptimize(jot::base64url_decode_into(sig, token.substr(second + 1)));
        benchmark::DoNotOptimize(h.run(token.substr(0, second), out));
    }
}

// Parts of the verification pipeline on their own, to see where time goes.
void decode_only(benchmark::State& state) {
    auto& f = fixture_for(jot::algorithm::hs256);
    const auto dot = f.token.find('.');
    const std::string_view payload_b64 =
        std::string_view(f.token).substr(dot + 1, f.token.rfind('.') - dot - 1);
    std::string payload;
    for (auto _ : state) {
        benchmark::DoNotOptimize(jot::base64url_decode_into(payload, payload_b64));
        auto j = nlohmann::json::parse(payload, nullptr, false);
        benchmark::DoNotOptimize(j);
    }
}

void jwks_lookup_by_kid(benchmark::State& state) {
    jot::key_set keys;
    std::string wanted;
    for (int i = 0; i < 8; ++i) {
        const auto k = jot::key::generate(jot::algorithm::es256).value();
        wanted = jot::thumbprint(k);
        keys.add(jot::algorithm::es256, k, wanted);
    }
    for (auto _ : state) benchmark::DoNotOptimize(keys.contains(wanted));
}

// The lifecycle on the memory store: a login (new family, access + refresh token) and a refresh rotation
// (parse + hash the presented token, CAS in the store, seal nothing with grace 0, sign a new access token).
std::shared_ptr<jot::token_service> service_for(jot::algorithm alg) {
    auto ring = std::make_shared<jot::key_ring>(alg, jot::key::generate(alg).value());
    return std::make_shared<jot::token_service>(
        ring, jot::token_service_options{.issuer = "https://auth.example.com",
                                         .audience = {"https://api.example.com"}});
}

// Logins spread over `subjects` subjects; with one subject every login evicts the oldest of its 100 sessions.
void lifecycle_login(benchmark::State& state, jot::algorithm alg, std::size_t subjects) {
    const auto service = service_for(alg);
    std::size_t n = 0;
    for (auto _ : state) {
        auto t = service->login("user-" + std::to_string(n++ % subjects), "web");
        if (!t) state.SkipWithError("login failed");
        benchmark::DoNotOptimize(t);
    }
}

void lifecycle_refresh(benchmark::State& state, jot::algorithm alg) {
    const auto service = service_for(alg);
    std::string refresh = service->login("alice", "web").value().refresh_token;
    for (auto _ : state) {
        auto t = service->refresh(refresh);
        if (!t) {
            state.SkipWithError("refresh failed");
            break;
        }
        refresh = std::move(t->refresh_token);
    }
}

// The breakdown of one refresh: the store's compare-and-swap alone, and the refresh token's parse + hash.
void lifecycle_store_rotate_only(benchmark::State& state) {
    jot::memory_store store;
    const auto now = std::chrono::system_clock::now();
    auto first = jot::refresh_token::generate().value();
    const jot::family_record family{.id = "f1",
                                    .subject = "alice",
                                    .client = "web",
                                    .created = now,
                                    .absolute_expiry = now + std::chrono::hours(24),
                                    .generation = 1};
    if (!store.create_family(family,
                             {.id = first.id(),
                              .family = "f1",
                              .generation = 1,
                              .hash = first.hash(),
                              .created = now,
                              .idle_expiry = now + std::chrono::hours(1)},
                             0))
        state.SkipWithError("create_family failed");
    std::vector<jot::refresh_token> next;
    for (int i = 0; i < 4096; ++i) next.push_back(jot::refresh_token::generate().value());
    std::size_t i = 0;
    jot::refresh_token current = first;
    for (auto _ : state) {
        const auto& successor = next[i++ % next.size()];
        auto out = store.rotate({.token_id = current.id(),
                                 .presented = current.hash(),
                                 .successor = {.id = successor.id(),
                                               .hash = successor.hash(),
                                               .created = now,
                                               .idle_expiry = now + std::chrono::hours(1)},
                                 .now = now});
        if (!out || out->status != jot::rotate_status::rotated) {
            state.SkipWithError("rotate failed (token reuse in the ring of successors)");
            break;
        }
        current = successor;
        if (i % next.size() == 0) {  // fresh successors, so none is presented twice
            for (auto& t : next) t = jot::refresh_token::generate().value();
        }
    }
}

void lifecycle_refresh_token_parse_hash(benchmark::State& state) {
    const std::string text = jot::refresh_token::generate().value().text();
    for (auto _ : state) {
        auto t = jot::refresh_token::parse(text);
        benchmark::DoNotOptimize(t->hash());
    }
}

void register_all() {
    for (const auto& t : jot::all_algorithms) {
        const std::string n(t.name);
        benchmark::RegisterBenchmark(("sign/" + n + "/jot").c_str(), sign_jot, t.id);
        benchmark::RegisterBenchmark(("sign/" + n + "/floor").c_str(), sign_floor, t.id);
        benchmark::RegisterBenchmark(("verify/" + n + "/jot").c_str(), verify_jot, t.id);
        benchmark::RegisterBenchmark(("verify/" + n + "/floor").c_str(), verify_floor, t.id);
        if (t.family == jot::key_family::hmac) continue;
        benchmark::RegisterBenchmark(("sign/" + n + "/floor_keyed").c_str(), keyed_floor, t.id, true);
        benchmark::RegisterBenchmark(("verify/" + n + "/floor_keyed").c_str(), keyed_floor, t.id, false);
    }
    benchmark::RegisterBenchmark("verify/HS256/jot_dom", verify_jot_dom, jot::algorithm::hs256);
    benchmark::RegisterBenchmark("verify/HS256/floor_b64", verify_hs256_floor_b64);
    benchmark::RegisterBenchmark("verify/HS256/jot_cached_hit", verify_cached, jot::algorithm::hs256);
    benchmark::RegisterBenchmark("verify/ES256/jot_cached_hit", verify_cached, jot::algorithm::es256);
    benchmark::RegisterBenchmark("decode/HS256/base64_and_json", decode_only);
    for (const auto alg : {jot::algorithm::hs256, jot::algorithm::es256, jot::algorithm::eddsa}) {
        const std::string n(jot::name(alg));
        benchmark::RegisterBenchmark(("lifecycle/login/" + n + "/memory").c_str(), lifecycle_login, alg,
                                     std::size_t{1000});
        benchmark::RegisterBenchmark(("lifecycle/refresh/" + n + "/memory").c_str(), lifecycle_refresh, alg);
    }
    benchmark::RegisterBenchmark("lifecycle/login/HS256/memory_one_subject", lifecycle_login,
                                 jot::algorithm::hs256, std::size_t{1});
    benchmark::RegisterBenchmark("lifecycle/breakdown/store_rotate/memory", lifecycle_store_rotate_only);
    benchmark::RegisterBenchmark("lifecycle/breakdown/refresh_token_parse_hash",
                                 lifecycle_refresh_token_parse_hash);
    benchmark::RegisterBenchmark("jwks/lookup_by_kid/8_keys", jwks_lookup_by_kid);
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
