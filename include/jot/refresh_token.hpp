// SPDX-License-Identifier: MIT
// Opaque refresh tokens: the "<id>.<secret>" format, the SHA-256 that stores keep, and sealed successors.
#pragma once

#include <array>        // std::array
#include <cstddef>      // std::byte, std::size_t
#include <cstring>      // std::memcpy
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "base64url.hpp"
#include "crypto/openssl.hpp"
#include "crypto/seal.hpp"
#include "crypto/signature.hpp"
#include "error.hpp"

namespace jot::inline v0 {

/// SHA-256 of a refresh token's secret: all that a store keeps of the secret.
using secret_hash = std::array<unsigned char, 32>;

/// Random bytes in a refresh token's id (not secret: it names the record).
inline constexpr std::size_t refresh_token_id_bytes = 16;
/// Random bytes in a refresh token's secret (256 bits).
inline constexpr std::size_t refresh_token_secret_bytes = 32;
/// Length of every refresh token's text: 22 base64url characters, a dot, 43 base64url characters.
inline constexpr std::size_t refresh_token_size =
    base64url_encoded_size(refresh_token_id_bytes) + 1 + base64url_encoded_size(refresh_token_secret_bytes);

/// An opaque refresh token `<id>.<secret>`, both parts unpadded base64url of random bytes. The id names the
/// store record; the secret proves possession and is stored only as its SHA-256. Holds the secret, which is
/// wiped on destruction: never log text() or secret(). Immutable; safe to share between threads.
class refresh_token {
public:
    /// A new token from the system's secure random generator. Fails with crypto_failure.
    [[nodiscard]] static result<refresh_token> generate() {
        refresh_token t;
        // One call to the generator: each costs a getpid() and parameter lookups in OpenSSL.
        std::array<std::byte, refresh_token_id_bytes + sizeof t.secret_> bytes{};
        if (!crypto::random_bytes(bytes)) return errc::crypto_failure;
        const auto id = std::span(bytes).first<refresh_token_id_bytes>();
        std::memcpy(t.secret_.data(), bytes.data() + id.size(), sizeof t.secret_);
        crypto::cleanse(bytes.data() + id.size(), sizeof t.secret_);
        t.id_ = base64url_encode(id);
        if (!t.compute_hash()) return errc::crypto_failure;
        return t;
    }

    /// Reads a token's text. Fails with refresh_token_malformed unless `text` is exactly a 22-character id,
    /// a dot and a 43-character secret, both canonical base64url; nothing else is inspected or allocated.
    [[nodiscard]] static result<refresh_token> parse(std::string_view text) {
        constexpr std::size_t id_chars = base64url_encoded_size(refresh_token_id_bytes);
        if (text.size() != refresh_token_size || text[id_chars] != '.') return errc::refresh_token_malformed;
        refresh_token t;
        std::array<char, refresh_token_id_bytes + 1> id{};  // +1: the decoder's last four-byte store
        if (!detail::base64url_decode_raw(text.substr(0, id_chars), id.data()))
            return errc::refresh_token_malformed;
        std::array<char, refresh_token_secret_bytes + 1> secret{};
        const bool decoded = detail::base64url_decode_raw(text.substr(id_chars + 1), secret.data());
        std::memcpy(t.secret_.data(), secret.data(), t.secret_.size());
        crypto::cleanse(secret.data(), secret.size());
        if (!decoded) return errc::refresh_token_malformed;
        t.id_.assign(text.substr(0, id_chars));
        if (!t.compute_hash()) return errc::crypto_failure;
        return t;
    }

    refresh_token(const refresh_token&) = default;
    refresh_token& operator=(const refresh_token&) = default;
    ~refresh_token() { crypto::cleanse(secret_.data(), secret_.size()); }

    /// The id: 22 base64url characters, safe to log and to use as a store key.
    [[nodiscard]] const std::string& id() const noexcept { return id_; }
    /// The token as given to the client. Secret.
    [[nodiscard]] std::string text() const {
        std::string out = id_;
        out += '.';
        base64url_encode_append(
            out, std::string_view(reinterpret_cast<const char*>(secret_.data()), secret_.size()));
        return out;
    }
    /// The raw secret bytes. Secret.
    [[nodiscard]] std::span<const unsigned char, refresh_token_secret_bytes> secret() const noexcept {
        return secret_;
    }
    /// SHA-256 of the secret, the only form in which a store keeps it (computed once, when the token is
    /// made).
    [[nodiscard]] const secret_hash& hash() const noexcept { return hash_; }

private:
    refresh_token() = default;
    bool compute_hash() noexcept {
        return crypto::sha256(std::string_view(reinterpret_cast<const char*>(secret_.data()), secret_.size()),
                              hash_);
    }
    std::string id_;
    std::array<unsigned char, refresh_token_secret_bytes> secret_{};
    secret_hash hash_{};
};

/// Compares two secret hashes in constant time (the time does not depend on where they differ).
[[nodiscard]] inline bool hash_equal(const secret_hash& a, const secret_hash& b) noexcept {
    return crypto::constant_time_equal(std::as_bytes(std::span(a)), std::as_bytes(std::span(b)));
}

/// A random identifier of 128 bits as 22 base64url characters, for family ids and jti. Fails with
/// crypto_failure.
[[nodiscard]] inline result<std::string> random_id() {
    std::array<std::byte, 16> bytes{};
    if (!crypto::random_bytes(bytes)) return errc::crypto_failure;
    return base64url_encode(bytes);
}

namespace detail {
[[nodiscard]] inline bool successor_key(const refresh_token& predecessor, crypto::key256& k) noexcept {
    const auto s = predecessor.secret();
    // RFC 5869: the predecessor's secret is the input keying material; its id binds the key to this record.
    return crypto::hkdf_sha256(std::string_view(reinterpret_cast<const char*>(s.data()), s.size()),
                               "jot refresh grace v1", predecessor.id(), k);
}
}  // namespace detail

/// Encrypts `successor` under a key derived from `predecessor`'s secret (HKDF-SHA256, then AES-256-GCM
/// bound to the predecessor's id). A store keeps the result on the predecessor's record for the grace
/// window; without the predecessor's secret, which it never sees, it cannot read it. Fails with
/// crypto_failure.
[[nodiscard]] inline result<std::string> seal_successor(const refresh_token& predecessor,
                                                        const refresh_token& successor) {
    crypto::key256 k{};
    std::string plain = successor.text();
    std::string sealed;
    const bool ok = detail::successor_key(predecessor, k) && crypto::seal(k, predecessor.id(), plain, sealed);
    crypto::cleanse(k.data(), k.size());
    crypto::cleanse(plain.data(), plain.size());
    if (!ok) return errc::crypto_failure;
    return sealed;
}

/// Recovers the successor sealed by seal_successor(). Fails with store_corrupt if `sealed` does not open
/// under `predecessor` (altered, or sealed for another token), or crypto_failure.
[[nodiscard]] inline result<refresh_token> open_successor(const refresh_token& predecessor,
                                                          std::string_view sealed) {
    crypto::key256 k{};
    if (!detail::successor_key(predecessor, k)) return errc::crypto_failure;
    std::string plain;
    const bool ok = crypto::open(k, predecessor.id(), sealed, plain);
    crypto::cleanse(k.data(), k.size());
    if (!ok) return errc::store_corrupt;
    auto t = refresh_token::parse(plain);
    crypto::cleanse(plain.data(), plain.size());
    if (!t) return errc::store_corrupt;
    return t;
}

}  // namespace jot::inline v0
