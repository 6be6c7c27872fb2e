// SPDX-License-Identifier: MIT
// Clean shutdown on SIGINT/SIGTERM and an admin hook on SIGHUP, handled on a thread of their own.
#pragma once

#include <pthread.h>   // pthread_sigmask
#include <csignal>     // SIGINT, SIGTERM, SIGHUP, SIGPIPE, sigset_t
#include <functional>  // std::function
#include <thread>      // std::thread

namespace jot_examples {

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it starts afterwards: call it
/// first in main, so that only the watcher below ever receives them. Their dispositions are reset first:
/// a non-interactive shell starts background jobs with SIGINT ignored, and an ignored signal is discarded
/// rather than left pending for sigwait. SIGPIPE is ignored, as in any server: a write to a peer that has
/// gone must fail with EPIPE, and the stores then skip guarding every call against it.
inline void block_signals() {
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGHUP, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

/// Starts a detached thread that waits for the blocked signals: SIGINT or SIGTERM calls `on_stop` once and
/// ends the thread; SIGHUP calls `on_hup` (if set) each time. The callbacks run on that thread.
inline void watch_signals(std::function<void(int)> on_stop, std::function<void()> on_hup) {
    std::thread([on_stop = std::move(on_stop), on_hup = std::move(on_hup)] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (sig == SIGHUP) {
                if (on_hup) on_hup();
                continue;
            }
            on_stop(sig);
            return;
        }
    }).detach();
}

}  // namespace jot_examples
