// SPDX-License-Identifier: MIT
// The example servers' HTTP/1.1 edge on Boost.Beast: a few I/O threads, each with its own connections,
// strict parsing with limits and deadlines, a bounded work pool for handlers that block, graceful drain.
#pragma once

#include <sys/resource.h>  // getrlimit, setrlimit, RLIMIT_NOFILE

#include <algorithm>           // std::min, std::max
#include <array>               // std::array
#include <atomic>              // std::atomic
#include <chrono>              // std::chrono::steady_clock
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint32_t
#include <functional>          // std::function
#include <iterator>            // std::distance
#include <memory>              // std::shared_ptr, std::make_shared, std::unique_ptr
#include <mutex>               // std::mutex
#include <optional>            // std::optional
#include <string>              // std::string
#include <string_view>         // std::string_view
#include <thread>              // std::thread
#include <unordered_set>       // std::unordered_set
#include <utility>             // std::move, std::forward
#include <vector>              // std::vector

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "../common/access_log.hpp"
#include "deferred.hpp"
#include "options.hpp"
#include "request_metrics.hpp"
#include "router.hpp"
#include "work_pool.hpp"

namespace jot_examples::http {

/// An HTTP/1.1 server for one router. listen(), then run() on any thread until stop().
///
/// Each I/O thread owns its connections: their reads, writes and timers run only there, so a connection
/// needs no lock. A handler marked execution::work_pool runs on the pool and its answer comes back to the
/// connection's thread. Requests on one connection are answered in order (pipelining), one at a time.
class server {
public:
    server(server_options o, const router& routes, access_log& log)
        : o_(normalised(o)),
          routes_(routes),
          log_(log),
          metrics_(routes),
          pool_(o_.work_threads, o_.work_queue) {
        for (std::size_t i = 0; i < o_.io_threads; ++i) threads_.push_back(std::make_unique<io_thread>());
        acceptor_.emplace(threads_.front()->ioc);
        retry_.emplace(threads_.front()->ioc);
    }
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server() {
        gate_->close();
        pool_.stop();
    }

    /// Binds `host`:`port` (0 picks a free port) with the backlog at SOMAXCONN. Returns the bound port.
    /// Throws boost::system::system_error if the address cannot be used.
    unsigned short listen(const std::string& host, unsigned short port) {
        namespace ip = boost::asio::ip;
        const ip::tcp::endpoint at(ip::make_address(host), port);
        acceptor_->open(at.protocol());
        acceptor_->set_option(boost::asio::socket_base::reuse_address(true));
        acceptor_->bind(at);
        acceptor_->listen(boost::asio::socket_base::max_listen_connections);
        max_open_ = std::min(o_.max_connections, raise_open_file_limit(o_.max_connections));
        return acceptor_->local_endpoint().port();
    }

    /// The connections the server will hold at once: max_connections, or fewer if the process may not
    /// open that many files (the server raises its soft limit up to the hard one).
    [[nodiscard]] std::size_t connection_limit() const noexcept { return max_open_; }

    /// Serves until stop(), then drains: no new connections; idle, slow and half-read ones closed at
    /// once; requests in flight answered (with Connection: close) for up to drain_timeout; then every
    /// connection is closed and the work pool stopped (running jobs finish, queued ones are dropped).
    void run() {
        accept();
        std::vector<std::thread> running;
        for (auto& t : threads_) running.emplace_back([&t] { t->ioc.run(); });
        {
            std::unique_lock lock(stop_m_);
            stop_cv_.wait(lock, [this] { return stop_requested_; });
        }
        boost::asio::post(threads_.front()->ioc, [this] {
            boost::system::error_code ignored;
            acceptor_->close(ignored);
        });
        for (auto& t : threads_) boost::asio::post(t->ioc, [&t] { t->drain(false); });
        const auto deadline = std::chrono::steady_clock::now() + o_.drain_timeout;
        while (open_.load() > 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        for (auto& t : threads_) {
            boost::asio::post(t->ioc, [&t] { t->drain(true); });
            t->guard.reset();
        }
        const auto closing = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        while (open_.load() > 0 && std::chrono::steady_clock::now() < closing)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        for (auto& t : threads_) t->ioc.stop();
        for (auto& th : running) th.join();
        pool_.stop();
    }

    /// Starts the drain described at run(). Thread-safe, idempotent, and may come before run().
    void stop() {
        {
            const std::lock_guard lock(stop_m_);
            stop_requested_ = true;
        }
        stop_cv_.notify_all();
    }

    /// Connections open now.
    [[nodiscard]] std::size_t open_connections() const noexcept { return open_.load(); }

    /// The server's metrics in the Prometheus text format: requests by route and status, their latency,
    /// open connections, connections refused over the limit, and the work pool's queue. Thread-safe.
    void write_metrics(std::string& out) const {
        metrics_.write(out);
        metrics::family(out, "jot_http_open_connections", "gauge", "Connections open now.");
        metrics::histogram::sample(out, "jot_http_open_connections", "", open_.load());
        metrics::family(out, "jot_http_connections_refused_total", "counter",
                        "Connections answered 503 and closed at once because max_connections were open.");
        metrics::histogram::sample(out, "jot_http_connections_refused_total", "", refused_.value());
        metrics::family(out, "jot_http_work_queue_depth", "gauge",
                        "Jobs waiting for a work thread (password hashing, blocking store calls).");
        metrics::histogram::sample(out, "jot_http_work_queue_depth", "", pool_.queued());
        metrics::family(out, "jot_http_work_queue_capacity", "gauge",
                        "Jobs that may wait for a work thread; beyond, the answer is 503.");
        metrics::histogram::sample(out, "jot_http_work_queue_capacity", "", o_.work_queue);
    }

private:
    class session;
    using tcp = boost::asio::ip::tcp;

    /// Lets answers given later reach an I/O thread while the server exists, and drops them after.
    class delivery_gate {
    public:
        template <class F>
        void post(boost::asio::io_context& ioc, F&& f) {
            const std::lock_guard lock(m_);
            if (open_) boost::asio::post(ioc, std::forward<F>(f));
        }
        void close() {
            const std::lock_guard lock(m_);
            open_ = false;
        }

    private:
        std::mutex m_;
        bool open_ = true;
    };

    /// One I/O thread: its io_context and the connections it owns, touched only on that thread.
    struct io_thread {
        boost::asio::io_context ioc{1};
        boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{ioc.get_executor()};
        std::unordered_set<std::shared_ptr<session>> sessions;
        bool draining = false;
        void drain(bool all);
    };

    static server_options normalised(server_options o) {
        const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
        if (o.io_threads == 0) o.io_threads = cores;
        if (o.work_threads == 0) o.work_threads = 4 * cores;
        return o;
    }

    /// Raises the soft limit on open files towards what `connections` need; returns how many
    /// connections the limit then leaves room for (64 descriptors stay for files, stores and logs).
    static std::size_t raise_open_file_limit(std::size_t connections) {
        constexpr rlim_t reserve = 64;
        rlimit l{};
        if (::getrlimit(RLIMIT_NOFILE, &l) != 0) return connections;
        const rlim_t wanted = static_cast<rlim_t>(connections) + reserve;
        if (l.rlim_cur < wanted) {
            rlimit raised = l;
            raised.rlim_cur = l.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, l.rlim_max);
            if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) l = raised;
        }
        if (l.rlim_cur == RLIM_INFINITY || l.rlim_cur >= wanted) return connections;
        return l.rlim_cur > reserve ? static_cast<std::size_t>(l.rlim_cur - reserve) : 1;
    }

    void accept();

    /// Over the connection limit: a 503 written without waiting (it fits any socket buffer), then close.
    void refuse_busy(tcp::socket& socket) {
        refused_.add();
        static constexpr std::string_view busy =
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
            "Content-Type: application/json\r\nContent-Length: 80\r\n\r\n"
            "{\"error\":\"temporarily_unavailable\",\"error_description\":\"too many connections\"}";
        boost::system::error_code ignored;
        socket.non_blocking(true, ignored);
        socket.write_some(boost::asio::buffer(busy.data(), busy.size()), ignored);
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    const server_options o_;
    const router& routes_;
    access_log& log_;
    request_metrics metrics_;
    metrics::counter refused_;
    work_pool pool_;
    std::shared_ptr<delivery_gate> gate_ = std::make_shared<delivery_gate>();
    std::vector<std::unique_ptr<io_thread>> threads_;
    std::optional<tcp::acceptor> acceptor_;
    std::optional<boost::asio::steady_timer> retry_;  // after a failed accept
    std::size_t next_thread_ = 0;                     // touched by the accept handler only
    std::size_t max_open_ = 0;
    std::atomic<std::size_t> open_{0};
    std::mutex stop_m_;
    std::condition_variable stop_cv_;
    bool stop_requested_ = false;
};

/// One connection: reads a request (head, then body), answers it, and goes on while it is kept alive.
class server::session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, server& s, io_thread& t)
        : stream_(std::move(socket)), server_(s), thread_(t), buffer_(s.o_.max_header_bytes + 16 * 1024) {}

    /// On the connection's thread.
    void start() {
        thread_.sessions.insert(shared_from_this());
        boost::system::error_code ec;
        const auto peer = stream_.socket().remote_endpoint(ec);
        if (ec || thread_.draining) return close();
        peer_ = peer.address().to_string();
        stream_.socket().set_option(tcp::no_delay(true), ec);
        next_request();
    }

    /// Stopping: a connection waiting for or reading a request closes now; one whose request is being
    /// answered closes after the answer. With `all`, every connection closes now.
    void drain(bool all) {
        if (all || phase_ == phase::idle || phase_ == phase::reading) return close();
        close_after_answer_ = true;
    }

private:
    enum class phase { idle, reading, answering, closing };

    const server_options& o() const noexcept { return server_.o_; }

    void next_request() {
        if (close_after_answer_ || thread_.draining) return close();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(o().max_header_bytes));
        parser_->body_limit(o().max_body_bytes);
        if (buffer_.size() > 0) return read_head();  // the next pipelined request is already here
        phase_ = phase::idle;
        stream_.expires_after(o().idle_timeout);
        const std::size_t room = std::min<std::size_t>(4096, buffer_.max_size() - buffer_.size());
        stream_.async_read_some(buffer_.prepare(room), [self = shared_from_this()](auto ec, std::size_t n) {
            if (ec) return self->close();
            self->buffer_.commit(n);
            self->read_head();
        });
    }

    void read_head() {
        phase_ = phase::reading;
        started_ = std::chrono::steady_clock::now();
        slot_ = server_.metrics_.refused_slot();
        stream_.expires_after(o().header_timeout);
        boost::beast::http::async_read_header(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](auto ec, std::size_t) { self->on_head(ec); });
    }

    void on_head(boost::system::error_code ec) {
        namespace bh = boost::beast::http;
        if (ec) return refuse_read(ec);
        const auto& head = parser_->get();
        if (static_cast<std::size_t>(std::distance(head.begin(), head.end())) > o().max_header_fields)
            return refuse(431, "too many header fields");
        // RFC 9112 §6.1: a transfer coding we do not implement is 501; Beast reads chunked strictly.
        if (head.count(bh::field::transfer_encoding) > 0 &&
            !(head.count(bh::field::transfer_encoding) == 1 &&
              iequals(head[bh::field::transfer_encoding], "chunked")))
            return refuse(501, "the only transfer coding accepted is chunked");
        // Beast merges equal Content-Length fields; a proxy in front may not (RFC 9112 §6.3).
        if (head.count(bh::field::content_length) > 1) return refuse(400, "more than one Content-Length");
        if (const auto expect = head[bh::field::expect]; !expect.empty()) {
            if (!iequals(expect, "100-continue")) return refuse(417, "unsupported Expect");
            if (!parser_->is_done()) return send_continue();
        }
        read_body();
    }

    void send_continue() {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        stream_.expires_after(o().write_timeout);
        boost::asio::async_write(stream_, boost::asio::buffer(go_on.data(), go_on.size()),
                                 [self = shared_from_this()](auto ec, std::size_t) {
                                     if (ec) return self->close();
                                     self->read_body();
                                 });
    }

    void read_body() {
        if (parser_->is_done()) return answer();
        stream_.expires_after(o().body_timeout);
        boost::beast::http::async_read(stream_, buffer_, *parser_,
                                       [self = shared_from_this()](auto ec, std::size_t) {
                                           if (ec) return self->refuse_read(ec);
                                           self->answer();
                                       });
    }

    /// A request that could not be read: answered (and the connection closed) when the client can still
    /// read an answer, else just closed.
    void refuse_read(boost::system::error_code ec) {
        namespace bh = boost::beast::http;
        if (ec == bh::error::header_limit || ec == bh::error::buffer_overflow)
            return refuse(431, "the request head is too large");
        if (ec == bh::error::body_limit) return refuse(413, "request body too large");
        // The client left or stalled, or the socket failed: nobody reads an answer.
        if (ec == bh::error::end_of_stream || ec == bh::error::partial_message ||
            ec.category() != bh::make_error_code(bh::error::bad_method).category())
            return close();
        refuse(400, "malformed request: " + ec.message());
    }

    void refuse(int status, std::string_view why) {
        response res;
        send_error(res, status, "invalid_request", why);
        close_after_answer_ = true;
        send(std::move(res), "-", "-");
    }

    void answer() {
        phase_ = phase::answering;
        stream_.expires_never();
        request req(parser_->release(), peer_);
        const route* r = server_.routes_.find(req);
        slot_ = server_.metrics_.slot_of(r);
        if (!r) return finish(req, server_.routes_.not_routed(req));
        if (r->where == execution::io_thread) {
            response res = router::call(*r, req);
            if (res.later) return defer(std::make_shared<request>(std::move(req)), std::move(res.later));
            if (res.status != 0) return finish(req, std::move(res));
        }
        offload(*r, std::move(req).moved_to_work_pool());
    }

    void offload(const route& r, request req) {
        auto shared = std::make_shared<request>(std::move(req));
        auto job = [self = shared_from_this(), &r, shared] {
            auto res = router::call(r, *shared);
            if (res.later) return self->defer(shared, std::move(res.later));
            auto answer = std::make_shared<response>(std::move(res));
            boost::asio::post(self->thread_.ioc,
                              [self, shared, answer] { self->finish(*shared, std::move(*answer)); });
        };
        if (!server_.pool_.try_submit(std::move(job))) {
            response busy;
            busy.set_header("Retry-After", "1");
            send_error(busy, 503, "temporarily_unavailable", "the server is busy; try again shortly");
            finish(*shared, std::move(busy));
        }
    }

    /// Hands `start` a responder that brings the answer back to this connection's thread, from any thread.
    /// It holds the connection weakly: an answer for a connection closed meanwhile, or one given after
    /// the server is gone, is dropped.
    void defer(std::shared_ptr<request> req, std::function<void(responder)> start) {
        std::weak_ptr<session> weak = shared_from_this();
        responder reply([weak, req, gate = server_.gate_, ioc = &thread_.ioc](response res) {
            gate->post(*ioc, [weak, req, res = std::move(res)]() mutable {
                if (const auto self = weak.lock()) self->finish(*req, std::move(res));
            });
        });
        try {
            start(std::move(reply));
        } catch (const std::exception&) {  // the responder it dropped answered 500
        }
    }

    void finish(const request& req, response res) {
        server_.routes_.finish(req, res);
        if (!req.keep_alive()) close_after_answer_ = true;
        send(std::move(res), req.method(), req.path());
    }

    void send(response res, std::string_view method, std::string_view path) {
        namespace bh = boost::beast::http;
        if (closed_) return;
        auto msg = std::make_shared<bh::response<bh::string_body>>();
        msg->result(static_cast<unsigned>(res.status));
        msg->version(11);
        for (auto& [name, value] : res.fields) msg->insert(name, value);
        msg->body() = std::move(res.body);
        const bool keep = !close_after_answer_ && !thread_.draining;
        msg->keep_alive(keep);
        msg->prepare_payload();
        const auto took = std::chrono::steady_clock::now() - started_;
        server_.log_.request(peer_, method, path, res.status, took);
        server_.metrics_.record(slot_, res.status, took);
        phase_ = phase::answering;
        stream_.expires_after(o().write_timeout);
        bh::async_write(stream_, *msg, [self = shared_from_this(), msg, keep](auto ec, std::size_t) {
            if (ec) return self->close();
            if (!keep) return self->linger();
            self->next_request();
        });
    }

    /// After the last answer: no more sending, and whatever the client still sends is read and dropped
    /// for a moment, so that closing does not reset the connection before the client read the answer.
    void linger() {
        boost::system::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        phase_ = phase::closing;
        stream_.expires_after(std::chrono::seconds(1));
        drain_bytes();
    }

    void drain_bytes() {
        stream_.async_read_some(boost::asio::buffer(scratch_),
                                [self = shared_from_this()](auto ec, std::size_t n) {
                                    self->lingered_ += n;
                                    if (ec || self->lingered_ > 256 * 1024) return self->close();
                                    self->drain_bytes();
                                });
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        phase_ = phase::closing;
        boost::system::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
        server_.open_.fetch_sub(1);
        // Pending operations complete with operation_aborted and drop their references; this is the last
        // one the thread holds.
        thread_.sessions.erase(shared_from_this());
    }

    boost::beast::tcp_stream stream_;
    server& server_;
    io_thread& thread_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::string peer_;
    std::chrono::steady_clock::time_point started_{};
    std::size_t slot_ = 0;  // the request's in request_metrics
    phase phase_ = phase::idle;
    bool close_after_answer_ = false;
    bool closed_ = false;
    std::size_t lingered_ = 0;
    std::array<char, 4096> scratch_{};
};

inline void server::accept() {
    io_thread& t = *threads_[next_thread_++ % threads_.size()];
    acceptor_->async_accept(t.ioc, [this, &t](boost::system::error_code ec, tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted || !acceptor_->is_open()) return;
        if (ec) {
            // Out of descriptors or the like: wait a little rather than spin on the error.
            retry_->expires_after(std::chrono::milliseconds(50));
            retry_->async_wait([this](boost::system::error_code e) {
                if (!e) accept();
            });
            return;
        }
        if (open_.load() >= max_open_) {
            refuse_busy(socket);
        } else {
            open_.fetch_add(1);
            auto s = std::make_shared<session>(std::move(socket), *this, t);
            boost::asio::post(t.ioc, [s] { s->start(); });
        }
        accept();
    });
}

inline void server::io_thread::drain(bool all) {
    draining = true;
    const std::vector<std::shared_ptr<session>> now(sessions.begin(), sessions.end());
    for (const auto& s : now) s->drain(all);
}

}  // namespace jot_examples::http
