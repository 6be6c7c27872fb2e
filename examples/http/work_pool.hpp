// SPDX-License-Identifier: MIT
// A fixed pool of threads for work that may block (Argon2id, store calls), with a bounded queue.
#pragma once

#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <deque>               // std::deque
#include <functional>          // std::function
#include <mutex>               // std::mutex, std::unique_lock
#include <stdexcept>           // std::invalid_argument
#include <thread>              // std::thread
#include <utility>             // std::move
#include <vector>              // std::vector

namespace jot_examples::http {

/// Runs jobs on `threads` threads. At most `queue` jobs wait; try_submit refuses more at once, so a caller
/// on an I/O thread never waits for room. The lock guards the queue only, never a job. Thread-safe.
class work_pool {
public:
    work_pool(std::size_t threads, std::size_t queue) : capacity_(queue) {
        if (threads == 0) throw std::invalid_argument("work_pool: at least one thread");
        threads_.reserve(threads);
        for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
    }
    work_pool(const work_pool&) = delete;
    work_pool& operator=(const work_pool&) = delete;
    ~work_pool() { stop(); }

    /// Queues `job`; false if the queue is full or the pool is stopping.
    [[nodiscard]] bool try_submit(std::function<void()> job) {
        {
            const std::lock_guard lock(m_);
            if (stopping_ || jobs_.size() >= capacity_) return false;
            jobs_.push_back(std::move(job));
        }
        cv_.notify_one();
        return true;
    }

    /// Jobs waiting now (for metrics and tests).
    [[nodiscard]] std::size_t queued() const {
        const std::lock_guard lock(m_);
        return jobs_.size();
    }

    /// Lets running jobs finish, drops the queued ones (what they own is released) and joins the threads.
    /// Idempotent.
    void stop() {
        std::deque<std::function<void()>> dropped;
        {
            const std::lock_guard lock(m_);
            stopping_ = true;
            dropped.swap(jobs_);
        }
        cv_.notify_all();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_);
                cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (stopping_) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }

    const std::size_t capacity_;
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace jot_examples::http
