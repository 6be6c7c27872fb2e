// SPDX-License-Identifier: MIT
// The limits, deadlines and threads of the example servers' HTTP edge.
#pragma once

#include <chrono>   // std::chrono::seconds
#include <cstddef>  // std::size_t

namespace jot_examples::http {

/// Limits, deadlines and threads of a server. Every field is a flag of both example servers.
struct server_options {
    std::size_t io_threads = 0;                // 0: one per core
    std::size_t work_threads = 0;              // for handlers that block; 0: four per core
    std::size_t work_queue = 256;              // waiting jobs beyond which the answer is 503 + Retry-After
    std::size_t max_connections = 10000;       // beyond it a new connection gets 503 and is closed at once
    std::chrono::seconds header_timeout{10};   // the whole request head, counted from its first byte
    std::chrono::seconds body_timeout{10};     // the whole body, counted from the end of the head
    std::chrono::seconds idle_timeout{30};     // a kept-alive connection waiting for its next request
    std::chrono::seconds write_timeout{10};    // the whole response
    std::size_t max_header_bytes = 16 * 1024;  // request line and header fields: 431 beyond
    std::size_t max_body_bytes = 16 * 1024;    // 413 beyond
    std::size_t max_header_fields = 100;       // 431 beyond
    std::chrono::seconds drain_timeout{3};     // after stop(), requests in flight get this long
};

}  // namespace jot_examples::http
