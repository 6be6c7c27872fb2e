// SPDX-License-Identifier: MIT
// A refresh_store chosen at run time: a type-erased wrapper and the factory for --store specifications.
#pragma once

#include <cstddef>       // std::size_t
#include <filesystem>    // std::filesystem::create_directories
#include <memory>        // std::shared_ptr, std::make_shared
#include <optional>      // std::optional
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code
#include <utility>       // std::move
#include <vector>        // std::vector

#include <jot/store/memory_store.hpp>
#include <jot/store/refresh_store.hpp>

#if defined(JOT_EXAMPLES_WITH_SQLITE) && __has_include(<jot/store/sqlite_store.hpp>)
#include <jot/store/sqlite_store.hpp>
#define JOT_EXAMPLES_HAVE_SQLITE 1
#endif
#if defined(JOT_EXAMPLES_WITH_REDIS) && __has_include(<jot/store/redis_store.hpp>)
#include <jot/store/redis_store.hpp>
#define JOT_EXAMPLES_HAVE_REDIS 1
#endif

#include "config.hpp"

namespace jot_examples {

/// Any refresh_store behind one virtual call per operation, so that a server picks its backend from a flag.
/// Copies share the backend. Thread-safe as the backend is.
class any_store {
public:
    template <jot::refresh_store S>
    any_store(std::shared_ptr<S> s, std::string description)
        : impl_(std::make_shared<model<S>>(std::move(s))), description_(std::move(description)) {}

    using result_ids = jot::result<std::vector<std::string>>;
    using result_family = jot::result<std::optional<jot::family_record>>;
    using result_families = jot::result<std::vector<jot::family_record>>;

    result_ids create_family(const jot::family_record& f, const jot::token_record& t, std::size_t cap) {
        return impl_->create_family(f, t, cap);
    }
    jot::result<jot::rotate_outcome> rotate(const jot::rotate_request& r) { return impl_->rotate(r); }
    jot::result<std::optional<jot::token_record>> find_token(std::string_view id) {
        return impl_->find_token(id);
    }
    result_family find_family(std::string_view id) { return impl_->find_family(id); }
    result_family revoke_token(std::string_view id, const jot::secret_hash& h) {
        return impl_->revoke_token(id, h);
    }
    result_family revoke_family(std::string_view id) { return impl_->revoke_family(id); }
    result_families revoke_subject(std::string_view sub, jot::time_point now, jot::time_point until) {
        return impl_->revoke_subject(sub, now, until);
    }
    result_families families_of(std::string_view sub, jot::time_point now) {
        return impl_->families_of(sub, now);
    }
    jot::result<void> deny_jti(std::string_view jti, jot::time_point until) {
        return impl_->deny_jti(jti, until);
    }
    jot::result<bool> is_denied(std::string_view jti, jot::time_point now) {
        return impl_->is_denied(jti, now);
    }
    jot::result<std::optional<jot::time_point>> subject_not_before(std::string_view sub,
                                                                   jot::time_point now) {
        return impl_->subject_not_before(sub, now);
    }
    jot::result<std::size_t> purge_expired(jot::time_point now) { return impl_->purge_expired(now); }
    jot::result<jot::store_dump> dump() { return impl_->dump(); }

    /// What the store is, for the start-up log line (never a password from a URL).
    [[nodiscard]] const std::string& description() const noexcept { return description_; }

private:
    struct base {
        virtual ~base() = default;
        virtual result_ids create_family(const jot::family_record&, const jot::token_record&,
                                         std::size_t) = 0;
        virtual jot::result<jot::rotate_outcome> rotate(const jot::rotate_request&) = 0;
        virtual jot::result<std::optional<jot::token_record>> find_token(std::string_view) = 0;
        virtual result_family find_family(std::string_view) = 0;
        virtual result_family revoke_token(std::string_view, const jot::secret_hash&) = 0;
        virtual result_family revoke_family(std::string_view) = 0;
        virtual result_families revoke_subject(std::string_view, jot::time_point, jot::time_point) = 0;
        virtual result_families families_of(std::string_view, jot::time_point) = 0;
        virtual jot::result<void> deny_jti(std::string_view, jot::time_point) = 0;
        virtual jot::result<bool> is_denied(std::string_view, jot::time_point) = 0;
        virtual jot::result<std::optional<jot::time_point>> subject_not_before(std::string_view,
                                                                               jot::time_point) = 0;
        virtual jot::result<std::size_t> purge_expired(jot::time_point) = 0;
        virtual jot::result<jot::store_dump> dump() = 0;
    };

    template <class S>
    struct model final : base {
        explicit model(std::shared_ptr<S> store) : s(std::move(store)) {}
        result_ids create_family(const jot::family_record& f, const jot::token_record& t,
                                 std::size_t cap) override {
            return s->create_family(f, t, cap);
        }
        jot::result<jot::rotate_outcome> rotate(const jot::rotate_request& r) override {
            return s->rotate(r);
        }
        jot::result<std::optional<jot::token_record>> find_token(std::string_view id) override {
            return s->find_token(id);
        }
        result_family find_family(std::string_view id) override { return s->find_family(id); }
        result_family revoke_token(std::string_view id, const jot::secret_hash& h) override {
            return s->revoke_token(id, h);
        }
        result_family revoke_family(std::string_view id) override { return s->revoke_family(id); }
        result_families revoke_subject(std::string_view sub, jot::time_point now,
                                       jot::time_point until) override {
            return s->revoke_subject(sub, now, until);
        }
        result_families families_of(std::string_view sub, jot::time_point now) override {
            return s->families_of(sub, now);
        }
        jot::result<void> deny_jti(std::string_view jti, jot::time_point until) override {
            return s->deny_jti(jti, until);
        }
        jot::result<bool> is_denied(std::string_view jti, jot::time_point now) override {
            return s->is_denied(jti, now);
        }
        jot::result<std::optional<jot::time_point>> subject_not_before(std::string_view sub,
                                                                       jot::time_point now) override {
            return s->subject_not_before(sub, now);
        }
        jot::result<std::size_t> purge_expired(jot::time_point now) override { return s->purge_expired(now); }
        jot::result<jot::store_dump> dump() override { return s->dump(); }
        std::shared_ptr<S> s;
    };

    std::shared_ptr<base> impl_;
    std::string description_;
};

static_assert(jot::refresh_store<any_store>);

/// The --store values this build understands, for help texts.
[[nodiscard]] inline std::string store_kinds() {
    std::string kinds = "memory";
#ifdef JOT_EXAMPLES_HAVE_SQLITE
    kinds += " | sqlite:PATH";
#endif
#ifdef JOT_EXAMPLES_HAVE_REDIS
    kinds += " | redis://HOST:PORT | unix:///PATH";
#endif
    return kinds;
}

/// Opens the store a --store value names: "memory", "sqlite:PATH" (the parent directory is created, 0700),
/// "redis://HOST:PORT[/DB]" or "unix:///PATH" (a Redis socket). Throws config_error for an unknown
/// scheme, a backend missing from this build, or a backend that cannot be opened.
[[nodiscard]] inline any_store open_store(const std::string& spec) {
    if (spec == "memory") return {std::make_shared<jot::memory_store>(), "memory"};
    [[maybe_unused]] const auto missing = [&](const char* what) {
        return config_error("--store '" + spec + "': this build has no " + what + " backend (expected " +
                            store_kinds() + ")");
    };
    if (spec.starts_with("sqlite:")) {
        const std::string path = spec.substr(7);
        if (path.empty()) throw config_error("--store sqlite:PATH needs a path");
#ifdef JOT_EXAMPLES_HAVE_SQLITE
        const std::filesystem::path parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
            std::filesystem::create_directories(parent, ec);
            if (ec) throw config_error("--store: cannot create '" + parent.string() + "': " + ec.message());
            std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
        }
        try {
            return {std::make_shared<jot::sqlite_store>(jot::sqlite_store_options{.path = path}),
                    "sqlite:" + path};
        } catch (const std::exception& e) {
            throw config_error("--store '" + spec + "': " + e.what());
        }
#else
        throw missing("SQLite");
#endif
    }
    if (spec.starts_with("redis://") || spec.starts_with("unix://")) {
#ifdef JOT_EXAMPLES_HAVE_REDIS
        // The description drops any "user:password@" so that a log line never carries the password.
        std::string shown = spec;
        if (const auto at = shown.find('@'); at != std::string::npos)
            shown = shown.substr(0, 8) + "***" + shown.substr(at);
        try {
            return {std::make_shared<jot::redis_store>(jot::redis_store_options{.url = spec}), shown};
        } catch (const std::exception& e) {
            throw config_error("--store '" + shown + "': " + e.what());
        }
#else
        throw missing("Redis");
#endif
    }
    throw config_error("--store '" + spec + "' is not one of " + store_kinds());
}

}  // namespace jot_examples
