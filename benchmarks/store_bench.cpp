// SPDX-License-Identifier: MIT
// Refresh rotations per second on each refresh_store: memory, SQLite (a file in a temporary directory,
// synchronous=NORMAL) and Redis (a redis-server of its own on loopback TCP), with 1 and 2 threads, each
// thread rotating a family of its own. rotate/<store> times the store's step alone; refresh/<store> the
// whole token_service refresh (ES256 signing included). After the runs it prints redis-benchmark's EVALSHA
// rate against the same server, the ceiling for one script per step. JOT_BENCH_REDIS_URL uses another Redis.
#include <jot/jot.hpp>
#include <jot/store/memory_store.hpp>
#include <jot/token_service.hpp>
#if defined(JOT_BENCH_WITH_SQLITE)
#include <jot/store/sqlite_store.hpp>
#endif
#if defined(JOT_BENCH_WITH_REDIS)
#include <jot/store/redis_store.hpp>

#include "../tests/support/redis_server.hpp"
#endif

#include <benchmark/benchmark.h>

#include <stdlib.h>  // mkdtemp

#include <atomic>      // std::atomic
#include <chrono>      // std::chrono
#include <cstdio>      // std::popen, std::printf
#include <cstdlib>     // std::getenv
#include <filesystem>  // std::filesystem
#include <memory>      // std::shared_ptr, std::unique_ptr
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string

namespace {

using namespace std::chrono_literals;

const jot::time_point start_time{std::chrono::seconds{1'700'000'000}};

std::string temp_dir() {
    static const std::string dir = [] {
        std::string t = (std::filesystem::temp_directory_path() / "jot-bench-XXXXXX").string();
        if (!mkdtemp(t.data())) throw std::runtime_error("cannot create a temporary directory");
        return t;
    }();
    return dir;
}

#if defined(JOT_BENCH_WITH_REDIS)
// Stopped when the program ends.
jot_test::redis_server* bench_server() {
    static const std::unique_ptr<jot_test::redis_server> server =
        std::getenv("JOT_BENCH_REDIS_URL")
            ? nullptr
            : std::make_unique<jot_test::redis_server>(jot_test::redis_server_options{.tcp = true});
    return server.get();
}
std::string redis_url() {
    const char* url = std::getenv("JOT_BENCH_REDIS_URL");
    return url ? url : bench_server()->url();
}
#endif

std::atomic<int> next_prefix{0};

template <class Store>
std::shared_ptr<Store> make_store();

template <>
std::shared_ptr<jot::memory_store> make_store() {
    return std::make_shared<jot::memory_store>();
}
#if defined(JOT_BENCH_WITH_SQLITE)
template <>
std::shared_ptr<jot::sqlite_store> make_store() {
    return std::make_shared<jot::sqlite_store>(
        jot::sqlite_store_options{.path = temp_dir() + "/bench" + std::to_string(++next_prefix) + ".db",
                                  .synchronous = jot::sqlite_synchronous::normal});
}
#endif
#if defined(JOT_BENCH_WITH_REDIS)
template <>
std::shared_ptr<jot::redis_store> make_store() {
    return std::make_shared<jot::redis_store>(
        jot::redis_store_options{.url = redis_url(), .key_prefix = "bench" + std::to_string(++next_prefix)});
}
#endif

/// One store per benchmark run, shared by its threads.
template <class Store>
std::shared_ptr<Store>& shared_store() {
    static std::shared_ptr<Store> s;
    return s;
}

template <class Store>
void setup(const benchmark::State&) {
    shared_store<Store>() = make_store<Store>();
}
template <class Store>
void teardown(const benchmark::State&) {
    shared_store<Store>().reset();
}

/// The store's rotation step alone: each thread rotates a family of its own, one generation per iteration.
template <class Store>
void rotate(benchmark::State& state) {
    Store& store = *shared_store<Store>();
    const std::string tag =
        "t" + std::to_string(state.thread_index()) + "-" + std::to_string(++next_prefix) + "-";
    const jot::secret_hash hash{1, 2, 3};
    jot::family_record f{.id = tag + "family",
                         .subject = "bench",
                         .client = "web",
                         .created = start_time,
                         .absolute_expiry = start_time + std::chrono::days{30},
                         .generation = 1};
    std::uint64_t n = 0;
    std::string current = tag + "0";
    if (!store.create_family(f,
                             {.id = current,
                              .family = f.id,
                              .generation = 1,
                              .hash = hash,
                              .created = start_time,
                              .idle_expiry = start_time + std::chrono::days{14}},
                             0)) {
        state.SkipWithError("create_family failed");
        return;
    }
    jot::rotate_request r{.presented = hash};
    r.successor.hash = hash;
    for (auto _ : state) {
        r.token_id = current;
        r.successor.id = tag + std::to_string(++n);
        r.now = start_time + std::chrono::microseconds{n};
        r.successor.created = r.now;
        r.successor.idle_expiry = r.now + std::chrono::days{14};
        const auto out = store.rotate(r);
        if (!out || out->status != jot::rotate_status::rotated) {
            state.SkipWithError("rotate failed");
            break;
        }
        current = r.successor.id;
    }
    state.SetItemsProcessed(state.iterations());
}

/// token_service::refresh over the store: parse, hash, rotate, sign a new ES256 access token.
template <class Store>
void refresh(benchmark::State& state) {
    static const auto ring = std::make_shared<jot::key_ring>(
        jot::algorithm::es256, jot::key::generate(jot::algorithm::es256).value());
    jot::basic_token_service<Store, jot::manual_clock> svc(
        ring, {.issuer = "https://auth.example", .audience = {"api"}}, shared_store<Store>(),
        jot::manual_clock{});
    auto t = svc.login("bench" + std::to_string(state.thread_index()), "web");
    for (auto _ : state) {
        if (!t) break;
        t = svc.refresh(t->refresh_token);
    }
    if (!t) state.SkipWithError("refresh failed");
    state.SetItemsProcessed(state.iterations());
}

#define JOT_STORE_BENCH(Store, name) \
    BENCHMARK(rotate<Store>)         \
        ->Name("rotate/" name)       \
        ->Setup(setup<Store>)        \
        ->Teardown(teardown<Store>)  \
        ->Threads(1)                 \
        ->Threads(2)                 \
        ->UseRealTime();             \
    BENCHMARK(refresh<Store>)        \
        ->Name("refresh/" name)      \
        ->Setup(setup<Store>)        \
        ->Teardown(teardown<Store>)  \
        ->UseRealTime()

JOT_STORE_BENCH(jot::memory_store, "memory");
#if defined(JOT_BENCH_WITH_SQLITE)
JOT_STORE_BENCH(jot::sqlite_store, "sqlite");
#endif
#if defined(JOT_BENCH_WITH_REDIS)
JOT_STORE_BENCH(jot::redis_store, "redis");
#endif

#if defined(JOT_BENCH_WITH_REDIS)
// redis-benchmark's own rate for EVALSHA of a trivial script on the same server: one round trip per call.
void print_redis_benchmark() {
    const jot_test::redis_server* server = bench_server();
    if (!server) return;
    const std::string load = server->command({"SCRIPT", "LOAD", "return 1"});
    for (int clients : {1, 2}) {
        const std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(server->port()) +
                                " -n 100000 -c " + std::to_string(clients) + " -q EVALSHA " + load +
                                " 0 2>/dev/null";
        FILE* p = ::popen(cmd.c_str(), "r");
        if (!p) return;
        std::string out;
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        ::pclose(p);
        const auto cut = out.rfind('\r');
        std::printf("redis-benchmark EVALSHA, %d client%s: %s", clients, clients == 1 ? "" : "s",
                    (cut == std::string::npos ? out : out.substr(cut + 1)).c_str());
    }
}
#endif

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
#if defined(JOT_BENCH_WITH_REDIS)
    print_redis_benchmark();
#endif
    std::error_code ec;
    std::filesystem::remove_all(temp_dir(), ec);
    return 0;
}
