// SPDX-License-Identifier: MIT
// sqlite_store's SQL: the statements it prepares and the schema migrations, one per version.
#pragma once

#include <array>    // std::array
#include <cstddef>  // std::size_t

namespace jot::inline v0::detail {

/// The statements of a sqlite_store; each connection prepares each one once, when first used.
enum class sqlite_sql : std::size_t {
    begin_write,
    begin_read,
    commit,
    rollback,
    token_by_id,
    family_by_id,
    insert_family,
    insert_token,
    live_families,
    revoke_family,
    revoke_family_tokens,
    revoke_token,
    retire_token,
    advance_family,
    upsert_denied,
    denied_by_jti,
    upsert_revocation,
    revocation_by_subject,
    purge_sealed,
    purge_tokens,
    purge_families,
    purge_denied,
    purge_revocations,
    all_families,
    all_tokens,
    all_denied,
    all_revocations,
    trim_tokens,
    failure_by_key,
    upsert_failure,
    delete_failure,
    purge_failures,
    count_,
};

#define JOT_SQLITE_FAMILY_COLUMNS "id, subject, client, claims, created, absolute_expiry, generation, revoked"
#define JOT_SQLITE_TOKEN_COLUMNS \
    "id, family, generation, hash, state, created, idle_expiry, successor, sealed_successor, grace_until"

inline constexpr std::array<const char*, static_cast<std::size_t>(sqlite_sql::count_)> sqlite_statements = {
    "BEGIN IMMEDIATE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SELECT " JOT_SQLITE_TOKEN_COLUMNS " FROM tokens WHERE id = ?1",
    "SELECT " JOT_SQLITE_FAMILY_COLUMNS " FROM families WHERE id = ?1",
    "INSERT INTO families (" JOT_SQLITE_FAMILY_COLUMNS
    ", idle_expiry) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    "INSERT INTO tokens (" JOT_SQLITE_TOKEN_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    "SELECT f.id, f.subject, f.client, f.claims, f.created, f.absolute_expiry, f.generation, f.revoked "
    "FROM families f JOIN tokens t ON t.family = f.id AND t.state = 0 "
    "WHERE f.subject = ?1 AND f.revoked = 0 AND f.absolute_expiry > ?2 AND t.idle_expiry > ?2 "
    "ORDER BY f.created, f.rowid",
    "UPDATE families SET revoked = 1 WHERE id = ?1",
    "UPDATE tokens SET state = 2, sealed_successor = x'' WHERE family = ?1",
    "UPDATE tokens SET state = 2, sealed_successor = x'' WHERE id = ?1",
    "UPDATE tokens SET state = 1, successor = ?2, sealed_successor = ?3, grace_until = ?4 "
    "WHERE id = ?1 AND state = 0",
    "UPDATE families SET generation = ?2, idle_expiry = max(idle_expiry, ?3) WHERE id = ?1",
    "INSERT INTO denied_jtis (jti, until) VALUES (?1, ?2) "
    "ON CONFLICT (jti) DO UPDATE SET until = max(until, excluded.until)",
    "SELECT until FROM denied_jtis WHERE jti = ?1",
    "INSERT INTO subject_revocations (subject, not_before, until) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (subject) DO UPDATE SET not_before = excluded.not_before, until = max(until, "
    "excluded.until)",
    "SELECT not_before, until FROM subject_revocations WHERE subject = ?1",
    "UPDATE tokens SET sealed_successor = x'' WHERE sealed_successor != x'' AND grace_until <= ?1",
    "DELETE FROM tokens WHERE idle_expiry <= ?1 OR family IN "
    "(SELECT id FROM families WHERE min(absolute_expiry, idle_expiry) <= ?1)",
    "DELETE FROM families WHERE min(absolute_expiry, idle_expiry) <= ?1",
    "DELETE FROM denied_jtis WHERE until <= ?1",
    "DELETE FROM subject_revocations WHERE until <= ?1",
    "SELECT " JOT_SQLITE_FAMILY_COLUMNS " FROM families ORDER BY rowid",
    "SELECT " JOT_SQLITE_TOKEN_COLUMNS " FROM tokens",
    "SELECT jti, until FROM denied_jtis",
    "SELECT subject, not_before, until FROM subject_revocations",
    "DELETE FROM tokens WHERE family = ?1 AND generation <= ?2",
    "SELECT count, last, expires FROM failure_counts WHERE key = ?1",
    "INSERT INTO failure_counts (key, count, last, expires) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (key) DO UPDATE SET count = excluded.count, last = excluded.last, expires = "
    "excluded.expires",
    "DELETE FROM failure_counts WHERE key = ?1",
    "DELETE FROM failure_counts WHERE expires <= ?1",
};

#undef JOT_SQLITE_FAMILY_COLUMNS
#undef JOT_SQLITE_TOKEN_COLUMNS

/// The schema, one script per version: script i takes a database from version i to version i + 1.
/// families.idle_expiry is the latest idle expiry of the family's tokens, so that purging needs no join.
/// The unique indexes are a backstop: a family never has two active tokens or two tokens of a generation.
/// Version 2 indexes only the families not revoked by subject: a login under a session cap then reads the
/// subject's live sessions, not every family held for reuse detection. Version 3 adds the failure counters
/// of attempt_store.
inline constexpr std::array<const char*, 3> sqlite_migrations = {
    "CREATE TABLE families ("
    " id TEXT NOT NULL UNIQUE, subject TEXT NOT NULL, client TEXT NOT NULL, claims TEXT NOT NULL,"
    " created INTEGER NOT NULL, absolute_expiry INTEGER NOT NULL,"
    " generation INTEGER NOT NULL CHECK (generation >= 0), revoked INTEGER NOT NULL CHECK (revoked IN (0, "
    "1)),"
    " idle_expiry INTEGER NOT NULL);"
    "CREATE INDEX families_by_subject ON families (subject, created);"
    "CREATE INDEX families_by_expiry ON families (min(absolute_expiry, idle_expiry));"
    "CREATE TABLE tokens ("
    " id TEXT PRIMARY KEY, family TEXT NOT NULL, generation INTEGER NOT NULL,"
    " hash BLOB NOT NULL CHECK (length(hash) = 32), state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
    " created INTEGER NOT NULL, idle_expiry INTEGER NOT NULL, successor TEXT NOT NULL,"
    " sealed_successor BLOB NOT NULL, grace_until INTEGER NOT NULL,"
    " UNIQUE (family, generation)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX tokens_one_active ON tokens (family) WHERE state = 0;"
    "CREATE INDEX tokens_by_expiry ON tokens (idle_expiry);"
    "CREATE INDEX tokens_sealed ON tokens (grace_until) WHERE sealed_successor != x'';"
    "CREATE TABLE denied_jtis (jti TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE subject_revocations ("
    " subject TEXT PRIMARY KEY, not_before INTEGER NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID;",
    "DROP INDEX families_by_subject;"
    "CREATE INDEX families_live_by_subject ON families (subject, created) WHERE revoked = 0;",
    "CREATE TABLE failure_counts ("
    " key TEXT PRIMARY KEY, count INTEGER NOT NULL CHECK (count >= 0), last INTEGER NOT NULL,"
    " expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX failure_counts_by_expiry ON failure_counts (expires);",
};

}  // namespace jot::inline v0::detail
