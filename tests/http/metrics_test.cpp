// SPDX-License-Identifier: MIT
// The example servers' metrics (examples/common/metrics.hpp, examples/http/request_metrics.hpp): the
// exposition text, histogram buckets, label escaping, route labels that clients cannot choose, and counts
// from many threads.
#include "../../examples/common/metrics.hpp"
#include "../../examples/common/listen_address.hpp"
#include "../../examples/http/request_metrics.hpp"

#include <doctest/doctest.h>

#include <chrono>  // std::chrono
#include <string>  // std::string
#include <thread>  // std::thread
#include <vector>  // std::vector

namespace http = jot_examples::http;
namespace metrics = jot_examples::metrics;
using namespace std::chrono_literals;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

http::router two_routes() {
    http::router r;
    r.get("/posts", [](const http::request&) { return http::response{.status = 200}; });
    r.post("/login", [](const http::request&) { return http::response{.status = 200}; });
    return r;
}

}  // namespace

TEST_CASE("a histogram puts each duration in the first bucket it fits and writes cumulative counts") {
    metrics::histogram h;
    h.observe(50us);   // <= 0.0001
    h.observe(100us);  // <= 0.0001: a bound is inclusive
    h.observe(101us);  // <= 0.00025
    h.observe(3s);     // <= 5
    h.observe(60s);    // +Inf only
    h.observe(-1ms);   // a clock step backwards counts as 0
    CHECK(h.count() == 6);
    std::string out;
    h.write(out, "x_seconds", metrics::label("route", "/a"));
    CHECK(has_line(out, "x_seconds_bucket{route=\"/a\",le=\"0.0001\"} 3"));
    CHECK(has_line(out, "x_seconds_bucket{route=\"/a\",le=\"0.00025\"} 4"));
    CHECK(has_line(out, "x_seconds_bucket{route=\"/a\",le=\"2.5\"} 4"));
    CHECK(has_line(out, "x_seconds_bucket{route=\"/a\",le=\"5\"} 5"));
    CHECK(has_line(out, "x_seconds_bucket{route=\"/a\",le=\"10\"} 5"));
    CHECK(has_line(out, "x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 6"));
    CHECK(has_line(out, "x_seconds_count{route=\"/a\"} 6"));
    CHECK(has_line(out, "x_seconds_sum{route=\"/a\"} 63.000251"));
    std::string bare;
    metrics::histogram().write(bare, "y_seconds", "");
    CHECK(has_line(bare, "y_seconds_bucket{le=\"+Inf\"} 0"));
    CHECK(has_line(bare, "y_seconds_count 0"));
}

TEST_CASE("label values are escaped as the exposition format requires") {
    CHECK(metrics::label("k", "plain") == "k=\"plain\"");
    CHECK(metrics::label("k", "a\"b\\c\nd") == "k=\"a\\\"b\\\\c\\nd\"");
}

TEST_CASE("a counter_set writes one sample per value, zeros included, under HELP and TYPE") {
    metrics::counter_set s("jot_things_total", "Things.", "kind", {"a", "b"});
    s[1].add(3);
    CHECK_THROWS(s[2]);
    std::string out;
    s.write(out);
    CHECK(out ==
          "# HELP jot_things_total Things.\n# TYPE jot_things_total counter\n"
          "jot_things_total{kind=\"a\"} 0\njot_things_total{kind=\"b\"} 3\n");
}

TEST_CASE("a registry renders its writers in order, gauges read when rendered") {
    metrics::registry r;
    double open = 2;
    r.add([](std::string& out) { out += "# first\n"; });
    r.gauge("jot_open", "Open now.", [&open] { return open; });
    open = 5;
    CHECK(r.render() == "# first\n# HELP jot_open Open now.\n# TYPE jot_open gauge\njot_open 5\n");
}

TEST_CASE("request metrics label routes by the router's paths, never by what a client asked for") {
    const auto routes = two_routes();
    http::request_metrics m(routes);
    const auto& posts = routes.routes()[0];
    m.record(m.slot_of(&posts), 200, 1ms);
    m.record(m.slot_of(&posts), 200, 2ms);
    m.record(m.slot_of(&posts), 401, 1ms);
    m.record(m.slot_of(nullptr), 404, 1ms);
    m.record(m.refused_slot(), 431, 1ms);
    m.record(m.slot_of(&posts), 999, 1ms);  // not a status: not counted
    m.record(1000, 200, 1ms);               // not a slot: not counted
    std::string out;
    m.write(out);
    CHECK(has_line(out, "jot_http_requests_total{method=\"GET\",route=\"/posts\",status=\"200\"} 2"));
    CHECK(has_line(out, "jot_http_requests_total{method=\"GET\",route=\"/posts\",status=\"401\"} 1"));
    CHECK(has_line(out, "jot_http_requests_total{method=\"*\",route=\"unmatched\",status=\"404\"} 1"));
    CHECK(has_line(out, "jot_http_requests_total{method=\"*\",route=\"refused\",status=\"431\"} 1"));
    CHECK(has_line(out, "jot_http_request_duration_seconds_count{method=\"GET\",route=\"/posts\"} 3"));
    CHECK(out.find("999") == std::string::npos);
    CHECK(out.find("/login") == std::string::npos);  // no requests yet: no series
}

TEST_CASE("request metrics count every request recorded from many threads") {
    const auto routes = two_routes();
    http::request_metrics m(routes);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&m, &routes] {
            for (int i = 0; i < 5000; ++i) m.record(m.slot_of(&routes.routes()[1]), 200 + i % 2, 1us);
        });
    for (auto& t : threads) t.join();
    std::string out;
    m.write(out);
    CHECK(has_line(out, "jot_http_requests_total{method=\"POST\",route=\"/login\",status=\"200\"} 10000"));
    CHECK(has_line(out, "jot_http_requests_total{method=\"POST\",route=\"/login\",status=\"201\"} 10000"));
    CHECK(has_line(out, "jot_http_request_duration_seconds_count{method=\"POST\",route=\"/login\"} 20000"));
}

TEST_CASE("--metrics-listen takes HOST:PORT, [IPv6]:PORT, off or nothing, and refuses the rest") {
    CHECK(!jot_examples::parse_metrics_listen(""));
    CHECK(!jot_examples::parse_metrics_listen("off"));
    const auto v4 = jot_examples::parse_metrics_listen("127.0.0.1:9100");
    REQUIRE(v4);
    CHECK(v4->host == "127.0.0.1");
    CHECK(v4->port == 9100);
    const auto v6 = jot_examples::parse_metrics_listen("[::1]:0");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 0);
    for (const char* bad : {"9100", ":9100", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:9x", "a:-1"})
        CHECK_THROWS_AS((void)jot_examples::parse_metrics_listen(bad), jot_examples::config_error);
}
