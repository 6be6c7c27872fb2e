// SPDX-License-Identifier: MIT
// The auth server's signing keys in a directory: created 0600 on first start, shared by every instance
// pointed at it, rotated on demand or on a schedule, and loaded into a jot::key_ring.
#pragma once

#include <fcntl.h>           // ::open, O_*
#include <openssl/crypto.h>  // OPENSSL_cleanse
#include <sys/file.h>        // ::flock
#include <sys/stat.h>        // ::mkdir, ::stat, ::chmod
#include <unistd.h>          // ::close, ::write, ::fsync, ::link, ::unlink

#include <algorithm>   // std::sort
#include <cerrno>      // errno
#include <chrono>      // std::chrono::sys_seconds
#include <cstring>     // std::strerror
#include <filesystem>  // std::filesystem::directory_iterator
#include <functional>  // std::function
#include <memory>      // std::shared_ptr
#include <mutex>       // std::mutex
#include <optional>    // std::optional
#include <string>      // std::string
#include <vector>      // std::vector

#include <jot/key.hpp>
#include <jot/key_ring.hpp>

#include "../common/config.hpp"

namespace jot_auth {

/// One key file: "<unix seconds>-<ALG>.pem", PKCS#8 PEM, mode 0600. The name carries the creation time,
/// which orders the keys (the newest signs) and tells when a retired key may go.
struct key_file {
    std::chrono::sys_seconds created{};
    jot::algorithm alg = jot::algorithm::es256;
    std::string path{};
};

/// A directory of signing keys and the key ring built from it. Every instance pointed at the same
/// directory signs with its newest key once it has seen it (reload() picks up keys that another instance
/// added). Thread-safe.
class key_directory {
public:
    using logger = std::function<void(const std::string&)>;

    /// Opens `dir` (created 0700 if missing), makes a key for `alg` if the directory has none or its newest
    /// key is of another algorithm, and builds the ring. Retired keys stay in the ring for `retain`. A key
    /// file signs from `lead` after its creation time (the time in its name) and is published at once, so
    /// that resource servers holding a cached JWKS know it before any token carries its kid; every instance
    /// reads the same names and so switches at the same moment. Throws config_error for an unusable
    /// directory or key file.
    key_directory(std::string dir, jot::algorithm alg, std::chrono::seconds retain, logger log,
                  std::chrono::seconds lead = std::chrono::seconds{0})
        : dir_(std::move(dir)), alg_(alg), retain_(retain), lead_(lead), log_(std::move(log)) {
        std::error_code ec;
        if (!std::filesystem::exists(dir_, ec)) {
            std::filesystem::create_directories(dir_, ec);
            if (ec) throw jot_examples::config_error("--keys: cannot create '" + dir_ + "': " + ec.message());
            ::chmod(dir_.c_str(), 0700);
        }
        if (!std::filesystem::is_directory(dir_, ec))
            throw jot_examples::config_error("--keys: '" + dir_ + "' is not a directory");
        {
            const auto lock = lock_dir();
            auto files = scan(true);
            if (files.empty() || files.back().alg != alg_) {
                write_key(now_seconds(), files);
                files = scan(true);
            }
        }
        build(scan(true));
    }

    [[nodiscard]] std::shared_ptr<jot::key_ring> ring() const { return ring_; }

    /// Moves the ring onto keys that appeared in the directory since the last look. Bad files are logged
    /// and skipped. Returns true if the active key changed.
    bool reload() {
        const std::lock_guard guard(m_);
        const auto now = now_seconds();
        for (const auto& f : scan(false)) {
            if (f.created <= newest_created_) continue;
            auto k = read_key(f, false);
            if (!k) continue;
            add_to_ring(f, *k, now);
        }
        const auto kid = ring_->active_kid(now);
        if (kid == signing_kid_) return false;
        signing_kid_ = kid;
        log_("keys: now signing with key " + kid);
        return true;
    }

    /// Adds a new key for the configured algorithm to the directory and signs with it (SIGHUP, or the
    /// schedule of --rotate-keys-every). With `only_if_older_than`, does nothing unless the newest key in
    /// the directory is at least that old, so that instances sharing the directory rotate once.
    void rotate(std::optional<std::chrono::seconds> only_if_older_than = std::nullopt) {
        {
            const auto lock = lock_dir();
            auto files = scan(false);
            if (only_if_older_than && !files.empty() &&
                now_seconds() - files.back().created < *only_if_older_than)
                return;
            write_key(now_seconds(), files);
            remove_expired(scan(false));
        }
        reload();
    }

private:
    class dir_lock {
    public:
        explicit dir_lock(int fd) : fd_(fd) {}
        dir_lock(const dir_lock&) = delete;
        dir_lock& operator=(const dir_lock&) = delete;
        ~dir_lock() {
            if (fd_ >= 0) ::close(fd_);  // closing releases the flock
        }

    private:
        int fd_;
    };

    static std::chrono::sys_seconds now_seconds() {
        return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    }

    dir_lock lock_dir() const {
        const std::string path = dir_ + "/.lock";
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            throw jot_examples::config_error("--keys: cannot open '" + path + "': " + std::strerror(errno));
        while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
        }
        return dir_lock(fd);
    }

    /// The key files, oldest first. With `strict`, a file that looks like a key but is misnamed or
    /// readable by others is an error; otherwise it is skipped.
    std::vector<key_file> scan(bool strict) const {
        std::vector<key_file> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
            const std::string name = e.path().filename().string();
            if (!name.ends_with(".pem") || name.starts_with(".")) continue;
            const auto dash = name.find('-');
            std::optional<jot::algorithm> alg;
            long long secs = -1;
            if (dash != std::string::npos) {
                alg = jot::algorithm_from_name(name.substr(dash + 1, name.size() - dash - 5));
                try {
                    std::size_t used = 0;
                    secs = std::stoll(name.substr(0, dash), &used);
                    if (used != dash) secs = -1;
                } catch (const std::exception&) {
                    secs = -1;
                }
            }
            if (!alg || secs < 0) {
                if (strict)
                    throw jot_examples::config_error("--keys: '" + e.path().string() +
                                                     "' is not named <unix-seconds>-<ALG>.pem");
                continue;
            }
            out.push_back({std::chrono::sys_seconds{std::chrono::seconds{secs}}, *alg, e.path().string()});
        }
        if (ec) throw jot_examples::config_error("--keys: cannot list '" + dir_ + "': " + ec.message());
        std::sort(out.begin(), out.end(),
                  [](const key_file& a, const key_file& b) { return a.created < b.created; });
        return out;
    }

    /// Reads one key file; with `strict` a failure throws, else it is logged and nullopt.
    std::optional<jot::key> read_key(const key_file& f, bool strict) const {
        const auto fail = [&](const std::string& why) -> std::optional<jot::key> {
            if (strict) throw jot_examples::config_error("--keys: '" + f.path + "': " + why);
            log_("keys: skipping '" + f.path + "': " + why);
            return std::nullopt;
        };
        struct stat st {};
        if (::stat(f.path.c_str(), &st) != 0) return fail(std::strerror(errno));
        if ((st.st_mode & 077) != 0) return fail("readable by group or others (chmod 600 it)");
        std::string text;
        try {
            text = jot_examples::read_text_file(f.path, 64 * 1024);
        } catch (const jot_examples::config_error& e) {
            return fail(e.what());
        }
        auto k = jot::key::from_pem(text);
        OPENSSL_cleanse(text.data(), text.size());
        if (!k) return fail("no usable PEM private key (" + k.error().message() + ")");
        if (const auto fit = k->fits(f.alg, jot::key_use::sign); !fit)
            return fail("the key cannot sign " + std::string(jot::name(f.alg)) + " (" +
                        fit.error().message() + ")");
        return *std::move(k);
    }

    /// Writes a new key for alg_ created at `at` (a later second if that name is taken). Holds the lock.
    void write_key(std::chrono::sys_seconds at, const std::vector<key_file>& existing) const {
        if (!existing.empty() && at <= existing.back().created)
            at = existing.back().created + std::chrono::seconds{1};
        auto k = jot::key::generate(alg_);
        if (!k)
            throw jot_examples::config_error("cannot generate a " + std::string(jot::name(alg_)) + " key");
        std::string pem = k->to_pem();
        const std::string tmp = dir_ + "/.new-key.tmp";
        ::unlink(tmp.c_str());
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            throw jot_examples::config_error("--keys: cannot write '" + tmp + "': " + std::strerror(errno));
        const bool written =
            ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
        ::close(fd);
        OPENSSL_cleanse(pem.data(), pem.size());
        if (!written) {
            ::unlink(tmp.c_str());
            throw jot_examples::config_error("--keys: cannot write '" + tmp + "'");
        }
        for (;; at += std::chrono::seconds{1}) {
            const std::string name = dir_ + "/" + std::to_string(at.time_since_epoch().count()) + "-" +
                                     std::string(jot::name(alg_)) + ".pem";
            if (::link(tmp.c_str(), name.c_str()) == 0) {
                log_("keys: created " + name);
                break;
            }
            if (errno != EEXIST) {
                ::unlink(tmp.c_str());
                throw jot_examples::config_error("--keys: cannot create '" + name +
                                                 "': " + std::strerror(errno));
            }
        }
        ::unlink(tmp.c_str());
    }

    /// Deletes key files no instance can need: retired (a newer key exists) for longer than the retention
    /// plus a day of margin for instances configured with longer access-token lifetimes. Holds the lock.
    void remove_expired(const std::vector<key_file>& files) const {
        const auto now = now_seconds();
        for (std::size_t i = 0; i + 1 < files.size(); ++i) {
            if (files[i + 1].created + retain_ + std::chrono::days{1} < now) {
                ::unlink(files[i].path.c_str());
                log_("keys: removed " + files[i].path);
            }
        }
    }

    /// Builds the ring from the files: the oldest key still needed first, then each later key as a rotation
    /// at its activation time, so that retired keys drop when their tokens have expired.
    void build(const std::vector<key_file>& files) {
        const auto now = now_seconds();
        std::size_t first = 0;
        for (std::size_t i = 0; i + 1 < files.size(); ++i)
            if (files[i + 1].created + lead_ + retain_ <= now) first = i + 1;
        for (std::size_t i = first; i < files.size(); ++i) {
            auto k = read_key(files[i], true);
            if (!ring_) {
                ring_ = std::make_shared<jot::key_ring>(files[i].alg, *k,
                                                        jot::key_ring_options{.retain_retired = retain_});
                newest_created_ = files[i].created;
            } else {
                add_to_ring(files[i], *k, now);
            }
        }
        signing_kid_ = ring_->active_kid(now);
    }

    /// A key file newer than the ring's keys: published now, signing from its creation time plus the lead.
    void add_to_ring(const key_file& f, const jot::key& k, std::chrono::sys_seconds now) {
        const auto activate_at = f.created + lead_;
        if (activate_at <= now)
            ring_->rotate(f.alg, k, activate_at);
        else
            ring_->schedule(f.alg, k, activate_at, now);
        newest_created_ = f.created;
        if (const auto next = ring_->next_key(); next && activate_at > now)
            log_("keys: published " + std::string(jot::name(f.alg)) + " key " + next->first +
                 ", signing with it in " + std::to_string((activate_at - now).count()) + "s");
    }

    std::string dir_;
    jot::algorithm alg_;
    std::chrono::seconds retain_;
    std::chrono::seconds lead_;
    logger log_;
    std::mutex m_;
    std::shared_ptr<jot::key_ring> ring_;
    std::chrono::sys_seconds newest_created_{};  // of the newest key file in the ring (active or scheduled)
    std::string signing_kid_;                    // the kid that signed when last looked at
};

}  // namespace jot_auth
