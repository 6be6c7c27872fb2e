// SPDX-License-Identifier: MIT
// Keys that know which algorithms they may serve: loaded once, immutable, cheap to copy, thread-safe.
#pragma once

#include <cstddef>      // std::byte, std::size_t
#include <memory>       // std::shared_ptr
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "algorithm.hpp"
#include "crypto/key_checks.hpp"
#include "crypto/key_material.hpp"
#include "crypto/pkey.hpp"
#include "crypto/signature.hpp"
#include "error.hpp"

namespace jot::inline v0 {

/// What a key is about to be used for.
enum class key_use { sign, verify };

class key;

namespace detail {
/// Wraps a parsed OpenSSL key (for jot's own loaders); fails for unsupported types and for the keys that
/// crypto::check_public refuses (weak RSA exponents, ROCA moduli, small-order or off-curve points).
[[nodiscard]] result<key> key_from_pkey(crypto::pkey_ptr pkey);
}  // namespace detail

/// A parsed key of any family: an HMAC secret, or an RSA, EC or Ed25519 public or private key.
/// Copies share the parsed key. All members are const and thread-safe.
class key {
public:
    /// An HMAC key. Fails with key_too_weak below 32 bytes (RFC 7518 §3.2: at least the hash size).
    [[nodiscard]] static result<key> hmac(std::string_view secret) {
        if (secret.size() < 32) return errc::key_too_weak;
        auto impl = std::make_shared<crypto::key_material>();
        impl->family = key_family::hmac;
        impl->bits = secret.size() * 8;
        impl->has_private = true;
        impl->secret.assign(secret);
        impl->hmac = std::make_unique<crypto::hmac_engine>(secret);
        if (!impl->hmac->ready()) return errc::crypto_failure;
        return key(std::move(impl));
    }
    [[nodiscard]] static result<key> hmac(std::span<const std::byte> secret) {
        return hmac(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
    }

    /// A key from PEM: PKCS#8, PKCS#1 or SEC1 private keys, SubjectPublicKeyInfo or PKCS#1 public keys,
    /// or an X.509 certificate's public key. Fails with key_invalid, key_too_weak (RSA below 2048 bits),
    /// key_rsa_exponent_invalid (e even, below 3 or over 32 bits), key_rsa_roca (CVE-2017-15361),
    /// key_ed25519_small_order or key_ed25519_non_canonical. Every loader (DER, JWK, JWKS) checks the same.
    [[nodiscard]] static result<key> from_pem(std::string_view pem) {
        return detail::key_from_pkey(crypto::pkey_from_pem(pem));
    }

    /// A key from DER bytes, of the same structures as from_pem.
    [[nodiscard]] static result<key> from_der(std::span<const std::byte> der) {
        return detail::key_from_pkey(
            crypto::pkey_from_der(std::string_view(reinterpret_cast<const char*>(der.data()), der.size())));
    }

    /// A new private key suited to `alg` (RSA keys of `rsa_bits`, HMAC secrets of twice the hash size).
    [[nodiscard]] static result<key> generate(algorithm alg, std::size_t rsa_bits = 2048) {
        const auto& t = traits(alg);
        if (t.family == key_family::hmac) {
            std::string secret(2 * size(t.digest), '\0');
            if (!crypto::random_bytes(std::as_writable_bytes(std::span(secret)))) return errc::crypto_failure;
            auto k = hmac(secret);
            crypto::cleanse(secret.data(), secret.size());
            return k;
        }
        if (t.family == key_family::rsa && rsa_bits < 2048) return errc::key_too_weak;
        return detail::key_from_pkey(crypto::generate(t.family, t.required_curve, rsa_bits));
    }

    [[nodiscard]] key_family family() const noexcept { return impl_->family; }
    [[nodiscard]] curve named_curve() const noexcept { return impl_->named_curve; }
    [[nodiscard]] std::size_t bits() const noexcept { return impl_->bits; }
    /// True for HMAC keys and asymmetric keys that hold the private part.
    [[nodiscard]] bool is_private() const noexcept { return impl_->has_private; }
    [[nodiscard]] bool is_symmetric() const noexcept { return impl_->family == key_family::hmac; }

    /// Whether this key may serve `alg` for `use`: right family and curve, strong enough, private to sign.
    [[nodiscard]] result<void> fits(algorithm alg, key_use use) const noexcept {
        const auto& t = traits(alg);
        if (t.family != family()) return errc::key_algorithm_mismatch;
        if (t.required_curve != curve::none && t.required_curve != named_curve())
            return errc::key_algorithm_mismatch;
        if (t.family == key_family::hmac && impl_->secret.size() < t.min_key_bytes) return errc::key_too_weak;
        if (use == key_use::sign && !is_private()) return errc::key_not_private;
        return {};
    }

    /// The public part (an HMAC key returns itself: it has no public part).
    [[nodiscard]] key public_key() const {
        if (is_symmetric() || !is_private()) return *this;
        auto k = detail::key_from_pkey(crypto::public_part(impl_->pkey.get()));
        if (!k) throw setup_error("jot: cannot extract the public part of a key");
        return *std::move(k);
    }

    /// PEM text: PKCS#8 for a private key, SubjectPublicKeyInfo for a public one. Empty for HMAC keys.
    [[nodiscard]] std::string to_pem() const {
        return is_symmetric() ? std::string{} : crypto::to_pem(impl_->pkey.get(), is_private());
    }

    /// The parsed material, for jot's own JWK and signature code.
    [[nodiscard]] const crypto::key_material& impl() const noexcept { return *impl_; }

private:
    friend result<key> detail::key_from_pkey(crypto::pkey_ptr pkey);
    explicit key(std::shared_ptr<const crypto::key_material> impl) noexcept : impl_(std::move(impl)) {}
    std::shared_ptr<const crypto::key_material> impl_;
};

inline result<key> detail::key_from_pkey(crypto::pkey_ptr pkey) {
    if (!pkey) return errc::key_invalid;
    const auto info = crypto::inspect(pkey.get());
    if (!info) return errc::key_invalid;
    if (info->family == key_family::rsa && info->bits < 2048) return errc::key_too_weak;
    if (auto checked = crypto::check_public(pkey.get(), info->family); !checked) return checked.error();
    auto impl = std::make_shared<crypto::key_material>();
    impl->family = info->family;
    impl->named_curve = info->named_curve;
    impl->bits = info->bits;
    impl->has_private = info->has_private;
    impl->pkey = crypto::shared_pkey(std::move(pkey));
    return key(std::move(impl));
}

/// A key known at compile time to belong to family F, so that, e.g., an HMAC key cannot reach RS256.
template <key_family F>
class typed_key {
public:
    static constexpr key_family family = F;

    /// Accepts `k` if it is of family F, else key_algorithm_mismatch.
    [[nodiscard]] static result<typed_key> from(key k) {
        if (k.family() != F) return errc::key_algorithm_mismatch;
        return typed_key(std::move(k));
    }
    [[nodiscard]] static result<typed_key> from(result<key> k) {
        if (!k) return k.error();
        return from(*std::move(k));
    }
    /// An HMAC key from its secret bytes (at least 32).
    [[nodiscard]] static result<typed_key> from_secret(std::string_view secret) requires(F ==
                                                                                         key_family::hmac) {
        return from(key::hmac(secret));
    }
    [[nodiscard]] static result<typed_key> from_pem(std::string_view pem) requires(F != key_family::hmac) {
        return from(key::from_pem(pem));
    }
    [[nodiscard]] static result<typed_key> from_der(std::span<const std::byte> der) requires(
        F != key_family::hmac) {
        return from(key::from_der(der));
    }

    [[nodiscard]] const key& untyped() const noexcept { return k_; }
    operator const key&() const noexcept { return k_; }  // NOLINT(google-explicit-constructor)
    [[nodiscard]] typed_key public_key() const { return typed_key(k_.public_key()); }

private:
    explicit typed_key(key k) noexcept : k_(std::move(k)) {}
    key k_;
};

using hmac_key = typed_key<key_family::hmac>;
using rsa_key = typed_key<key_family::rsa>;
using ec_key = typed_key<key_family::ec>;
using ed25519_key = typed_key<key_family::okp>;

/// The key type an algorithm tag accepts: key_for<jot::rs256> is rsa_key.
template <class Alg>
using key_for = typed_key<Alg::traits.family>;

}  // namespace jot::inline v0
