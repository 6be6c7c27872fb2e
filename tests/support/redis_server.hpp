// SPDX-License-Identifier: MIT
// Test support: a real redis-server of the test's own, in a temporary directory, stopped on destruction.
#pragma once

#include <arpa/inet.h>  // htonl
#include <hiredis/hiredis.h>
#include <netinet/in.h>  // sockaddr_in
#include <signal.h>      // kill, SIGTERM, SIGKILL, SIGSTOP, SIGCONT
#include <spawn.h>       // posix_spawn
#include <sys/socket.h>  // socket, bind, getsockname
#include <sys/wait.h>    // waitpid
#include <unistd.h>      // access

#include <chrono>      // std::chrono
#include <cstdlib>     // std::getenv, mkdtemp
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ifstream
#include <sstream>     // std::ostringstream
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string
#include <thread>      // std::this_thread::sleep_for
#include <vector>      // std::vector

extern char** environ;

namespace jot_test {

/// How to run a redis_server.
struct redis_server_options {
    bool appendonly = false;             // AOF persistence (with appendfsync below); off: nothing persists
    std::string appendfsync = "always";  // always, everysec or no
    bool tcp = false;                    // listen on a free loopback port too (else the unix socket only)
    int replica_of = 0;                  // a loopback port: start as a replica of that server (needs tcp)
};

/// A redis-server started for a test, listening on a unix socket in a temporary directory (`--port 0
/// --save ''`), with AOF if asked. Its data directory survives stop()/start(), so a restart keeps what AOF
/// kept. If redis-server is not installed, the constructor throws: the Redis tests fail, never skip.
class redis_server {
public:
    explicit redis_server(redis_server_options options = {}) : options_(std::move(options)) {
        std::string t = (std::filesystem::temp_directory_path() / "jot-redis-XXXXXX").string();
        if (!mkdtemp(t.data())) throw std::runtime_error("redis_server: cannot create a temporary directory");
        dir_ = t;
        try {
            if (options_.tcp) port_ = free_port();
            start();
        } catch (...) {  // no destructor runs for a constructor that throws
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
            throw;
        }
    }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;
    ~redis_server() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    /// The URL for redis_store_options::url: the unix socket, or the loopback port if `tcp`.
    [[nodiscard]] std::string url() const {
        return options_.tcp ? "redis://127.0.0.1:" + std::to_string(port_) : "unix://" + socket_path();
    }
    [[nodiscard]] std::string socket_path() const { return (dir_ / "redis.sock").string(); }
    [[nodiscard]] int port() const noexcept { return port_; }

    /// Starts the server (again) and waits until it answers PING.
    void start() {
        if (pid_ > 0) return;
        const std::string exe = find_executable("redis-server");
        if (exe.empty())
            throw std::runtime_error(
                "redis-server is not installed (Debian: apt-get install redis-server); the Redis store tests "
                "need a real server and do not skip");
        std::vector<std::string> args = {exe,
                                         "--port",
                                         std::to_string(port_),
                                         "--bind",
                                         "127.0.0.1",
                                         "--unixsocket",
                                         socket_path(),
                                         "--unixsocketperm",
                                         "700",
                                         "--dir",
                                         dir_.string(),
                                         "--save",
                                         "",
                                         "--appendonly",
                                         options_.appendonly ? "yes" : "no",
                                         "--appendfsync",
                                         options_.appendfsync,
                                         "--daemonize",
                                         "no",
                                         "--logfile",
                                         (dir_ / "redis.log").string()};
        // A replica's first sync at once (Redis waits 5 s by default for more replicas to join).
        args.insert(args.end(), {"--repl-diskless-sync-delay", "0"});
        if (options_.replica_of > 0) {
            args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(options_.replica_of)});
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        if (posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("redis_server: cannot start " + exe);
        pid_ = pid;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        while (!answers_ping()) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis_server: redis-server exited at start:\n" + log());
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("redis_server: redis-server did not answer PING within 10 s:\n" +
                                         log());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{5});
        }
    }

    /// Shuts the server down as an operator would (SIGTERM: AOF is flushed) and waits for it to exit.
    void stop() { end(SIGTERM); }
    /// Ends the server at once (SIGKILL), as a crash would.
    void crash() { end(SIGKILL); }
    /// Freezes the server (SIGSTOP): connections stay open but nothing is answered.
    void pause() {
        if (pid_ > 0) ::kill(pid_, SIGSTOP);
    }
    void resume() {
        if (pid_ > 0) ::kill(pid_, SIGCONT);
    }

    /// Runs one command on a connection of its own and returns the reply as text (arrays joined by
    /// newlines), or "ERR: ..." for an error reply. Binary-safe arguments.
    std::string command(const std::vector<std::string>& args) const {
        redisContext* c = redisConnectUnix(socket_path().c_str());
        if (!c || c->err) {
            if (c) redisFree(c);
            throw std::runtime_error("redis_server: cannot connect");
        }
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
        if (!r) {
            redisFree(c);
            throw std::runtime_error("redis_server: command failed");
        }
        std::string out = text(r);
        freeReplyObject(r);
        redisFree(c);
        return out;
    }

    /// The server's log, for failure messages.
    [[nodiscard]] std::string log() const {
        std::ifstream in(dir_ / "redis.log");
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    friend class redis_sentinel;

    static std::string text(const redisReply* r) {
        switch (r->type) {
            case REDIS_REPLY_STRING:
            case REDIS_REPLY_STATUS:
                return std::string(r->str, r->len);
            case REDIS_REPLY_ERROR:
                return "ERR: " + std::string(r->str, r->len);
            case REDIS_REPLY_INTEGER:
                return std::to_string(r->integer);
            case REDIS_REPLY_NIL:
                return "(nil)";
            case REDIS_REPLY_ARRAY: {
                std::string s;
                for (size_t i = 0; i < r->elements; ++i) s += (i ? "\n" : "") + text(r->element[i]);
                return s;
            }
            default:
                return "?";
        }
    }

    bool answers_ping() const {
        timeval tv{0, 200'000};
        return pongs(redisConnectUnixWithTimeout(socket_path().c_str(), tv));
    }

    // Whether the server behind `c` (taken, and freed) answers PING with PONG.
    static bool pongs(redisContext* c) {
        bool ok = false;
        if (c && !c->err) {
            auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
            ok = r && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
            if (r) freeReplyObject(r);
        }
        if (c) redisFree(c);
        return ok;
    }

    void end(int signal) {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGCONT);
        ::kill(pid_, signal);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        int status = 0;
        while (waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{2});
        }
        pid_ = -1;
    }

    static std::string find_executable(const std::string& name) {
        const char* path = std::getenv("PATH");
        std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
        dirs += ":/usr/sbin:/usr/local/sbin";
        std::size_t start = 0;
        while (start <= dirs.size()) {
            const auto end = dirs.find(':', start);
            const std::string dir =
                dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
            const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
            if (end == std::string::npos) break;
            start = end + 1;
        }
        return {};
    }

    // A loopback port that is free now (the kernel's choice for port 0).
    static int free_port() {
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            if (s >= 0) ::close(s);
            throw std::runtime_error("redis_server: no free loopback port");
        }
        ::close(s);
        return ntohs(a.sin_port);
    }

    redis_server_options options_;
    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

/// A Redis Sentinel for a test, on a free loopback port with a config file in a temporary directory,
/// watching the primary on loopback port `primary_port` as `name` (quorum 2, down after 500 ms), so that a
/// group of three fails over within a few seconds of the primary's end. Stopped on destruction.
class redis_sentinel {
public:
    redis_sentinel(int primary_port, const std::string& name) {
        std::string t = (std::filesystem::temp_directory_path() / "jot-sentinel-XXXXXX").string();
        if (!mkdtemp(t.data()))
            throw std::runtime_error("redis_sentinel: cannot create a temporary directory");
        dir_ = t;
        port_ = redis_server::free_port();
        {
            std::ofstream conf(dir_ / "sentinel.conf");
            conf << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir_.string() << "\nlogfile "
                 << (dir_ / "sentinel.log").string() << "\nsentinel monitor " << name << " 127.0.0.1 "
                 << primary_port << " 2\nsentinel down-after-milliseconds " << name
                 << " 500\nsentinel failover-timeout " << name << " 3000\nsentinel parallel-syncs " << name
                 << " 1\n";
        }
        const std::string exe = redis_server::find_executable("redis-server");
        std::vector<std::string> args = {exe, (dir_ / "sentinel.conf").string(), "--sentinel"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (exe.empty() || posix_spawn(&pid_, exe.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("redis_sentinel: cannot start redis-server --sentinel");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        while (!answers_ping()) {
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("redis_sentinel: no answer to PING within 10 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
    }
    redis_sentinel(const redis_sentinel&) = delete;
    redis_sentinel& operator=(const redis_sentinel&) = delete;
    ~redis_sentinel() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    [[nodiscard]] int port() const noexcept { return port_; }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    bool answers_ping() const {
        timeval tv{0, 200'000};
        return redis_server::pongs(redisConnectWithTimeout("127.0.0.1", port_, tv));
    }

    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace jot_test
