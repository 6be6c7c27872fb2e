// SPDX-License-Identifier: MIT
// Routes (method, path) to handlers, and answers what no route takes (404, 405) as the handlers would.
#pragma once

#include <cstddef>      // std::size_t
#include <exception>    // std::exception
#include <functional>   // std::function
#include <future>       // std::promise
#include <memory>       // std::make_shared
#include <stdexcept>    // std::logic_error
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include "deferred.hpp"
#include "helpers.hpp"
#include "message.hpp"

namespace jot_examples::http {

/// A handler: a plain function from a request to a response. It must be thread-safe.
using handler = std::function<response(const request&)>;

/// Where a handler runs. An I/O thread serves thousands of connections and must never wait: on a lock, a
/// store, a hash, the network. Handlers that may wait run on the work pool; an io_thread handler that
/// finds it must wait returns run_on_work_pool() and is called again there; one that hands the work to an
/// asynchronous component returns answer_later().
enum class execution { io_thread, work_pool };

/// A route found for a request.
struct route {
    std::string method, path;
    handler serve;
    execution where = execution::work_pool;
    std::size_t id = 0;  // its position in router::routes()
};

/// Exact-match routes by method and path, and a hook that sees every answer (CORS headers, for one).
/// Filled before the server starts, then read-only: find() and answer() are thread-safe.
class router {
public:
    /// Adds a route. Throws std::logic_error if (method, path) is taken.
    void add(std::string_view method, std::string_view path, handler h,
             execution where = execution::work_pool) {
        if (find_exact(method, path)) throw std::logic_error("router: a route is defined twice");
        routes_.push_back({std::string(method), std::string(path), std::move(h), where, routes_.size()});
    }
    void get(std::string_view path, handler h, execution where = execution::work_pool) {
        add("GET", path, std::move(h), where);
    }
    void post(std::string_view path, handler h, execution where = execution::work_pool) {
        add("POST", path, std::move(h), where);
    }

    /// Called with every answer before it is sent, including 404s, 405s and the server's own errors.
    void on_answer(std::function<void(const request&, response&)> hook) { hook_ = std::move(hook); }

    /// Every route, in the order added.
    [[nodiscard]] const std::vector<route>& routes() const noexcept { return routes_; }

    /// The route for `req`, or null: then not_routed() answers it.
    [[nodiscard]] const route* find(const request& req) const { return find_exact(req.method(), req.path()); }

    /// 404 for an unknown path, 405 (with Allow) for a known path and another method.
    [[nodiscard]] response not_routed(const request& req) const {
        response res;
        std::string allow;
        for (const auto& r : routes_)
            if (r.path == req.path()) allow += (allow.empty() ? "" : ", ") + r.method;
        if (allow.empty()) {
            send_error(res, 404, "not_found", "no such endpoint");
        } else {
            res.set_header("Allow", allow);
            send_error(res, 405, "invalid_request", "method not allowed");
        }
        return res;
    }

    /// Calls `r` for `req`; a handler that throws gets a 500 (what it threw is not shown: it could quote the
    /// request).
    [[nodiscard]] static response call(const route& r, const request& req) {
        try {
            return r.serve(req);
        } catch (const std::exception&) {
            return internal_error();
        }
    }

    /// Applies the on_answer hook.
    void finish(const request& req, response& res) const {
        if (hook_) hook_(req, res);
    }

    /// Everything at once, on the calling thread, for tests and fuzzers: route, call (io_thread and work_pool
    /// handlers alike, the latter as on the work pool; an answer given later waited for) and finish.
    [[nodiscard]] response respond(request req) const {
        const route* r = find(req);
        response res;
        if (!r) {
            res = not_routed(req);
        } else {
            if (r->where == execution::work_pool) req = std::move(req).moved_to_work_pool();
            res = wait_for(call(*r, req));
            if (res.status == 0) res = wait_for(call(*r, req = std::move(req).moved_to_work_pool()));
        }
        finish(req, res);
        return res;
    }

private:
    // An answer given later, waited for.
    [[nodiscard]] static response wait_for(response res) {
        if (!res.later) return res;
        auto answer = std::make_shared<std::promise<response>>();
        auto got = answer->get_future();
        const auto start = std::move(res.later);
        try {
            start(responder([answer](response r) { answer->set_value(std::move(r)); }));
        } catch (const std::exception&) {  // the responder it dropped answered 500
        }
        return got.get();
    }

    [[nodiscard]] const route* find_exact(std::string_view method, std::string_view path) const {
        for (const auto& r : routes_)
            if (r.method == method && r.path == path) return &r;
        return nullptr;
    }

    std::vector<route> routes_;
    std::function<void(const request&, response&)> hook_;
};

}  // namespace jot_examples::http
