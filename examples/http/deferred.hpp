// SPDX-License-Identifier: MIT
// Answers given later, from another thread: a handler that waits on an asynchronous component (a store
// lookup) returns answer_later(), and the component answers through a responder when it is done.
#pragma once

#include <atomic>      // std::atomic
#include <functional>  // std::function
#include <memory>      // std::shared_ptr, std::make_shared
#include <utility>     // std::move

#include "helpers.hpp"
#include "message.hpp"

namespace jot_examples::http {

/// Delivers the answer to one request: from any thread, once (later calls do nothing). Copies share the
/// request; when the last is dropped unanswered the client gets a 500, so no request is left hanging.
class responder {
public:
    explicit responder(std::function<void(response)> deliver)
        : state_(std::make_shared<state>(std::move(deliver))) {}

    void operator()(response res) const { state_->answer(std::move(res)); }

private:
    struct state {
        explicit state(std::function<void(response)> d) : deliver(std::move(d)) {}
        state(const state&) = delete;
        state& operator=(const state&) = delete;
        ~state() {
            try {
                if (!answered.load()) deliver(internal_error());
            } catch (...) {  // out of memory while dropping: the connection's own timers close it
            }
        }
        void answer(response res) {
            if (!answered.exchange(true)) deliver(std::move(res));
        }
        std::function<void(response)> deliver;
        std::atomic<bool> answered{false};
    };
    std::shared_ptr<state> state_;
};

/// The answer of a handler whose answer another component will give: the server calls `start` at once, on
/// the handler's thread, with the responder to answer through. The handler's thread does not wait.
[[nodiscard]] inline response answer_later(std::function<void(responder)> start) {
    response res{.status = 0};
    res.later = std::move(start);
    return res;
}

}  // namespace jot_examples::http
