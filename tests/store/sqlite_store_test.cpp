// SPDX-License-Identifier: MIT
// The conformance suite over sqlite_store, and what is particular to sqlite_store: schema, persistence,
// damaged rows, locking.
#include <jot/store/sqlite_store.hpp>

#include "../support/temp_dir.hpp"
#include "conformance.hpp"
#include "rotation_cases.hpp"

#include <sqlite3.h>
#include <stdlib.h>    // mkdtemp
#include <sys/stat.h>  // umask

#include <chrono>      // std::chrono
#include <cstdint>     // std::uintmax_t
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ofstream
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string

namespace {

using namespace std::chrono_literals;

using jot_test::temp_dir;

struct held_store {
    temp_dir dir;
    jot::sqlite_store store{{.path = dir.file("jot.db")}};
};

/// A plain SQLite connection to look at (and damage) what the store wrote.
class raw_db {
public:
    explicit raw_db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
        sqlite3_busy_timeout(db_, 5000);
    }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;
    ~raw_db() { sqlite3_close(db_); }

    /// Runs SQL; returns SQLite's result code.
    int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }

    /// Every row of a query, columns separated by '|', rows by '\n'.
    std::string query(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("bad query: ") + sqlite3_errmsg(db_));
        std::string out;
        while (sqlite3_step(s) == SQLITE_ROW) {
            if (!out.empty()) out += '\n';
            for (int i = 0; i < sqlite3_column_count(s); ++i) {
                if (i) out += '|';
                const auto* t = sqlite3_column_text(s, i);
                out += t ? reinterpret_cast<const char*>(t) : "NULL";
            }
        }
        sqlite3_finalize(s);
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

/// A token service over a sqlite_store on a file of its own.
struct sqlite_fixture {
    explicit sqlite_fixture(jot::token_service_options o = conformance::default_options(),
                            jot::sqlite_store_options so = {})
        : path(dir.file("jot.db")),
          svc(std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), std::move(o),
              open(path, std::move(so)), jot::manual_clock{}) {}

    static std::shared_ptr<jot::sqlite_store> open(const std::string& path, jot::sqlite_store_options so) {
        so.path = path;
        return std::make_shared<jot::sqlite_store>(std::move(so));
    }
    jot::sqlite_store& store() { return svc.store(); }

    temp_dir dir;
    std::string path;
    jot::basic_token_service<jot::sqlite_store, jot::manual_clock> svc;
};

}  // namespace

template <>
struct store_factory<jot::sqlite_store> {
    static std::shared_ptr<jot::sqlite_store> make() {
        auto h = std::make_shared<held_store>();
        return std::shared_ptr<jot::sqlite_store>(h, &h->store);
    }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_id, jot::sqlite_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_access_id, jot::sqlite_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_attempts_id, jot::sqlite_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_client_id, jot::sqlite_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_bounded_id, jot::sqlite_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_rotation_id, jot::sqlite_store);

TEST_CASE("sqlite_store creates its schema at the current version, in WAL mode") {
    sqlite_fixture f;
    raw_db db(f.path);
    CHECK(db.query("SELECT version FROM schema_version") ==
          std::to_string(jot::sqlite_store::schema_version));
    CHECK(jot::sqlite_store::schema_version == 3);
    CHECK(db.query("PRAGMA journal_mode") == "wal");
    CHECK(db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") ==
          "denied_jtis\nfailure_counts\nfamilies\nschema_version\nsubject_revocations\ntokens");
    CHECK(db.query("PRAGMA integrity_check") == "ok");
}

TEST_CASE("sqlite_store finds a subject's sessions through the index of families not revoked") {
    sqlite_fixture f;
    raw_db db(f.path);
    const std::string live_families =
        jot::detail::sqlite_statements[static_cast<std::size_t>(jot::detail::sqlite_sql::live_families)];
    const std::string plan = db.query("EXPLAIN QUERY PLAN " + live_families);
    INFO(plan);
    CHECK(plan.find("USING INDEX families_live_by_subject (subject=?)") != std::string::npos);
    CHECK(db.query("SELECT sql FROM sqlite_master WHERE name = 'families_live_by_subject'")
              .ends_with("WHERE revoked = 0"));
    CHECK(db.query("SELECT count(*) FROM sqlite_master WHERE name = 'families_by_subject'") == "0");
}

TEST_CASE("sqlite_store migrates a version 1 database to the current version, keeping its sessions") {
    temp_dir dir;
    const std::string path = dir.file("v1.db");
    {
        raw_db db(path);
        REQUIRE(db.exec("PRAGMA journal_mode = WAL") == SQLITE_OK);
        REQUIRE(db.exec(jot::detail::sqlite_migrations[0]) == SQLITE_OK);
        REQUIRE(db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL);"
                        "INSERT INTO schema_version (version) VALUES (1)") == SQLITE_OK);
        // A live session written by version 1 (times in microseconds; the manual clock starts at 1.7e9 s).
        REQUIRE(db.exec("INSERT INTO families VALUES ('f1', 'alice', 'web', '', 1700000000000000, "
                        "1800000000000000, 1, 0, 1800000000000000);"
                        "INSERT INTO tokens VALUES ('t1', 'f1', 1, zeroblob(32), 0, 1700000000000000, "
                        "1800000000000000, '', x'', 0)") == SQLITE_OK);
    }
    auto store = std::make_shared<jot::sqlite_store>(jot::sqlite_store_options{.path = path});
    jot::basic_token_service<jot::sqlite_store, jot::manual_clock> svc(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)),
        conformance::default_options(), store, jot::manual_clock{});
    const auto t = svc.login("alice", "web").value();
    CHECK(svc.refresh(t.refresh_token));
    const auto sessions = svc.sessions("alice").value();
    REQUIRE(sessions.size() == 2);
    CHECK(sessions[0].id == "f1");  // the version 1 session, found through the new index
    CHECK(sessions[1].id == t.family_id);
    raw_db db(path);
    CHECK(db.query("SELECT version FROM schema_version") == "3");
    CHECK(db.query("SELECT count(*) FROM sqlite_master WHERE name = 'failure_counts'") == "1");
    CHECK(db.query("SELECT count(*) FROM sqlite_master WHERE name = 'families_live_by_subject'") == "1");
    CHECK(db.query("SELECT count(*) FROM sqlite_master WHERE name = 'families_by_subject'") == "0");
    CHECK(db.query("PRAGMA integrity_check") == "ok");
}

TEST_CASE("sqlite_store keeps every record when the file is opened again") {
    auto o = conformance::default_options();
    o.grace = 10s;
    sqlite_fixture f(o);
    const auto a = f.svc.login("alice", "web", {{"scope", "read"}}).value();
    const auto a2 = f.svc.refresh(a.refresh_token).value();
    const auto b = f.svc.login("bob", "web").value();
    REQUIRE(f.svc.revoke_access(f.svc.verify_access(b.access_token).value()));
    CHECK(f.svc.revoke_subject("bob").value() == 1);
    const auto before = f.store().dump().value();

    jot::sqlite_store again({.path = f.path});
    CHECK(conformance::same(before, again.dump().value()));
    jot::basic_token_service<jot::sqlite_store, jot::manual_clock> svc2(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), o,
        std::make_shared<jot::sqlite_store>(jot::sqlite_store_options{.path = f.path}), jot::manual_clock{});
    CHECK(svc2.refresh(a.refresh_token).value().refresh_token == a2.refresh_token);  // grace replay
    CHECK(svc2.refresh(a2.refresh_token).value().generation == 3);
    CHECK(svc2.refresh(b.refresh_token).error() == jot::errc::refresh_token_revoked);
}

TEST_CASE("sqlite_store keeps times to the microsecond, rounded towards the past") {
    sqlite_fixture f;
    const jot::time_point t{std::chrono::nanoseconds{1'700'000'000'123'456'789}};
    const jot::family_record fam{
        .id = "F", .subject = "s", .client = "c", .created = t, .absolute_expiry = t + 1h, .generation = 1};
    const jot::token_record tok{
        .id = "T", .family = "F", .generation = 1, .created = t, .idle_expiry = t + 1h};
    REQUIRE(f.store().create_family(fam, tok, 0));
    const auto micro = jot::time_point{std::chrono::microseconds{1'700'000'000'123'456}};
    CHECK(f.store().find_family("F").value()->created == micro);
    CHECK(f.store().find_token("T").value()->idle_expiry == micro + 1h);
}

TEST_CASE("sqlite_store refuses unusable options with setup_error") {
    temp_dir dir;
    CHECK_THROWS_AS(jot::sqlite_store({}), jot::setup_error);
    CHECK_THROWS_AS(jot::sqlite_store({.path = ":memory:"}), jot::setup_error);
    CHECK_THROWS_AS(jot::sqlite_store({.path = dir.file("a.db"), .busy_timeout = -1ms}), jot::setup_error);
    CHECK_THROWS_AS(jot::sqlite_store({.path = dir.file("a.db"), .purge_interval = -1s}), jot::setup_error);
    CHECK_THROWS_AS(jot::sqlite_store({.path = dir.file("no/such/dir/a.db")}), jot::setup_error);
}

TEST_CASE("sqlite_store refuses a file that is not a jot database with setup_error") {
    temp_dir dir;
    SUBCASE("garbage bytes") {
        std::ofstream(dir.file("x.db"), std::ios::binary) << std::string(4096, '\x5a');
        CHECK_THROWS_AS(jot::sqlite_store({.path = dir.file("x.db")}), jot::setup_error);
    }
    SUBCASE("a database of a newer schema version") {
        { jot::sqlite_store s({.path = dir.file("x.db")}); }
        raw_db(dir.file("x.db")).exec("UPDATE schema_version SET version = 99");
        CHECK_THROWS_WITH_AS(jot::sqlite_store({.path = dir.file("x.db")}),
                             doctest::Contains("schema version 99"), jot::setup_error);
    }
    SUBCASE("another application's database with a table of the same name") {
        raw_db(dir.file("x.db")).exec("CREATE TABLE families (x)");
        CHECK_THROWS_AS(jot::sqlite_store({.path = dir.file("x.db")}), jot::setup_error);
    }
}

TEST_CASE("sqlite_store reports store_corrupt for damaged rows and writes nothing") {
    using jot::errc;
    sqlite_fixture f;
    const auto t1 = f.svc.login("alice", "web").value();
    const auto t2 = f.svc.refresh(t1.refresh_token).value();
    const auto id2 = conformance::id_of(t2.refresh_token);
    raw_db db(f.path);
    REQUIRE(db.exec("PRAGMA ignore_check_constraints = ON") == SQLITE_OK);
    const auto damage = [&](const std::string& sql) { REQUIRE(db.exec(sql) == SQLITE_OK); };
    const auto rows = [&] {
        return db.query("SELECT * FROM tokens ORDER BY id") + db.query("SELECT * FROM families");
    };

    bool unreadable = true;  // a row that cannot be read, rather than rows that do not fit together
    SUBCASE("a token state out of range") {
        damage("UPDATE tokens SET state = 7 WHERE id = '" + id2 + "'");
    }
    SUBCASE("a hash of the wrong length") {
        damage("UPDATE tokens SET hash = x'00' WHERE id = '" + id2 + "'");
    }
    SUBCASE("text in a time column") {
        damage("UPDATE tokens SET idle_expiry = 'tomorrow' WHERE id = '" + id2 + "'");
    }
    SUBCASE("a negative generation") {
        damage("UPDATE tokens SET generation = -1 WHERE id = '" + id2 + "'");
    }
    SUBCASE("a family's revoked flag out of range") {
        damage("UPDATE families SET revoked = 5");
    }
    SUBCASE("garbage in a family's expiry") {
        damage("UPDATE families SET absolute_expiry = x'00ff'");
    }
    SUBCASE("a token whose family row is missing") {
        damage("DELETE FROM families");
        unreadable = false;
    }

    const auto before = rows();
    CHECK(f.svc.refresh(t2.refresh_token).error() == errc::store_corrupt);
    if (unreadable) CHECK(f.store().dump().error() == errc::store_corrupt);
    CHECK(f.svc.revoke_token(t2.refresh_token).error() == errc::store_corrupt);
    CHECK(rows() == before);
    CHECK(f.svc.sessions("bob").value().empty());  // other subjects still work
    CHECK(f.svc.login("bob", "web"));
}

TEST_CASE("sqlite_store reports store_corrupt when a table of its schema is gone") {
    sqlite_fixture f;
    const auto t = f.svc.login("alice", "web").value();
    raw_db(f.path).exec("DROP TABLE tokens");
    CHECK(f.svc.refresh(t.refresh_token).error() == jot::errc::store_corrupt);
    CHECK(f.svc.login("bob", "web").error() == jot::errc::store_corrupt);
}

TEST_CASE("sqlite_store keeps one active token per family even against direct writes") {
    sqlite_fixture f;
    const auto t = f.svc.login("alice", "web").value();
    raw_db db(f.path);
    const std::string insert =
        "INSERT INTO tokens VALUES ('X', '" + t.family_id + "', 2, zeroblob(32), 0, 0, 0, '', x'', 0)";
    CHECK((db.exec(insert) & 0xff) == SQLITE_CONSTRAINT);
    CHECK((db.exec("INSERT INTO tokens VALUES ('X', '" + t.family_id +
                   "', 1, zeroblob(32), 1, 0, 0, '', x'', 0)") &
           0xff) == SQLITE_CONSTRAINT);  // a second token of generation 1
    const auto rec = f.store().find_family(t.family_id).value().value();
    const jot::token_record tok{.id = "fresh", .family = rec.id, .generation = 1};
    CHECK(f.store().create_family(rec, tok, 0).error() == jot::errc::store_corrupt);  // the id is taken
    CHECK(f.store().find_token("fresh").value() == std::nullopt);
}

TEST_CASE("sqlite_store returns store_unavailable after busy_timeout while another connection writes") {
    sqlite_fixture f(conformance::default_options(), {.busy_timeout = 100ms});
    const auto t = f.svc.login("alice", "web").value();
    raw_db db(f.path);
    REQUIRE(db.exec("BEGIN IMMEDIATE") == SQLITE_OK);
    const auto start = std::chrono::steady_clock::now();
    CHECK(f.svc.refresh(t.refresh_token).error() == jot::errc::store_unavailable);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 100ms);
    CHECK(took < 2s);
    CHECK(f.store().find_family(t.family_id).value());  // readers are not blocked (WAL)
    REQUIRE(db.exec("COMMIT") == SQLITE_OK);
    CHECK(f.svc.refresh(t.refresh_token).value().generation == 2);
}

TEST_CASE("sqlite_store purges expired records as a side effect of writes") {
    auto o = conformance::default_options();
    o.refresh_idle_ttl = 1h;
    o.family_ttl = 2h;
    sqlite_fixture f(o, {.purge_interval = 1min});
    for (int i = 0; i < 20; ++i) (void)f.svc.login("user", "web").value();
    CHECK(f.store().dump()->families.size() == 20);
    f.svc.clock().advance(2h);
    (void)f.svc.login("user", "web").value();
    CHECK(f.store().dump()->families.size() == 1);
    CHECK(f.store().dump()->tokens.size() == 1);
}

TEST_CASE("sqlite_store serves several store instances on one file") {
    sqlite_fixture f;
    jot::sqlite_store other({.path = f.path});
    const auto t = f.svc.login("alice", "web").value();
    CHECK(other.find_family(t.family_id).value()->subject == "alice");
    CHECK(other.revoke_family(t.family_id).value());
    CHECK(f.svc.refresh(t.refresh_token).error() == jot::errc::refresh_token_revoked);
}

namespace {

/// The permission bits of `path`.
std::filesystem::perms mode_of(const std::string& path) {
    return std::filesystem::status(path).permissions() & std::filesystem::perms::mask;
}

/// Bytes of the database file and its WAL, after a checkpoint that empties the WAL.
std::uintmax_t checkpointed_size(const std::string& path) {
    raw_db(path).exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::error_code ec;
    const auto wal = std::filesystem::file_size(path + "-wal", ec);
    return std::filesystem::file_size(path) + (ec ? 0 : wal);
}

}  // namespace

TEST_CASE("sqlite_store creates its database, WAL and SHM files readable by their owner only") {
    temp_dir dir;
    const auto path = dir.file("private.db");
    const mode_t old = ::umask(0);  // even when the process would let everyone read what it creates
    auto store = std::make_shared<jot::sqlite_store>(jot::sqlite_store_options{.path = path});
    ::umask(old);
    jot::basic_token_service<jot::sqlite_store, jot::manual_clock> svc(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)),
        conformance::default_options(), store, jot::manual_clock{});
    (void)svc.login("alice", "web").value();
    using std::filesystem::perms;
    for (const auto& file : {path, path + "-wal", path + "-shm"}) {
        CAPTURE(file);
        REQUIRE(std::filesystem::exists(file));
        CHECK(mode_of(file) == (perms::owner_read | perms::owner_write));
    }
}

TEST_CASE("sqlite_store keeps the file of one session under 1 MB of growth over 20,000 rotations") {
    sqlite_fixture f(conformance::default_options(), {.synchronous = jot::sqlite_synchronous::off});
    auto t = f.svc.login("alice", "web").value();
    for (int i = 0; i < 100; ++i) t = f.svc.refresh(t.refresh_token, "web").value();
    const auto start = checkpointed_size(f.path);
    for (int i = 0; i < 20'000; ++i) {
        f.svc.clock().advance(1ms);
        t = f.svc.refresh(t.refresh_token, "web").value();
    }
    const auto end = checkpointed_size(f.path);
    INFO("start ", start, " bytes, end ", end, " bytes");
    CHECK(end < start + 1'000'000);
    CHECK(t.generation == 20'101);
    raw_db db(f.path);
    CHECK(db.query("SELECT count(*) FROM tokens") == "17");  // the active token and 16 predecessors
}
