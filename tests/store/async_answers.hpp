// SPDX-License-Identifier: MIT
// Test support: what lookup_access_async calls deliver, collected across threads.
#pragma once

#include <jot/store/refresh_store.hpp>

#include <chrono>              // std::chrono
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <mutex>               // std::mutex
#include <thread>              // std::this_thread::get_id
#include <utility>             // std::move
#include <vector>              // std::vector

namespace jot_test {

/// Collects what lookup_access_async delivers: each answer, the thread it came on, and how often each
/// lookup was answered.
class answers {
public:
    explicit answers(std::size_t lookups) : calls_(lookups) {}

    jot::access_lookup_callback on(std::size_t i) {
        return [this, i](jot::result<jot::access_lookup> r) {
            const std::lock_guard lock(m_);
            ++calls_[i];
            got_.emplace_back(i, std::move(r), std::this_thread::get_id());
            cv_.notify_all();
        };
    }
    /// Waits until `n` answers came, at most `limit`; true if they did.
    bool wait(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds{10}) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, limit, [&] { return got_.size() >= n; });
    }
    struct answer {
        std::size_t lookup;
        jot::result<jot::access_lookup> value;
        std::thread::id thread;
    };
    std::vector<answer> got() {
        const std::lock_guard lock(m_);
        return got_;
    }
    std::vector<int> calls() {
        const std::lock_guard lock(m_);
        return calls_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<int> calls_;
    std::vector<answer> got_;
};

}  // namespace jot_test
