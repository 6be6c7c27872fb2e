// SPDX-License-Identifier: MIT
// Small pipelines from many threads, sent together on one Redis connection by a thread of its own.
#pragma once

#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <deque>               // std::deque
#include <exception>           // std::exception
#include <functional>          // std::function
#include <iterator>            // std::make_move_iterator
#include <memory>              // std::unique_ptr
#include <mutex>               // std::mutex, std::unique_lock
#include <optional>            // std::optional
#include <span>                // std::span
#include <thread>              // std::thread
#include <utility>             // std::exchange, std::move
#include <vector>              // std::vector

#include <pthread.h>  // pthread_sigmask
#include <signal.h>   // sigset_t

#include "../error.hpp"
#include "redis_client.hpp"

namespace jot::inline v0::detail {

/// Coalesces the pipelines that many threads submit into one write and one read on one connection. Under
/// load a round trip carries every submission that arrived during the one before, so the cost of each (system
/// calls, wake-ups, Redis's own work per read) falls as the load rises, and no caller waits for a thread.
/// One thread of its own, started by the first submit and joined by the destructor.
///
/// Each submission's `done` is called exactly once: on the pipeliner's thread with the submission's replies
/// (error replies included) or with store_unavailable when its batch failed (the connection broke, timed out
/// or could not be opened: then every submission waiting fails with it, and the next batch opens a new
/// connection); or on the submitting thread, before submit()
/// returns, with store_unavailable when `max_queued` submissions are already waiting or the pipeliner is
/// stopping. Submissions waiting at destruction get store_unavailable. `done` must not throw, and should
/// not block: every later submission waits for it. Thread-safe.
class redis_pipeliner {
public:
    using connector = std::function<std::unique_ptr<redis_connection>()>;
    using completion = std::function<void(result<std::span<redis_reply>>)>;

    /// `connect` opens a connection or throws redis_failure. Commands go out in batches of about
    /// `max_batch_commands` (a bigger submission goes alone).
    redis_pipeliner(connector connect, std::size_t max_queued, std::size_t max_batch_commands = 512)
        : connect_(std::move(connect)), max_queued_(max_queued), max_batch_commands_(max_batch_commands) {}
    redis_pipeliner(const redis_pipeliner&) = delete;
    redis_pipeliner& operator=(const redis_pipeliner&) = delete;
    ~redis_pipeliner() {
        {
            const std::lock_guard lock(m_);
            stopping_ = true;
        }
        cv_.notify_one();
        if (thread_.joinable()) thread_.join();
        for (auto& j : queue_) j.done(errc::store_unavailable);
    }

    void submit(std::vector<redis_command> cmds, completion done) {
        std::optional<job> refused;
        bool wake = false;
        {
            const std::lock_guard lock(m_);
            if (!stopping_ && queue_.size() < max_queued_ && started()) {
                queue_.push_back({std::move(cmds), std::move(done)});
                wake = std::exchange(idle_, false);
            } else {
                refused.emplace(job{std::move(cmds), std::move(done)});
            }
        }
        if (refused) return refused->done(errc::store_unavailable);
        if (wake) cv_.notify_one();
    }

private:
    struct job {
        std::vector<redis_command> cmds;
        completion done;
    };

    // Under the lock: the thread runs (started now if need be); false if it cannot be started.
    bool started() noexcept {
        if (thread_.joinable()) return true;
        try {
            thread_ = std::thread([this] { run(); });
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }

    void run() {
        // A write to a connection Redis closed fails with EPIPE here instead of ending the process.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        std::vector<job> batch;
        for (;;) {
            {
                std::unique_lock lock(m_);
                idle_ = queue_.empty();
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (stopping_) return;
                take(batch);
            }
            send(batch);
            batch.clear();
        }
    }

    // Under the lock: the oldest submissions, up to the batch size.
    void take(std::vector<job>& batch) {
        std::size_t commands = 0;
        while (!queue_.empty() &&
               (batch.empty() || commands + queue_.front().cmds.size() <= max_batch_commands_)) {
            commands += queue_.front().cmds.size();
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
    }

    void send(std::vector<job>& batch) {
        std::vector<redis_reply> replies;
        try {
            all_.clear();
            for (const auto& j : batch)
                all_.insert(all_.end(), std::make_move_iterator(j.cmds.begin()),
                            std::make_move_iterator(j.cmds.end()));
            // A connection the server closed while idle (a restart, a failover) is replaced first.
            if (conn_ && (conn_->broken() || !conn_->idle_and_open())) conn_.reset();
            if (!conn_) conn_ = connect_();
            replies = conn_->pipeline(all_);
            conn_->mark_released();
        } catch (const redis_failure& f) {
            return fail(batch, f.code);
        } catch (const std::exception&) {  // out of memory, with replies unread
            return fail(batch, errc::store_unavailable);
        }
        std::size_t at = 0;
        for (auto& j : batch) {
            j.done(std::span<redis_reply>(replies).subspan(at, j.cmds.size()));
            at += j.cmds.size();
        }
    }

    // The batch, and every submission waiting now, fail: behind a dead or frozen server each would
    // otherwise wait for a timeout of its own.
    void fail(std::vector<job>& batch, errc why) {
        conn_.reset();
        std::deque<job> waiting;
        {
            const std::lock_guard lock(m_);
            waiting.swap(queue_);
        }
        for (auto& j : batch) j.done(why);
        for (auto& j : waiting) j.done(why);
    }

    const connector connect_;
    const std::size_t max_queued_;
    const std::size_t max_batch_commands_;
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<job> queue_;
    bool idle_ = true;  // the thread waits for work (or has not started): a submit must wake it
    bool stopping_ = false;
    std::thread thread_;
    std::unique_ptr<redis_connection> conn_;  // the pipeliner thread's only
    std::vector<redis_command> all_;          // the pipeliner thread's only
};

}  // namespace jot::inline v0::detail
