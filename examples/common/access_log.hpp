// SPDX-License-Identifier: MIT
// One line per request (time, peer, method, path, status, duration), written by a background thread.
#pragma once

#include <chrono>              // std::chrono::steady_clock, std::chrono::system_clock
#include <condition_variable>  // std::condition_variable
#include <cstdio>              // std::FILE, std::fwrite, std::fflush
#include <ctime>               // std::time_t, gmtime_r
#include <mutex>               // std::mutex, std::unique_lock
#include <string>              // std::string
#include <string_view>         // std::string_view
#include <thread>              // std::thread

namespace jot_examples {

/// Collects log lines in memory and writes them in batches, so that logging costs a request a few hundred
/// nanoseconds rather than a system call. Lines are written at least every 100 ms and on destruction.
/// Thread-safe. Callers must never pass a token, a password or a secret: only the shapes below do.
class access_log {
public:
    explicit access_log(std::FILE* out) : out_(out), writer_([this] { run(); }) {}
    access_log(const access_log&) = delete;
    access_log& operator=(const access_log&) = delete;
    ~access_log() {
        {
            const std::lock_guard lock(m_);
            stop_ = true;
        }
        cv_.notify_one();
        writer_.join();
    }

    /// "2024-05-01T12:00:00Z 127.0.0.1 GET /posts 200 0.123ms". The path is cut at 200 bytes and every
    /// byte outside printable ASCII is written as '?', so a request cannot forge log lines.
    void request(std::string_view peer, std::string_view method, std::string_view path, int status,
                 std::chrono::steady_clock::duration took) {
        std::string line;
        line.reserve(96 + path.size());
        append_time(line);
        line += ' ';
        append_clean(line, peer, 64);
        line += ' ';
        append_clean(line, method, 16);
        line += ' ';
        append_clean(line, path, 200);
        line += ' ';
        line += std::to_string(status);
        line += ' ';
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
        line += std::to_string(us / 1000);
        line += '.';
        const auto frac = us % 1000;
        line += static_cast<char>('0' + frac / 100);
        line += static_cast<char>('0' + frac / 10 % 10);
        line += static_cast<char>('0' + frac % 10);
        line += "ms\n";
        push(line);
    }

    /// A free-form event line, e.g. "event reuse_detected sub=alice family=...". Ids only, never secrets.
    void note(std::string_view text) {
        std::string line;
        append_time(line);
        line += ' ';
        append_clean(line, text, 512, true);
        line += '\n';
        push(line);
    }

private:
    static void append_clean(std::string& out, std::string_view s, std::size_t max,
                             bool keep_spaces = false) {
        if (s.empty()) {
            out += '-';
            return;
        }
        if (s.size() > max) s = s.substr(0, max);
        for (const char c : s)
            out += (c > 0x20 && c < 0x7f) || (keep_spaces && c == ' ') ? c : (c == ' ' ? '_' : '?');
    }

    static void append_time(std::string& out) {
        const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        thread_local std::time_t cached_t = -1;
        thread_local char cached[32];
        if (t != cached_t) {
            std::tm tm{};
            gmtime_r(&t, &tm);
            std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%SZ", &tm);
            cached_t = t;
        }
        out += cached;
    }

    void push(const std::string& line) {
        const std::lock_guard lock(m_);
        buffer_ += line;
        if (buffer_.size() > (1u << 20)) cv_.notify_one();
    }

    void run() {
        std::string batch;
        std::unique_lock lock(m_);
        for (;;) {
            cv_.wait_for(lock, std::chrono::milliseconds(100),
                         [this] { return stop_ || buffer_.size() > (1u << 20); });
            batch.swap(buffer_);
            const bool done = stop_;
            lock.unlock();
            if (!batch.empty()) {
                std::fwrite(batch.data(), 1, batch.size(), out_);
                std::fflush(out_);
                batch.clear();
            }
            lock.lock();
            if (done && buffer_.empty()) return;
        }
    }

    std::FILE* out_;
    std::mutex m_;
    std::condition_variable cv_;
    std::string buffer_;
    bool stop_ = false;
    std::thread writer_;
};

}  // namespace jot_examples
