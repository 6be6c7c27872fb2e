// SPDX-License-Identifier: MIT
// Answers given later (examples/http/deferred.hpp): through the router and through a real server on
// loopback, answered from other threads, dropped unanswered, and given after the server is gone.
#include "../../examples/http/client.hpp"
#include "../../examples/http/server.hpp"

#include <doctest/doctest.h>

#include <chrono>    // std::chrono
#include <cstdio>    // std::tmpfile
#include <memory>    // std::shared_ptr
#include <mutex>     // std::mutex
#include <optional>  // std::optional
#include <string>    // std::string
#include <thread>    // std::thread
#include <utility>   // std::move
#include <vector>    // std::vector

namespace http = jot_examples::http;
using namespace std::chrono_literals;

namespace {

http::response text(std::string body) {
    http::response res;
    res.set_content(std::move(body), "text/plain");
    return res;
}

/// Answers kept for later: a test plays the asynchronous component and answers them from its own thread.
struct pending_answers {
    std::mutex m;
    std::vector<http::responder> waiting;
    void keep(http::responder r) {
        const std::lock_guard lock(m);
        waiting.push_back(std::move(r));
    }
    std::vector<http::responder> take() {
        const std::lock_guard lock(m);
        return std::exchange(waiting, {});
    }
    std::size_t size() {
        const std::lock_guard lock(m);
        return waiting.size();
    }
};

/// A router with /later (answered from another thread), /dropped (its responder dropped unanswered) and
/// /kept (kept in `pending` until the test answers it).
http::router routes(pending_answers& pending) {
    http::router r;
    r.get(
        "/later",
        [](const http::request&) {
            return http::answer_later([](http::responder reply) {
                std::thread([reply] {
                    std::this_thread::sleep_for(20ms);
                    reply(text("later"));
                    reply(text("twice"));  // ignored: one answer per request
                }).detach();
            });
        },
        http::execution::io_thread);
    r.get(
        "/dropped", [](const http::request&) { return http::answer_later([](const http::responder&) {}); },
        http::execution::io_thread);
    r.get(
        "/kept",
        [&pending](const http::request&) {
            return http::answer_later([&pending](http::responder reply) { pending.keep(std::move(reply)); });
        },
        http::execution::io_thread);
    r.get("/pooled", [](const http::request&) {  // a work-pool handler may answer later too
        return http::answer_later([](const http::responder& reply) { reply(text("pooled")); });
    });
    return r;
}

/// A server on a free loopback port, run on a thread of its own.
struct running_server {
    explicit running_server(const http::router& r)
        : log(std::tmpfile()), server(http::server_options{.io_threads = 1, .work_threads = 1}, r, log) {
        port = server.listen("127.0.0.1", 0);
        runner = std::thread([this] { server.run(); });
    }
    ~running_server() { stop(); }
    void stop() {
        server.stop();
        if (runner.joinable()) runner.join();
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port) + path;
    }

    jot_examples::access_log log;
    http::server server;
    unsigned short port = 0;
    std::thread runner;
};

}  // namespace

TEST_CASE("router::respond waits for an answer given later, and a dropped responder answers 500") {
    pending_answers pending;
    const auto r = routes(pending);
    const auto later = r.respond(http::request::make("GET", "/later"));
    CHECK(later.status == 200);
    CHECK(later.body == "later");
    const auto dropped = r.respond(http::request::make("GET", "/dropped"));
    CHECK(dropped.status == 500);
    CHECK(dropped.body.find("server_error") != std::string::npos);
    CHECK(r.respond(http::request::make("GET", "/pooled")).body == "pooled");
}

TEST_CASE("the server sends answers given later on other threads, and 500 for a dropped responder") {
    pending_answers pending;
    const auto r = routes(pending);
    running_server s(r);
    for (int i = 0; i < 3; ++i) {
        const auto later = http::get(s.url("/later"));
        CHECK(later.error == "");
        CHECK(later.status == 200);
        CHECK(later.body == "later");
    }
    const auto dropped = http::get(s.url("/dropped"));
    CHECK(dropped.status == 500);
    CHECK(http::get(s.url("/pooled")).body == "pooled");

    // Several requests waiting at once, answered in the reverse order of arrival.
    std::vector<std::thread> clients;
    std::vector<std::optional<http::get_result>> got(4);
    for (std::size_t i = 0; i < got.size(); ++i)
        clients.emplace_back([&, i] { got[i] = http::get(s.url("/kept")); });
    for (int i = 0; i < 500 && pending.size() < got.size(); ++i) std::this_thread::sleep_for(10ms);
    auto waiting = pending.take();
    REQUIRE(waiting.size() == got.size());
    for (std::size_t i = waiting.size(); i-- > 0;) waiting[i](text("answer " + std::to_string(i)));
    for (auto& c : clients) c.join();
    for (const auto& g : got) {
        REQUIRE(g);
        CHECK(g->status == 200);
        CHECK(g->body.starts_with("answer "));
    }
}

TEST_CASE("an answer given after the connection closed, or after the server is gone, is dropped") {
    pending_answers pending;
    const auto r = routes(pending);
    std::vector<http::responder> late;
    {
        running_server s(r);
        std::thread client([&] {
            // Gives up before the answer comes: the connection closes with the answer still pending.
            (void)http::get(s.url("/kept"), {.read_timeout = 1s});
        });
        for (int i = 0; i < 500 && pending.size() < 1; ++i) std::this_thread::sleep_for(10ms);
        REQUIRE(pending.size() == 1);
        client.join();
        pending.take().front()(text("too late for the client"));  // its connection is gone
        std::thread second([&] { (void)http::get(s.url("/kept"), {.read_timeout = 5s}); });
        for (int i = 0; i < 500 && pending.size() < 1; ++i) std::this_thread::sleep_for(10ms);
        REQUIRE(pending.size() == 1);
        late = pending.take();
        s.stop();  // drains for up to drain_timeout, then closes the waiting connection
        second.join();
        CHECK(s.server.open_connections() == 0);
    }
    // The server is destroyed: answering (and dropping) the responder must not touch it.
    late.front()(text("after the server"));
    late.clear();
    CHECK(late.empty());
}
