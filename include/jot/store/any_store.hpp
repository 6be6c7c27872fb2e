// SPDX-License-Identifier: MIT
// any_store: a refresh_store that holds any other model chosen at run time, and opening one from a URL.
#pragma once

#include <array>         // std::array
#include <chrono>        // std::chrono::seconds, std::chrono::steady_clock
#include <concepts>      // std::same_as, std::convertible_to
#include <cstddef>       // std::size_t
#include <functional>    // std::function
#include <memory>        // std::shared_ptr, std::make_shared
#include <optional>      // std::optional
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::errc, std::error_code, std::make_error_code
#include <type_traits>   // std::is_same_v, std::remove_cvref_t
#include <utility>       // std::move, std::forward
#include <vector>        // std::vector

#include "../error.hpp"
#include "memory_store.hpp"
#include "refresh_store.hpp"

namespace jot::inline v0 {

/// An operation of any_store, as named in refresh_store.hpp, for an observer (observed()).
enum class store_call {
    create_family,
    rotate,
    find_token,
    find_family,
    revoke_token,
    revoke_family,
    revoke_subject,
    families_of,
    deny_jti,
    is_denied,
    subject_not_before,
    lookup_access,
    lookup_access_async,
    purge_expired,
    dump,
    add_failure,
    failures,
    clear_failures,
};
inline constexpr std::size_t store_call_count = static_cast<std::size_t>(store_call::clear_failures) + 1;

/// The name of a store call as written in the enum, e.g. "lookup_access".
[[nodiscard]] constexpr const char* name(store_call c) noexcept {
    constexpr std::array<const char*, store_call_count> names = {
        "create_family",      "rotate",         "find_token",          "find_family",   "revoke_token",
        "revoke_family",      "revoke_subject", "families_of",         "deny_jti",      "is_denied",
        "subject_not_before", "lookup_access",  "lookup_access_async", "purge_expired", "dump",
        "add_failure",        "failures",       "clear_failures"};
    return names[static_cast<std::size_t>(c)];
}

/// One finished store call: which, how long it took (an asynchronous lookup: until its callback), and its
/// error, empty when it succeeded. A result that is a value (a token not found, a reuse detected) is not
/// an error.
struct store_call_report {
    store_call call = store_call::rotate;
    std::chrono::steady_clock::duration took{};
    std::error_code error{};
};

/// Called after every call of an observed any_store, on the thread that finished the call. It must be
/// thread-safe and quick, and must not throw.
using store_observer = std::function<void(const store_call_report&)>;

/// Any refresh_store behind one virtual call per operation, so that a server can choose its backend from
/// configuration. It models access_lookup_store whatever it holds (see lookup_access in refresh_store.hpp).
/// Copies share the backend. Each operation is the held backend's, with its atomicity and thread safety; see
/// refresh_store.hpp.
class any_store {
public:
    /// Holds `store`; `description` says what it is, for a start-up log line (never a password). Throws
    /// setup_error for a null store.
    template <refresh_store S>
    requires(!std::is_same_v<S, any_store>) any_store(std::shared_ptr<S> store, std::string description)
        : impl_(store ? std::make_shared<model<S>>(std::move(store))
                      : throw setup_error("jot: an any_store needs a store")),
          description_(std::move(description)) {}

    [[nodiscard]] result<std::vector<std::string>> create_family(const family_record& f,
                                                                 const token_record& t, std::size_t cap) {
        return impl_->create_family(f, t, cap);
    }
    [[nodiscard]] result<rotate_outcome> rotate(const rotate_request& r) { return impl_->rotate(r); }
    [[nodiscard]] result<std::optional<token_record>> find_token(std::string_view id) {
        return impl_->find_token(id);
    }
    [[nodiscard]] result<std::optional<family_record>> find_family(std::string_view id) {
        return impl_->find_family(id);
    }
    [[nodiscard]] result<std::optional<family_record>> revoke_token(std::string_view id,
                                                                    const secret_hash& h) {
        return impl_->revoke_token(id, h);
    }
    [[nodiscard]] result<std::optional<family_record>> revoke_family(std::string_view id) {
        return impl_->revoke_family(id);
    }
    [[nodiscard]] result<std::vector<family_record>> revoke_subject(std::string_view sub, time_point now,
                                                                    time_point until) {
        return impl_->revoke_subject(sub, now, until);
    }
    [[nodiscard]] result<std::vector<family_record>> families_of(std::string_view sub, time_point now) {
        return impl_->families_of(sub, now);
    }
    [[nodiscard]] result<void> deny_jti(std::string_view jti, time_point until) {
        return impl_->deny_jti(jti, until);
    }
    [[nodiscard]] result<bool> is_denied(std::string_view jti, time_point now) {
        return impl_->is_denied(jti, now);
    }
    [[nodiscard]] result<std::optional<time_point>> subject_not_before(std::string_view sub, time_point now) {
        return impl_->subject_not_before(sub, now);
    }
    [[nodiscard]] result<access_lookup> lookup_access(std::string_view jti, std::string_view sub,
                                                      std::string_view sid, time_point now) {
        return impl_->lookup_access(jti, sub, sid, now);
    }
    /// The held backend's lookup_access_async if it has one (lookup_is_async()); else lookup_access, on the
    /// calling thread, which then waits for the store.
    void lookup_access_async(std::string_view jti, std::string_view sub, std::string_view sid, time_point now,
                             access_lookup_callback done) {
        impl_->lookup_access_async(jti, sub, sid, now, std::move(done));
    }
    /// Whether lookup_access_async returns without waiting for the store.
    [[nodiscard]] bool lookup_is_async() const noexcept { return impl_->lookup_is_async(); }
    [[nodiscard]] result<std::size_t> purge_expired(time_point now) { return impl_->purge_expired(now); }
    [[nodiscard]] result<store_dump> dump() { return impl_->dump(); }
    /// attempt_store's counters; on a backend that does not model attempt_store they fail with
    /// std::errc::function_not_supported.
    [[nodiscard]] result<failure_count> add_failure(std::string_view key, time_point now,
                                                    std::chrono::seconds window) {
        return impl_->add_failure(key, now, window);
    }
    [[nodiscard]] result<failure_count> failures(std::string_view key, time_point now) {
        return impl_->failures(key, now);
    }
    [[nodiscard]] result<void> clear_failures(std::string_view key) { return impl_->clear_failures(key); }

    /// What the store is, e.g. "memory", "sqlite:/var/lib/jot.db", "redis://:***@cache:6379".
    [[nodiscard]] const std::string& description() const noexcept { return description_; }

    /// The held backend if it is an S (for its own members, e.g. redis_store::options()), else null.
    template <class S>
    [[nodiscard]] std::shared_ptr<S> target() const noexcept {
        const auto* m = dynamic_cast<const model<S>*>(&impl_->held());
        return m ? m->s : nullptr;
    }

    /// The same backend, with `observer` told of every call made through the copy returned (metrics of
    /// latency and errors, say). This store and its other copies stay unobserved. Throws setup_error for an
    /// empty observer.
    [[nodiscard]] any_store observed(store_observer observer) const {
        if (!observer) throw setup_error("jot: any_store::observed needs an observer");
        any_store out = *this;
        out.impl_ = std::make_shared<observing>(impl_, std::move(observer));
        return out;
    }

private:
    struct base {
        virtual ~base() = default;
        virtual result<std::vector<std::string>> create_family(const family_record&, const token_record&,
                                                               std::size_t) = 0;
        virtual result<rotate_outcome> rotate(const rotate_request&) = 0;
        virtual result<std::optional<token_record>> find_token(std::string_view) = 0;
        virtual result<std::optional<family_record>> find_family(std::string_view) = 0;
        virtual result<std::optional<family_record>> revoke_token(std::string_view, const secret_hash&) = 0;
        virtual result<std::optional<family_record>> revoke_family(std::string_view) = 0;
        virtual result<std::vector<family_record>> revoke_subject(std::string_view, time_point,
                                                                  time_point) = 0;
        virtual result<std::vector<family_record>> families_of(std::string_view, time_point) = 0;
        virtual result<void> deny_jti(std::string_view, time_point) = 0;
        virtual result<bool> is_denied(std::string_view, time_point) = 0;
        virtual result<std::optional<time_point>> subject_not_before(std::string_view, time_point) = 0;
        virtual result<access_lookup> lookup_access(std::string_view, std::string_view, std::string_view,
                                                    time_point) = 0;
        virtual void lookup_access_async(std::string_view, std::string_view, std::string_view, time_point,
                                         access_lookup_callback) = 0;
        virtual bool lookup_is_async() const noexcept = 0;
        virtual result<std::size_t> purge_expired(time_point) = 0;
        virtual result<store_dump> dump() = 0;
        virtual result<failure_count> add_failure(std::string_view, time_point, std::chrono::seconds) = 0;
        virtual result<failure_count> failures(std::string_view, time_point) = 0;
        virtual result<void> clear_failures(std::string_view) = 0;
        /// The model that holds the backend, under any observers.
        [[nodiscard]] virtual const base& held() const noexcept { return *this; }
    };

    template <class S>
    struct model final : base {
        explicit model(std::shared_ptr<S> store) : s(std::move(store)) {}
        result<std::vector<std::string>> create_family(const family_record& f, const token_record& t,
                                                       std::size_t cap) override {
            return s->create_family(f, t, cap);
        }
        result<rotate_outcome> rotate(const rotate_request& r) override { return s->rotate(r); }
        result<std::optional<token_record>> find_token(std::string_view id) override {
            return s->find_token(id);
        }
        result<std::optional<family_record>> find_family(std::string_view id) override {
            return s->find_family(id);
        }
        result<std::optional<family_record>> revoke_token(std::string_view id,
                                                          const secret_hash& h) override {
            return s->revoke_token(id, h);
        }
        result<std::optional<family_record>> revoke_family(std::string_view id) override {
            return s->revoke_family(id);
        }
        result<std::vector<family_record>> revoke_subject(std::string_view sub, time_point now,
                                                          time_point until) override {
            return s->revoke_subject(sub, now, until);
        }
        result<std::vector<family_record>> families_of(std::string_view sub, time_point now) override {
            return s->families_of(sub, now);
        }
        result<void> deny_jti(std::string_view jti, time_point until) override {
            return s->deny_jti(jti, until);
        }
        result<bool> is_denied(std::string_view jti, time_point now) override {
            return s->is_denied(jti, now);
        }
        result<std::optional<time_point>> subject_not_before(std::string_view sub, time_point now) override {
            return s->subject_not_before(sub, now);
        }
        result<access_lookup> lookup_access(std::string_view jti, std::string_view sub, std::string_view sid,
                                            time_point now) override {
            return jot::lookup_access(*s, jti, sub, sid, now);
        }
        void lookup_access_async(std::string_view jti, std::string_view sub, std::string_view sid,
                                 time_point now, access_lookup_callback done) override {
            if constexpr (async_access_lookup_store<S>)
                s->lookup_access_async(jti, sub, sid, now, std::move(done));
            else
                done(jot::lookup_access(*s, jti, sub, sid, now));
        }
        bool lookup_is_async() const noexcept override { return async_access_lookup_store<S>; }
        result<std::size_t> purge_expired(time_point now) override { return s->purge_expired(now); }
        result<store_dump> dump() override { return s->dump(); }
        result<failure_count> add_failure(std::string_view key, time_point now,
                                          std::chrono::seconds window) override {
            if constexpr (attempt_store<S>)
                return s->add_failure(key, now, window);
            else
                return std::make_error_code(std::errc::function_not_supported);
        }
        result<failure_count> failures(std::string_view key, time_point now) override {
            if constexpr (attempt_store<S>)
                return s->failures(key, now);
            else
                return std::make_error_code(std::errc::function_not_supported);
        }
        result<void> clear_failures(std::string_view key) override {
            if constexpr (attempt_store<S>)
                return s->clear_failures(key);
            else
                return std::make_error_code(std::errc::function_not_supported);
        }
        std::shared_ptr<S> s;
    };

    /// Calls another model and reports each call to an observer.
    struct observing final : base {
        observing(std::shared_ptr<base> inner, store_observer observer)
            : in(std::move(inner)), tell(std::move(observer)) {}

        template <class F>
        auto timed(store_call call, F&& f) {
            const auto start = std::chrono::steady_clock::now();
            auto out = std::forward<F>(f)();
            tell({call, std::chrono::steady_clock::now() - start, out ? std::error_code() : out.error()});
            return out;
        }

        result<std::vector<std::string>> create_family(const family_record& f, const token_record& t,
                                                       std::size_t cap) override {
            return timed(store_call::create_family, [&] { return in->create_family(f, t, cap); });
        }
        result<rotate_outcome> rotate(const rotate_request& r) override {
            return timed(store_call::rotate, [&] { return in->rotate(r); });
        }
        result<std::optional<token_record>> find_token(std::string_view id) override {
            return timed(store_call::find_token, [&] { return in->find_token(id); });
        }
        result<std::optional<family_record>> find_family(std::string_view id) override {
            return timed(store_call::find_family, [&] { return in->find_family(id); });
        }
        result<std::optional<family_record>> revoke_token(std::string_view id,
                                                          const secret_hash& h) override {
            return timed(store_call::revoke_token, [&] { return in->revoke_token(id, h); });
        }
        result<std::optional<family_record>> revoke_family(std::string_view id) override {
            return timed(store_call::revoke_family, [&] { return in->revoke_family(id); });
        }
        result<std::vector<family_record>> revoke_subject(std::string_view sub, time_point now,
                                                          time_point until) override {
            return timed(store_call::revoke_subject, [&] { return in->revoke_subject(sub, now, until); });
        }
        result<std::vector<family_record>> families_of(std::string_view sub, time_point now) override {
            return timed(store_call::families_of, [&] { return in->families_of(sub, now); });
        }
        result<void> deny_jti(std::string_view jti, time_point until) override {
            return timed(store_call::deny_jti, [&] { return in->deny_jti(jti, until); });
        }
        result<bool> is_denied(std::string_view jti, time_point now) override {
            return timed(store_call::is_denied, [&] { return in->is_denied(jti, now); });
        }
        result<std::optional<time_point>> subject_not_before(std::string_view sub, time_point now) override {
            return timed(store_call::subject_not_before, [&] { return in->subject_not_before(sub, now); });
        }
        result<access_lookup> lookup_access(std::string_view jti, std::string_view sub, std::string_view sid,
                                            time_point now) override {
            return timed(store_call::lookup_access, [&] { return in->lookup_access(jti, sub, sid, now); });
        }
        void lookup_access_async(std::string_view jti, std::string_view sub, std::string_view sid,
                                 time_point now, access_lookup_callback done) override {
            const auto start = std::chrono::steady_clock::now();
            in->lookup_access_async(
                jti, sub, sid, now, [tell = tell, start, done = std::move(done)](result<access_lookup> r) {
                    tell({store_call::lookup_access_async, std::chrono::steady_clock::now() - start,
                          r ? std::error_code() : r.error()});
                    done(std::move(r));
                });
        }
        bool lookup_is_async() const noexcept override { return in->lookup_is_async(); }
        result<std::size_t> purge_expired(time_point now) override {
            return timed(store_call::purge_expired, [&] { return in->purge_expired(now); });
        }
        result<store_dump> dump() override {
            return timed(store_call::dump, [&] { return in->dump(); });
        }
        result<failure_count> add_failure(std::string_view key, time_point now,
                                          std::chrono::seconds window) override {
            return timed(store_call::add_failure, [&] { return in->add_failure(key, now, window); });
        }
        result<failure_count> failures(std::string_view key, time_point now) override {
            return timed(store_call::failures, [&] { return in->failures(key, now); });
        }
        result<void> clear_failures(std::string_view key) override {
            return timed(store_call::clear_failures, [&] { return in->clear_failures(key); });
        }
        [[nodiscard]] const base& held() const noexcept override { return in->held(); }

        std::shared_ptr<base> in;
        store_observer tell;
    };

    std::shared_ptr<base> impl_;
    std::string description_;
};

static_assert(access_lookup_store<any_store>);
static_assert(async_access_lookup_store<any_store>);
static_assert(attempt_store<any_store>);
static_assert(std::is_same_v<jot::v0::any_store, jot::any_store>);

/// A backend that open_store can name by URL. Each backend's opener lives in its own header
/// (store/sqlite_opener.hpp, store/redis_opener.hpp), so a program lists only the backends it links.
///
/// | expression | result | semantics |
/// |---|---|---|
/// | `O::scheme` | convertible to `std::string_view` | the URL forms it opens, for messages, e.g.
/// `"sqlite:PATH"` | | `O::accepts(url)` | `bool` | whether `url` names this backend (by its scheme alone) |
/// | `O::open(url)` | `any_store` | the store `url` names; throws setup_error if it is malformed or cannot be
/// opened, with a message that holds no password |
template <class O>
concept store_opener = requires(std::string_view url) {
    { O::scheme } -> std::convertible_to<std::string_view>;
    { O::accepts(url) } -> std::same_as<bool>;
    { O::open(url) } -> std::same_as<any_store>;
};

/// Opens "memory": a new memory_store.
struct memory_opener {
    static constexpr std::string_view scheme = "memory";
    [[nodiscard]] static bool accepts(std::string_view url) noexcept { return url == "memory"; }
    [[nodiscard]] static any_store open(std::string_view) {
        return {std::make_shared<memory_store>(), "memory"};
    }
};
static_assert(store_opener<memory_opener>);

/// The URL forms open_store<Openers...> understands, e.g. "memory | sqlite:PATH", for help texts.
template <store_opener... Openers>
[[nodiscard]] std::string store_schemes() {
    std::string out(memory_opener::scheme);
    ((out += " | ", out += std::string_view(Openers::scheme)), ...);
    return out;
}

/// The store `url` names: "memory", or a form of one of `Openers`, e.g.
/// `open_store<sqlite_opener, redis_opener>(url)`. Throws setup_error for a URL no opener accepts (naming
/// the forms it knows) or what the opener throws. Never holds a password in a message.
template <store_opener... Openers>
[[nodiscard]] any_store open_store(std::string_view url) {
    if (memory_opener::accepts(url)) return memory_opener::open(url);
    std::optional<any_store> out;
    (void)((Openers::accepts(url) ? (out.emplace(Openers::open(url)), true) : false) || ...);
    if (out) return *std::move(out);
    const auto scheme = url.substr(0, url.find(':'));
    throw setup_error("jot: store URL of scheme '" + std::string(scheme) + "' is not one of " +
                      store_schemes<Openers...>());
}

}  // namespace jot::inline v0
