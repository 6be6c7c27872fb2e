// SPDX-License-Identifier: MIT
// Verified access tokens remembered until they expire, so that a client's next request skips the signature.
#pragma once

#include <array>          // std::array
#include <cstddef>        // std::size_t
#include <cstdint>        // std::uint64_t
#include <functional>     // std::hash
#include <mutex>          // std::mutex, std::lock_guard
#include <optional>       // std::optional
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map

#include "../common/revocation.hpp"

namespace jot_resource {

/// A bounded map from the exact bytes of a verified token to its facts. An entry is used only while the
/// key set it was verified under is current and until the token's expiry (plus leeway); revocation is
/// still checked on every request. Only tokens that passed verification enter, so the map cannot be filled
/// with forgeries. Thread-safe: 16 shards, each behind its own mutex.
class token_cache {
public:
    explicit token_cache(std::size_t capacity)
        : per_shard_(capacity / shards + (capacity % shards ? 1 : 0)) {}

    [[nodiscard]] bool enabled() const noexcept { return per_shard_ > 0; }

    /// The facts of `token` if it was verified under key-set `generation` and `now` is before `valid_until`.
    [[nodiscard]] std::optional<jot_examples::access_facts> find(std::string_view token,
                                                                 std::uint64_t generation,
                                                                 jot::time_point now) {
        if (!enabled()) return std::nullopt;
        const std::size_t h = std::hash<std::string_view>{}(token);
        shard& s = shards_[h % shards];
        const std::lock_guard lock(s.m);
        const auto it = s.map.find(token);
        if (it == s.map.end()) return std::nullopt;
        if (it->second.generation != generation || now >= it->second.valid_until) {
            s.map.erase(it);
            return std::nullopt;
        }
        return it->second.facts;
    }

    /// Remembers a token verified under `generation`, usable until `valid_until`.
    void insert(std::string_view token, const jot_examples::access_facts& facts, std::uint64_t generation,
                jot::time_point valid_until, jot::time_point now) {
        if (!enabled()) return;
        const std::size_t h = std::hash<std::string_view>{}(token);
        shard& s = shards_[h % shards];
        const std::lock_guard lock(s.m);
        if (s.map.size() >= per_shard_) {
            std::erase_if(s.map, [&](const auto& e) {
                return now >= e.second.valid_until || e.second.generation != generation;
            });
            if (s.map.size() >= per_shard_) s.map.clear();
        }
        s.map.insert_or_assign(std::string(token), entry{facts, generation, valid_until});
    }

private:
    static constexpr std::size_t shards = 16;

    struct entry {
        jot_examples::access_facts facts;
        std::uint64_t generation = 0;
        jot::time_point valid_until{};
    };
    struct transparent_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct shard {
        std::mutex m;
        std::unordered_map<std::string, entry, transparent_hash, std::equal_to<>> map;
    };

    std::size_t per_shard_;
    std::array<shard, shards> shards_{};
};

}  // namespace jot_resource
