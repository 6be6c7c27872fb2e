// SPDX-License-Identifier: MIT
// redis_store's records in Redis replies: hash fields, numbers, times, families and tokens.
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int64_t
#include <cstring>      // std::memcpy
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <hiredis/hiredis.h>

#include "detail_codec.hpp"
#include "redis_client.hpp"
#include "refresh_store.hpp"

namespace jot::inline v0::detail {

/// The fields of a hash reply (HGETALL), found by name.
class redis_fields {
public:
    explicit redis_fields(const redisReply* r) {
        if (r->type == REDIS_REPLY_ERROR) throw redis_failure{redis_error_code(r->str), r->str};
        if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) redis_throw_corrupt();
        for (std::size_t i = 0; i < r->elements; i += 2) {
            const redisReply* k = r->element[i];
            const redisReply* v = r->element[i + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) redis_throw_corrupt();
            fields_.emplace_back(std::string_view(k->str, k->len), std::string_view(v->str, v->len));
        }
    }
    [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
    [[nodiscard]] std::string_view at(std::string_view name) const {
        for (const auto& [k, v] : fields_)
            if (k == name) return v;
        redis_throw_corrupt();
    }

private:
    std::vector<std::pair<std::string_view, std::string_view>> fields_;
};

template <class Int>
[[nodiscard]] Int redis_number(std::string_view s) {
    const auto v = parse_decimal<Int>(s);
    if (!v) redis_throw_corrupt();
    return *v;
}
[[nodiscard]] inline time_point redis_time(std::string_view s) {
    return store_time(redis_number<std::int64_t>(s));
}
[[nodiscard]] inline bool redis_flag(std::string_view s) {
    if (s != "0" && s != "1") redis_throw_corrupt();
    return s == "1";
}
[[nodiscard]] inline token_state redis_state(std::string_view s) {
    if (s == "0") return token_state::active;
    if (s == "1") return token_state::rotated;
    if (s == "2") return token_state::revoked;
    redis_throw_corrupt();
}
[[nodiscard]] inline secret_hash redis_hash(std::string_view s) {
    secret_hash h{};
    if (s.size() != h.size()) redis_throw_corrupt();
    std::memcpy(h.data(), s.data(), h.size());
    return h;
}
[[nodiscard]] inline std::string redis_time_text(time_point t) {
    return decimal(store_micros(t));
}

/// A family with what the store keeps beside it: its active token's id and idle expiry.
struct redis_family {
    family_record record{};
    std::string active{};
    time_point active_idle{};
    [[nodiscard]] bool live(time_point now) const noexcept {
        return !record.revoked && !active.empty() && now < record.absolute_expiry && now < active_idle;
    }
};

[[nodiscard]] inline redis_family redis_family_from(const redis_fields& f) {
    return {{.id = std::string(f.at("id")),
             .subject = std::string(f.at("sub")),
             .client = std::string(f.at("cli")),
             .claims = std::string(f.at("cl")),
             .created = redis_time(f.at("cr")),
             .absolute_expiry = redis_time(f.at("ax")),
             .generation = redis_number<std::uint64_t>(f.at("g")),
             .revoked = redis_flag(f.at("rv"))},
            std::string(f.at("ac")),
            redis_time(f.at("ai"))};
}

[[nodiscard]] inline token_record redis_token_from(const redis_fields& f) {
    return {.id = std::string(f.at("id")),
            .family = std::string(f.at("fam")),
            .generation = redis_number<std::uint64_t>(f.at("g")),
            .hash = redis_hash(f.at("h")),
            .state = redis_state(f.at("st")),
            .created = redis_time(f.at("cr")),
            .idle_expiry = redis_time(f.at("ix")),
            .successor = std::string(f.at("su")),
            .sealed_successor = std::string(f.at("ss")),
            .grace_until = redis_time(f.at("gu"))};
}

/// Element i of an array reply, which must be a string.
[[nodiscard]] inline std::string_view redis_item(const redisReply* r, std::size_t i) {
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
        redis_throw_corrupt();
    return {r->element[i]->str, r->element[i]->len};
}

/// A family as the scripts return it: {id, sub, cli, cl, cr, ax, g, rv}.
[[nodiscard]] inline family_record redis_family_out(const redisReply* r) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 8) redis_throw_corrupt();
    return {.id = std::string(redis_item(r, 0)),
            .subject = std::string(redis_item(r, 1)),
            .client = std::string(redis_item(r, 2)),
            .claims = std::string(redis_item(r, 3)),
            .created = redis_time(redis_item(r, 4)),
            .absolute_expiry = redis_time(redis_item(r, 5)),
            .generation = redis_number<std::uint64_t>(redis_item(r, 6)),
            .revoked = redis_flag(redis_item(r, 7))};
}

/// A token as the scripts return it: {id, fam, g, h, st, cr, ix, su, ss, gu}.
[[nodiscard]] inline token_record redis_token_out(const redisReply* r) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 10) redis_throw_corrupt();
    return {.id = std::string(redis_item(r, 0)),
            .family = std::string(redis_item(r, 1)),
            .generation = redis_number<std::uint64_t>(redis_item(r, 2)),
            .hash = redis_hash(redis_item(r, 3)),
            .state = redis_state(redis_item(r, 4)),
            .created = redis_time(redis_item(r, 5)),
            .idle_expiry = redis_time(redis_item(r, 6)),
            .successor = std::string(redis_item(r, 7)),
            .sealed_successor = std::string(redis_item(r, 8)),
            .grace_until = redis_time(redis_item(r, 9))};
}

}  // namespace jot::inline v0::detail
