// SPDX-License-Identifier: MIT
// Counters and latency histograms that threads update without a lock, written out in the Prometheus text
// exposition format (version 0.0.4) for GET /metrics.
#pragma once

#include <array>        // std::array
#include <atomic>       // std::atomic, std::memory_order_relaxed
#include <chrono>       // std::chrono::steady_clock, std::chrono::nanoseconds
#include <cstdint>      // std::uint64_t
#include <cstdio>       // std::snprintf
#include <deque>        // std::deque
#include <functional>   // std::function
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_floating_point_v
#include <utility>      // std::move
#include <vector>       // std::vector

namespace jot_examples::metrics {

/// The media type of what registry::render writes.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/// A count that only grows. Thread-safe.
class counter {
public:
    void add(std::uint64_t n = 1) noexcept { n_.fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const noexcept { return n_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> n_{0};
};

/// Durations in fixed buckets from 100 µs to 10 s, their count and their sum. Thread-safe; a reader may see
/// an observation in the count before it is in the sum, which Prometheus tolerates.
class histogram {
public:
    /// Upper bounds of the buckets, in seconds; +Inf follows.
    static constexpr std::array<double, 16> bounds = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    void observe(std::chrono::steady_clock::duration took) noexcept {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count();
        const auto n = ns < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(ns);
        std::size_t i = 0;
        while (i < bounds.size() && static_cast<double>(n) > bounds[i] * 1e9) ++i;
        buckets_[i].fetch_add(1, std::memory_order_relaxed);
        sum_ns_.fetch_add(n, std::memory_order_relaxed);
    }

    [[nodiscard]] std::uint64_t count() const noexcept {
        std::uint64_t total = 0;
        for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
        return total;
    }

    /// The _bucket, _sum and _count lines of `name` with `labels` (`key="value",...`, or empty).
    void write(std::string& out, std::string_view name, std::string_view labels) const {
        std::uint64_t cumulative = 0;
        const std::string sep = labels.empty() ? "" : ",";
        for (std::size_t i = 0; i <= bounds.size(); ++i) {
            cumulative += buckets_[i].load(std::memory_order_relaxed);
            const std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
            sample(out, std::string(name) + "_bucket", std::string(labels) + sep + "le=\"" + le + "\"",
                   cumulative);
        }
        sample(out, std::string(name) + "_sum", labels,
               static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
        sample(out, std::string(name) + "_count", labels, cumulative);
    }

    /// "name{labels} value\n".
    template <class V>
    static void sample(std::string& out, std::string_view name, std::string_view labels, V value) {
        out += name;
        if (!labels.empty()) {
            out += '{';
            out += labels;
            out += '}';
        }
        out += ' ';
        if constexpr (std::is_floating_point_v<V>)
            out += number(value);
        else
            out += std::to_string(value);
        out += '\n';
    }

    /// A double as Prometheus reads it, shortest first ("0.001", "2.5", "1e-05").
    static std::string number(double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", v);
        return buf;
    }

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

/// `key="value"` with the value escaped as the exposition format requires (backslash, quote, newline).
[[nodiscard]] inline std::string label(std::string_view key, std::string_view value) {
    std::string out(key);
    out += "=\"";
    for (const char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    out += '"';
    return out;
}

/// "# HELP name help\n# TYPE name type\n".
inline void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

/// One counter per value of one label, the values fixed at construction (an enum's names, say), so that
/// the hot path indexes an array. Thread-safe.
class counter_set {
public:
    counter_set(std::string name, std::string help, std::string label_name, std::vector<std::string> values)
        : name_(std::move(name)),
          help_(std::move(help)),
          label_(std::move(label_name)),
          values_(std::move(values)),
          counts_(values_.size()) {}

    counter& operator[](std::size_t i) { return counts_.at(i); }

    void write(std::string& out) const {
        family(out, name_, "counter", help_);
        for (std::size_t i = 0; i < values_.size(); ++i)
            histogram::sample(out, name_, label(label_, values_[i]), counts_[i].value());
    }

private:
    std::string name_, help_, label_;
    std::vector<std::string> values_;
    std::deque<counter> counts_;  // atomics neither copy nor move
};

/// What GET /metrics answers: the text of every writer added, in order. Writers are added at start-up,
/// before the server runs; render() is then thread-safe if each writer is.
class registry {
public:
    using writer = std::function<void(std::string&)>;

    void add(writer w) { writers_.push_back(std::move(w)); }

    /// A gauge read when rendered, e.g. the connections open now.
    void gauge(std::string name, std::string help, std::function<double()> read) {
        add([name = std::move(name), help = std::move(help), read = std::move(read)](std::string& out) {
            family(out, name, "gauge", help);
            histogram::sample(out, name, "", read());
        });
    }

    [[nodiscard]] std::string render() const {
        std::string out;
        out.reserve(16 * 1024);
        for (const auto& w : writers_) w(out);
        return out;
    }

private:
    std::vector<writer> writers_;
};

}  // namespace jot_examples::metrics
