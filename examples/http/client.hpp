// SPDX-License-Identifier: MIT
// A small HTTP(S) GET client on Boost.Beast with deadlines and a size limit, for fetching a JWKS.
#pragma once

#include <chrono>       // std::chrono::seconds
#include <cstddef>      // std::size_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace jot_examples::http {

/// The parts of an http:// or https:// URL a GET needs.
struct url_parts {
    bool tls = false;
    std::string host, port, target;
};

/// Splits `url`; nullopt if it is not http:// or https:// with a host.
[[nodiscard]] inline std::optional<url_parts> parse_url(std::string_view url) {
    url_parts u;
    if (url.starts_with("https://")) {
        u.tls = true;
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        url.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    const auto slash = url.find('/');
    const std::string_view authority = url.substr(0, slash);
    u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    std::string_view host = authority, port = u.tls ? "443" : "80";
    if (authority.starts_with('[')) {  // [::1]:8080
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') return std::nullopt;
            port = authority.substr(close + 2);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos ||
        authority.find('@') != std::string_view::npos)
        return std::nullopt;
    u.host = std::string(host);
    u.port = std::string(port);
    return u;
}

/// How a GET may go.
struct get_options {
    std::chrono::seconds connect_timeout{2};  // name resolution and TCP connect
    std::chrono::seconds read_timeout{5};     // TLS handshake, request and the whole response
    std::size_t max_body_bytes = 1 << 20;     // a larger response is a failure
    std::vector<std::pair<std::string, std::string>> headers{};  // e.g. If-None-Match
};

/// What a GET brought back: `error` says why it failed ("" when an answer came, whatever its status).
struct get_result {
    std::string error{};
    int status = 0;
    std::string body{};
    std::string cache_control{};
    std::string etag{};
};

/// GETs `url` on the calling thread, within the deadlines of `o`. https:// verifies the server's
/// certificate against the system's CAs and its host name. Never throws for network failures.
[[nodiscard]] inline get_result get(std::string_view url, const get_options& o = {}) {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    namespace bh = beast::http;
    const auto u = parse_url(url);
    if (!u) return {.error = "not an http:// or https:// URL"};

    asio::io_context ioc;
    get_result out;
    bh::request<bh::empty_body> req{bh::verb::get, u->target, 11};
    req.set(bh::field::host, u->host);
    req.set(bh::field::user_agent, "jot-example");
    req.set(bh::field::connection, "close");
    for (const auto& [name, value] : o.headers) req.set(name, value);
    bh::response_parser<bh::string_body> parser;
    parser.body_limit(o.max_body_bytes);
    parser.header_limit(64 * 1024);
    beast::flat_buffer buffer;

    const auto fail = [&out](std::string_view what, boost::system::error_code ec) {
        if (out.error.empty()) out.error = std::string(what) + ": " + ec.message();
    };
    const auto exchange = [&](auto& stream, auto& tcp) {
        tcp.expires_after(o.read_timeout);
        bh::async_write(stream, req, [&](boost::system::error_code ec, std::size_t) {
            if (ec) return fail("sending the request", ec);
            bh::async_read(stream, buffer, parser, [&](boost::system::error_code e, std::size_t) {
                if (e == bh::error::body_limit) return fail("the answer is too large", e);
                if (e) return fail("reading the answer", e);
                const auto& m = parser.get();
                out.status = static_cast<int>(m.result_int());
                out.cache_control = std::string(m[bh::field::cache_control]);
                out.etag = std::string(m[bh::field::etag]);
                out.body = parser.release().body();
            });
        });
    };

    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream tcp(ioc);
    asio::ssl::context tls(asio::ssl::context::tls_client);
    std::optional<beast::ssl_stream<beast::tcp_stream&>> secure;
    if (u->tls) {
        tls.set_default_verify_paths();
        tls.set_verify_mode(asio::ssl::verify_peer);
        secure.emplace(tcp, tls);
        secure->set_verify_callback(asio::ssl::host_name_verification(u->host));
        if (!SSL_set_tlsext_host_name(secure->native_handle(), u->host.c_str()))
            return {.error = "cannot set the TLS server name"};
    }
    tcp.expires_after(o.connect_timeout);
    resolver.async_resolve(u->host, u->port, [&](boost::system::error_code ec, auto endpoints) {
        if (ec) return fail("resolving " + u->host, ec);
        tcp.async_connect(endpoints, [&](boost::system::error_code e, auto) {
            if (e) return fail("connecting to " + u->host + ":" + u->port, e);
            if (!secure) return exchange(tcp, tcp);
            tcp.expires_after(o.read_timeout);
            secure->async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code h) {
                if (h) return fail("TLS handshake", h);
                exchange(*secure, tcp);
            });
        });
    });
    // The resolver's own thread cannot be cancelled by the stream's timer: bound the whole run as well.
    ioc.run_for(o.connect_timeout + o.read_timeout + std::chrono::seconds(1));
    if (!ioc.stopped() && out.error.empty() && out.status == 0) out.error = "timed out";
    return out;
}

}  // namespace jot_examples::http
