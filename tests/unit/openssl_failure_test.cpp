// SPDX-License-Identifier: MIT
// Every OpenSSL call jot makes can fail here: this binary interposes those functions (jot is header-only,
// so its calls resolve to the definitions below first) and makes the k-th call of one of them fail. Each
// operation must then return an error: never a crash, never "valid", never a key or token built on a
// failed step.
#include <jot/jot.hpp>

#include "../support/test.hpp"

#include <dlfcn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <jot/refresh_token.hpp>

namespace {

std::atomic<const char*> fail_name{nullptr};
std::atomic<int> fail_countdown{0};
std::atomic<bool> fail_reached{false};

bool should_fail(const char* name) {
    const char* target = fail_name.load();
    if (!target || std::string_view(target) != name) return false;
    if (fail_countdown.fetch_sub(1) != 1) return false;
    fail_reached = true;
    return true;
}

template <class F>
F real(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

#define JOT_INTERPOSE(ret, name, params, args, failure)      \
    extern "C" ret name params {                             \
        if (should_fail(#name)) return failure;              \
        static const auto next = real<ret(*) params>(#name); \
        return next args;                                    \
    }

JOT_INTERPOSE(int, EVP_DigestSignInit,
              (EVP_MD_CTX * c, EVP_PKEY_CTX** p, const EVP_MD* m, ENGINE* e, EVP_PKEY* k), (c, p, m, e, k), 0)
JOT_INTERPOSE(int, EVP_DigestVerifyInit,
              (EVP_MD_CTX * c, EVP_PKEY_CTX** p, const EVP_MD* m, ENGINE* e, EVP_PKEY* k), (c, p, m, e, k), 0)
JOT_INTERPOSE(int, EVP_DigestSign,
              (EVP_MD_CTX * c, unsigned char* s, size_t* n, const unsigned char* d, size_t l),
              (c, s, n, d, l), 0)
JOT_INTERPOSE(int, EVP_DigestVerify,
              (EVP_MD_CTX * c, const unsigned char* s, size_t n, const unsigned char* d, size_t l),
              (c, s, n, d, l), -1)
JOT_INTERPOSE(EVP_MD_CTX*, EVP_MD_CTX_new, (void), (), nullptr)
JOT_INTERPOSE(int, EVP_MD_CTX_copy_ex, (EVP_MD_CTX * o, const EVP_MD_CTX* i), (o, i), 0)
JOT_INTERPOSE(int, EVP_PKEY_CTX_set_rsa_padding, (EVP_PKEY_CTX * c, int p), (c, p), 0)
JOT_INTERPOSE(EVP_MAC_CTX*, EVP_MAC_CTX_dup, (const EVP_MAC_CTX* c), (c), nullptr)
JOT_INTERPOSE(int, EVP_MAC_init, (EVP_MAC_CTX * c, const unsigned char* k, size_t n, const OSSL_PARAM p[]),
              (c, k, n, p), 0)
JOT_INTERPOSE(int, EVP_MAC_update, (EVP_MAC_CTX * c, const unsigned char* d, size_t n), (c, d, n), 0)
JOT_INTERPOSE(int, EVP_MAC_final, (EVP_MAC_CTX * c, unsigned char* o, size_t* n, size_t s), (c, o, n, s), 0)
JOT_INTERPOSE(int, EVP_Digest,
              (const void* d, size_t n, unsigned char* o, unsigned int* s, const EVP_MD* m, ENGINE* e),
              (d, n, o, s, m, e), 0)
JOT_INTERPOSE(int, RAND_bytes, (unsigned char* b, int n), (b, n), 0)
JOT_INTERPOSE(int, OSSL_DECODER_from_data, (OSSL_DECODER_CTX * c, const unsigned char** d, size_t* n),
              (c, d, n), 0)
JOT_INTERPOSE(int, EVP_PKEY_fromdata, (EVP_PKEY_CTX * c, EVP_PKEY** k, int s, OSSL_PARAM* p), (c, k, s, p), 0)
JOT_INTERPOSE(int, EVP_PKEY_public_check, (EVP_PKEY_CTX * c), (c), 0)
JOT_INTERPOSE(int, EVP_PKEY_get_bn_param, (const EVP_PKEY* k, const char* n, BIGNUM** b), (k, n, b), 0)
JOT_INTERPOSE(int, EVP_PKEY_todata, (const EVP_PKEY* k, int s, OSSL_PARAM** p), (k, s, p), 0)
JOT_INTERPOSE(int, EVP_KDF_derive, (EVP_KDF_CTX * c, unsigned char* k, size_t n, const OSSL_PARAM p[]),
              (c, k, n, p), 0)
JOT_INTERPOSE(int, EVP_EncryptFinal_ex, (EVP_CIPHER_CTX * c, unsigned char* o, int* n), (c, o, n), 0)
JOT_INTERPOSE(int, EVP_DecryptFinal_ex, (EVP_CIPHER_CTX * c, unsigned char* o, int* n), (c, o, n), 0)

namespace {

const char* const interposed[] = {
    "EVP_DigestSignInit",     "EVP_DigestVerifyInit", "EVP_DigestSign",
    "EVP_DigestVerify",       "EVP_MD_CTX_new",       "EVP_PKEY_CTX_set_rsa_padding",
    "EVP_MAC_CTX_dup",        "EVP_MAC_init",         "EVP_MAC_update",
    "EVP_MAC_final",          "EVP_Digest",           "RAND_bytes",
    "OSSL_DECODER_from_data", "EVP_PKEY_fromdata",    "EVP_PKEY_public_check",
    "EVP_PKEY_get_bn_param",  "EVP_PKEY_todata",      "EVP_KDF_derive",
    "EVP_EncryptFinal_ex",    "EVP_DecryptFinal_ex",  "EVP_MD_CTX_copy_ex"};

// Runs `op` once per (function, k) with the k-th call of that function failing, until k passes every call
// the operation makes. `op` returns true when it succeeded; success after a reached failure is a defect.
void sweep(const char* what, const std::function<bool()>& op) {
    for (const char* name : interposed) {
        for (int k = 1; k <= 12; ++k) {
            fail_reached = false;
            fail_countdown = k;
            fail_name = name;
            const bool ok = op();
            fail_name = nullptr;
            if (!fail_reached) break;  // the operation makes fewer than k calls of this function
            INFO(std::string(what), ": call ", k, " of ", std::string(name),
                 " failed, yet the operation succeeded");
            CHECK_FALSE(ok);
        }
    }
}

}  // namespace

TEST_CASE("openssl failures make verification fail, never pass, for every algorithm") {
    for (const auto& t : jot::all_algorithms) {
        const auto k = jot::key::generate(t.id).value();
        const auto token = jot::sign_jws_with(k, t.id, "payload").value();
        const auto pub = k.public_key();
        // The HMAC hot path keeps per-thread contexts; start from a cold cache so every call is reachable.
        sweep(t.name.data(), [&] { return bool(jot::verify_jws_with(pub, t.id, token, {})); });
        CHECK(jot::verify_jws_with(pub, t.id, token, {}));  // and it works again afterwards
    }
}

TEST_CASE("openssl failures make signing fail with an error, never a wrong token") {
    for (const auto& t : jot::all_algorithms) {
        const auto k = jot::key::generate(t.id).value();
        sweep(t.name.data(), [&] {
            const auto token = jot::sign_jws_with(k, t.id, "payload");
            // A token that comes back must verify: a failed step must not leave a bad signature behind.
            return token && jot::verify_jws_with(k, t.id, *token, {});
        });
    }
}

TEST_CASE("openssl failures make key loading and generation fail cleanly") {
    const auto ec = jot::key::generate(jot::algorithm::es256).value();
    const std::string pem = ec.to_pem();
    const auto jwk = jot::to_jwk(ec, "k", jot::algorithm::es256, true);
    const auto rsa_jwk =
        jot::to_jwk(jot::key::generate(jot::algorithm::rs256).value(), "r", std::nullopt, true);
    sweep("from_pem", [&] { return bool(jot::key::from_pem(pem)); });
    sweep("parse_jwk EC", [&] { return bool(jot::parse_jwk(jwk)); });
    sweep("parse_jwk RSA", [&] { return bool(jot::parse_jwk(rsa_jwk)); });
    sweep("generate HS256", [&] { return bool(jot::key::generate(jot::algorithm::hs256)); });
    const std::string expected = jot::thumbprint(ec);
    sweep("thumbprint", [&] {
        try {
            return jot::thumbprint(ec) == expected;  // a failed digest throws; it never yields another value
        } catch (const jot::setup_error&) {
            return false;
        }
    });
}

TEST_CASE("openssl failures make refresh tokens fail to generate, hash or seal, never collide") {
    sweep("refresh_token::generate", [&] {
        const auto a = jot::refresh_token::generate();
        const auto b = jot::refresh_token::generate();
        return a && b && a->hash() != b->hash();
    });
    const auto predecessor = jot::refresh_token::generate().value();
    const auto successor = jot::refresh_token::generate().value();
    sweep("seal/open successor", [&] {
        const auto sealed = jot::seal_successor(predecessor, successor);
        if (!sealed) return false;
        const auto opened = jot::open_successor(predecessor, *sealed);
        return opened && opened->text() == successor.text();
    });
}
