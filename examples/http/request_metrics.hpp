// SPDX-License-Identifier: MIT
// What the HTTP edge counts: requests by route and status, and their latency by route.
#pragma once

#include <array>        // std::array
#include <chrono>       // std::chrono::steady_clock
#include <cstddef>      // std::size_t
#include <deque>        // std::deque
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "../common/metrics.hpp"
#include "router.hpp"

namespace jot_examples::http {

/// Requests answered, by route and status, and their latency (from the first byte of the request to the
/// answer handed to the socket), by route. The route label is the router's path, never the request's: a
/// request no route takes counts as "unmatched", one refused before routing (malformed, too large) as
/// "refused", so clients cannot make new series. Thread-safe.
class request_metrics {
public:
    explicit request_metrics(const router& r) {
        for (const auto& rt : r.routes()) slots_.emplace_back(rt.method, rt.path);
        slots_.emplace_back("", "unmatched");
        slots_.emplace_back("", "refused");
    }

    /// The slot of a request `r` takes, or, for null, of one no route takes.
    [[nodiscard]] std::size_t slot_of(const route* r) const noexcept { return r ? r->id : slots_.size() - 2; }
    /// The slot of a request refused before routing.
    [[nodiscard]] std::size_t refused_slot() const noexcept { return slots_.size() - 1; }

    void record(std::size_t slot, int status, std::chrono::steady_clock::duration took) noexcept {
        if (slot >= slots_.size() || status < first_status || status > last_status) return;
        auto& s = slots_[slot];
        s.by_status[static_cast<std::size_t>(status - first_status)].add();
        s.latency.observe(took);
    }

    void write(std::string& out) const {
        metrics::family(out, "jot_http_requests_total", "counter",
                        "HTTP requests answered, by method, route and status.");
        for (const auto& s : slots_)
            for (std::size_t i = 0; i < s.by_status.size(); ++i)
                if (const auto n = s.by_status[i].value(); n > 0)
                    metrics::histogram::sample(
                        out, "jot_http_requests_total",
                        s.labels + "," + metrics::label("status", std::to_string(first_status + i)), n);
        metrics::family(out, "jot_http_request_duration_seconds", "histogram",
                        "Time from the first byte of a request to its answer, by method and route.");
        for (const auto& s : slots_)
            if (s.latency.count() > 0) s.latency.write(out, "jot_http_request_duration_seconds", s.labels);
    }

private:
    static constexpr int first_status = 100;
    static constexpr int last_status = 599;

    struct series {
        series(std::string_view method, std::string_view path)
            : labels(metrics::label("method", method.empty() ? "*" : method) + "," +
                     metrics::label("route", path)) {}
        std::string labels;
        std::array<metrics::counter, last_status - first_status + 1> by_status;
        metrics::histogram latency;
    };
    std::deque<series> slots_;  // atomics neither copy nor move
};

}  // namespace jot_examples::http
