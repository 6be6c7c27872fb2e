// SPDX-License-Identifier: MIT
// GET /metrics of an example server: on its public listener, or on a listener of its own.
#pragma once

#include <memory>       // std::unique_ptr, std::make_unique
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <thread>       // std::thread

#include "../http/server.hpp"
#include "access_log.hpp"
#include "listen_address.hpp"
#include "metrics.hpp"

namespace jot_examples {

/// GET /metrics with what `registry` renders. With no address of its own (and not "off") the route goes on
/// the server's router, before the server is made; with one, start() binds it and serves it on one thread
/// until the endpoint is destroyed. Keep it off the public listener where the public must not read it.
class metrics_endpoint {
public:
    /// Throws config_error for a malformed `listen` (see parse_metrics_listen).
    metrics_endpoint(std::string_view listen, const metrics::registry& registry, http::router& public_routes,
                     access_log& log)
        : address_(parse_metrics_listen(listen)), off_(listen == "off"), log_(log) {
        const auto serve = [&registry](const http::request&) {
            http::response res;
            res.set_header("Cache-Control", "no-store");
            res.set_content(registry.render(), metrics::content_type);
            return res;
        };
        if (off_) return;
        if (!address_) {
            public_routes.get("/metrics", serve, http::execution::io_thread);
            return;
        }
        own_routes_.get("/metrics", serve, http::execution::io_thread);
    }
    metrics_endpoint(const metrics_endpoint&) = delete;
    metrics_endpoint& operator=(const metrics_endpoint&) = delete;
    ~metrics_endpoint() { stop(); }

    /// Stops serving a listener of its own, and waits until it has: what the registry renders may then go.
    void stop() {
        if (!server_) return;
        server_->stop();
        if (thread_.joinable()) thread_.join();
        server_.reset();
    }

    /// With an address of its own: binds it (throws boost::system::system_error if it cannot) and serves.
    /// Returns a line for the start-up log.
    std::string start() {
        if (off_) return "metrics: off";
        if (!address_) return "metrics: GET /metrics on the public listener";
        server_ = std::make_unique<http::server>(
            http::server_options{.io_threads = 1, .work_threads = 1, .work_queue = 1, .max_connections = 64},
            own_routes_, log_);
        const auto port = server_->listen(address_->host, address_->port);
        thread_ = std::thread([this] { server_->run(); });
        const bool v6 = address_->host.find(':') != std::string::npos;
        return "metrics on http://" + (v6 ? "[" + address_->host + "]" : address_->host) + ":" +
               std::to_string(port) + "/metrics";
    }

private:
    std::optional<listen_address> address_;
    bool off_;
    access_log& log_;
    http::router own_routes_;
    std::unique_ptr<http::server> server_;
    std::thread thread_;
};

}  // namespace jot_examples
