// SPDX-License-Identifier: MIT
// The conformance suite over redis_store against a real redis-server, and what is particular to redis_store.
#include <jot/store/redis_store.hpp>

#include "../support/redis_server.hpp"
#include "async_answers.hpp"
#include "conformance.hpp"
#include "rotation_cases.hpp"

#include <unistd.h>  // getpid

#include <algorithm>           // std::find, std::sort
#include <atomic>              // std::atomic
#include <chrono>              // std::chrono
#include <condition_variable>  // std::condition_variable
#include <mutex>               // std::mutex
#include <string>              // std::string
#include <thread>              // std::thread, std::this_thread::sleep_for
#include <vector>              // std::vector

namespace {

/// The redis-server of this test process, started on first use.
jot_test::redis_server& shared_server() {
    static jot_test::redis_server server;
    return server;
}

/// A key prefix no other store of this process (or of another test process) uses.
std::string fresh_prefix() {
    static std::atomic<int> n{0};
    return "jot-t" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

}  // namespace

template <>
struct store_factory<jot::redis_store> {
    static std::shared_ptr<jot::redis_store> make() {
        return std::make_shared<jot::redis_store>(
            jot::redis_store_options{.url = shared_server().url(), .key_prefix = fresh_prefix()});
    }
};

TEST_CASE_TEMPLATE_INVOKE(conformance_id, jot::redis_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_access_id, jot::redis_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_attempts_id, jot::redis_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_client_id, jot::redis_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_bounded_id, jot::redis_store);
TEST_CASE_TEMPLATE_INVOKE(conformance_rotation_id, jot::redis_store);

namespace {

using namespace std::chrono_literals;

/// A token service over a redis_store with a key prefix of its own.
struct redis_fixture {
    explicit redis_fixture(jot_test::redis_server& server,
                           jot::token_service_options o = conformance::default_options(),
                           jot::redis_store_options ro = {})
        : prefix(fresh_prefix()),
          svc(std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), std::move(o),
              open(server, prefix, std::move(ro)), jot::manual_clock{}) {}

    static std::shared_ptr<jot::redis_store> open(jot_test::redis_server& server, const std::string& prefix,
                                                  jot::redis_store_options ro) {
        ro.url = server.url();
        ro.key_prefix = prefix;
        return std::make_shared<jot::redis_store>(std::move(ro));
    }
    jot::redis_store& store() { return svc.store(); }

    std::string prefix;
    jot::basic_token_service<jot::redis_store, jot::manual_clock> svc;
};

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        const auto end = s.find('\n', start);
        out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

std::vector<std::string> keys_of(jot_test::redis_server& server, const std::string& prefix) {
    auto k = lines(server.command({"KEYS", prefix + ":*"}));
    std::sort(k.begin(), k.end());
    return k;
}

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("redis_store keeps each family's keys under its hash tag and gives every key a TTL") {
    auto& server = shared_server();
    redis_fixture f(server);
    const auto t1 = f.svc.login("alice", "web").value();
    const auto t2 = f.svc.refresh(t1.refresh_token).value();
    REQUIRE(f.svc.revoke_access(f.svc.verify_access(t2.access_token).value()));
    const auto bob = f.svc.login("bob", "web").value();
    CHECK(f.svc.revoke_subject("bob").value() == 1);

    const auto& P = f.prefix;
    const auto id1 = conformance::id_of(t1.refresh_token), id2 = conformance::id_of(t2.refresh_token);
    const auto fam = P + ":{" + t1.family_id + "}";
    const auto keys = keys_of(server, P);
    for (const auto& k :
         {fam + ":f", fam + ":ts", fam + ":t:" + id1, fam + ":t:" + id2, P + ":t:{" + id1 + "}",
          P + ":t:{" + id2 + "}", P + ":s:{alice}:f", P + ":s:{alice}:n", P + ":s:{bob}:r"})
        CHECK(std::find(keys.begin(), keys.end(), k) != keys.end());
    const auto day = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::days{1}).count();
    for (const auto& k : keys) {
        CAPTURE(k);
        const auto ttl = std::stoll(server.command({"PTTL", k}));
        CHECK(ttl > 0);                   // Redis frees every record by itself
        CHECK(ttl <= 30 * day + 60'000);  // at the latest at the family's absolute expiry + the margin
    }
    CHECK(std::stoll(server.command({"PTTL", fam + ":f"})) > 30 * day);
    CHECK(std::stoll(server.command({"PTTL", fam + ":t:" + id2})) > 14 * day);
    CHECK(std::stoll(server.command({"PTTL", fam + ":t:" + id2})) <= 14 * day + 60'000);
    CHECK(server.command({"TYPE", fam + ":f"}) == "hash");
    CHECK(server.command({"TYPE", fam + ":ts"}) == "zset");
    CHECK(server.command({"TYPE", P + ":s:{alice}:f"}) == "zset");
}

TEST_CASE("redis_store drops revoked families from the subject's index as it reads it") {
    auto& server = shared_server();
    auto o = conformance::default_options();
    o.max_sessions = 3;
    redis_fixture f(server, o);
    const std::string index = f.prefix + ":s:{alice}:f";
    for (int i = 0; i < 10; ++i) (void)f.svc.login("alice", "web").value();
    // Each login reads the index, drops what earlier logins evicted and evicts the oldest beyond the cap:
    // the 3 live sessions and the one the last login evicted stay, not all 10.
    CHECK(server.command({"ZCARD", index}) == "4");
    CHECK(f.svc.sessions("alice").value().size() == 3);
    CHECK(server.command({"ZCARD", index}) == "3");
    CHECK(f.svc.revoke_subject("alice").value() == 3);
    CHECK(f.svc.sessions("alice").value().empty());
    CHECK(server.command({"ZCARD", index}) == "0");
    CHECK(f.store().dump().value().families.size() == 10);  // still held, for reuse detection
}

TEST_CASE(
    "redis_store keeps an index entry whose family record is not written yet, unless it has expired or is "
    "old") {
    auto& server = shared_server();
    redis_fixture f(server);
    const std::string index = f.prefix + ":s:{alice}:f";
    (void)f.svc.login("alice", "web").value();
    // A login elsewhere that has written its index entry but not yet its family (the manual clock is at
    // 1.7e9 s, so 1.8e15 µs is in the future); one whose family expired and was purged; a bare id from an
    // older store, whose family is gone.
    REQUIRE(server.command({"ZADD", index, "100", "1800000000000000|pending"}) == "1");
    REQUIRE(server.command({"ZADD", index, "101", "1600000000000000|purged"}) == "1");
    REQUIRE(server.command({"ZADD", index, "102", "legacy"}) == "1");
    CHECK(f.svc.sessions("alice").value().size() == 1);
    CHECK(server.command({"ZSCORE", index, "1800000000000000|pending"}) == "100");   // kept: may become live
    CHECK(server.command({"ZSCORE", index, "1600000000000000|purged"}) == "(nil)");  // can never be live
    CHECK(server.command({"ZSCORE", index, "legacy"}) == "(nil)");  // written by an older store: may go
    CHECK(f.svc.revoke_subject("alice").value() == 1);
}

TEST_CASE("redis_store lets Redis drop records by TTL once they have expired") {
    auto& server = shared_server();
    auto o = conformance::default_options();
    o.refresh_idle_ttl = 1s;
    o.family_ttl = 1s;
    redis_fixture f(server, o, {.ttl_margin = 1s});
    const auto t = f.svc.login("alice", "web").value();
    REQUIRE(f.svc.revoke_access(f.svc.verify_access(t.access_token).value()));
    (void)f.svc.refresh(t.refresh_token).value();
    CHECK(keys_of(server, f.prefix).size() == 9);
    std::this_thread::sleep_for(2100ms);  // 1 s of lifetime + 1 s of margin
    CHECK(keys_of(server, f.prefix).empty());
    CHECK(f.store().find_family(t.family_id).value() == std::nullopt);
}

TEST_CASE("redis_store refuses unusable options and unreachable servers with setup_error") {
    const auto refused = [](jot::redis_store_options o) {
        CAPTURE(o.url);
        CHECK_THROWS_AS(jot::redis_store(std::move(o)), jot::setup_error);
    };
    for (const char* url :
         {"", "http://127.0.0.1", "redis://", "redis://:6379", "redis://127.0.0.1:0",
          "redis://127.0.0.1:65536", "redis://127.0.0.1:x", "redis://127.0.0.1/x", "redis://user@127.0.0.1",
          "redis://[::1", "rediss://127.0.0.1", "unix://relative", "unix:///tmp/s?database=1"})
        refused({.url = url});
    for (const char* url :
         {"redis-sentinel://127.0.0.1:26379", "redis-sentinel://127.0.0.1:26379/",
          "redis-sentinel:///primary", "redis-sentinel://a,,b/primary", "redis-sentinel://a,/primary",
          "redis-sentinel://a:0/primary", "redis-sentinel://a/p/q", "redis://127.0.0.1?wait=x",
          "redis://127.0.0.1:", "redis://[::1]:", "redis://127.0.0.1?wait=-1", "redis://127.0.0.1?db=1",
          "redis://127.0.0.1?wait=1&wait=2", "unix:///tmp/s?wait=1&x=2", "redis-sentinel://a/p?timeout=1"})
        refused({.url = url});
    const auto url = shared_server().url();
    refused({.url = url, .key_prefix = ""});
    refused({.url = url, .key_prefix = "a{b}"});
    refused({.url = url, .key_prefix = "a*"});
    refused({.url = url, .pool_size = 0});
    refused({.url = url, .connect_timeout = 0ms});
    refused({.url = url, .command_timeout = 0ms});
    refused({.url = url, .async_queue = 0});
    refused({.url = url, .wait_replicas = -1});
    refused({.url = url, .ttl_margin = 0s});
    refused({.url = "unix:///nonexistent/jot/redis.sock"});
    CHECK_THROWS_WITH_AS(jot::redis_store({.url = "unix:///nonexistent/jot/redis.sock"}),
                         doctest::Contains("cannot use Redis at 'unix:///nonexistent/jot/redis.sock'"),
                         jot::setup_error);
}

TEST_CASE("redis_store connects by redis://host:port/db with a password, and by unix:///path?db=N") {
    jot_test::redis_server server({.tcp = true});
    const auto port = std::to_string(server.port());
    const std::string unix_url = server.url();
    {
        jot::redis_store db3({.url = "unix://" + server.socket_path() + "?db=3", .key_prefix = "p"});
        REQUIRE(db3.deny_jti("j", jot::time_point::max()));
    }
    CHECK(server.command({"KEYS", "*"}).empty());  // db 0
    REQUIRE(server.command({"CONFIG", "SET", "requirepass", "s3cret"}) == "OK");
    CHECK_THROWS_AS(jot::redis_store({.url = "redis://127.0.0.1:" + port + "/3", .key_prefix = "p"}),
                    jot::setup_error);
    CHECK_THROWS_AS(jot::redis_store({.url = "redis://:wrong@127.0.0.1:" + port + "/3", .key_prefix = "p"}),
                    jot::setup_error);
    jot::redis_store tcp({.url = "redis://:s3cret@127.0.0.1:" + port + "/3", .key_prefix = "p"});
    CHECK(tcp.is_denied("j", jot::time_point{}).value());
    jot::redis_store user({.url = "redis://default:s3cret@localhost:" + port + "/0", .key_prefix = "p"});
    CHECK_FALSE(user.is_denied("j", jot::time_point{}).value());
}

TEST_CASE("redis_store keeps stores with different key prefixes apart") {
    auto& server = shared_server();
    redis_fixture a(server), b(server);
    const auto t = a.svc.login("alice", "web").value();
    CHECK(b.store().find_family(t.family_id).value() == std::nullopt);
    CHECK(b.svc.refresh(t.refresh_token).error() == jot::errc::refresh_token_not_found);
    CHECK(b.store().dump().value().families.empty());
    CHECK(a.store().dump().value().families.size() == 1);
}

TEST_CASE(
    "redis_store reports store_corrupt for damaged records and keys of the wrong type, and writes nothing") {
    using jot::errc;
    auto& server = shared_server();
    redis_fixture f(server);
    const auto t1 = f.svc.login("alice", "web").value();
    const auto t2 = f.svc.refresh(t1.refresh_token).value();
    const auto id2 = conformance::id_of(t2.refresh_token);
    const auto fam = f.prefix + ":{" + t1.family_id + "}";
    const auto token_key = fam + ":t:" + id2;
    const auto snapshot = [&] {
        std::string s;
        for (const auto& k : keys_of(server, f.prefix)) s += k + "=" + server.command({"DUMP", k}) + "\n";
        return s;
    };
    bool record = true;  // a damaged record, rather than a damaged index
    SUBCASE("a token state out of range") {
        server.command({"HSET", token_key, "st", "9"});
    }
    SUBCASE("a token hash of the wrong length") {
        server.command({"HSET", token_key, "h", "short"});
    }
    SUBCASE("garbage in a token's idle expiry") {
        server.command({"HSET", token_key, "ix", "soon"});
    }
    SUBCASE("a token record missing a field") {
        server.command({"HDEL", token_key, "fam"});
    }
    SUBCASE("a token record that is a string") {
        server.command({"DEL", token_key});
        server.command({"SET", token_key, "x"});
    }
    SUBCASE("a token index that is a hash") {
        const auto index = f.prefix + ":t:{" + id2 + "}";
        server.command({"DEL", index});
        server.command({"HSET", index, "a", "b"});
        record = false;
    }
    SUBCASE("a family record that is a list") {
        server.command({"DEL", fam + ":f"});
        server.command({"RPUSH", fam + ":f", "x"});
    }
    SUBCASE("garbage in a family's absolute expiry") {
        server.command({"HSET", fam + ":f", "ax", "1e99"});
    }
    SUBCASE("a family's revoked flag out of range") {
        server.command({"HSET", fam + ":f", "rv", "2"});
    }
    SUBCASE("a family's token list that is a string") {
        server.command({"DEL", fam + ":ts"});
        server.command({"SET", fam + ":ts", "x"});
        record = false;
    }
    const auto before = snapshot();
    CHECK(f.svc.refresh(t2.refresh_token).error() == errc::store_corrupt);
    if (record) CHECK(f.store().dump().error() == errc::store_corrupt);
    CHECK(snapshot() == before);
    CHECK(f.svc.login("bob", "web"));  // other families still work
}

TEST_CASE("redis_store reports store_corrupt for a denylist or not-before entry of the wrong type") {
    auto& server = shared_server();
    redis_fixture f(server);
    const auto t = f.svc.login("alice", "web").value();
    const auto v = f.svc.verify_access(t.access_token).value();
    const std::string denied = f.prefix + ":j:{" + std::string(v.jwt_id()) + "}";
    SUBCASE("denylist") {
        server.command({"RPUSH", denied, "x"});
        CHECK(f.svc.verify_access(t.access_token).error() == jot::errc::store_corrupt);
        CHECK(f.svc.revoke_access(v).error() == jot::errc::store_corrupt);
    }
    SUBCASE("denylist entry that is not a number") {
        server.command({"SET", denied, "later"});
        CHECK(f.svc.verify_access(t.access_token).error() == jot::errc::store_corrupt);
    }
    SUBCASE("not-before") {
        server.command({"SET", f.prefix + ":s:{alice}:r", "x"});
        CHECK(f.svc.verify_access(t.access_token).error() == jot::errc::store_corrupt);
        CHECK(f.svc.revoke_subject("alice").error() == jot::errc::store_corrupt);
        CHECK(f.svc.refresh(t.refresh_token));  // the family was not revoked
    }
    CHECK(f.store().dump().error() == jot::errc::store_corrupt);
}

TEST_CASE("redis_store loads its scripts again after SCRIPT FLUSH") {
    auto& server = shared_server();
    redis_fixture f(server);
    const auto t = f.svc.login("alice", "web").value();
    REQUIRE(server.command({"SCRIPT", "FLUSH"}) == "OK");
    CHECK(f.svc.refresh(t.refresh_token).value().generation == 2);
    REQUIRE(server.command({"SCRIPT", "FLUSH"}) == "OK");
    CHECK(f.svc.login("alice", "web"));
}

TEST_CASE("redis_store serves more threads than it has connections") {
    auto& server = shared_server();
    redis_fixture f(server, conformance::default_options(), {.pool_size = 2});
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    for (int w = 0; w < 6; ++w)
        pool.emplace_back([&, w] {
            auto t = f.svc.login("user" + std::to_string(w), "web");
            for (int i = 0; t && i < 10; ++i) t = f.svc.refresh(t->refresh_token);
            if (!t) ++failures;
        });
    for (auto& t : pool) t.join();
    CHECK(failures == 0);
}

TEST_CASE(
    "redis_store fails with store_unavailable within the command timeout while Redis hangs, then recovers") {
    jot_test::redis_server server;
    redis_fixture f(server, conformance::default_options(), {.command_timeout = 200ms});
    const auto t = f.svc.login("alice", "web").value();
    server.pause();
    for (int i = 0; i < 2; ++i) {  // the pooled connection, then a new one
        const auto start = std::chrono::steady_clock::now();
        CHECK(f.svc.refresh(t.refresh_token).error() == jot::errc::store_unavailable);
        const auto took = elapsed_since(start);
        CHECK(took >= 150ms);
        CHECK(took < 1000ms);
    }
    CHECK(f.svc.verify_access(t.access_token).error() == jot::errc::store_unavailable);  // fails closed
    server.resume();
    CHECK(f.svc.refresh(t.refresh_token).value().generation == 2);
}

TEST_CASE("redis_store fails with store_unavailable at once while Redis is down, then recovers") {
    jot_test::redis_server server({.appendonly = true});
    redis_fixture f(server, conformance::default_options(), {.command_timeout = 200ms});
    const auto t = f.svc.login("alice", "web").value();
    server.stop();
    const auto start = std::chrono::steady_clock::now();
    CHECK(f.svc.refresh(t.refresh_token).error() == jot::errc::store_unavailable);
    CHECK(f.svc.login("bob", "web").error() == jot::errc::store_unavailable);
    CHECK(f.store().dump().error() == jot::errc::store_unavailable);
    CHECK(elapsed_since(start) < 600ms);
    server.start();
    CHECK(f.svc.refresh(t.refresh_token).value().generation == 2);
}

TEST_CASE("redis_store keeps refresh state across a Redis restart with AOF") {
    jot_test::redis_server server({.appendonly = true, .appendfsync = "always"});
    redis_fixture f(server);
    const auto t1 = f.svc.login("alice", "web").value();
    const auto t2 = f.svc.refresh(t1.refresh_token).value();
    const auto v2 = f.svc.verify_access(t2.access_token).value();
    REQUIRE(f.svc.revoke_access(v2));
    const auto before = f.store().dump().value();
    SUBCASE("after a shutdown") {
        server.stop();
    }
    SUBCASE("after a crash (SIGKILL), with appendfsync always") {
        server.crash();
    }
    server.start();
    CHECK(conformance::same(before, f.store().dump().value()));
    CHECK(f.svc.verify_access(t2.access_token).error() == jot::errc::token_revoked);
    CHECK(f.svc.refresh(t2.refresh_token).value().generation == 3);
    CHECK(f.svc.refresh(t1.refresh_token).error() == jot::errc::refresh_token_reused);
}

TEST_CASE("redis_store never puts the URL's password in a message") {
    using namespace std::chrono_literals;
    const std::string secret = "s3cr3t-Pw";
    const auto message_of = [](const std::string& url) -> std::string {
        try {
            jot::redis_store store(
                {.url = url, .connect_timeout = 200ms, .command_timeout = 200ms, .ttl_margin = 1s});
        } catch (const jot::setup_error& e) {
            return e.what();
        }
        return {};
    };
    const auto port = std::to_string(shared_server().port());
    for (const std::string& url : {
             "redis://alice:" + secret + "@127.0.0.1:x",   // a bad port
             "redis://" + secret + "@127.0.0.1:6379",      // credentials not user:password
             "redis://:" + secret + "@127.0.0.1:1/0",      // nothing listens
             "redis://:" + secret + "@[::1:6379",          // an unclosed bracket
             "redis://alice:" + secret + "@127.0.0.1/db",  // a bad database
         }) {
        CAPTURE(url);
        const auto m = message_of(url);
        CHECK_FALSE(m.empty());
        CHECK(m.find(secret) == std::string::npos);
        CHECK(m.find("***") != std::string::npos);
    }
    if (shared_server().url().starts_with("redis://")) {
        // A server without a password answers AUTH with an error; the message says so without the password.
        const auto m = message_of("redis://alice:" + secret + "@127.0.0.1:" + port + "/0");
        CAPTURE(m);
        CHECK_FALSE(m.empty());
        CHECK(m.find(secret) == std::string::npos);
    }
    CHECK(jot::detail::redact_redis_url("redis://u:p@h:1/2") == "redis://u:***@h:1/2");
    CHECK(jot::detail::redact_redis_url("redis://:p@h") == "redis://:***@h");
    CHECK(jot::detail::redact_redis_url("redis://p@h") == "redis://***@h");
    CHECK(jot::detail::redact_redis_url("redis://h:1") == "redis://h:1");
    CHECK(jot::detail::redact_redis_url("redis://u:p@ss@h") == "redis://u:***@h");
    CHECK(jot::detail::redact("AUTH p failed for p", "p") == "AUTH *** failed for ***");
}

TEST_CASE("redis_store keeps one session's keys bounded over many rotations, indexes included") {
    auto& server = shared_server();
    redis_fixture f(server);
    auto t = f.svc.login("alice", "web").value();
    for (int i = 0; i < 200; ++i) t = f.svc.refresh(t.refresh_token, "web").value();
    const auto keys = keys_of(server, f.prefix);
    const auto count = [&keys](const std::string& part) {
        return std::count_if(keys.begin(), keys.end(),
                             [&part](const std::string& k) { return k.find(part) != std::string::npos; });
    };
    CHECK(count("}:t:") == 17);             // the active token and 16 predecessors
    CHECK(count(f.prefix + ":t:{") == 17);  // and their index keys, no more
    CHECK(std::stoll(server.command({"ZCARD", f.prefix + ":{" + t.family_id + "}:ts"})) == 17);
    CHECK(keys.size() == 17 * 2 + 4);  // plus the family, its token set and the subject's index and counter
}

TEST_CASE("redis_store counts failures under a key of their own with a TTL") {
    auto& server = shared_server();
    redis_fixture f(server);
    const auto now = f.svc.clock().now();
    CHECK(f.store().add_failure("user:alice", now, std::chrono::minutes{15}).value().count == 1);
    const auto key = f.prefix + ":a:{user:alice}";
    CHECK(server.command({"TYPE", key}) == "hash");
    const auto ttl = std::stoll(server.command({"PTTL", key}));
    CHECK(ttl > 15 * 60'000);
    CHECK(ttl <= 16 * 60'000);
    REQUIRE(f.store().clear_failures("user:alice"));
    CHECK(server.command({"EXISTS", key}) == "0");
}

TEST_CASE(
    "redis_store's lookup_access_async while Redis hangs: store_unavailable within the timeout, refusals "
    "beyond async_queue at once, then recovery") {
    jot_test::redis_server server;
    redis_fixture f(server, conformance::default_options(), {.command_timeout = 200ms, .async_queue = 4});
    const auto t = f.svc.login("alice", "web").value();
    const auto now = f.svc.clock().now();
    server.pause();
    jot_test::answers a(11);
    const auto start = std::chrono::steady_clock::now();
    f.store().lookup_access_async("j", "alice", t.family_id, now, a.on(0));
    std::this_thread::sleep_for(50ms);  // taken and sent: the pipeliner waits for Redis
    for (std::size_t i = 1; i <= 10; ++i)
        f.store().lookup_access_async("j", "alice", t.family_id, now, a.on(i));
    // Four wait in the queue; six are refused on this thread before the calls return.
    const auto refused = a.got();
    REQUIRE(refused.size() == 6);
    for (const auto& g : refused) {
        CHECK(g.thread == std::this_thread::get_id());
        CHECK(g.value.error() == jot::errc::store_unavailable);
        CHECK(g.lookup >= 5);
    }
    REQUIRE(a.wait(11, 3s));
    CHECK(elapsed_since(start) < 800ms);  // one timeout: the waiting lookups fail with the batch in flight
    for (const auto& g : a.got()) {
        CHECK(g.value.error() == jot::errc::store_unavailable);
        if (g.lookup < 5) CHECK(g.thread != std::this_thread::get_id());
    }
    const auto calls = a.calls();
    CHECK(std::count(calls.begin(), calls.end(), 1) == 11);
    server.resume();
    CHECK(conformance::lookup_async(f.store(), "j", "alice", t.family_id, now).value().session);
}

TEST_CASE("redis_store's lookup_access_async fails at once while Redis is down, and reconnects after") {
    jot_test::redis_server server({.appendonly = true});
    redis_fixture f(server, conformance::default_options(), {.command_timeout = 200ms});
    const auto t = f.svc.login("alice", "web").value();
    const auto now = f.svc.clock().now();
    REQUIRE(conformance::lookup_async(f.store(), "j", "alice", t.family_id, now).value().session);
    server.stop();
    const auto start = std::chrono::steady_clock::now();
    CHECK(conformance::lookup_async(f.store(), "j", "alice", t.family_id, now).error() ==
          jot::errc::store_unavailable);
    CHECK(conformance::lookup_async(f.store(), "j", "alice", t.family_id, now).error() ==
          jot::errc::store_unavailable);
    CHECK(elapsed_since(start) < 600ms);
    server.start();
    CHECK(conformance::lookup_async(f.store(), "j", "alice", t.family_id, now).value().session);
    // A restart while the lookup connection is idle costs no failed lookup: it is replaced before use.
    server.stop();
    server.start();
    CHECK(conformance::lookup_async(f.store(), "j", "alice", t.family_id, now).value().session);
}

TEST_CASE("destroying a redis_store answers its waiting lookup_access_async calls, each once") {
    jot_test::redis_server server;
    jot_test::answers a(4);
    {
        auto store = redis_fixture::open(server, fresh_prefix(), {.command_timeout = 300ms});
        server.pause();
        const auto now = std::chrono::system_clock::now();
        store->lookup_access_async("j", "alice", "f", now, a.on(0));
        std::this_thread::sleep_for(50ms);
        for (std::size_t i = 1; i < 4; ++i) store->lookup_access_async("j", "alice", "f", now, a.on(i));
        CHECK(a.got().empty());
    }
    server.resume();
    REQUIRE(a.wait(4, 0ms));  // all answered by the time the destructor returned
    const auto calls = a.calls();
    CHECK(std::count(calls.begin(), calls.end(), 1) == 4);
    for (const auto& g : a.got()) CHECK(g.value.error() == jot::errc::store_unavailable);
}

TEST_CASE("redis_store's URL forms: Sentinel addresses and primary name, wait=N and db=N in the query") {
    using jot::detail::parse_redis_url;
    const auto s = parse_redis_url(
        "redis-sentinel://:pw@10.0.0.1,[::1]:26380,sentinel.example:5000/mymaster?wait=2&db=3");
    REQUIRE(s.sentinels.size() == 3);
    CHECK(s.sentinels[0].host == "10.0.0.1");
    CHECK(s.sentinels[0].port == 26379);
    CHECK(s.sentinels[1].host == "::1");
    CHECK(s.sentinels[1].port == 26380);
    CHECK(s.sentinels[2].host == "sentinel.example");
    CHECK(s.sentinels[2].port == 5000);
    CHECK(s.primary_name == "mymaster");
    CHECK(s.password == "pw");
    CHECK(s.wait_replicas == 2);
    CHECK(s.db == 3);
    const auto r = parse_redis_url("redis://cache:6380/2?wait=1");
    CHECK(r.host == "cache");
    CHECK(r.port == 6380);
    CHECK(r.db == 2);
    CHECK(r.wait_replicas == 1);
    CHECK(r.sentinels.empty());
    const auto u = parse_redis_url("unix:///run/redis.sock?wait=1&db=4");
    CHECK(u.unix_socket);
    CHECK(u.host == "/run/redis.sock");
    CHECK(u.db == 4);
    CHECK(u.wait_replicas == 1);
    CHECK(parse_redis_url("redis://h").wait_replicas == 0);
}

namespace {

/// Waits until `primary` has `n` replicas that acknowledge a write made now (WAIT on the writing
/// connection).
void wait_for_replicas(const jot_test::redis_server& primary, int n) {
    redisContext* c = redisConnectUnix(primary.socket_path().c_str());
    REQUIRE((c && !c->err));
    bool synced = false;
    for (int i = 0; i < 100 && !synced; ++i) {
        auto* set = static_cast<redisReply*>(redisCommand(c, "SET jot-test-sync %d", i));
        if (set) freeReplyObject(set);
        auto* r = static_cast<redisReply*>(redisCommand(c, "WAIT %d 100", n));
        synced = r && r->type == REDIS_REPLY_INTEGER && r->integer >= n;
        if (r) freeReplyObject(r);
    }
    redisFree(c);
    REQUIRE_MESSAGE(synced, "the replicas did not sync: " << primary.command({"INFO", "replication"}));
}

}  // namespace

TEST_CASE(
    "redis_store with wait=1: a write step succeeds once a replica has it, and fails while none answers") {
    jot_test::redis_server primary({.tcp = true});
    auto replica = std::make_unique<jot_test::redis_server>(
        jot_test::redis_server_options{.tcp = true, .replica_of = primary.port()});
    wait_for_replicas(primary, 1);
    auto o = conformance::default_options();
    o.grace = 10s;
    const auto prefix = fresh_prefix();
    jot::basic_token_service<jot::redis_store, jot::manual_clock> svc(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), o,
        std::make_shared<jot::redis_store>(jot::redis_store_options{
            .url = "redis://127.0.0.1:" + std::to_string(primary.port()) + "?wait=1", .key_prefix = prefix}),
        jot::manual_clock{});
    const auto first = svc.login("alice", "web");
    REQUIRE_MESSAGE(first, first.error().message() << primary.command({"INFO", "replication"}));
    const auto t1 = *first;
    auto t2 = svc.refresh(t1.refresh_token).value();
    // Acknowledged means on the replica already, with no further wait.
    CHECK(replica->command({"EXISTS", prefix + ":{" + t1.family_id + "}:f"}) == "1");
    CHECK(replica->command({"HGET", prefix + ":{" + t1.family_id + "}:f", "g"}) == "2");
    replica.reset();
    const auto start = std::chrono::steady_clock::now();
    CHECK(svc.refresh(t2.refresh_token).error() == jot::errc::store_unavailable);
    CHECK(elapsed_since(start) < 3000ms);  // WAIT gives up after 3/4 of the 2 s command timeout
    CHECK(svc.login("bob", "web").error() == jot::errc::store_unavailable);
    CHECK(svc.store().find_family(t1.family_id).value());  // reads need no replica
    // The failed step was applied on the primary alone: within the grace window the retry gets its result.
    replica = std::make_unique<jot_test::redis_server>(
        jot_test::redis_server_options{.tcp = true, .replica_of = primary.port()});
    wait_for_replicas(primary, 1);
    // A replica that has just synced may take a moment to acknowledge: the retry is the caller's, as it
    // would be after any store_unavailable.
    auto retried = svc.refresh(t2.refresh_token);
    for (int i = 0; i < 50 && !retried && retried.error() == jot::errc::store_unavailable; ++i) {
        std::this_thread::sleep_for(100ms);
        retried = svc.refresh(t2.refresh_token);
    }
    REQUIRE_MESSAGE(retried, retried.error().message() << primary.command({"INFO", "replication"}));
    const auto t3 = *retried;
    CHECK(t3.generation == 3);
    CHECK(svc.refresh(t3.refresh_token).value().generation == 4);
}

TEST_CASE(
    "redis_store through Sentinel with wait=1: after kill -9 of the primary every acknowledged token "
    "still refreshes on the promoted replica, and no chain forks") {
    // Two replicas: after the failover the promoted one still has a replica for wait=1.
    jot_test::redis_server primary({.tcp = true});
    jot_test::redis_server replica({.tcp = true, .replica_of = primary.port()});
    jot_test::redis_server second({.tcp = true, .replica_of = primary.port()});
    wait_for_replicas(primary, 2);
    jot_test::redis_sentinel s1(primary.port(), "jotprimary"), s2(primary.port(), "jotprimary"),
        s3(primary.port(), "jotprimary");
    // The first address answers nothing: the store goes on to the next sentinel.
    const std::string url = "redis-sentinel://127.0.0.1:1,127.0.0.1:" + std::to_string(s1.port()) +
                            ",127.0.0.1:" + std::to_string(s2.port()) +
                            ",127.0.0.1:" + std::to_string(s3.port()) + "/jotprimary?wait=1";
    // Sentinels learn of the replica from the primary within a second or so; a failover needs them to.
    for (int i = 0; i < 300; ++i) {
        redisContext* c = redisConnect("127.0.0.1", s1.port());
        auto* r = c ? static_cast<redisReply*>(redisCommand(c, "SENTINEL replicas jotprimary")) : nullptr;
        const bool known = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2;
        if (r) freeReplyObject(r);
        if (c) redisFree(c);
        if (known) break;
        std::this_thread::sleep_for(20ms);
    }
    auto o = conformance::default_options();
    o.grace = 10s;
    jot::basic_token_service<jot::redis_store, jot::manual_clock> svc(
        std::make_shared<jot::key_ring>(jot::algorithm::es256, conformance::test_key(0)), o,
        std::make_shared<jot::redis_store>(
            jot::redis_store_options{.url = url, .key_prefix = fresh_prefix(), .connect_timeout = 300ms}),
        jot::manual_clock{});
    std::vector<jot::issued_tokens> chains;
    for (int i = 0; i < 5; ++i) chains.push_back(svc.login("user" + std::to_string(i), "web").value());
    for (int round = 0; round < 3; ++round)
        for (auto& c : chains) c = svc.refresh(c.refresh_token).value();
    primary.crash();
    // Each chain goes on from its last acknowledged token: store_unavailable until the replica is promoted.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (auto& c : chains) {
        for (;;) {
            auto next = svc.refresh(c.refresh_token);
            if (next) {
                CHECK(next->generation == c.generation + 1);
                c = *next;
                break;
            }
            REQUIRE(next.error() == jot::errc::store_unavailable);
            REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "no failover within 30 s");
            std::this_thread::sleep_for(100ms);
        }
    }
    CHECK(
        (replica.command({"ROLE"}).starts_with("master") || second.command({"ROLE"}).starts_with("master")));
    for (auto& c : chains) {
        CHECK(c.generation == 5);
        const auto f = svc.store().find_family(c.family_id).value();
        REQUIRE(f);
        CHECK_FALSE(f->revoked);
        CHECK(f->generation == 5);
    }
}
