// SPDX-License-Identifier: MIT
// The request and response that handlers of the example servers see: no sockets, no parser state.
#pragma once

#include <cstddef>      // std::size_t
#include <functional>   // std::function
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move, std::pair
#include <vector>       // std::vector

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace jot_examples::http {

/// Whether two ASCII strings are equal ignoring case (header names, schemes).
[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// One parsed HTTP request with its whole body (at most the server's body limit). Read-only for handlers.
class request {
public:
    using message = boost::beast::http::request<boost::beast::http::string_body>;

    /// `peer` is the client's address as text ("127.0.0.1"); `on_work_pool` says whether the handler runs
    /// off the I/O threads, where it may block.
    explicit request(message m, std::string peer = {}, bool on_work_pool = false)
        : m_(std::move(m)), peer_(std::move(peer)), on_work_pool_(on_work_pool) {}

    /// A request made without a socket, for tests and fuzzers: `headers` are (name, value) pairs.
    [[nodiscard]] static request make(std::string_view method, std::string_view target,
                                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                                      std::string body = {}) {
        message m;
        m.method_string(method);
        m.target(target);
        m.version(11);
        for (const auto& [name, value] : headers) m.insert(name, value);
        m.body() = std::move(body);
        return request(std::move(m), "127.0.0.1");
    }

    [[nodiscard]] std::string_view method() const noexcept { return m_.method_string(); }
    /// The request target as sent ("/posts?x=1").
    [[nodiscard]] std::string_view target() const noexcept { return m_.target(); }
    /// The target without its query.
    [[nodiscard]] std::string_view path() const noexcept { return target().substr(0, target().find('?')); }
    /// The value of the first header field `name` (case-insensitive), or "" if there is none.
    [[nodiscard]] std::string_view header(std::string_view name) const { return m_[name]; }
    [[nodiscard]] bool has_header(std::string_view name) const { return m_.find(name) != m_.end(); }
    /// How many header fields are named `name`.
    [[nodiscard]] std::size_t header_count(std::string_view name) const { return m_.count(name); }
    /// Every value of the header fields named `name`, in order.
    [[nodiscard]] std::vector<std::string_view> headers(std::string_view name) const {
        std::vector<std::string_view> out;
        const auto [first, last] = m_.equal_range(name);
        for (auto it = first; it != last; ++it) out.push_back(it->value());
        return out;
    }
    [[nodiscard]] const std::string& body() const noexcept { return m_.body(); }
    [[nodiscard]] const std::string& peer() const noexcept { return peer_; }
    [[nodiscard]] bool on_work_pool() const noexcept { return on_work_pool_; }
    /// Whether the client asked to keep the connection open (HTTP/1.1 default, Connection: close).
    [[nodiscard]] bool keep_alive() const { return m_.keep_alive(); }

    /// The same request, marked as running on the work pool.
    [[nodiscard]] request moved_to_work_pool() && {
        on_work_pool_ = true;
        return std::move(*this);
    }

private:
    message m_;
    std::string peer_;
    bool on_work_pool_ = false;
};

class responder;

/// What a handler answers. Plain data: the server adds Content-Length, Connection and Date. An answer
/// given later (answer_later() in deferred.hpp) has `later` set instead.
struct response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> fields{};
    std::string body{};
    std::function<void(responder)> later{};

    /// Sets header `name` to `value`, replacing any field of that name.
    void set_header(std::string_view name, std::string value) {
        for (auto it = fields.begin(); it != fields.end();)
            it = iequals(it->first, name) ? fields.erase(it) : it + 1;
        fields.emplace_back(std::string(name), std::move(value));
    }
    /// Adds a header field, keeping earlier ones of the same name (Set-Cookie).
    void add_header(std::string_view name, std::string value) {
        fields.emplace_back(std::string(name), std::move(value));
    }
    /// The value of the first field `name`, or "" if there is none.
    [[nodiscard]] std::string_view header(std::string_view name) const {
        for (const auto& [n, v] : fields)
            if (iequals(n, name)) return v;
        return {};
    }
    void set_content(std::string content, std::string_view content_type) {
        body = std::move(content);
        set_header("Content-Type", std::string(content_type));
    }
};

/// The answer an I/O-thread handler gives when it finds it must block (a network fetch, a store call):
/// the server runs the same handler again on the work pool, where request::on_work_pool() is true.
[[nodiscard]] inline response run_on_work_pool() {
    return response{.status = 0};
}

}  // namespace jot_examples::http
