// SPDX-License-Identifier: MIT
// A refresh_store in Redis, shared by many server instances: one Lua script per step, keys under hash tags.
#pragma once

#include <algorithm>           // std::all_of, std::sort, std::stable_sort, std::min, std::max
#include <array>               // std::array
#include <chrono>              // std::chrono::milliseconds, std::chrono::steady_clock
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <cstdint>             // std::int64_t, std::uint64_t
#include <cstring>             // std::memcpy
#include <exception>           // std::exception
#include <iterator>            // std::make_move_iterator
#include <memory>              // std::unique_ptr
#include <mutex>               // std::mutex, std::unique_lock
#include <optional>            // std::optional
#include <set>                 // std::set
#include <span>                // std::span
#include <string>              // std::string
#include <string_view>         // std::string_view
#include <type_traits>         // std::invoke_result_t, std::is_same_v
#include <utility>             // std::move, std::pair
#include <vector>              // std::vector

#include <hiredis/hiredis.h>

#include "detail_codec.hpp"
#include "detail_redis_codec.hpp"
#include "detail_redis_keys.hpp"
#include "detail_redis_scripts.hpp"
#include "redis_client.hpp"
#include "redis_pipeliner.hpp"
#include "refresh_store.hpp"

namespace jot::inline v0 {

/// Where a redis_store connects and how long it waits.
struct redis_store_options {
    /// `redis://[[user]:password@]host[:port][/db]` (IPv6 hosts in brackets), `unix:///path[?db=N]`, or
    /// `redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/primary-name[?db=N]` (sentinels on
    /// port 26379 unless given, asked without a password for the primary, which the credentials are for).
    /// Each form takes `wait=N` in its query: see wait_replicas.
    std::string url = "redis://127.0.0.1:6379/0";
    /// The first part of every key; several stores (or applications) can share a database under different
    /// prefixes. Letters, digits and `_ - .` only.
    std::string key_prefix = "jot";
    /// Connections kept open; at most this many steps run at once, the others wait (up to command_timeout).
    std::size_t pool_size = 8;
    std::chrono::milliseconds connect_timeout = std::chrono::seconds{2};
    /// How long one command may take before the step fails with store_unavailable.
    std::chrono::milliseconds command_timeout = std::chrono::seconds{2};
    /// Records stay in Redis this long past their expiry (as TTLs), so that a step shortly after the expiry
    /// still reports `expired` rather than `not_found`, also between hosts whose clocks differ a little.
    std::chrono::seconds ttl_margin = std::chrono::minutes{1};
    /// lookup_access_async calls waiting at most; beyond it they fail with store_unavailable at once.
    std::size_t async_queue = 4096;
    /// Replicas every write step must reach before it succeeds (WAIT); the URL's `?wait=N` if larger.
    int wait_replicas = 0;
};

/// A refresh_store in Redis (hiredis), for many server instances sharing one Redis. Each step on a family
/// is one Lua script (EVALSHA, loaded again after NOSCRIPT), so a rotation is applied whole or not at all.
/// All keys of a family share the hash tag `{<family>}`, so the scripts also run on Redis Cluster; a token
/// is found through an index key of its own, written before the token. Steps over all of a subject's
/// families (create_family with a cap, revoke_subject, families_of) and purge_expired and dump are a
/// sequence of such per-family steps, ordered so that no family escapes a subject-wide revocation that
/// started after it was created. Expiries are Redis TTLs (plus ttl_margin), so Redis frees dead records
/// itself. Times are kept as integer microseconds. A down or slow Redis gives store_unavailable within
/// the timeouts, never a hang; broken connections are replaced on the next step. Damaged records or keys
/// of the wrong type give store_corrupt. Thread-safe: a pool of connections. POSIX only (poll, signal
/// masks). See refresh_store.hpp for the semantics of each member; docs/stores.md for running Redis.
class redis_store {
public:
    /// Connects once and loads the scripts. Throws setup_error for unusable options or when Redis cannot be
    /// reached now.
    explicit redis_store(redis_store_options options)
        : options_(std::move(options)),
          keys_(options_.key_prefix),
          endpoint_(detail::parse_redis_url(options_.url)) {
        if (options_.wait_replicas < 0)
            throw setup_error("jot: redis_store_options.wait_replicas must be >= 0");
        endpoint_.wait_replicas = std::max(endpoint_.wait_replicas, options_.wait_replicas);
        using std::chrono::milliseconds;
        if (options_.pool_size == 0) throw setup_error("jot: redis_store_options.pool_size must be positive");
        if (options_.async_queue == 0)
            throw setup_error("jot: redis_store_options.async_queue must be positive");
        if (options_.connect_timeout <= milliseconds{0} || options_.command_timeout <= milliseconds{0})
            throw setup_error("jot: redis_store_options timeouts must be positive");
        if (options_.ttl_margin < std::chrono::seconds{1})
            throw setup_error("jot: redis_store_options.ttl_margin must be at least 1s");
        if (options_.key_prefix.empty() ||
            !std::all_of(options_.key_prefix.begin(), options_.key_prefix.end(), [](char ch) {
                return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                       ch == '_' || ch == '-' || ch == '.';
            }))
            throw setup_error("jot: redis_store_options.key_prefix must be letters, digits, '_', '-' or '.'");
        const detail::sigpipe_guard guard;
        try {
            auto c = connect();
            for (std::size_t i = 0; i < detail::redis_scripts.size(); ++i) {
                auto r = c->command({"SCRIPT", "LOAD", script_text(i)});
                if (r->type != REDIS_REPLY_STRING)
                    throw detail::redis_failure{errc::store_unavailable,
                                                r->type == REDIS_REPLY_ERROR ? r->str : ""};
                shas_[i] = std::string(r->str, r->len);
            }
            idle_.push_back(std::move(c));
            ++open_;
        } catch (const detail::redis_failure& e) {
            // Nothing of the password in any message: not from the URL, nor echoed by a server reply.
            throw setup_error("jot: cannot use Redis at '" + detail::redact_redis_url(options_.url) +
                              "': " + detail::redact(e.what, endpoint_.password));
        }
    }
    redis_store(const redis_store&) = delete;
    redis_store& operator=(const redis_store&) = delete;

    [[nodiscard]] const redis_store_options& options() const noexcept { return options_; }

    [[nodiscard]] result<std::vector<std::string>> create_family(const family_record& f,
                                                                 const token_record& t, std::size_t cap) {
        using detail::redis_script;
        return write_step([&](detail::redis_connection& c) {
            // The indexes first: a dangling index entry is harmless, a family missing from them is not.
            auto first = exec(
                c, {{{"SET", keys_.token_index(t.id), f.id, "PX", ttl_ms(t.idle_expiry, f.created), "NX"}},
                    script(redis_script::subject_add,
                           {keys_.subject(f.subject), keys_.subject_counter(f.subject)},
                           {detail::redis_keys::index_member(f), ttl_ms(f.absolute_expiry, f.created)})});
            if (first[0]->type == REDIS_REPLY_NIL) detail::redis_throw_corrupt();  // the token id is taken
            expect_ok(first[0]);
            expect_ok(first[1]);
            expect_ok(exec(c, {script(redis_script::create_family,
                                      {keys_.family(f.id), keys_.tokens(f.id), keys_.token(f.id, t.id)},
                                      {stamp(f.created),
                                       margin(),
                                       f.id,
                                       f.subject,
                                       f.client,
                                       f.claims,
                                       stamp(f.created),
                                       stamp(f.absolute_expiry),
                                       detail::decimal(f.generation),
                                       f.revoked ? "1" : "0",
                                       t.id,
                                       t.family,
                                       detail::decimal(t.generation),
                                       hash_text(t.hash),
                                       state_text(t.state),
                                       stamp(t.created),
                                       stamp(t.idle_expiry),
                                       t.successor,
                                       t.sealed_successor,
                                       stamp(t.grace_until)})})[0]);
            std::vector<std::string> evicted;
            if (cap == 0) return evicted;
            auto live = live_families(c, f.subject, f.created);
            std::erase_if(live, [&f](const auto& e) { return e.first.id == f.id; });
            std::vector<detail::redis_command> revokes;
            for (std::size_t i = 0; i + cap <= live.size(); ++i)
                revokes.push_back(revoke_family_command(live[i].first.id, f.created, true));
            auto replies = exec(c, std::move(revokes));
            for (const auto& r : replies) {
                expect_ok(r);
                if (r->type != REDIS_REPLY_NIL) evicted.push_back(detail::redis_family_out(r.get()).id);
            }
            return evicted;
        });
    }

    [[nodiscard]] result<rotate_outcome> rotate(const rotate_request& r) {
        return write_step([&](detail::redis_connection& c) {
            rotate_outcome out;
            const auto family = family_of_token(c, r.token_id);
            if (!family) return out;
            // The successor's index before the script (in the same pipeline, so in that order), undone if
            // the script did not rotate.
            const std::string successor_index = keys_.token_index(r.successor.id);
            auto replies = exec(
                c,
                {{{"SET", successor_index, *family, "PX", ttl_ms(r.successor.idle_expiry, r.now), "NX"}},
                 script(detail::redis_script::rotate, {keys_.family(*family), keys_.tokens(*family)},
                        {keys_.token_base(*family), r.token_id, hash_text(r.presented), r.successor.id,
                         hash_text(r.successor.hash), stamp(r.successor.created),
                         stamp(r.successor.idle_expiry), r.sealed_successor, stamp(r.now),
                         stamp(r.now + r.grace), margin(), r.client, detail::decimal(r.keep_predecessors)})});
            expect_ok(replies[0]);
            const bool indexed =
                replies[0]->type != REDIS_REPLY_NIL;  // NIL: the id is taken (never, at 128 bits)
            if (indexed && replies[1]->type == REDIS_REPLY_ERROR) (void)c.command({"DEL", successor_index});
            expect_ok(replies[1]);
            const redisReply* v = replies[1].get();
            const auto status = detail::redis_item(v, 0);
            if (status == "rotated") {
                if (!indexed) detail::redis_throw_corrupt();
                out.status = rotate_status::rotated;
            } else {
                if (indexed) expect_ok(c.command({"DEL", successor_index}));
                if (status == "grace_replay") {
                    out.status = rotate_status::grace_replay;
                    out.sealed_successor = std::string(detail::redis_item(v, 3));
                } else if (status == "reused") {
                    out.status = rotate_status::reused;
                } else if (status == "expired") {
                    out.status = rotate_status::expired;
                } else if (status == "revoked") {
                    out.status = rotate_status::revoked;
                } else if (status == "not_found") {
                    return out;
                } else if (status == "client_mismatch") {
                    out.status = rotate_status::client_mismatch;
                    return out;
                } else {
                    detail::redis_throw_corrupt();
                }
            }
            if (v->elements < 2) detail::redis_throw_corrupt();
            out.family = detail::redis_family_out(v->element[1]);
            if (out.status == rotate_status::rotated || out.status == rotate_status::grace_replay) {
                if (v->elements < 3) detail::redis_throw_corrupt();
                out.successor = detail::redis_token_out(v->element[2]);
            }
            // Bounded sessions: the index keys of the predecessors the script deleted. The rotation has
            // committed, so a failure here must not fail the step: a key left behind leads nowhere (its
            // token is gone) and expires with its TTL.
            if (out.status == rotate_status::rotated && v->elements >= 4 &&
                v->element[3]->type == REDIS_REPLY_ARRAY && v->element[3]->elements > 0) {
                std::vector<detail::redis_command> unindex;
                for (std::size_t i = 0; i < v->element[3]->elements; ++i)
                    unindex.push_back({{"DEL", keys_.token_index(detail::redis_item(v->element[3], i))}});
                try {
                    (void)exec(c, std::move(unindex));
                } catch (const detail::redis_failure&) {  // the connection is marked broken if it is
                }
            }
            return out;
        });
    }

    [[nodiscard]] result<std::optional<token_record>> find_token(std::string_view id) const {
        return run([&](detail::redis_connection& c) -> std::optional<token_record> {
            const auto family = family_of_token(c, id);
            if (!family) return std::nullopt;
            auto r = c.command({"HGETALL", keys_.token(*family, id)});
            const detail::redis_fields fields(r.get());
            if (fields.empty()) return std::nullopt;
            return detail::redis_token_from(fields);
        });
    }

    [[nodiscard]] result<std::optional<family_record>> find_family(std::string_view id) const {
        return run([&](detail::redis_connection& c) -> std::optional<family_record> {
            auto r = c.command({"HGETALL", keys_.family(id)});
            const detail::redis_fields fields(r.get());
            if (fields.empty()) return std::nullopt;
            return detail::redis_family_from(fields).record;
        });
    }

    [[nodiscard]] result<std::optional<family_record>> revoke_token(std::string_view id,
                                                                    const secret_hash& h) {
        return write_step([&](detail::redis_connection& c) -> std::optional<family_record> {
            const auto family = family_of_token(c, id);
            if (!family) return std::nullopt;
            auto r = exec(
                c, {script(detail::redis_script::revoke_token, {keys_.family(*family), keys_.tokens(*family)},
                           {keys_.token_base(*family), std::string(id), hash_text(h)})});
            expect_ok(r[0]);
            if (r[0]->type == REDIS_REPLY_NIL) return std::nullopt;
            return detail::redis_family_out(r[0].get());
        });
    }

    [[nodiscard]] result<std::optional<family_record>> revoke_family(std::string_view id) {
        return write_step([&](detail::redis_connection& c) -> std::optional<family_record> {
            auto r = exec(c, {revoke_family_command(id, {}, false)});
            expect_ok(r[0]);
            if (r[0]->type == REDIS_REPLY_NIL) return std::nullopt;
            return detail::redis_family_out(r[0].get());
        });
    }

    [[nodiscard]] result<std::vector<family_record>> revoke_subject(std::string_view subject, time_point now,
                                                                    time_point until) {
        return write_step([&](detail::redis_connection& c) {
            // The not-before first, then each family that is live: a family created meanwhile is not
            // revoked, as if it had been created after this step.
            auto members = exec(c, {script(detail::redis_script::subject_revoke,
                                           {keys_.revocation(subject), keys_.subject(subject)},
                                           {std::string(subject), stamp(now), stamp(until), margin()})});
            expect_ok(members[0]);
            const auto order = ordered_members(members[0].get());
            std::vector<detail::redis_command> revokes;
            for (const auto& [member, seq] : order)
                revokes.push_back(
                    revoke_family_command(detail::redis_keys::family_of_member(member), now, true));
            auto replies = exec(c, std::move(revokes));
            std::vector<std::pair<family_record, std::uint64_t>> revoked;
            for (std::size_t i = 0; i < replies.size(); ++i) {
                expect_ok(replies[i]);
                if (replies[i]->type != REDIS_REPLY_NIL)
                    revoked.emplace_back(detail::redis_family_out(replies[i].get()), order[i].second);
            }
            return oldest_first(std::move(revoked));
        });
    }

    [[nodiscard]] result<std::vector<family_record>> families_of(std::string_view subject,
                                                                 time_point now) const {
        return run([&](detail::redis_connection& c) { return oldest_first(live_families(c, subject, now)); });
    }

    [[nodiscard]] result<void> deny_jti(std::string_view jti, time_point until) {
        // deny_jti has no `now`: the entry's TTL runs from this host's clock.
        auto r = write_step([&](detail::redis_connection& c) {
            auto replies = exec(c, {script(detail::redis_script::deny_jti, {keys_.denied(jti)},
                                           {stamp(until), ttl_ms(until, std::chrono::system_clock::now())})});
            expect_ok(replies[0]);
            return true;
        });
        if (!r) return r.error();
        return {};
    }

    [[nodiscard]] result<bool> is_denied(std::string_view jti, time_point now) const {
        return run([&](detail::redis_connection& c) {
            auto r = c.command({"GET", keys_.denied(jti)});
            expect_ok(r);
            if (r->type == REDIS_REPLY_NIL) return false;
            if (r->type != REDIS_REPLY_STRING) detail::redis_throw_corrupt();
            return now < detail::redis_time({r->str, r->len});
        });
    }

    [[nodiscard]] result<std::optional<time_point>> subject_not_before(std::string_view subject,
                                                                       time_point now) const {
        return run([&](detail::redis_connection& c) -> std::optional<time_point> {
            auto r = c.command({"HGETALL", keys_.revocation(subject)});
            const detail::redis_fields fields(r.get());
            if (fields.empty()) return std::nullopt;
            const time_point not_before = detail::redis_time(fields.at("nb"));
            if (now >= detail::redis_time(fields.at("un"))) return std::nullopt;
            return not_before;
        });
    }

    /// The three lookups in one pipeline: one round trip. The keys are in different hash slots, so on a
    /// Cluster they would be three requests; each reads one key and needs no atomicity with the others.
    [[nodiscard]] result<access_lookup> lookup_access(std::string_view jti, std::string_view subject,
                                                      std::string_view sid, time_point now) const {
        return run([&](detail::redis_connection& c) {
            auto r = exec(c, lookup_commands(jti, subject, sid));
            return lookup_from(r, !sid.empty(), now);
        });
    }

    /// lookup_access without waiting for Redis: `done` gets what lookup_access would return, once, on the
    /// store's lookup thread, or at once on this thread when async_queue lookups are already waiting or the
    /// store is being destroyed (store_unavailable). The lookups of all threads share one connection and
    /// its round trips (see detail::redis_pipeliner). `done` must not throw, and should hand its result on
    /// rather than work: the next lookups wait for it. Thread-safe.
    void lookup_access_async(std::string_view jti, std::string_view subject, std::string_view sid,
                             time_point now, access_lookup_callback done) const {
        pipeliner_.submit(
            lookup_commands(jti, subject, sid),
            [has_sid = !sid.empty(), now, done = std::move(done)](result<std::span<detail::redis_reply>> r) {
                result<access_lookup> out = errc::store_unavailable;
                if (!r) {
                    out = r.error();
                } else {
                    try {
                        out = lookup_from(*r, has_sid, now);
                    } catch (const detail::redis_failure& e) {
                        out = e.code;
                    } catch (const std::exception&) {  // out of memory: store_unavailable
                    }
                }
                done(std::move(out));
            });
    }

    [[nodiscard]] result<std::size_t> purge_expired(time_point now) {
        using detail::redis_script;
        return write_step([&](detail::redis_connection& c) {
            std::vector<detail::redis_command> cmds;
            for (const auto& key : scan(c)) {
                const auto k = keys_.classify(key);
                if (k.kind == detail::redis_key_kind::family) {
                    cmds.push_back(script(redis_script::purge_family, {key, keys_.tokens(k.name)},
                                          {keys_.token_base(k.name), stamp(now)}));
                } else if (k.kind == detail::redis_key_kind::denied) {
                    cmds.push_back(script(redis_script::purge_denied, {key}, {stamp(now)}));
                } else if (k.kind == detail::redis_key_kind::revocation) {
                    cmds.push_back(script(redis_script::purge_revocation, {key}, {stamp(now)}));
                } else if (k.kind == detail::redis_key_kind::failure) {
                    cmds.push_back(script(redis_script::purge_failure, {key}, {stamp(now)}));
                }
            }
            std::size_t removed = 0;
            for (auto& part : batches(std::move(cmds))) {
                std::vector<detail::redis_command> unindex;
                for (const auto& r : exec(c, std::move(part))) {
                    expect_ok(r);
                    const redisReply* v = r.get();
                    if (v->type == REDIS_REPLY_INTEGER && v->integer >= 0) {
                        removed += static_cast<std::size_t>(v->integer);
                        continue;
                    }
                    // purge_family: {removed, ids of the tokens removed}
                    if (v->type != REDIS_REPLY_ARRAY || v->elements != 2 ||
                        v->element[0]->type != REDIS_REPLY_INTEGER || v->element[0]->integer < 0 ||
                        v->element[1]->type != REDIS_REPLY_ARRAY)
                        detail::redis_throw_corrupt();
                    removed += static_cast<std::size_t>(v->element[0]->integer);
                    for (std::size_t i = 0; i < v->element[1]->elements; ++i)
                        unindex.push_back({{"DEL", keys_.token_index(detail::redis_item(v->element[1], i))}});
                }
                for (const auto& u : exec(c, std::move(unindex))) expect_ok(u);
            }
            return removed;
        });
    }

    [[nodiscard]] result<failure_count> add_failure(std::string_view key, time_point now,
                                                    std::chrono::seconds window) {
        return write_step([&](detail::redis_connection& c) {
            const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(window).count();
            auto r = exec(c, {script(detail::redis_script::add_failure, {keys_.failure(key)},
                                     {stamp(now), detail::decimal(micros), margin()})});
            expect_ok(r[0]);
            return failure_from(r[0].get());
        });
    }

    [[nodiscard]] result<failure_count> failures(std::string_view key, time_point now) const {
        return run([&](detail::redis_connection& c) {
            auto r = c.command({"HGETALL", keys_.failure(key)});
            const detail::redis_fields fields(r.get());
            if (fields.empty()) return failure_count{};
            failure_count out{.count = detail::redis_number<std::uint64_t>(fields.at("c")),
                              .last = detail::redis_time(fields.at("l")),
                              .expires = detail::redis_time(fields.at("x"))};
            return now < out.expires ? out : failure_count{};
        });
    }

    [[nodiscard]] result<void> clear_failures(std::string_view key) {
        auto r = write_step([&](detail::redis_connection& c) {
            expect_ok(c.command({"DEL", keys_.failure(key)}));
            return true;
        });
        if (!r) return r.error();
        return {};
    }

    /// Every record. Each record is read whole, but not all in one snapshot: steps may run meanwhile.
    [[nodiscard]] result<store_dump> dump() const {
        return run([&](detail::redis_connection& c) {
            std::vector<detail::redis_command> reads;
            std::vector<detail::redis_keys::classified> kinds;
            for (const auto& key : scan(c)) {
                auto k = keys_.classify(key);
                if (k.kind == detail::redis_key_kind::other || k.kind == detail::redis_key_kind::failure)
                    continue;
                reads.push_back({{k.kind == detail::redis_key_kind::denied ? "GET" : "HGETALL", key}});
                kinds.push_back(std::move(k));
            }
            store_dump d;
            std::size_t i = 0;
            for (auto& part : batches(std::move(reads))) {
                for (const auto& r : exec(c, std::move(part))) {
                    const detail::redis_keys::classified& k = kinds[i++];
                    if (k.kind == detail::redis_key_kind::denied) {
                        expect_ok(r);
                        if (r->type == REDIS_REPLY_NIL) continue;  // expired since the scan
                        if (r->type != REDIS_REPLY_STRING) detail::redis_throw_corrupt();
                        d.denied.push_back({k.name, detail::redis_time({r->str, r->len})});
                        continue;
                    }
                    const detail::redis_fields fields(r.get());
                    if (fields.empty()) continue;  // expired since the scan
                    if (k.kind == detail::redis_key_kind::family) {
                        d.families.push_back(detail::redis_family_from(fields).record);
                    } else if (k.kind == detail::redis_key_kind::token) {
                        d.tokens.push_back(detail::redis_token_from(fields));
                    } else {
                        d.revocations.push_back({std::string(fields.at("sub")),
                                                 detail::redis_time(fields.at("nb")),
                                                 detail::redis_time(fields.at("un"))});
                    }
                }
            }
            return d;
        });
    }

private:
    using connection_ptr = std::unique_ptr<detail::redis_connection>;
    using member_order = std::vector<std::pair<std::string, std::uint64_t>>;

    // The {count, latest, expiry} of the add_failure script.
    [[nodiscard]] static failure_count failure_from(const redisReply* r) {
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) detail::redis_throw_corrupt();
        return {.count = detail::redis_number<std::uint64_t>(detail::redis_item(r, 0)),
                .last = detail::redis_time(detail::redis_item(r, 1)),
                .expires = detail::redis_time(detail::redis_item(r, 2))};
    }

    // ---- values ----
    [[nodiscard]] static std::string stamp(time_point t) { return detail::redis_time_text(t); }
    [[nodiscard]] std::string margin() const {
        return detail::decimal(std::chrono::milliseconds(options_.ttl_margin).count());
    }
    // Milliseconds from `now` to `expiry` (at least 0), plus the margin.
    [[nodiscard]] std::string ttl_ms(time_point expiry, time_point now) const {
        using std::chrono::milliseconds;
        const auto left = std::max(std::chrono::floor<milliseconds>(expiry - now), milliseconds{0});
        return detail::decimal((left + milliseconds(options_.ttl_margin)).count());
    }
    [[nodiscard]] static std::string hash_text(const secret_hash& h) {
        return std::string(reinterpret_cast<const char*>(h.data()), h.size());
    }
    [[nodiscard]] static const char* state_text(token_state s) noexcept {
        return s == token_state::active ? "0" : s == token_state::rotated ? "1" : "2";
    }

    // ---- commands ----
    [[nodiscard]] static std::string script_text(std::size_t i) {
        return std::string(detail::redis_prelude) + detail::redis_scripts[i];
    }
    [[nodiscard]] detail::redis_command script(detail::redis_script s, std::vector<std::string> keys,
                                               std::vector<std::string> args) const {
        detail::redis_command c;
        c.script = static_cast<int>(s);
        c.args.reserve(3 + keys.size() + args.size());
        c.args.push_back("EVALSHA");
        c.args.push_back(shas_[static_cast<std::size_t>(s)]);
        c.args.push_back(detail::decimal(keys.size()));
        for (auto& k : keys) c.args.push_back(std::move(k));
        for (auto& a : args) c.args.push_back(std::move(a));
        return c;
    }
    [[nodiscard]] detail::redis_command revoke_family_command(std::string_view f, time_point now,
                                                              bool live_only) const {
        return script(detail::redis_script::revoke_family, {keys_.family(f), keys_.tokens(f)},
                      {keys_.token_base(f), stamp(now), live_only ? "1" : "0"});
    }

    // Runs `cmds` as one pipeline; a script that Redis no longer knows (NOSCRIPT, after a restart or a
    // failover) is loaded and run again, which is safe because NOSCRIPT means it did not run.
    std::vector<detail::redis_reply> exec(detail::redis_connection& c,
                                          std::vector<detail::redis_command> cmds) const {
        if (cmds.empty()) return {};
        auto replies = c.pipeline(cmds);
        for (std::size_t i = 0; i < cmds.size(); ++i) {
            const redisReply* r = replies[i].get();
            if (cmds[i].script < 0 || r->type != REDIS_REPLY_ERROR ||
                !std::string_view(r->str, r->len).starts_with("NOSCRIPT"))
                continue;
            auto loaded =
                c.command({"SCRIPT", "LOAD", script_text(static_cast<std::size_t>(cmds[i].script))});
            expect_ok(loaded);
            replies[i] = std::move(c.pipeline({cmds[i]}).front());
        }
        return replies;
    }

    // Error replies become store_corrupt (damaged records, keys of the wrong type) or store_unavailable.
    static void expect_ok(const detail::redis_reply& r) {
        if (r->type == REDIS_REPLY_ERROR) {
            const std::string_view message(r->str, r->len);
            throw detail::redis_failure{detail::redis_error_code(message), std::string(message)};
        }
    }

    [[nodiscard]] std::optional<std::string> family_of_token(detail::redis_connection& c,
                                                             std::string_view token) const {
        auto r = c.command({"GET", keys_.token_index(token)});
        expect_ok(r);
        if (r->type == REDIS_REPLY_NIL) return std::nullopt;
        if (r->type != REDIS_REPLY_STRING) detail::redis_throw_corrupt();
        return std::string(r->str, r->len);
    }

    // The members of a subject's family index with their order numbers, from ZRANGE ... WITHSCORES.
    [[nodiscard]] static member_order ordered_members(const redisReply* r) {
        if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) detail::redis_throw_corrupt();
        member_order out;
        for (std::size_t i = 0; i < r->elements; i += 2)
            out.emplace_back(std::string(detail::redis_item(r, i)),
                             detail::redis_number<std::uint64_t>(detail::redis_item(r, i + 1)));
        return out;
    }

    // The live families of `subject` with their order numbers, oldest first. Drops the index entries of
    // families revoked (for good) and of families gone and past their absolute expiry, so that the index
    // holds little more than the live sessions. A family that is gone but not expired may be one whose
    // creation has written its index entry and not yet its record: its entry stays, or it would escape
    // revoke_subject.
    [[nodiscard]] std::vector<std::pair<family_record, std::uint64_t>> live_families(
        detail::redis_connection& c, std::string_view subject, time_point now) const {
        const std::string index = keys_.subject(subject);
        auto members = c.command({"ZRANGE", index, "0", "-1", "WITHSCORES"});
        expect_ok(members);
        const auto order = ordered_members(members.get());
        std::vector<detail::redis_command> reads;
        for (const auto& [member, seq] : order)
            reads.push_back({{"HGETALL", keys_.family(detail::redis_keys::family_of_member(member))}});
        auto replies = exec(c, std::move(reads));
        std::vector<std::pair<family_record, std::uint64_t>> out;
        detail::redis_command gone{{"ZREM", index}};
        for (std::size_t i = 0; i < replies.size(); ++i) {
            const detail::redis_fields fields(replies[i].get());
            if (fields.empty()) {
                if (detail::redis_keys::member_may_go(order[i].first, now))
                    gone.args.push_back(order[i].first);
                continue;
            }
            auto f = detail::redis_family_from(fields);
            if (f.record.revoked) {
                gone.args.push_back(order[i].first);
            } else if (f.live(now)) {
                out.emplace_back(std::move(f.record), order[i].second);
            }
        }
        if (gone.args.size() > 2) expect_ok(c.pipeline({gone}).front());
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a.first.created != b.first.created ? a.first.created < b.first.created
                                                      : a.second < b.second;
        });
        return out;
    }

    // Oldest first: by creation time, ties by the order of creation (the second of each pair).
    [[nodiscard]] static std::vector<family_record> oldest_first(
        std::vector<std::pair<family_record, std::uint64_t>> v) {
        std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
            return a.first.created != b.first.created ? a.first.created < b.first.created
                                                      : a.second < b.second;
        });
        std::vector<family_record> out;
        out.reserve(v.size());
        for (auto& e : v) out.push_back(std::move(e.first));
        return out;
    }

    // Every key of this store, once (the prefix holds no glob character).
    [[nodiscard]] std::set<std::string> scan(detail::redis_connection& c) const {
        const std::string pattern = options_.key_prefix + ":*";
        std::set<std::string> keys;
        std::string cursor = "0";
        do {
            auto r = c.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
            expect_ok(r);
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
                detail::redis_throw_corrupt();
            cursor = std::string(detail::redis_item(r.get(), 0));
            for (std::size_t i = 0; i < r->element[1]->elements; ++i)
                keys.emplace(detail::redis_item(r->element[1], i));
        } while (cursor != "0");
        return keys;
    }

    // Commands in pipelines of at most 256.
    [[nodiscard]] static std::vector<std::vector<detail::redis_command>> batches(
        std::vector<detail::redis_command> cmds) {
        constexpr std::size_t size = 256;
        std::vector<std::vector<detail::redis_command>> out;
        for (std::size_t first = 0; first < cmds.size(); first += size) {
            const std::size_t last = std::min(first + size, cmds.size());
            out.emplace_back(std::make_move_iterator(cmds.begin() + static_cast<std::ptrdiff_t>(first)),
                             std::make_move_iterator(cmds.begin() + static_cast<std::ptrdiff_t>(last)));
        }
        return out;
    }

    // The commands of lookup_access, and what their replies say (throws redis_failure).
    [[nodiscard]] std::vector<detail::redis_command> lookup_commands(std::string_view jti,
                                                                     std::string_view subject,
                                                                     std::string_view sid) const {
        std::vector<detail::redis_command> cmds{{{"GET", keys_.denied(jti)}},
                                                {{"HGETALL", keys_.revocation(subject)}}};
        if (!sid.empty()) cmds.push_back({{"HGETALL", keys_.family(sid)}});
        return cmds;
    }
    [[nodiscard]] static access_lookup lookup_from(std::span<const detail::redis_reply> r, bool has_sid,
                                                   time_point now) {
        access_lookup out;
        expect_ok(r[0]);
        if (r[0]->type == REDIS_REPLY_STRING)
            out.denied = now < detail::redis_time({r[0]->str, r[0]->len});
        else if (r[0]->type != REDIS_REPLY_NIL)
            detail::redis_throw_corrupt();
        if (const detail::redis_fields nb(r[1].get()); !nb.empty())
            if (now < detail::redis_time(nb.at("un"))) out.not_before = detail::redis_time(nb.at("nb"));
        if (has_sid)
            if (const detail::redis_fields f(r[2].get()); !f.empty())
                out.session = detail::redis_family_from(f).record;
        return out;
    }

    // ---- the pool ----
    [[nodiscard]] connection_ptr connect() const {
        return detail::connect_to(endpoint_, options_.connect_timeout, options_.command_timeout);
    }

    // A connection of the pool, waiting up to command_timeout for one to be free; opens a new one when
    // the pool is not full. Idle connections that the server closed are dropped on the way.
    [[nodiscard]] connection_ptr acquire() const {
        const auto deadline = std::chrono::steady_clock::now() + options_.command_timeout;
        std::unique_lock lock(pool_m_);
        for (;;) {
            while (!idle_.empty()) {
                auto c = std::move(idle_.back());
                idle_.pop_back();
                if (c->idle_and_open()) return c;
                --open_;
            }
            if (open_ < options_.pool_size) {
                ++open_;
                lock.unlock();
                try {
                    return connect();
                } catch (...) {
                    lock.lock();
                    --open_;
                    pool_cv_.notify_one();
                    throw;
                }
            }
            if (pool_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
                open_ >= options_.pool_size)
                throw detail::redis_failure{errc::store_unavailable, "no free connection"};
        }
    }

    void release(connection_ptr c) const {
        {
            const std::lock_guard lock(pool_m_);
            if (c->broken()) {
                --open_;
            } else {
                c->mark_released();
                idle_.push_back(std::move(c));
            }
        }
        pool_cv_.notify_one();
    }

    // A step that writes: with wait_replicas, it then waits (WAIT) until that many replicas have its writes,
    // and fails with store_unavailable if they do not within 3/4 of command_timeout. The step may then have
    // been applied; a caller's retry of a rotation is safe within the grace window.
    template <class F>
    auto write_step(F&& body) const -> result<std::invoke_result_t<F&, detail::redis_connection&>> {
        return run([&](detail::redis_connection& c) {
            auto value = body(c);
            if (endpoint_.wait_replicas > 0) await_replicas(c);
            return value;
        });
    }
    void await_replicas(detail::redis_connection& c) const {
        const auto timeout = std::max<std::int64_t>(1, options_.command_timeout.count() * 3 / 4);
        auto r = c.command({"WAIT", detail::decimal(endpoint_.wait_replicas), detail::decimal(timeout)});
        expect_ok(r);
        if (r->type != REDIS_REPLY_INTEGER || r->integer < endpoint_.wait_replicas)
            throw detail::redis_failure{errc::store_unavailable,
                                        "a write reached fewer replicas than wait asks"};
    }

    // Runs `body` on a pooled connection; failures come back as errors.
    template <class F>
    auto run(F&& body) const -> result<std::invoke_result_t<F&, detail::redis_connection&>> {
        const detail::sigpipe_guard guard;
        connection_ptr c;
        try {
            c = acquire();
            auto value = body(*c);
            release(std::move(c));
            return value;
        } catch (const detail::redis_failure& e) {
            if (c) release(std::move(c));
            return e.code;
        } catch (...) {  // out of memory: the connection may hold unread replies
            if (c) {
                const std::lock_guard lock(pool_m_);
                --open_;
            }
            throw;
        }
    }

    redis_store_options options_;
    detail::redis_keys keys_;
    detail::redis_endpoint endpoint_;
    std::array<std::string, detail::redis_scripts.size()> shas_{};
    mutable std::mutex pool_m_;
    mutable std::condition_variable pool_cv_;
    mutable std::vector<connection_ptr> idle_;
    mutable std::size_t open_ = 0;
    // Last: destroyed first, while what its connections need is still here.
    mutable detail::redis_pipeliner pipeliner_{[this] { return connect(); }, options_.async_queue};
};

static_assert(access_lookup_store<redis_store>);
static_assert(async_access_lookup_store<redis_store>);
static_assert(refresh_store<redis_store>);
static_assert(attempt_store<redis_store>);
static_assert(std::is_same_v<jot::v0::redis_store, jot::redis_store>);

}  // namespace jot::inline v0
