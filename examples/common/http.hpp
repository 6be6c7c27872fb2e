// SPDX-License-Identifier: MIT
// HTTP helpers of the example servers: server tuning, RFC 6749/6750 error bodies, forms, JSON, cookies.
#pragma once

#include <algorithm>    // std::all_of
#include <chrono>       // std::chrono::steady_clock
#include <cstddef>      // std::size_t
#include <exception>    // std::exception_ptr
#include <functional>   // std::function
#include <map>          // std::map
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "access_log.hpp"

namespace jot_examples {

/// How an example server runs its HTTP listener.
struct server_options {
    std::size_t threads = 64;                // worker pool; each keep-alive connection holds one while open
    std::size_t max_body_bytes = 16 * 1024;  // larger bodies get 413 before a handler runs
    std::size_t max_headers = 100;           // more header fields get 431 (POST handlers: through post())
    std::size_t keep_alive_requests = 10000;
    std::chrono::seconds keep_alive_timeout{
        2};  // also bounds shutdown: httplib lets idle connections run out
};

/// The start time of the request this thread is serving: set before routing, read by the access log.
inline thread_local std::chrono::steady_clock::time_point request_started{};

/// Whether the request this thread is serving has more header fields than server_options::max_headers:
/// set before routing, read by post() and the error handler.
inline thread_local bool too_many_headers = false;

/// Whether the connection this thread serves no longer lines up with requests: it sent a body that httplib
/// 0.11 leaves unread (a GET with a body, a body a handler stopped reading, a request httplib answered before
/// routing, a body httplib failed to read) or framing a proxy may read otherwise (see refused_framing). What
/// follows would be taken for the next request (request smuggling, when a proxy shares the connection), and
/// httplib 0.11 cannot be told to close a connection, so every later request on it is refused. A worker
/// thread serves one connection from its first request to its last; connection_pool resets this when a
/// connection starts and ends.
inline thread_local bool connection_desynchronised = false;

/// Marks the connection this thread serves as desynchronised, and says so to a proxy in front (httplib 0.11
/// itself keeps the connection open).
inline void end_connection(httplib::Response& res) {
    connection_desynchronised = true;
    res.set_header("Connection", "close");
}

/// httplib's worker pool, with the per-connection state of the thread (connection_desynchronised) reset
/// around each connection: httplib hands each connection to the pool as one task.
class connection_pool final : public httplib::TaskQueue {
public:
    explicit connection_pool(std::size_t threads) : pool_(threads) {}
    void enqueue(std::function<void()> serve_connection) override {
        pool_.enqueue([serve = std::move(serve_connection)] {
            connection_desynchronised = false;
            request_started = {};
            too_many_headers = false;
            serve();
            connection_desynchronised = false;
        });
    }
    void shutdown() override { pool_.shutdown(); }
    void on_idle() override { pool_.on_idle(); }

private:
    httplib::ThreadPool pool_;
};

/// Whether httplib 0.11 reads the body of this request itself: for POST, PUT and PATCH, and for DELETE with a
/// Content-Length. Any other body stays in the connection.
[[nodiscard]] inline bool httplib_reads_body(const httplib::Request& req) {
    return req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
           (req.method == "DELETE" && req.has_header("Content-Length"));
}

[[nodiscard]] inline bool has_body(const httplib::Request& req) {
    return req.has_header("Transfer-Encoding") ||
           (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
}

/// A request refused for its framing: the status and why.
struct framing_refusal {
    int status = 0;  // 0: the framing is fine
    std::string_view why{};
};

/// Refuses body framing that httplib 0.11 and a proxy in front of it may read differently (RFC 9112 §6.3):
/// a header name that is not a token (httplib keeps "Content-Length " as another header), more than one
/// Content-Length, or one that is not digits. Transfer-Encoding is refused with 411 (a server may require a
/// Content-Length, RFC 9112 §6.3): httplib's chunked reader ends a body early on a malformed chunk and reads
/// sizes such as "0x2b", so no chunked body is safe to accept. Lines httplib drops while parsing (bare LF,
/// no colon, an empty value, obs-fold) cannot be seen here: run the servers behind a proxy that rebuilds
/// requests (nginx by default).
[[nodiscard]] inline framing_refusal refused_framing(const httplib::Request& req) {
    const auto is_token = [](std::string_view name) {
        return !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                   std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
        });
    };
    for (const auto& [name, value] : req.headers)
        if (!is_token(name)) return {400, "a header name that is not a token"};
    if (req.has_header("Transfer-Encoding")) return {411, "a body needs a Content-Length"};
    if (req.get_header_value_count("Content-Length") > 1) return {400, "more than one Content-Length"};
    if (req.has_header("Content-Length")) {
        const std::string n = req.get_header_value("Content-Length");
        if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos)
            return {400, "a Content-Length that is not a number"};
    }
    return {};
}

/// Sets a JSON body.
inline void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

/// Responses that carry or concern tokens must not be cached (RFC 6749 §5.1).
inline void no_store(httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Pragma", "no-cache");
}

/// An RFC 6749 §5.2 error body: {"error": code, "error_description": description}.
inline void send_error(httplib::Response& res, int status, std::string_view code,
                       std::string_view description) {
    nlohmann::json body = {{"error", code}};
    if (!description.empty()) body["error_description"] = description;
    no_store(res);
    send_json(res, status, body);
}

/// The 431 answer (RFC 6585 §5) to a request with more header fields than the server allows.
inline void send_too_many_headers(httplib::Response& res) {
    send_error(res, 431, "invalid_request", "too many header fields");
}

/// The number of header fields the client sent. httplib adds REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR and
/// LOCAL_PORT to a request's headers; they are not counted.
[[nodiscard]] inline std::size_t client_header_count(const httplib::Request& req) {
    std::size_t n = req.headers.size();
    for (const char* added : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"})
        if (n > 0 && req.has_header(added)) --n;
    return n;
}

/// Tunes `server` (TCP_NODELAY, worker pool, keep-alive, body and header limits, timeouts) and installs JSON
/// bodies for errors nobody answered (404, 405, 413, ...), a 500 for exceptions that escape a handler, and
/// the one-line-per-request access log.
inline void configure_server(httplib::Server& server, const server_options& o, access_log& log) {
    server.set_tcp_nodelay(true);
    const std::size_t threads = o.threads;
    server.new_task_queue = [threads] { return new connection_pool(threads); };
    server.set_keep_alive_max_count(o.keep_alive_requests);
    server.set_keep_alive_timeout(o.keep_alive_timeout.count());
    server.set_payload_max_length(o.max_body_bytes);
    server.set_read_timeout(5, 0);
    server.set_write_timeout(5, 0);
    const std::size_t max_headers = o.max_headers;
    server.set_pre_routing_handler([max_headers](const httplib::Request& req, httplib::Response& res) {
        request_started = std::chrono::steady_clock::now();
        too_many_headers = false;
        const auto refuse = [&res](int status, std::string_view why) {
            end_connection(res);
            send_error(res, status, "invalid_request", why);
            return httplib::Server::HandlerResponse::Handled;
        };
        if (connection_desynchronised) return refuse(400, "the connection sent a body that was not read");
        if (const auto r = refused_framing(req); r.status != 0) return refuse(r.status, r.why);
        if (has_body(req) && !httplib_reads_body(req))
            return refuse(400, "a " + req.method + " request cannot have a body");
        // httplib 0.11 reads any number of header lines (each at most 8 KiB, CPPHTTPLIB_HEADER_MAX_LENGTH,
        // fixed in the shared library); newer releases stop at 100 (CPPHTTPLIB_HEADER_MAX_COUNT). They are
        // read by now: this bounds what handlers get, not what httplib buffered.
        too_many_headers = client_header_count(req) > max_headers;
        if (!too_many_headers) return httplib::Server::HandlerResponse::Unhandled;
        // A body that httplib reads after routing must be read before the answer, or it would stay in the
        // connection and be taken for the next request; post() and the error handler answer then.
        if (httplib_reads_body(req) && has_body(req)) return httplib::Server::HandlerResponse::Unhandled;
        send_too_many_headers(res);
        return httplib::Server::HandlerResponse::Handled;
    });
    server.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
            // httplib answered on its own and may have left a body unread: before routing (a bad request
            // line, 414, 416), or when it failed to read a body itself (400, 413; its errors have no body).
            const bool unrouted = request_started == std::chrono::steady_clock::time_point{};
            const bool body_failed =
                res.body.empty() && (res.status == 400 || res.status == 413) && has_body(req);
            if (unrouted || body_failed) end_connection(res);
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            if (too_many_headers && res.status < 500) {
                send_too_many_headers(res);
                return httplib::Server::HandlerResponse::Handled;
            }
            switch (res.status) {
                case 404:
                    send_error(res, 404, "not_found", "no such endpoint");
                    break;
                case 405:
                    send_error(res, 405, "invalid_request", "method not allowed");
                    break;
                case 413:
                    send_error(res, 413, "invalid_request", "request body too large");
                    break;
                case 414:
                    send_error(res, 414, "invalid_request", "request target too long");
                    break;
                default:
                    if (res.status >= 500)
                        send_error(res, res.status, "server_error", "");
                    else
                        send_error(res, res.status, "invalid_request", "");
            }
            return httplib::Server::HandlerResponse::Handled;
        }));
    server.set_exception_handler([&log](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        // The exception's text is not logged: it could quote request data.
        log.note("error: a handler threw; answered 500");
        send_error(res, 500, "server_error", "internal error");
    });
    server.set_logger([&log](const httplib::Request& req, const httplib::Response& res) {
        const auto start = request_started;
        const auto took = start == std::chrono::steady_clock::time_point{}
                              ? std::chrono::steady_clock::duration{}
                              : std::chrono::steady_clock::now() - start;
        request_started = {};
        too_many_headers = false;
        log.request(req.remote_addr, req.method, req.path, res.status, took);
    });
}

/// The media type of a request body, lowercased and without parameters ("application/json").
[[nodiscard]] inline std::string media_type(const httplib::Request& req) {
    std::string t = req.get_header_value("Content-Type");
    if (const auto semi = t.find(';'); semi != std::string::npos) t.resize(semi);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
    for (auto& c : t) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return t;
}

namespace detail {
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
inline std::optional<std::string> form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}
}  // namespace detail

/// Parses an application/x-www-form-urlencoded body. nullopt for bad escapes or a parameter given twice
/// (RFC 6749 §3.1: parameters MUST NOT be included more than once).
[[nodiscard]] inline std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
    std::map<std::string, std::string> out;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto name = detail::form_decode(pair.substr(0, eq));
        auto value =
            detail::form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!name || !value) return std::nullopt;
        if (!out.emplace(*std::move(name), *std::move(value)).second) return std::nullopt;
    }
    return out;
}

/// Parses a JSON object body of string, number, boolean or null members (nesting at most 4 deep).
/// nullopt for anything else.
[[nodiscard]] inline std::optional<nlohmann::json> parse_json_object(std::string_view body) {
    bool too_deep = false;
    auto j = nlohmann::json::parse(
        body,
        [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > 4) too_deep = true;
            return !too_deep;
        },
        false);
    if (too_deep || !j.is_object()) return std::nullopt;
    return j;
}

/// The request's parameters from a JSON object or a form body; `error` explains a rejection. Other
/// media types are rejected (415).
struct body_params {
    std::map<std::string, std::string> values;  // string members only; other JSON types mark the name bad
    std::map<std::string, bool> non_string;
    [[nodiscard]] const std::string* find(const std::string& name) const {
        const auto it = values.find(name);
        return it == values.end() ? nullptr : &it->second;
    }
};

/// Reads `body` as JSON or form parameters. On failure, writes the 400/415 answer and returns nullopt.
[[nodiscard]] inline std::optional<body_params> read_params(const httplib::Request& req,
                                                            httplib::Response& res, const std::string& body,
                                                            bool allow_empty = false) {
    const std::string type = media_type(req);
    body_params p;
    if (body.empty() && allow_empty) return p;
    if (type == "application/json") {
        const auto j = parse_json_object(body);
        if (!j) {
            send_error(res, 400, "invalid_request", "the body is not a JSON object");
            return std::nullopt;
        }
        for (const auto& [k, v] : j->items()) {
            if (v.is_string())
                p.values[k] = v.get<std::string>();
            else
                p.non_string[k] = true;
        }
        return p;
    }
    if (type == "application/x-www-form-urlencoded") {
        auto f = parse_form(body);
        if (!f) {
            send_error(res, 400, "invalid_request", "malformed form body or repeated parameter");
            return std::nullopt;
        }
        p.values = *std::move(f);
        return p;
    }
    send_error(res, 415, "invalid_request",
               "the body must be application/json or application/x-www-form-urlencoded");
    return std::nullopt;
}

/// A POST handler that gets the request body as a string.
using body_handler =
    std::function<void(const httplib::Request&, httplib::Response&, const std::string& body)>;

/// Routes POST `path` to `handler`, reading the body only if the request declares one. httplib 0.11 would
/// otherwise wait for a body until its read timeout when a POST has no Content-Length (curl -X POST), whereas
/// RFC 9112 §6.3 says such a request has none. A request with too many header fields gets 431 once its body
/// is read, and `handler` does not run.
inline void post(httplib::Server& server, const std::string& path, std::size_t max_body,
                 body_handler handler) {
    server.Post(path, httplib::Server::HandlerWithContentReader(
                          [max_body, handler = std::move(handler)](const httplib::Request& req,
                                                                   httplib::Response& res,
                                                                   const httplib::ContentReader& reader) {
                              std::string body;
                              if (req.has_header("Content-Length")) {  // Transfer-Encoding was refused
                                  bool too_large = false;
                                  const bool ok = reader([&](const char* data, std::size_t n) {
                                      if (body.size() + n > max_body) {
                                          too_large = true;
                                          return false;
                                      }
                                      body.append(data, n);
                                      return true;
                                  });
                                  if (too_large || res.status == 413) {
                                      end_connection(res);  // the rest of the body may be unread
                                      send_error(res, 413, "invalid_request", "request body too large");
                                      return;
                                  }
                                  if (!ok) {
                                      end_connection(res);
                                      send_error(res, 400, "invalid_request", "the body could not be read");
                                      return;
                                  }
                              }
                              if (too_many_headers) return send_too_many_headers(res);
                              handler(req, res, body);
                          }));
}

/// The value of cookie `name`, if the request carries it (the first one wins).
[[nodiscard]] inline std::optional<std::string> cookie(const httplib::Request& req, std::string_view name) {
    const auto count = req.get_header_value_count("Cookie");
    for (std::size_t n = 0; n < count; ++n) {
        const std::string header = req.get_header_value("Cookie", n);
        std::string_view rest = header;
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            std::string_view pair = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
            std::string_view value = pair.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return std::string(value);
        }
    }
    return std::nullopt;
}

/// What an Authorization header holds.
struct bearer {
    enum class kind { none, malformed, token } what = kind::none;
    std::string token{};
};

/// Reads "Authorization: Bearer <token>" (RFC 6750 §2.1; the scheme is case-insensitive). No header or
/// another scheme is `none`; "Bearer" with an empty or spaced token is `malformed`.
[[nodiscard]] inline bearer bearer_token(const httplib::Request& req) {
    if (!req.has_header("Authorization")) return {};
    const std::string& h = req.get_header_value("Authorization");
    constexpr std::string_view scheme = "bearer";
    if (h.size() < scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        const char c = h[i];
        if (static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != scheme[i]) return {};
    }
    if (h.size() == scheme.size()) return {bearer::kind::malformed, {}};
    if (h[scheme.size()] != ' ') return {};
    std::string_view t = std::string_view(h).substr(scheme.size());
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t.empty() || t.find_first_of(" \t,") != std::string_view::npos) return {bearer::kind::malformed, {}};
    return {bearer::kind::token, std::string(t)};
}

/// A 401 with `WWW-Authenticate: Bearer realm="jot", error="invalid_token", error_description=...`
/// (RFC 6750 §3) and the same error as a JSON body. `description` must never quote the token.
inline void send_bearer_challenge(httplib::Response& res, std::string_view description) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"jot\", error=\"invalid_token\", error_description=\"" +
                                           std::string(description) + "\"");
    send_error(res, 401, "invalid_token", description);
}

}  // namespace jot_examples
