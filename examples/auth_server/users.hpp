// SPDX-License-Identifier: MIT
// The auth server's users: names with Argon2id password hashes (RFC 9106), verified in similar time
// whether or not the name exists.
#pragma once

#include <argon2.h>
#include <openssl/rand.h>  // RAND_bytes

#include <algorithm>      // std::max
#include <array>          // std::array
#include <atomic>         // std::atomic
#include <charconv>       // std::from_chars
#include <cstddef>        // std::size_t
#include <cstdint>        // std::uint32_t
#include <memory>         // std::shared_ptr, std::make_shared
#include <mutex>          // std::mutex, std::lock_guard
#include <optional>       // std::optional
#include <semaphore>      // std::counting_semaphore
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <thread>         // std::thread::hardware_concurrency
#include <unordered_map>  // std::unordered_map

#include <nlohmann/json.hpp>

#include "../common/config.hpp"

namespace jot_auth {

/// Argon2id cost of the hashes this server makes. The default is the OWASP recommendation (19 MiB, 2 passes,
/// 1 lane); minimum() is the cheapest cost Argon2 accepts, for tests and fuzzers only.
struct argon2_cost {
    std::uint32_t passes = 2;
    std::uint32_t memory_kib = 19 * 1024;
    std::uint32_t lanes = 1;
    [[nodiscard]] static constexpr argon2_cost minimum() noexcept {
        return {.passes = ARGON2_MIN_TIME, .memory_kib = ARGON2_MIN_MEMORY, .lanes = 1};
    }
};

/// An Argon2id hash in the PHC string format ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") of `password`
/// with a fresh 16-byte salt. Throws config_error if hashing fails.
[[nodiscard]] inline std::string argon2id_hash(std::string_view password, const argon2_cost& cost = {}) {
    std::array<unsigned char, 16> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
        throw jot_examples::config_error("the system random generator failed");
    constexpr std::size_t hash_bytes = 32;
    std::string encoded(
        argon2_encodedlen(cost.passes, cost.memory_kib, cost.lanes, salt.size(), hash_bytes, Argon2_id),
        '\0');
    const int rc =
        argon2id_hash_encoded(cost.passes, cost.memory_kib, cost.lanes, password.data(), password.size(),
                              salt.data(), salt.size(), hash_bytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        throw jot_examples::config_error(std::string("argon2id hashing failed: ") + argon2_error_message(rc));
    encoded.resize(encoded.find('\0'));
    return encoded;
}

/// Names and their Argon2id hashes. Filled at start-up; afterwards only verify() runs (thread-safe), and
/// it may replace a weak hash in memory (the users file keeps the old one until replaced).
class user_db {
public:
    /// Hashes made by add_password, and the dummy hash that unknown names are checked against, use `cost`.
    /// At most `parallel` verifications run at once (each takes the hash's memory cost); 0 means the
    /// number of cores. Throws config_error if Argon2 refuses the cost.
    /// At most twice that many are in flight (hashing or waiting for a slot); beyond, verify() answers
    /// busy at once, so that logins never hold every work thread. With `allow_weak`, hashes of a lower
    /// cost than `cost` are accepted (and replaced at their next login); without it, add_hash refuses them.
    explicit user_db(argon2_cost cost = {}, std::size_t parallel = 0, bool allow_weak = false)
        : cost_(cost),
          parallel_(parallel ? parallel : std::max(2u, std::thread::hardware_concurrency())),
          allow_weak_(allow_weak),
          slots_(static_cast<std::ptrdiff_t>(parallel_)),
          dummy_(argon2id_hash("jot-dummy-password-for-unknown-users", cost_)) {}

    /// Adds `name` with an existing PHC-format Argon2id hash. Throws config_error for a bad name or hash.
    void add_hash(const std::string& name, const std::string& encoded) {
        check_name(name);
        if (!encoded.starts_with("$argon2id$"))
            throw jot_examples::config_error("user '" + name + "': the hash is not an Argon2id PHC string");
        const auto c = cost_of(encoded);
        if (!c) throw jot_examples::config_error("user '" + name + "': the hash has no m=,t=,p= parameters");
        if (weaker(*c) && !allow_weak_)
            throw jot_examples::config_error(
                "user '" + name + "': the hash costs m=" + std::to_string(c->memory_kib) +
                ",t=" + std::to_string(c->passes) + ",p=" + std::to_string(c->lanes) +
                ", below the server's m=" + std::to_string(cost_.memory_kib) +
                ",t=" + std::to_string(cost_.passes) +
                " (OWASP's minimum); make a new one with --hash-password, or start with --allow-weak-hashes");
        users_[name] = std::make_shared<const std::string>(encoded);
    }

    /// Adds `name` with a hash of `password` made now.
    void add_password(const std::string& name, std::string_view password) {
        check_name(name);
        if (password.empty()) throw jot_examples::config_error("user '" + name + "': empty password");
        users_[name] = std::make_shared<const std::string>(argon2id_hash(password, cost_));
    }

    /// Adds "NAME:PASSWORD" (the --user flag).
    void add_spec(const std::string& spec) {
        const auto colon = spec.find(':');
        if (colon == std::string::npos || colon == 0)
            throw jot_examples::config_error("--user expects NAME:PASSWORD");
        add_password(spec.substr(0, colon), std::string_view(spec).substr(colon + 1));
    }

    /// Adds every user of a JSON file {"name": "$argon2id$...", ...}.
    void load_file(const std::string& path, const std::string& text) {
        const auto j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_object())
            throw jot_examples::config_error("--users '" + path + "': expected a JSON object {name: hash}");
        for (const auto& [name, hash] : j.items()) {
            if (!hash.is_string())
                throw jot_examples::config_error("--users '" + path + "': the hash of '" + name +
                                                 "' is not a string");
            add_hash(name, hash.get<std::string>());
        }
    }

    enum class verdict { match, mismatch, busy };

    /// Whether `name` exists and `password` matches its hash; busy (nothing checked) when too many checks
    /// are in flight. An unknown name is checked against a dummy hash, so both failures take about as long
    /// and give the same answer. A matching hash below the server's cost is replaced by one at its cost.
    [[nodiscard]] verdict verify(std::string_view name, std::string_view password) const {
        if (name.size() > 256 || password.size() > 4096) return verdict::mismatch;
        if (in_flight_.fetch_add(1) >= 2 * parallel_) {
            in_flight_.fetch_sub(1);
            return verdict::busy;
        }
        const auto it = users_.find(std::string(name));
        std::shared_ptr<const std::string> encoded;
        if (it != users_.end()) {
            const std::lock_guard lock(rehash_m_);
            encoded = it->second;
        }
        slots_.acquire();
        const int rc =
            argon2id_verify(encoded ? encoded->c_str() : dummy_.c_str(), password.data(), password.size());
        const bool match = rc == ARGON2_OK && encoded;
        if (match && weaker(cost_of(*encoded).value_or(argon2_cost{}))) {
            try {
                auto stronger = std::make_shared<const std::string>(argon2id_hash(password, cost_));
                const std::lock_guard lock(rehash_m_);
                it->second = std::move(stronger);
            } catch (const jot_examples::config_error&) {
                // The old hash stays; the next login tries again.
            }
        }
        slots_.release();
        in_flight_.fetch_sub(1);
        return match ? verdict::match : verdict::mismatch;
    }

    [[nodiscard]] bool empty() const noexcept { return users_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return users_.size(); }

private:
    static void check_name(const std::string& name) {
        if (name.empty() || name.size() > 256)
            throw jot_examples::config_error("a user name must have 1 to 256 bytes");
        for (const unsigned char c : name)
            if (c < 0x20 || c == 0x7f)
                throw jot_examples::config_error("a user name must not contain control characters");
    }

    /// The m, t and p of a PHC string, if it has them.
    static std::optional<argon2_cost> cost_of(std::string_view encoded) {
        argon2_cost c{};
        const auto read = [&encoded](std::string_view key, std::uint32_t& out) {
            const auto at = encoded.find(key);
            if (at == std::string_view::npos) return false;
            const char* first = encoded.data() + at + key.size();
            return std::from_chars(first, encoded.data() + encoded.size(), out).ec == std::errc{};
        };
        if (!read("$m=", c.memory_kib) || !read(",t=", c.passes) || !read(",p=", c.lanes))
            return std::nullopt;
        return c;
    }
    [[nodiscard]] bool weaker(const argon2_cost& c) const noexcept {
        return c.memory_kib < cost_.memory_kib || c.passes < cost_.passes;
    }

    argon2_cost cost_;
    std::size_t parallel_;
    bool allow_weak_;
    mutable std::counting_semaphore<> slots_;
    mutable std::atomic<std::size_t> in_flight_{0};
    mutable std::mutex rehash_m_;  // guards the hash pointers of users_ (the map itself is fixed at start)
    std::string dummy_;
    // Written at start-up only; afterwards only the pointed-to hash of a user may change (rehash).
    mutable std::unordered_map<std::string, std::shared_ptr<const std::string>> users_;
};

}  // namespace jot_auth
