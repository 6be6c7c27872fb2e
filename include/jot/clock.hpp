// SPDX-License-Identifier: MIT
// The clock concept: the system clock by default, a manual clock for tests.
#pragma once

#include <atomic>    // std::atomic
#include <chrono>    // std::chrono::system_clock
#include <concepts>  // std::convertible_to

namespace jot::inline v0 {

using time_point = std::chrono::system_clock::time_point;

/// `t + d` for a non-negative `d`, or time_point::max() where that would overflow (a NumericDate far in the
/// future is read as time_point::max()). A negative `d` is a programming error; it gives `t`.
[[nodiscard]] constexpr time_point later_by(time_point t, time_point::duration d) noexcept {
    if (d < time_point::duration::zero()) return t;  // a precondition; never an overflow
    return t > time_point::max() - d ? time_point::max() : t + d;
}

/// A source of the current time.
template <class C>
concept clock = requires(const C& c) {
    { c.now() } -> std::convertible_to<time_point>;
};

/// The wall clock.
struct system_clock {
    [[nodiscard]] time_point now() const noexcept { return std::chrono::system_clock::now(); }
};

/// A clock that moves only when told to. Thread-safe.
class manual_clock {
public:
    explicit manual_clock(time_point start = time_point{std::chrono::seconds{1'700'000'000}}) noexcept
        : now_(start.time_since_epoch().count()) {}
    manual_clock(const manual_clock& o) noexcept : now_(o.now_.load()) {}

    [[nodiscard]] time_point now() const noexcept { return time_point{time_point::duration{now_.load()}}; }
    void set(time_point t) noexcept { now_.store(t.time_since_epoch().count()); }
    void advance(std::chrono::system_clock::duration d) noexcept { now_.fetch_add(d.count()); }

private:
    std::atomic<time_point::rep> now_;
};

static_assert(clock<system_clock>);
static_assert(clock<manual_clock>);

}  // namespace jot::inline v0
