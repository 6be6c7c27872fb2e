// SPDX-License-Identifier: MIT
// The public key of a DPoP proof's header: read once per distinct jwk text, with every check that does not
// depend on the proof's alg, and kept in a bounded cache.
#pragma once

#include <cstddef>        // std::size_t
#include <deque>          // std::deque
#include <functional>     // std::equal_to, std::hash
#include <memory>         // std::shared_ptr, std::make_shared
#include <mutex>          // std::unique_lock
#include <shared_mutex>   // std::shared_mutex, std::shared_lock
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "../jwk.hpp"
#include "../key.hpp"
#include "ascii.hpp"
#include "json.hpp"
#include "json_scan.hpp"

namespace jot::inline v0::detail {

/// A proof key that passed the checks, with its RFC 7638 thumbprint.
struct dpop_key {
    jwk parsed;
    std::string thumbprint;
};

/// Reads the header's jwk (RFC 9449 §4.3 steps 6-7): an object, not oct, without private members, with no
/// "alg" of none, through every check of parse_jwk, and an RSA key of at most `max_rsa_bits`. Whether it
/// fits the proof's alg is the caller's check: the same jwk text may come with any alg.
[[nodiscard]] inline result<dpop_key> read_dpop_key(const json_value_view& jwk_value,
                                                    std::size_t max_rsa_bits, std::size_t max_json_depth) {
    if (jwk_value.raw.empty()) return errc::dpop_jwk_missing;
    if (jwk_value.type != json_value_view::kind::object) return errc::dpop_jwk_invalid;
    nlohmann::json j;
    if (!parse_strict_json(jwk_value.raw, j, max_json_depth)) return errc::dpop_jwk_invalid;
    if (const auto kty = j.find("kty"); kty != j.end() && kty->is_string() && *kty == "oct")
        return errc::dpop_jwk_symmetric;
    // RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2: the private members of EC, RSA and OKP keys.
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
        if (j.contains(member)) return errc::dpop_jwk_private;
    if (const auto a = j.find("alg");
        a != j.end() && a->is_string() && iequals(a->get_ref<const std::string&>(), "none"))
        return errc::algorithm_none;
    auto parsed = parse_jwk(j);
    if (!parsed) return parsed.error();
    if (parsed->k.family() == key_family::rsa && parsed->k.bits() > max_rsa_bits)
        return errc::dpop_jwk_too_large;
    auto thumbprint = try_thumbprint(parsed->k);
    if (!thumbprint) return thumbprint.error();
    return dpop_key{*std::move(parsed), *std::move(thumbprint)};
}

/// Proof keys by the exact text of their jwk. A client signs many proofs with one key, and reading a key
/// (its public checks above all) costs more than verifying a signature with it. Holds at most `capacity`
/// keys, dropping the oldest first; capacity 0 holds none. Thread-safe.
class dpop_key_cache {
public:
    explicit dpop_key_cache(std::size_t capacity) : capacity_(capacity) {}

    /// The key for this jwk text, read now or earlier; the errors of read_dpop_key (never cached).
    [[nodiscard]] result<std::shared_ptr<const dpop_key>> get(const json_value_view& jwk_value,
                                                              std::size_t max_rsa_bits,
                                                              std::size_t max_json_depth) {
        if (capacity_ > 0) {
            const std::shared_lock lock(mutex_);
            if (const auto it = keys_.find(jwk_value.raw); it != keys_.end()) return it->second;
        }
        auto read = read_dpop_key(jwk_value, max_rsa_bits, max_json_depth);
        if (!read) return read.error();
        auto k = std::make_shared<const dpop_key>(*std::move(read));
        if (capacity_ == 0) return k;
        const std::unique_lock lock(mutex_);
        const auto [it, inserted] = keys_.emplace(std::string(jwk_value.raw), k);
        if (!inserted) return it->second;  // another thread read it first
        order_.push_back(it->first);       // map nodes never move
        if (keys_.size() > capacity_) {
            keys_.erase(keys_.find(order_.front()));
            order_.pop_front();
        }
        return k;
    }

private:
    struct text_hash {
        using is_transparent = void;
        [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::size_t capacity_;
    std::shared_mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const dpop_key>, text_hash, std::equal_to<>> keys_;
    std::deque<std::string_view> order_;  // views of the keys of keys_, oldest first
};

}  // namespace jot::inline v0::detail
