// SPDX-License-Identifier: MIT
// A refresh_store in an SQLite file: each step is one transaction, safe for many threads and processes.
#pragma once

#include <array>               // std::array
#include <atomic>              // std::atomic
#include <chrono>              // std::chrono::milliseconds, std::chrono::seconds
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <cstdint>             // std::int64_t, std::uint64_t
#include <limits>              // std::numeric_limits
#include <memory>              // std::unique_ptr
#include <mutex>               // std::mutex, std::unique_lock
#include <optional>            // std::optional
#include <string>              // std::string
#include <string_view>         // std::string_view
#include <type_traits>         // std::is_same_v, std::invoke_result_t
#include <utility>             // std::move, std::exchange
#include <vector>              // std::vector

#include <sqlite3.h>

#include "detail_codec.hpp"
#include "detail_rotation.hpp"
#include "detail_sqlite_connection.hpp"
#include "refresh_store.hpp"

namespace jot::inline v0 {

/// How far SQLite pushes each commit towards stable storage (`PRAGMA synchronous`). In WAL mode `normal`
/// loses no commit when the process crashes, but may lose the last commits when the machine loses power;
/// `full` loses none.
enum class sqlite_synchronous { full, normal, extra, off };

/// Where and how a sqlite_store keeps its records.
struct sqlite_store_options {
    /// The database file, created with its schema when absent. Required; it must be a file (every
    /// connection of the store opens it), on a local file system (WAL needs shared memory).
    std::string path{};
    /// How long a step waits for another process's write transaction before it fails with
    /// store_unavailable.
    std::chrono::milliseconds busy_timeout = std::chrono::seconds{5};
    sqlite_synchronous synchronous = sqlite_synchronous::full;
    /// Write steps also purge expired records when this much time (by the times they carry) has passed
    /// since this store's last purge, as memory_store does.
    std::chrono::seconds purge_interval = std::chrono::minutes{1};
};

/// A refresh_store in an SQLite database file. Every step that reads and then writes is one `BEGIN
/// IMMEDIATE` transaction, so steps are atomic across threads and processes that share the file; reads
/// see one consistent snapshot. WAL journal, `busy_timeout`, statements prepared once per connection,
/// connections pooled (each call uses one connection of its own), writers of one store queued in process
/// rather than by SQLite's sleeping busy handler. The store creates and migrates its schema (table
/// `schema_version`). Times are kept as integer microseconds since the epoch (finer parts are dropped).
/// Damaged rows give store_corrupt; a busy or failing database gives store_unavailable. See
/// refresh_store.hpp for the semantics of each member.
class sqlite_store {
public:
    /// The schema version this store writes.
    static constexpr int schema_version = static_cast<int>(detail::sqlite_migrations.size());

    /// Opens (or creates) the database and brings its schema up to date. Throws setup_error if the options
    /// are unusable, the file cannot be opened or is not a database, or its schema is newer than this
    /// version of jot knows.
    explicit sqlite_store(sqlite_store_options options) : options_(std::move(options)) {
        if (options_.path.empty() || options_.path == ":memory:" ||
            options_.path.starts_with("file::memory:"))
            throw setup_error("jot: sqlite_store_options.path must name a database file");
        if (options_.busy_timeout < std::chrono::milliseconds{0} ||
            options_.busy_timeout > std::chrono::hours{24})
            throw setup_error("jot: sqlite_store_options.busy_timeout must be in [0, 24h]");
        if (options_.purge_interval < std::chrono::seconds{0})
            throw setup_error("jot: sqlite_store_options.purge_interval must not be negative");
        detail::sqlite_create_private(options_.path);
        try {
            auto c = open();
            migrate(*c);
            idle_.push_back(std::move(c));
        } catch (const detail::sqlite_failure& e) {
            throw setup_error(
                std::string("jot: cannot open SQLite database '") + options_.path +
                "': " + (e.code == errc::store_corrupt ? "not a jot database or damaged" : "unavailable"));
        }
    }
    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

    [[nodiscard]] const sqlite_store_options& options() const noexcept { return options_; }

    [[nodiscard]] result<std::vector<std::string>> create_family(const family_record& f,
                                                                 const token_record& t, std::size_t cap) {
        using detail::sqlite_sql;
        return write([&](detail::sqlite_connection& c) {
            std::vector<std::string> evicted;
            if (cap > 0) {
                const auto live = live_families(c, f.subject, f.created);
                for (std::size_t i = 0; i + cap <= live.size(); ++i) {
                    revoke_family_rows(c, live[i].id);
                    evicted.push_back(live[i].id);
                }
            }
            c.use(sqlite_sql::insert_family)
                .text(1, f.id)
                .text(2, f.subject)
                .text(3, f.client)
                .text(4, f.claims)
                .time(5, f.created)
                .time(6, f.absolute_expiry)
                .integer(7, static_cast<std::int64_t>(f.generation))
                .integer(8, f.revoked ? 1 : 0)
                .time(9, t.idle_expiry)
                .run();
            insert_token(c, t);
            maybe_purge(c, f.created);
            return evicted;
        });
    }

    [[nodiscard]] result<rotate_outcome> rotate(const rotate_request& r) {
        using detail::sqlite_sql;
        return write([&](detail::sqlite_connection& c) {
            rotate_outcome out;
            const auto t = find_token_row(c, r.token_id);
            if (!detail::presents_token(r, t ? &*t : nullptr)) return out;
            auto f = find_family_row(c, t->family);
            if (!f) detail::sqlite_throw_corrupt();
            std::optional<token_record> s;
            out.status = detail::decide_rotation(r, *t, *f, [&] {
                s = find_token_row(c, t->successor);
                return s && s->state == token_state::active;
            });
            switch (out.status) {
                case rotate_status::client_mismatch:
                    return out;
                case rotate_status::rotated: {
                    if (c.use(sqlite_sql::retire_token)
                            .text(1, t->id)
                            .text(2, r.successor.id)
                            .blob(3, r.sealed_successor)
                            .time(4, r.now + r.grace)
                            .run() != 1)
                        detail::sqlite_throw_corrupt();
                    token_record next = detail::advance_family(r, *f);
                    c.use(sqlite_sql::advance_family)
                        .text(1, f->id)
                        .integer(2, static_cast<std::int64_t>(f->generation))
                        .time(3, next.idle_expiry)
                        .run();
                    insert_token(c, next);
                    if (const auto oldest = detail::trimmed_through(r, *f))
                        c.use(sqlite_sql::trim_tokens)
                            .text(1, f->id)
                            .integer(2, static_cast<std::int64_t>(*oldest))
                            .run();
                    next.created = detail::store_rounded(next.created);  // as a later read gives it back
                    next.idle_expiry = detail::store_rounded(next.idle_expiry);
                    next.grace_until = detail::store_rounded(next.grace_until);
                    out.successor = std::move(next);
                    break;
                }
                case rotate_status::grace_replay:
                    out.successor = *std::move(s);
                    out.sealed_successor = t->sealed_successor;
                    break;
                case rotate_status::reused:
                    revoke_family_rows(c, f->id);
                    f->revoked = true;
                    break;
                default:
                    break;
            }
            out.family = *std::move(f);
            maybe_purge(c, r.now);
            return out;
        });
    }

    [[nodiscard]] result<std::optional<token_record>> find_token(std::string_view id) const {
        return read(false, [&](detail::sqlite_connection& c) { return find_token_row(c, id); });
    }

    [[nodiscard]] result<std::optional<family_record>> find_family(std::string_view id) const {
        return read(false, [&](detail::sqlite_connection& c) { return find_family_row(c, id); });
    }

    [[nodiscard]] result<std::optional<family_record>> revoke_token(std::string_view id,
                                                                    const secret_hash& h) {
        using detail::sqlite_sql;
        return write([&](detail::sqlite_connection& c) -> std::optional<family_record> {
            const auto t = find_token_row(c, id);
            if (!t || !hash_equal(t->hash, h)) return std::nullopt;
            auto f = find_family_row(c, t->family);
            if (!f) detail::sqlite_throw_corrupt();
            if (t->state == token_state::active) {
                revoke_family_rows(c, f->id);
                f->revoked = true;
            } else {
                c.use(sqlite_sql::revoke_token).text(1, t->id).run();
            }
            return f;
        });
    }

    [[nodiscard]] result<std::optional<family_record>> revoke_family(std::string_view id) {
        return write([&](detail::sqlite_connection& c) -> std::optional<family_record> {
            auto f = find_family_row(c, id);
            if (!f) return std::nullopt;
            revoke_family_rows(c, f->id);
            f->revoked = true;
            return f;
        });
    }

    [[nodiscard]] result<std::vector<family_record>> revoke_subject(std::string_view subject, time_point now,
                                                                    time_point until) {
        using detail::sqlite_sql;
        return write([&](detail::sqlite_connection& c) {
            auto out = live_families(c, subject, now);
            for (auto& f : out) {
                revoke_family_rows(c, f.id);
                f.revoked = true;
            }
            c.use(sqlite_sql::upsert_revocation).text(1, subject).time(2, now).time(3, until).run();
            maybe_purge(c, now);
            return out;
        });
    }

    [[nodiscard]] result<std::vector<family_record>> families_of(std::string_view subject,
                                                                 time_point now) const {
        return read(false, [&](detail::sqlite_connection& c) { return live_families(c, subject, now); });
    }

    [[nodiscard]] result<void> deny_jti(std::string_view jti, time_point until) {
        auto r = write([&](detail::sqlite_connection& c) {
            return c.use(detail::sqlite_sql::upsert_denied).text(1, jti).time(2, until).run();
        });
        if (!r) return r.error();
        return {};
    }

    [[nodiscard]] result<bool> is_denied(std::string_view jti, time_point now) const {
        return read(false, [&](detail::sqlite_connection& c) {
            auto s = c.use(detail::sqlite_sql::denied_by_jti).text(1, jti);
            return s.step() && now < s.time(0);
        });
    }

    [[nodiscard]] result<std::optional<time_point>> subject_not_before(std::string_view subject,
                                                                       time_point now) const {
        return read(false, [&](detail::sqlite_connection& c) -> std::optional<time_point> {
            auto s = c.use(detail::sqlite_sql::revocation_by_subject).text(1, subject);
            if (!s.step()) return std::nullopt;
            const time_point not_before = s.time(0);
            if (now >= s.time(1)) return std::nullopt;
            return not_before;
        });
    }

    /// The three lookups in one read transaction (one snapshot).
    [[nodiscard]] result<access_lookup> lookup_access(std::string_view jti, std::string_view subject,
                                                      std::string_view sid, time_point now) const {
        using detail::sqlite_sql;
        return read(true, [&](detail::sqlite_connection& c) {
            access_lookup out;
            {
                auto s = c.use(sqlite_sql::denied_by_jti).text(1, jti);
                out.denied = s.step() && now < s.time(0);
            }
            {
                auto s = c.use(sqlite_sql::revocation_by_subject).text(1, subject);
                if (s.step() && now < s.time(1)) out.not_before = s.time(0);
            }
            if (!sid.empty()) out.session = find_family_row(c, sid);
            return out;
        });
    }

    [[nodiscard]] result<std::size_t> purge_expired(time_point now) {
        return write([&](detail::sqlite_connection& c) { return purge(c, now); });
    }

    [[nodiscard]] result<failure_count> add_failure(std::string_view key, time_point now,
                                                    std::chrono::seconds window) {
        using detail::sqlite_sql;
        return write([&](detail::sqlite_connection& c) {
            const auto held = find_failures(c, key);
            auto next = next_failure_count(held ? &*held : nullptr, now, window);
            c.use(sqlite_sql::upsert_failure)
                .text(1, key)
                .integer(2, static_cast<std::int64_t>(std::min<std::uint64_t>(
                                next.count, std::numeric_limits<std::int64_t>::max())))
                .time(3, next.last)
                .time(4, next.expires)
                .run();
            next.last = detail::store_rounded(next.last);
            next.expires = detail::store_rounded(next.expires);
            maybe_purge(c, now);
            return next;
        });
    }

    [[nodiscard]] result<failure_count> failures(std::string_view key, time_point now) const {
        return read(false, [&](detail::sqlite_connection& c) {
            const auto held = find_failures(c, key);
            return held && now < held->expires ? *held : failure_count{};
        });
    }

    [[nodiscard]] result<void> clear_failures(std::string_view key) {
        auto r = write([&](detail::sqlite_connection& c) {
            return c.use(detail::sqlite_sql::delete_failure).text(1, key).run();
        });
        if (!r) return r.error();
        return {};
    }

    [[nodiscard]] result<store_dump> dump() const {
        using detail::sqlite_sql;
        return read(true, [&](detail::sqlite_connection& c) {
            store_dump d;
            for (auto s = c.use(sqlite_sql::all_families); s.step();) d.families.push_back(s.family());
            for (auto s = c.use(sqlite_sql::all_tokens); s.step();) d.tokens.push_back(s.token());
            for (auto s = c.use(sqlite_sql::all_denied); s.step();)
                d.denied.push_back({s.text(0), s.time(1)});
            for (auto s = c.use(sqlite_sql::all_revocations); s.step();)
                d.revocations.push_back({s.text(0), s.time(1), s.time(2)});
            return d;
        });
    }

private:
    using connection_ptr = std::unique_ptr<detail::sqlite_connection>;

    [[nodiscard]] connection_ptr open() const {
        static constexpr const char* modes[] = {"FULL", "NORMAL", "EXTRA", "OFF"};
        return std::make_unique<detail::sqlite_connection>(options_.path, options_.busy_timeout,
                                                           modes[static_cast<int>(options_.synchronous)]);
    }

    // Creates the schema or migrates it, in one write transaction that other processes wait for.
    void migrate(detail::sqlite_connection& c) const {
        {
            auto mode = sqlite_statement_for(c, "PRAGMA journal_mode = WAL");
            if (!mode.step() || mode.text(0) != "wal")
                throw setup_error("jot: SQLite database '" + options_.path + "' cannot use WAL journaling");
        }
        c.exec("BEGIN IMMEDIATE");
        try {
            c.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            std::int64_t version = 0;
            bool has_row = false;
            {
                auto v = sqlite_statement_for(c, "SELECT version FROM schema_version");
                if (v.step()) {
                    version = v.integer(0);
                    has_row = true;
                }
            }
            if (version < 0 || version > schema_version)
                throw setup_error("jot: SQLite database '" + options_.path + "' has schema version " +
                                  detail::decimal(version) + "; this jot knows up to " +
                                  detail::decimal(schema_version));
            for (auto v = static_cast<std::size_t>(version); v < detail::sqlite_migrations.size(); ++v)
                c.exec(detail::sqlite_migrations[v]);
            if (version < schema_version)
                c.exec((std::string(has_row ? "UPDATE schema_version SET version = "
                                            : "INSERT INTO schema_version (version) VALUES (") +
                        detail::decimal(schema_version) + (has_row ? "" : ")"))
                           .c_str());
            c.exec("COMMIT");
        } catch (...) {
            (void)c.abandon();
            throw;
        }
    }

    // An unpooled statement for the set-up queries, finalized when the use ends.
    static detail::sqlite_statement sqlite_statement_for(detail::sqlite_connection& c, const char* sql) {
        sqlite3_stmt* s = nullptr;
        const int rc = sqlite3_prepare_v2(c.handle(), sql, -1, &s, nullptr);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(s);
            detail::sqlite_throw(rc);
        }
        return detail::sqlite_statement(s, true);
    }

    [[nodiscard]] connection_ptr acquire() const {
        {
            const std::lock_guard lock(pool_m_);
            if (!idle_.empty()) {
                auto c = std::move(idle_.back());
                idle_.pop_back();
                return c;
            }
        }
        return open();
    }

    void release(connection_ptr c) const {
        const std::lock_guard lock(pool_m_);
        idle_.push_back(std::move(c));
    }

    // Runs `body` on a pooled connection: in a read transaction (one snapshot) if `snapshot`, else as single
    // statements. Failures roll back and come back as errors.
    template <class F>
    auto read(bool snapshot, F&& body) const -> result<std::invoke_result_t<F&, detail::sqlite_connection&>> {
        return run(snapshot ? detail::sqlite_sql::begin_read : detail::sqlite_sql::count_, body);
    }

    // Runs `body` in one BEGIN IMMEDIATE transaction. Writers of this store wait in process for each other
    // (a queue, not SQLite's sleeping busy handler); other processes are waited for up to busy_timeout.
    template <class F>
    auto write(F&& body) -> result<std::invoke_result_t<F&, detail::sqlite_connection&>> {
        {
            std::unique_lock lock(write_m_);
            if (!write_cv_.wait_for(lock, options_.busy_timeout, [this] { return !writing_; }))
                return errc::store_unavailable;
            writing_ = true;
        }
        struct leave {
            sqlite_store* s;
            ~leave() {
                {
                    const std::lock_guard lock(s->write_m_);
                    s->writing_ = false;
                }
                s->write_cv_.notify_one();
            }
        } const guard{this};
        return run(detail::sqlite_sql::begin_write, body);
    }

    template <class F>
    auto run(detail::sqlite_sql begin, F& body) const
        -> result<std::invoke_result_t<F&, detail::sqlite_connection&>> {
        using detail::sqlite_sql;
        connection_ptr c;
        try {
            c = acquire();
            const bool transaction = begin != sqlite_sql::count_;
            if (transaction) c->use(begin).run();
            auto value = body(*c);
            if (transaction) c->use(sqlite_sql::commit).run();
            release(std::move(c));
            return value;
        } catch (const detail::sqlite_failure& e) {
            if (c && c->abandon()) release(std::move(c));
            return e.code;
        }
    }

    static std::optional<token_record> find_token_row(detail::sqlite_connection& c, std::string_view id) {
        auto s = c.use(detail::sqlite_sql::token_by_id).text(1, id);
        if (!s.step()) return std::nullopt;
        return s.token();
    }

    static std::optional<failure_count> find_failures(detail::sqlite_connection& c, std::string_view key) {
        auto s = c.use(detail::sqlite_sql::failure_by_key).text(1, key);
        if (!s.step()) return std::nullopt;
        return failure_count{.count = s.count(0), .last = s.time(1), .expires = s.time(2)};
    }

    static std::optional<family_record> find_family_row(detail::sqlite_connection& c, std::string_view id) {
        auto s = c.use(detail::sqlite_sql::family_by_id).text(1, id);
        if (!s.step()) return std::nullopt;
        return s.family();
    }

    // Oldest first: by creation time, ties by insertion order (rowid).
    static std::vector<family_record> live_families(detail::sqlite_connection& c, std::string_view subject,
                                                    time_point now) {
        std::vector<family_record> out;
        for (auto s = c.use(detail::sqlite_sql::live_families).text(1, subject).time(2, now); s.step();)
            out.push_back(s.family());
        return out;
    }

    static_assert(static_cast<int>(token_state::active) == 0 && static_cast<int>(token_state::rotated) == 1 &&
                  static_cast<int>(token_state::revoked) == 2);  // the values of tokens.state
    static void insert_token(detail::sqlite_connection& c, const token_record& t) {
        c.use(detail::sqlite_sql::insert_token)
            .text(1, t.id)
            .text(2, t.family)
            .integer(3, static_cast<std::int64_t>(t.generation))
            .blob(4, t.hash)
            .integer(5, static_cast<std::int64_t>(t.state))
            .time(6, t.created)
            .time(7, t.idle_expiry)
            .text(8, t.successor)
            .blob(9, t.sealed_successor)
            .time(10, t.grace_until)
            .run();
    }

    static void revoke_family_rows(detail::sqlite_connection& c, std::string_view id) {
        c.use(detail::sqlite_sql::revoke_family).text(1, id).run();
        c.use(detail::sqlite_sql::revoke_family_tokens).text(1, id).run();
    }

    // After the step, never before it: the step reports `expired` for a record that has just expired.
    void maybe_purge(detail::sqlite_connection& c, time_point now) {
        if (detail::store_micros(now) < next_purge_.load(std::memory_order_relaxed)) return;
        purge(c, now);
    }

    std::size_t purge(detail::sqlite_connection& c, time_point now) {
        using detail::sqlite_sql;
        next_purge_.store(detail::store_micros(now + options_.purge_interval), std::memory_order_relaxed);
        c.use(sqlite_sql::purge_sealed).time(1, now).run();
        std::int64_t removed = 0;
        for (auto id : {sqlite_sql::purge_tokens, sqlite_sql::purge_families, sqlite_sql::purge_denied,
                        sqlite_sql::purge_revocations, sqlite_sql::purge_failures})
            removed += c.use(id).time(1, now).run();
        return static_cast<std::size_t>(removed);
    }

    sqlite_store_options options_;
    mutable std::mutex pool_m_;
    mutable std::vector<connection_ptr> idle_;
    // The in-process queue of writers (a timed wait on a condition variable: TSan does not see
    // std::timed_mutex::try_lock_for).
    std::mutex write_m_;
    std::condition_variable write_cv_;
    bool writing_ = false;
    std::atomic<std::int64_t> next_purge_{0};
};

static_assert(access_lookup_store<sqlite_store>);
static_assert(refresh_store<sqlite_store>);
static_assert(attempt_store<sqlite_store>);
static_assert(std::is_same_v<jot::v0::sqlite_store, jot::sqlite_store>);

}  // namespace jot::inline v0
