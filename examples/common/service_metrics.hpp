// SPDX-License-Identifier: MIT
// What the example servers count beyond HTTP: store calls, lifecycle events, JWKS refreshes.
#pragma once

#include <array>        // std::array
#include <atomic>       // std::atomic
#include <chrono>       // std::chrono::steady_clock
#include <cstddef>      // std::size_t
#include <string>       // std::string
#include <type_traits>  // std::underlying_type_t
#include <vector>       // std::vector

#include <jot/jwks_fetch.hpp>
#include <jot/lifecycle_event.hpp>
#include <jot/store/any_store.hpp>

#include "metrics.hpp"

namespace jot_examples {

/// The names of an enum's values 0..last, by the name() function beside it, as a counter_set's label values.
template <class Enum>
[[nodiscard]] std::vector<std::string> enum_names(Enum last) {
    std::vector<std::string> out;
    for (std::underlying_type_t<Enum> i = 0; i <= static_cast<std::underlying_type_t<Enum>>(last); ++i)
        out.emplace_back(name(static_cast<Enum>(i)));
    return out;
}

/// Latency and errors of the calls made through an observed any_store, by call. Only calls made at least
/// once are written. Thread-safe.
class store_metrics {
public:
    /// The observer to pass to any_store::observed; it refers to this object, which must outlive the store.
    [[nodiscard]] jot::store_observer observer() {
        return [this](const jot::store_call_report& r) {
            const auto i = static_cast<std::size_t>(r.call);
            latency_[i].observe(r.took);
            if (r.error) errors_[i].add();
        };
    }

    void write(std::string& out) const {
        metrics::family(
            out, "jot_store_call_duration_seconds", "histogram",
            "Time a refresh_store call took (an asynchronous lookup: until its answer), by call.");
        for (std::size_t i = 0; i < jot::store_call_count; ++i)
            if (latency_[i].count() > 0)
                latency_[i].write(out, "jot_store_call_duration_seconds", label_of(i));
        metrics::family(
            out, "jot_store_errors_total", "counter",
            "refresh_store calls that failed (store unavailable, timeout, corrupt record), by call.");
        for (std::size_t i = 0; i < jot::store_call_count; ++i)
            if (latency_[i].count() > 0)
                metrics::histogram::sample(out, "jot_store_errors_total", label_of(i), errors_[i].value());
    }

private:
    static std::string label_of(std::size_t i) {
        return metrics::label("call", jot::name(static_cast<jot::store_call>(i)));
    }

    std::array<metrics::histogram, jot::store_call_count> latency_{};
    std::array<metrics::counter, jot::store_call_count> errors_{};
};

/// Lifecycle events by kind (issued, rotated, grace_replay, reuse_detected, revoked, expired).
class lifecycle_metrics {
public:
    void count(const jot::lifecycle_event& e) { events_[static_cast<std::size_t>(e.kind)].add(); }
    void write(std::string& out) const { events_.write(out); }

private:
    metrics::counter_set events_{"jot_lifecycle_events_total",
                                 "Token lifecycle events, by kind (see docs/lifecycle.md).", "kind",
                                 enum_names(jot::event_kind::expired)};
};

/// Refreshes of a remote JWKS: fetches by outcome and latency, failed refreshes by kind, keys held.
class jwks_metrics {
public:
    enum class fetch_outcome { ok, not_modified, other_status, error };

    void fetched(fetch_outcome o, std::chrono::steady_clock::duration took) {
        fetches_[static_cast<std::size_t>(o)].add();
        latency_.observe(took);
    }
    void failed(const jot::jwks_failure& f) { failures_[static_cast<std::size_t>(f.kind)].add(); }
    void loaded(std::size_t keys) { keys_.store(keys, std::memory_order_relaxed); }

    void write(std::string& out) const {
        fetches_.write(out);
        metrics::family(out, "jot_jwks_fetch_duration_seconds", "histogram",
                        "Time a JWKS fetch took, whatever its outcome.");
        latency_.write(out, "jot_jwks_fetch_duration_seconds", "");
        failures_.write(out);
        metrics::family(out, "jot_jwks_keys", "gauge",
                        "Keys the JWKS source holds since its last good refresh.");
        metrics::histogram::sample(out, "jot_jwks_keys", "", keys_.load(std::memory_order_relaxed));
    }

private:
    metrics::counter_set fetches_{"jot_jwks_fetches_total",
                                  "JWKS fetches, by outcome.",
                                  "outcome",
                                  {"ok", "not_modified", "other_status", "error"}};
    metrics::histogram latency_;
    metrics::counter_set failures_{"jot_jwks_refresh_failures_total",
                                   "JWKS refreshes that kept the old keys, by reason.", "reason",
                                   enum_names(jot::jwks_failure_kind::no_usable_key)};
    std::atomic<std::size_t> keys_{0};
};

}  // namespace jot_examples
