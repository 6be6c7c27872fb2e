// SPDX-License-Identifier: MIT
// sqlite_store's connection to SQLite: errors as jot errors, prepared statements, one connection.
#pragma once

#include <array>        // std::array
#include <chrono>       // std::chrono::milliseconds
#include <cstddef>      // std::size_t
#include <cstdint>      // std::int64_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <limits>       // std::numeric_limits
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move, std::exchange

#include <fcntl.h>  // open, O_CREAT, O_EXCL
#include <sqlite3.h>
#include <unistd.h>  // close

#include "../error.hpp"
#include "detail_codec.hpp"
#include "detail_sqlite_schema.hpp"
#include "refresh_store.hpp"

namespace jot::inline v0::detail {

/// Thrown inside a sqlite_store step and caught at its boundary: it never leaves the store.
struct sqlite_failure {
    errc code = errc::store_unavailable;
};

/// A failed SQLite call as a jot error: damaged data or schema is store_corrupt, anything else (busy,
/// I/O, full disk, out of memory) store_unavailable.
[[nodiscard]] inline errc sqlite_errc(int rc) noexcept {
    switch (rc & 0xff) {
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_CONSTRAINT:
        case SQLITE_MISMATCH:
        case SQLITE_FORMAT:
        case SQLITE_RANGE:
        case SQLITE_ERROR:  // e.g. a table of the schema is missing
        case SQLITE_SCHEMA:
            return errc::store_corrupt;
        default:
            return errc::store_unavailable;
    }
}

/// Creates the database file readable by its owner only (0600), if it does not exist, before SQLite opens
/// it: SQLite creates the -wal and -shm files with the database file's permissions.
inline void sqlite_create_private(const std::string& path) noexcept {
    if (path.starts_with("file:")) return;  // a URI: SQLite parses it
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) ::close(fd);
}

[[noreturn]] inline void sqlite_throw(int rc) {
    throw sqlite_failure{sqlite_errc(rc)};
}
[[noreturn]] inline void sqlite_throw_corrupt() {
    throw sqlite_failure{errc::store_corrupt};
}

/// A prepared statement in use: binds, steps and reads; reset when the use ends, so it holds no lock.
/// Reading a column of the wrong type, or a value out of range, throws store_corrupt.
class sqlite_statement {
public:
    /// Uses `s`; when the use ends it is reset, or finalized if `owned`.
    explicit sqlite_statement(sqlite3_stmt* s, bool owned = false) noexcept : s_(s), owned_(owned) {}
    sqlite_statement(sqlite_statement&& o) noexcept : s_(std::exchange(o.s_, nullptr)), owned_(o.owned_) {}
    sqlite_statement& operator=(sqlite_statement&&) = delete;
    ~sqlite_statement() {
        if (!s_) return;
        if (owned_) {
            sqlite3_finalize(s_);
        } else {
            sqlite3_reset(s_);
            sqlite3_clear_bindings(s_);
        }
    }

    // Binding is chained on the statement just taken: c.use(id).text(1, a).time(2, b).run().
    sqlite_statement&& integer(int i, std::int64_t v) && { return check(sqlite3_bind_int64(s_, i, v)); }
    sqlite_statement&& time(int i, time_point t) && { return std::move(*this).integer(i, store_micros(t)); }
    sqlite_statement&& text(int i, std::string_view v) && {
        return check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
    }
    sqlite_statement&& blob(int i, std::string_view v) && {
        return check(sqlite3_bind_blob64(s_, i, v.empty() ? "" : v.data(), v.size(), SQLITE_STATIC));
    }
    sqlite_statement&& blob(int i, const secret_hash& h) && {
        return std::move(*this).blob(i, std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
    }

    /// True when a row is ready, false when done.
    bool step() {
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        sqlite_throw(rc);
    }
    /// Runs to the end; returns the number of rows it changed.
    std::int64_t run() {
        while (step()) {
        }
        return sqlite3_changes(sqlite3_db_handle(s_));
    }

    [[nodiscard]] std::int64_t integer(int c) const {
        if (sqlite3_column_type(s_, c) != SQLITE_INTEGER) sqlite_throw_corrupt();
        return sqlite3_column_int64(s_, c);
    }
    [[nodiscard]] std::uint64_t count(int c) const {
        const auto v = integer(c);
        if (v < 0) sqlite_throw_corrupt();
        return static_cast<std::uint64_t>(v);
    }
    [[nodiscard]] time_point time(int c) const { return store_time(integer(c)); }
    [[nodiscard]] bool flag(int c) const {
        const auto v = integer(c);
        if (v != 0 && v != 1) sqlite_throw_corrupt();
        return v == 1;
    }
    [[nodiscard]] token_state state(int c) const {
        switch (integer(c)) {
            case 0:
                return token_state::active;
            case 1:
                return token_state::rotated;
            case 2:
                return token_state::revoked;
            default:
                sqlite_throw_corrupt();
        }
    }
    [[nodiscard]] std::string text(int c) const {
        if (sqlite3_column_type(s_, c) != SQLITE_TEXT) sqlite_throw_corrupt();
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
        return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)));
    }
    [[nodiscard]] std::string blob(int c) const {
        if (sqlite3_column_type(s_, c) != SQLITE_BLOB) sqlite_throw_corrupt();
        const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, c));
        const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s_, c));
        return n == 0 ? std::string{} : std::string(p, n);
    }
    [[nodiscard]] secret_hash hash(int c) const {
        const std::string b = blob(c);
        secret_hash h{};
        if (b.size() != h.size()) sqlite_throw_corrupt();
        std::memcpy(h.data(), b.data(), h.size());
        return h;
    }

    /// Columns first..first+7 as selected by the family statements.
    [[nodiscard]] family_record family(int first = 0) const {
        return {.id = text(first),
                .subject = text(first + 1),
                .client = text(first + 2),
                .claims = text(first + 3),
                .created = time(first + 4),
                .absolute_expiry = time(first + 5),
                .generation = count(first + 6),
                .revoked = flag(first + 7)};
    }
    /// Columns 0..9 as selected by the token statements.
    [[nodiscard]] token_record token() const {
        return {.id = text(0),
                .family = text(1),
                .generation = count(2),
                .hash = hash(3),
                .state = state(4),
                .created = time(5),
                .idle_expiry = time(6),
                .successor = text(7),
                .sealed_successor = blob(8),
                .grace_until = time(9)};
    }

private:
    sqlite_statement&& check(int rc) {
        if (rc != SQLITE_OK) sqlite_throw(rc);
        return std::move(*this);
    }
    sqlite3_stmt* s_;
    bool owned_;
};

/// One connection of a sqlite_store, used by one thread at a time, with its prepared statements.
class sqlite_connection {
public:
    sqlite_connection(const std::string& path, std::chrono::milliseconds busy_timeout,
                      const char* synchronous) {
        const int rc = sqlite3_open_v2(
            path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            sqlite3_close_v2(db_);  // a handle is returned even on failure
            sqlite_throw(rc);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
        try {
            exec((std::string("PRAGMA synchronous = ") + synchronous).c_str());
        } catch (...) {  // no destructor runs for a constructor that throws
            sqlite3_close_v2(db_);
            throw;
        }
    }
    sqlite_connection(const sqlite_connection&) = delete;
    sqlite_connection& operator=(const sqlite_connection&) = delete;
    ~sqlite_connection() {
        for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
        sqlite3_close_v2(db_);
    }

    /// The statement `id`, prepared on first use.
    [[nodiscard]] sqlite_statement use(sqlite_sql id) {
        sqlite3_stmt*& s = statements_[static_cast<std::size_t>(id)];
        if (!s) {
            const int rc = sqlite3_prepare_v3(db_, sqlite_statements[static_cast<std::size_t>(id)], -1,
                                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
            if (rc != SQLITE_OK) sqlite_throw(rc);
        }
        return sqlite_statement(s);
    }

    /// Runs SQL text once (schema scripts, pragmas).
    void exec(const char* sql) {
        const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) sqlite_throw(rc);
    }

    /// Ends an open transaction after a failure; false if the connection is no longer usable.
    [[nodiscard]] bool abandon() noexcept {
        if (sqlite3_get_autocommit(db_)) return true;
        return sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK;
    }

    [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::array<sqlite3_stmt*, static_cast<std::size_t>(sqlite_sql::count_)> statements_{};
};

}  // namespace jot::inline v0::detail
