// SPDX-License-Identifier: MIT
// redis_store's key layout: every key of a family under the hash tag {<family>}, and the index keys of
// tokens, subjects, denied jtis and failure counters, each under a tag of its own (Redis Cluster slots).
#pragma once

#include <cstdint>      // std::int64_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move

#include "../clock.hpp"
#include "detail_codec.hpp"
#include "detail_redis_codec.hpp"
#include "refresh_store.hpp"

namespace jot::inline v0::detail {

/// What a key of a redis_store's prefix holds.
enum class redis_key_kind { family, token, denied, revocation, failure, other };

/// The names of a redis_store's keys under one prefix (see detail_redis_scripts.hpp for what each holds).
class redis_keys {
public:
    explicit redis_keys(std::string prefix) : prefix_(std::move(prefix)) {}

    [[nodiscard]] std::string tagged(std::string_view tag) const {
        std::string k;
        k.reserve(prefix_.size() + tag.size() + 8);
        k += prefix_;
        k += ":{";
        k += tag;
        k += '}';
        return k;
    }
    [[nodiscard]] std::string family(std::string_view f) const { return tagged(f) + ":f"; }
    [[nodiscard]] std::string tokens(std::string_view f) const { return tagged(f) + ":ts"; }
    [[nodiscard]] std::string token_base(std::string_view f) const { return tagged(f) + ":t:"; }
    [[nodiscard]] std::string token(std::string_view f, std::string_view t) const {
        return token_base(f) + std::string(t);
    }
    [[nodiscard]] std::string prefixed(std::string_view kind, std::string_view tag) const {
        return prefix_ + ":" + std::string(kind) + ":{" + std::string(tag) + "}";
    }
    [[nodiscard]] std::string token_index(std::string_view t) const { return prefixed("t", t); }
    [[nodiscard]] std::string subject(std::string_view s) const { return prefixed("s", s) + ":f"; }
    [[nodiscard]] std::string subject_counter(std::string_view s) const { return prefixed("s", s) + ":n"; }
    // A member of a subject's index: "<absolute expiry>|<family id>", so that a reader can tell an entry that
    // can never be live again without the family's record. Stores before this wrote the bare id.
    [[nodiscard]] static std::string index_member(const family_record& f) {
        return redis_time_text(f.absolute_expiry) + '|' + f.id;
    }
    // The absolute expiry a member carries, if it carries one.
    [[nodiscard]] static std::optional<std::int64_t> member_expiry(std::string_view member) {
        const auto bar = member.find('|');
        if (bar == std::string_view::npos) return std::nullopt;
        return parse_decimal<std::int64_t>(member.substr(0, bar));
    }
    [[nodiscard]] static std::string_view family_of_member(std::string_view member) {
        return member_expiry(member) ? member.substr(member.find('|') + 1) : member;
    }
    // Whether the entry of `member`, whose family record is missing, may go: when its family is past its
    // absolute expiry, or when the member is a bare id from an older store (which wrote no expiry).
    [[nodiscard]] static bool member_may_go(std::string_view member, time_point now) {
        const auto expiry = member_expiry(member);
        return !expiry || store_micros(now) >= *expiry;
    }
    [[nodiscard]] std::string revocation(std::string_view s) const { return prefixed("s", s) + ":r"; }
    [[nodiscard]] std::string failure(std::string_view k) const { return prefixed("a", k); }
    [[nodiscard]] std::string denied(std::string_view j) const { return prefixed("j", j); }

    struct classified {
        redis_key_kind kind = redis_key_kind::other;
        std::string name{};  // the family id, the jti, or empty
    };
    // What a key of this store's prefix holds, from its name alone.
    [[nodiscard]] classified classify(std::string_view key) const {
        if (!key.starts_with(prefix_) || key.size() <= prefix_.size() || key[prefix_.size()] != ':')
            return {};
        const std::string_view rest = key.substr(prefix_.size() + 1);
        if (rest.starts_with('{')) {
            const auto close = rest.find('}');
            if (close == std::string_view::npos) return {};
            const std::string name(rest.substr(1, close - 1));
            const auto suffix = rest.substr(close + 1);
            if (suffix == ":f") return {redis_key_kind::family, name};
            if (suffix.starts_with(":t:")) return {redis_key_kind::token, name};
            return {};
        }
        if (rest.starts_with("j:{") && rest.ends_with('}'))
            return {redis_key_kind::denied, std::string(rest.substr(3, rest.size() - 4))};
        if (rest.starts_with("s:{") && rest.ends_with("}:r")) return {redis_key_kind::revocation, {}};
        if (rest.starts_with("a:{") && rest.ends_with('}')) return {redis_key_kind::failure, {}};
        return {};
    }

private:
    std::string prefix_;
};

}  // namespace jot::inline v0::detail
