// SPDX-License-Identifier: MIT
// The signature operations of every JWA algorithm, on pre-parsed keys and pre-fetched implementations.
#pragma once

#include <array>        // std::array
#include <atomic>       // std::atomic
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <cstring>      // std::memcpy
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <openssl/opensslv.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "ecdsa_der.hpp"
#include "key_checks.hpp"
#include "openssl.hpp"

namespace jot::inline v0::crypto {

/// Outcome of a signature check: a bad signature is not the same as a failing library.
enum class check { valid, invalid, failure };

namespace detail {

/// A process-unique id for an object that keeps per-thread contexts.
[[nodiscard]] inline std::uint64_t next_context_owner() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
}

/// A few OpenSSL contexts kept by each thread, each found by its owner's id, the owner's object and a tag
/// within the owner. The id is what makes an entry unique: a new owner at the address of a destroyed one
/// cannot pick up its contexts. The object must match too, for owners that could share an id (two copies of
/// jot in one process, each with its own counter). An entry keeps what its context references (a key) until
/// eight newer entries of the thread have replaced it, or the thread ends.
template <class ContextPtr>
class thread_contexts {
public:
    /// The context of (owner, object, tag) in this thread, made by `make` on first use; null if making it
    /// failed (then nothing is kept, and the next call tries again).
    template <class Make>
    [[nodiscard]] static auto* find_or_make(std::uint64_t owner, const void* object, unsigned tag,
                                            Make&& make) noexcept {
        thread_local thread_contexts mine;
        for (auto& e : mine.entries_)
            if (e.owner == owner && e.object == object && e.tag == tag) return e.ctx.get();
        auto& slot = mine.entries_[mine.next_++ % mine.entries_.size()];
        slot.ctx = make();
        slot.owner = slot.ctx ? owner : 0;
        slot.object = object;
        slot.tag = tag;
        return slot.ctx.get();
    }

private:
    struct entry {
        std::uint64_t owner = 0;
        const void* object = nullptr;
        unsigned tag = 0;
        ContextPtr ctx;
    };
    std::array<entry, 8> entries_;
    std::size_t next_ = 0;
};

}  // namespace detail

// HMAC through OpenSSL's own SHA-2 routines (SHA256_Update and the like) on states that absorbed the padded
// key once, instead of EVP_MAC: re-initialising an EVP_MAC_CTX goes through the provider layer and a context
// duplication, which cost about 160 ns of the 470 ns of an HS256 MAC over a typical token. Those routines are
// deprecated in OpenSSL 3.0 (not removed); where they are gone, or with JOT_HMAC_VIA_EVP_MAC defined (for a
// FIPS provider, whose HMAC must be the validated one), EVP_MAC is used.
#if !defined(JOT_HMAC_VIA_EVP_MAC) && !defined(OPENSSL_NO_DEPRECATED_3_0) && OPENSSL_VERSION_MAJOR == 3
#define JOT_DETAIL_HMAC_SHA2_STATES 1
#endif

#ifdef JOT_DETAIL_HMAC_SHA2_STATES

namespace detail {

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

/// HMAC (RFC 2104) for one SHA-2 function: the inner and outer states after the key block, copied per MAC.
template <class State, int (*Init)(State*), int (*Update)(State*, const void*, std::size_t),
          int (*Final)(unsigned char*, State*), std::size_t Block, std::size_t Out>
class sha2_hmac {
public:
    explicit sha2_hmac(std::string_view secret) noexcept {
        unsigned char block[Block] = {};
        if (secret.size() > Block) {  // RFC 2104 §2: a key longer than the block is hashed first
            State s;
            Init(&s);
            Update(&s, secret.data(), secret.size());
            Final(block, &s);
            cleanse(&s, sizeof s);
        } else {
            std::memcpy(block, secret.data(), secret.size());
        }
        absorb(inner_, block, 0x36);
        absorb(outer_, block, 0x5c);
        cleanse(block, sizeof block);
    }
    sha2_hmac(const sha2_hmac&) = delete;
    sha2_hmac& operator=(const sha2_hmac&) = delete;
    ~sha2_hmac() {
        cleanse(&inner_, sizeof inner_);
        cleanse(&outer_, sizeof outer_);
    }

    void mac(std::string_view msg, unsigned char* out) const noexcept {
        unsigned char digest[Out];
        State s = inner_;
        Update(&s, msg.data(), msg.size());
        Final(digest, &s);
        s = outer_;
        Update(&s, digest, Out);
        Final(out, &s);
        cleanse(&s, sizeof s);
        cleanse(digest, sizeof digest);
    }

private:
    static void absorb(State& s, const unsigned char* key_block, unsigned char pad) noexcept {
        unsigned char padded[Block];
        for (std::size_t i = 0; i < Block; ++i) padded[i] = static_cast<unsigned char>(key_block[i] ^ pad);
        Init(&s);
        Update(&s, padded, Block);
        cleanse(padded, sizeof padded);
    }

    State inner_, outer_;
};

using hmac_sha256 = sha2_hmac<SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final, 64, 32>;
using hmac_sha384 = sha2_hmac<SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final, 128, 48>;
using hmac_sha512 = sha2_hmac<SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final, 128, 64>;

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

}  // namespace detail

/// An HMAC secret, keyed once for each hash. Immutable after construction; safe to use from many threads at
/// once, and the hot path neither allocates nor re-keys.
class hmac_engine {
public:
    explicit hmac_engine(std::string_view secret) : sha256_(secret), sha384_(secret), sha512_(secret) {}

    /// Always true: keying cannot fail.
    [[nodiscard]] bool ready() const noexcept { return true; }

    /// Writes the MAC of `msg` under hash `h` to `out` (size(h) bytes); false for hash::none.
    [[nodiscard]] bool mac(hash h, std::string_view msg, unsigned char* out) const noexcept {
        switch (h) {
            case hash::sha256:
                sha256_.mac(msg, out);
                return true;
            case hash::sha384:
                sha384_.mac(msg, out);
                return true;
            case hash::sha512:
                sha512_.mac(msg, out);
                return true;
            case hash::none:
                break;
        }
        return false;
    }

private:
    detail::hmac_sha256 sha256_;
    detail::hmac_sha384 sha384_;
    detail::hmac_sha512 sha512_;
};

#else

/// An HMAC secret with one keyed context per hash. Each thread keeps its own copy of the keyed contexts it
/// uses (a small per-thread cache), re-initialised with the same key for every MAC, so the hot path neither
/// allocates nor re-keys. Immutable after construction; safe to use from many threads at once.
class hmac_engine {
public:
    explicit hmac_engine(std::string_view secret) : id_(detail::next_context_owner()) {
        for (hash h : {hash::sha256, hash::sha384, hash::sha512}) {
            mac_ctx_ptr ctx(EVP_MAC_CTX_new(hmac_algorithm()));
            const char* md = EVP_MD_get0_name(message_digest(h));
            OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(md), 0),
                OSSL_PARAM_construct_end()};
            if (ctx && EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                                    secret.size(), params) == 1)
                keyed_[index(h)] = std::move(ctx);
        }
        clear_errors();
    }

    /// True when the keyed contexts could all be made.
    [[nodiscard]] bool ready() const noexcept { return keyed_[0] && keyed_[1] && keyed_[2]; }

    /// Writes the MAC of `msg` under hash `h` to `out` (size(h) bytes); false on library failure.
    [[nodiscard]] bool mac(hash h, std::string_view msg, unsigned char* out) const noexcept {
        EVP_MAC_CTX* ctx = detail::thread_contexts<mac_ctx_ptr>::find_or_make(
            id_, this, static_cast<unsigned>(index(h)),
            [&] { return mac_ctx_ptr(EVP_MAC_CTX_dup(keyed_[index(h)].get())); });
        std::size_t len = 0;
        const bool ok =
            ctx && EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
            EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1 &&
            EVP_MAC_final(ctx, out, &len, size(h)) == 1 && len == size(h);
        if (!ok) clear_errors();
        return ok;
    }

private:
    static std::size_t index(hash h) noexcept { return h == hash::sha256 ? 0 : h == hash::sha384 ? 1 : 2; }

    std::uint64_t id_;
    std::array<mac_ctx_ptr, 3> keyed_;
};

#endif

namespace detail {

inline bool init_digest_op(EVP_MD_CTX* ctx, EVP_PKEY* key, const algorithm_traits& alg, bool signing) {
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* md = alg.digest == hash::none ? nullptr : message_digest(alg.digest);
    const int ok = signing ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, key)
                           : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key);
    if (ok != 1) return false;
    if (alg.pss) {
        // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    }
    return true;
}

}  // namespace detail

namespace detail {

/// Runs `use` on this thread's digest-sign or digest-verify context for `alg` with `key`, copied from a keyed
/// template the thread initialised on first use: the copy costs a fraction of EVP_DigestSignInit or
/// EVP_DigestVerifyInit (3-4 µs for RSA, about 15% of an RS256 verification). False if the context could not
/// be made, else what `use` returns. The copy is reset when `use` ends; the template stays cached (see
/// thread_contexts).
template <class Use>
[[nodiscard]] bool with_keyed_context(EVP_PKEY* key, std::uint64_t key_id, const algorithm_traits& alg,
                                      bool signing, Use&& use) {
    // The template holds a reference to `key`, so no other key can be at that address while it is cached.
    EVP_MD_CTX* keyed = thread_contexts<md_ctx_ptr>::find_or_make(
        key_id, key, static_cast<unsigned>(alg.id) * 2 + (signing ? 1 : 0), [&] {
            md_ctx_ptr ctx(EVP_MD_CTX_new());
            return ctx && init_digest_op(ctx.get(), key, alg, signing) ? std::move(ctx) : md_ctx_ptr{};
        });
    thread_local md_ctx_ptr scratch;
    if (!scratch) scratch.reset(EVP_MD_CTX_new());
    if (!keyed || !scratch || EVP_MD_CTX_copy_ex(scratch.get(), keyed) != 1) return false;
    EVP_MD_CTX_set_flags(scratch.get(), EVP_MD_CTX_FLAG_FINALISE);  // final on this copy, not on another
    const bool ok = use(scratch.get());
    EVP_MD_CTX_reset(scratch.get());
    return ok;
}

}  // namespace detail

/// Signs `input` with an asymmetric key (`key_id`: its process-unique context owner id); writes the JWS
/// signature (R || S for ECDSA) to `sig`.
[[nodiscard]] inline bool sign(EVP_PKEY* key, std::uint64_t key_id, const algorithm_traits& alg,
                               std::string_view input, std::string& sig) {
    sig.resize(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
    std::size_t len = sig.size();
    bool ok = detail::with_keyed_context(key, key_id, alg, true, [&](EVP_MD_CTX* ctx) {
        return EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                              reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    });
    sig.resize(ok ? len : 0);
    if (ok && alg.family == key_family::ec) {
        std::string raw;
        ok = ecdsa_der_to_raw(sig, alg.signature_size / 2, raw);
        sig = std::move(raw);
    }
    if (!ok) clear_errors();
    return ok;
}

/// Checks a JWS signature over `input` with an asymmetric key (`key_id` as for sign). The caller has checked
/// the signature length.
[[nodiscard]] inline check verify(EVP_PKEY* key, std::uint64_t key_id, const algorithm_traits& alg,
                                  std::string_view input, std::string_view sig) {
    std::string der;
    if (alg.family == key_family::ec) {
        const std::size_t half = sig.size() / 2;
        // CVE-2022-21449: r = 0 or s = 0 must never verify, whatever the library does.
        const auto all_zero = [](std::string_view v) {
            return v.find_first_not_of('\0') == std::string_view::npos;
        };
        if (all_zero(sig.substr(0, half)) || all_zero(sig.substr(half))) return check::invalid;
        der = ecdsa_raw_to_der(sig);
        sig = der;
    } else if (alg.family == key_family::okp && sig.size() == 64) {
        // RFC 8032 §5.1.7 rejects S >= L. OpenSSL also accepts an R of small order (the identity, with
        // S = a * k), which no honest signer makes (R = [r]B); jot refuses it, as libsodium does.
        if (ed25519_small_order(sig.substr(0, 32)) || !ed25519_canonical_s(sig.substr(32)))
            return check::invalid;
    }
    int verified = 0;
    const bool ran = detail::with_keyed_context(key, key_id, alg, false, [&](EVP_MD_CTX* ctx) {
        verified = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                    reinterpret_cast<const unsigned char*>(input.data()), input.size());
        return true;
    });
    if (!ran || verified != 1) clear_errors();
    if (!ran) return check::failure;
    return verified == 1 ? check::valid
                         : check::invalid;  // a malformed signature is invalid, not a failing library
}

/// Writes the SHA-256 of `data` to `out`; false if the library failed (then `out` is zeroed). Thread-safe.
[[nodiscard]] inline bool sha256(std::string_view data, std::array<unsigned char, 32>& out) noexcept {
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, message_digest(hash::sha256), nullptr) == 1 &&
        len == out.size())
        return true;
    out.fill(0);
    clear_errors();
    return false;
}

}  // namespace jot::inline v0::crypto
