// SPDX-License-Identifier: MIT
// One line per request (time, peer, method, path, status, duration) and per event, as text or as JSON,
// written by a background thread.
#pragma once

#include <chrono>              // std::chrono::steady_clock, std::chrono::system_clock
#include <condition_variable>  // std::condition_variable
#include <cstdio>              // std::FILE, std::fwrite, std::fflush, std::fprintf
#include <ctime>               // std::time_t, gmtime_r
#include <initializer_list>    // std::initializer_list
#include <mutex>               // std::mutex, std::unique_lock
#include <string>              // std::string
#include <string_view>         // std::string_view
#include <thread>              // std::thread
#include <utility>             // std::move, std::pair

#include <nlohmann/json.hpp>

namespace jot_examples {

/// How log lines are written: plain text, or one JSON object per line with stable field names.
enum class log_format { text, json };
enum class log_level { info, warn, error };

[[nodiscard]] inline const char* name(log_level l) noexcept {
    return l == log_level::info ? "info" : l == log_level::warn ? "warn" : "error";
}

/// Collects log lines in memory and writes them in batches, so that logging costs a request a few hundred
/// nanoseconds rather than a system call. Lines are written at least every 100 ms and on destruction.
/// Thread-safe. Callers must never pass a token, a password or a secret: only the shapes below do.
///
/// As JSON, every line is one object with `time`, `level` and `event`: `request` lines add `peer`,
/// `method`, `route`, `status` and `duration_ms`; `note` lines `message`; lifecycle events their ids.
class access_log {
public:
    explicit access_log(std::FILE* out, log_format format = log_format::text)
        : out_(out), format_(format), writer_([this] { run(); }) {}
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
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
        if (format_ == log_format::json) {
            auto line = head(log_level::info, "request");
            line["peer"] = clean(peer, 64);
            line["method"] = clean(method, 16);
            line["route"] = clean(path, 200);
            line["status"] = status;
            line["duration_ms"] = static_cast<double>(us) / 1000.0;
            return push_json(line);
        }
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
        line += std::to_string(us / 1000);
        line += '.';
        const auto frac = us % 1000;
        line += static_cast<char>('0' + frac / 100);
        line += static_cast<char>('0' + frac / 10 % 10);
        line += static_cast<char>('0' + frac % 10);
        line += "ms\n";
        push(line);
    }

    /// A free-form line, e.g. "auth_server listening on ...". Never a secret.
    void note(std::string_view text, log_level level = log_level::info) {
        if (format_ == log_format::json) {
            auto line = head(level, "note");
            line["message"] = clean(text, 512, true);
            return push_json(line);
        }
        std::string line;
        append_time(line);
        line += ' ';
        if (level != log_level::info) line += level == log_level::warn ? "warning: " : "error: ";
        append_clean(line, text, 512, true);
        line += '\n';
        push(line);
    }

    /// An event with ids, e.g. event("rotated", {{"subject", "alice"}, {"family", "..."}}): as text
    /// "event rotated subject=alice family=...". Ids only, never secrets.
    void event(std::string_view kind,
               std::initializer_list<std::pair<std::string_view, nlohmann::json>> ids) {
        if (format_ == log_format::json) {
            auto line = head(log_level::info, kind);
            for (const auto& [key, value] : ids)
                line[std::string(key)] = value.is_string()
                                             ? nlohmann::json(clean(value.get_ref<const std::string&>(), 256))
                                             : value;
            return push_json(line);
        }
        std::string text = "event " + std::string(kind);
        for (const auto& [key, value] : ids)
            text += " " + std::string(key) + "=" +
                    (value.is_string() ? value.get_ref<const std::string&>() : value.dump());
        note(text);
    }

    [[nodiscard]] log_format format() const noexcept { return format_; }

    /// A line for standard error before or after the log runs (a start-up failure), in `format`.
    static void report(log_format format, std::string_view program, std::string_view what) {
        if (format == log_format::json) {
            std::string time;
            append_time(time);
            const nlohmann::json line = {{"time", time},
                                         {"level", "error"},
                                         {"event", "exit"},
                                         {"program", program},
                                         {"message", clean(what, 1024, true)}};
            std::fprintf(stderr, "%s\n", line.dump().c_str());
        } else {
            std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(program.size()), program.data(),
                         static_cast<int>(what.size()), what.data());
        }
    }

private:
    static std::string clean(std::string_view s, std::size_t max, bool keep_spaces = false) {
        std::string out;
        append_clean(out, s, max, keep_spaces);
        return out;
    }

    static nlohmann::json head(log_level level, std::string_view event) {
        std::string time;
        append_time(time);
        return {{"time", std::move(time)}, {"level", name(level)}, {"event", event}};
    }

    void push_json(const nlohmann::json& line) { push(line.dump() + "\n"); }

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
    const log_format format_;
    std::mutex m_;
    std::condition_variable cv_;
    std::string buffer_;
    bool stop_ = false;
    std::thread writer_;
};

}  // namespace jot_examples
