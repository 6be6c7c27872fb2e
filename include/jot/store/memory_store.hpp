// SPDX-License-Identifier: MIT
// The default refresh_store: all records in process memory behind one mutex, expired records purged in
// slices.
#pragma once

#include <algorithm>      // std::min, std::stable_sort, std::erase_if
#include <chrono>         // std::chrono::seconds
#include <cstddef>        // std::size_t
#include <cstdint>        // std::uint64_t
#include <functional>     // std::equal_to
#include <mutex>          // std::mutex, std::lock_guard
#include <optional>       // std::optional
#include <set>            // std::set
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <tuple>          // std::tuple
#include <type_traits>    // std::is_same_v
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

#include "detail_rotation.hpp"
#include "refresh_store.hpp"

namespace jot::inline v0 {

/// Tuning of a memory_store.
struct memory_store_options {
    /// Write operations also purge a slice of expired records when this much time (by the times they
    /// carry) has passed since the last slice, so memory stays bounded without a background thread.
    std::chrono::seconds purge_interval{0};
    /// The most expiry entries one slice handles (a family past its absolute expiry, with its tokens, is one
    /// entry): the work a write does for purging is bounded by it, whatever the size of the store.
    std::size_t purge_batch = 256;
};

/// A refresh_store (and attempt_store) in process memory: one mutex makes every operation one atomic step.
/// Suits one process; everything is lost when it exits. Expired records are found through an index ordered
/// by expiry and purged in slices of at most `purge_batch` entries: each write purges one slice, and
/// purge_expired() runs slices one after another, taking the lock for each, so no call waits behind a
/// whole purge. Thread-safe. See refresh_store.hpp for the semantics of each member.
class memory_store {
public:
    memory_store() = default;
    explicit memory_store(memory_store_options options) : options_(options) {}
    memory_store(const memory_store&) = delete;
    memory_store& operator=(const memory_store&) = delete;

    [[nodiscard]] result<std::vector<std::string>> create_family(const family_record& f,
                                                                 const token_record& t, std::size_t cap) {
        const std::lock_guard lock(m_);
        if (families_.contains(f.id) || tokens_.contains(t.id)) return errc::store_corrupt;
        std::vector<std::string> evicted;
        if (cap > 0) {
            auto live = live_families(f.subject, f.created);
            for (std::size_t i = 0; i + cap <= live.size(); ++i) {
                revoke_family_locked(families_.find(live[i]->id)->second);
                evicted.push_back(live[i]->id);
            }
        }
        family_entry& e = families_[f.id];
        e.record = f;
        e.tokens.push_back(t.id);
        e.active = t.id;
        tokens_[t.id] = t;
        subjects_[f.subject].push_back(f.id);
        schedule(f.absolute_expiry, due::family, f.id);
        schedule(t.idle_expiry, due::token, t.id);
        maybe_purge(f.created);
        return evicted;
    }

    [[nodiscard]] result<rotate_outcome> rotate(const rotate_request& r) {
        const std::lock_guard lock(m_);
        auto out = rotate_locked(r);
        maybe_purge(r.now);
        return out;
    }

    [[nodiscard]] result<std::optional<token_record>> find_token(std::string_view id) const {
        const std::lock_guard lock(m_);
        const auto it = tokens_.find(id);
        return it == tokens_.end() ? std::nullopt : std::optional(it->second);
    }

    [[nodiscard]] result<std::optional<family_record>> find_family(std::string_view id) const {
        const std::lock_guard lock(m_);
        const auto it = families_.find(id);
        return it == families_.end() ? std::nullopt : std::optional(it->second.record);
    }

    [[nodiscard]] result<std::optional<family_record>> revoke_token(std::string_view id,
                                                                    const secret_hash& h) {
        const std::lock_guard lock(m_);
        const auto ti = tokens_.find(id);
        if (ti == tokens_.end() || !hash_equal(ti->second.hash, h)) return std::optional<family_record>{};
        const auto fi = families_.find(ti->second.family);
        if (fi == families_.end()) return errc::store_corrupt;
        if (ti->second.state == token_state::active) {
            revoke_family_locked(fi->second);
        } else {
            ti->second.state = token_state::revoked;
            ti->second.sealed_successor.clear();
        }
        return std::optional(fi->second.record);
    }

    [[nodiscard]] result<std::optional<family_record>> revoke_family(std::string_view id) {
        const std::lock_guard lock(m_);
        const auto fi = families_.find(id);
        if (fi == families_.end()) return std::optional<family_record>{};
        revoke_family_locked(fi->second);
        return std::optional(fi->second.record);
    }

    [[nodiscard]] result<std::vector<family_record>> revoke_subject(std::string_view subject, time_point now,
                                                                    time_point until) {
        const std::lock_guard lock(m_);
        std::vector<family_record> out;
        for (const family_record* f : live_families(subject, now)) {
            family_entry& e = families_.find(f->id)->second;
            revoke_family_locked(e);
            out.push_back(e.record);
        }
        auto& rev = revocations_[std::string(subject)];
        unschedule(rev.until, due::revocation, subject);
        rev.subject = subject;
        rev.not_before = now;
        rev.until = std::max(rev.until, until);
        schedule(rev.until, due::revocation, subject);
        maybe_purge(now);
        return out;
    }

    [[nodiscard]] result<std::vector<family_record>> families_of(std::string_view subject,
                                                                 time_point now) const {
        const std::lock_guard lock(m_);
        std::vector<family_record> out;
        for (const family_record* f : live_families(subject, now)) out.push_back(*f);
        return out;
    }

    [[nodiscard]] result<void> deny_jti(std::string_view jti, time_point until) {
        const std::lock_guard lock(m_);
        auto [it, inserted] = denied_.try_emplace(std::string(jti), until);
        if (!inserted) {
            unschedule(it->second, due::denied, jti);
            it->second = std::max(it->second, until);
        }
        schedule(it->second, due::denied, jti);
        return {};
    }

    [[nodiscard]] result<bool> is_denied(std::string_view jti, time_point now) const {
        const std::lock_guard lock(m_);
        const auto it = denied_.find(jti);
        return it != denied_.end() && now < it->second;
    }

    [[nodiscard]] result<std::optional<time_point>> subject_not_before(std::string_view subject,
                                                                       time_point now) const {
        const std::lock_guard lock(m_);
        const auto it = revocations_.find(subject);
        if (it == revocations_.end() || now >= it->second.until) return std::optional<time_point>{};
        return std::optional(it->second.not_before);
    }

    [[nodiscard]] result<access_lookup> lookup_access(std::string_view jti, std::string_view subject,
                                                      std::string_view sid, time_point now) const {
        const std::lock_guard lock(m_);
        access_lookup out;
        if (const auto d = denied_.find(jti); d != denied_.end()) out.denied = now < d->second;
        if (const auto r = revocations_.find(subject); r != revocations_.end() && now < r->second.until)
            out.not_before = r->second.not_before;
        if (!sid.empty())
            if (const auto f = families_.find(sid); f != families_.end()) out.session = f->second.record;
        return out;
    }

    /// Purges in slices of at most purge_batch entries, each under the lock, until nothing expired is left.
    [[nodiscard]] result<std::size_t> purge_expired(time_point now) {
        std::size_t removed = 0;
        for (bool more = true; more;) {
            const std::lock_guard lock(m_);
            const auto slice = purge_slice(now);
            removed += slice.removed;
            more = slice.more;
        }
        return removed;
    }

    [[nodiscard]] result<failure_count> add_failure(std::string_view key, time_point now,
                                                    std::chrono::seconds window) {
        const std::lock_guard lock(m_);
        auto [it, inserted] = attempts_.try_emplace(std::string(key));
        failure_count& c = it->second;
        if (!inserted) unschedule(c.expires, due::attempt, key);
        c = next_failure_count(inserted ? nullptr : &c, now, window);
        schedule(c.expires, due::attempt, key);
        const failure_count out = c;
        maybe_purge(now);
        return out;
    }

    [[nodiscard]] result<failure_count> failures(std::string_view key, time_point now) const {
        const std::lock_guard lock(m_);
        const auto it = attempts_.find(key);
        if (it == attempts_.end() || now >= it->second.expires) return failure_count{};
        return it->second;
    }

    [[nodiscard]] result<void> clear_failures(std::string_view key) {
        const std::lock_guard lock(m_);
        if (const auto it = attempts_.find(key); it != attempts_.end()) {
            unschedule(it->second.expires, due::attempt, key);
            attempts_.erase(it);
        }
        return {};
    }

    [[nodiscard]] result<store_dump> dump() const {
        const std::lock_guard lock(m_);
        store_dump d;
        for (const auto& [id, e] : families_) d.families.push_back(e.record);
        for (const auto& [id, t] : tokens_) d.tokens.push_back(t);
        for (const auto& [jti, until] : denied_) d.denied.push_back({jti, until});
        for (const auto& [subject, rev] : revocations_) d.revocations.push_back(rev);
        return d;
    }

private:
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    template <class T>
    using map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;

    struct family_entry {
        family_record record;
        std::vector<std::string> tokens;  // every token of the family still held, oldest first
        std::string active;               // id of the active token, empty when there is none
    };

    // Oldest first: by creation time, ties by insertion order (the subject index is in insertion order).
    std::vector<const family_record*> live_families(std::string_view subject, time_point now) const {
        std::vector<const family_record*> out;
        const auto si = subjects_.find(subject);
        if (si == subjects_.end()) return out;
        for (const auto& fid : si->second) {
            const auto fi = families_.find(fid);
            if (fi == families_.end()) continue;
            const family_entry& e = fi->second;
            if (e.record.revoked || now >= e.record.absolute_expiry || e.active.empty()) continue;
            const auto ti = tokens_.find(e.active);
            if (ti == tokens_.end() || now >= ti->second.idle_expiry) continue;
            out.push_back(&e.record);
        }
        std::stable_sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->created < b->created; });
        return out;
    }

    result<rotate_outcome> rotate_locked(const rotate_request& r) {
        rotate_outcome out;
        const auto ti = tokens_.find(r.token_id);
        if (!detail::presents_token(r, ti == tokens_.end() ? nullptr : &ti->second)) return out;
        token_record& t = ti->second;
        const auto fi = families_.find(t.family);
        if (fi == families_.end()) return errc::store_corrupt;
        family_entry& fam = fi->second;
        auto si = tokens_.end();
        out.status = detail::decide_rotation(r, t, fam.record, [&] {
            si = tokens_.find(t.successor);
            return si != tokens_.end() && si->second.state == token_state::active;
        });
        switch (out.status) {
            case rotate_status::client_mismatch:
                return out;
            case rotate_status::rotated: {
                if (tokens_.contains(r.successor.id)) return errc::store_corrupt;
                t.state = token_state::rotated;
                t.successor = r.successor.id;
                t.sealed_successor = r.sealed_successor;
                t.grace_until = r.now + r.grace;
                if (!t.sealed_successor.empty()) schedule(t.grace_until, due::sealed, t.id);
                token_record next = detail::advance_family(r, fam.record);
                fam.tokens.push_back(next.id);
                fam.active = next.id;
                schedule(next.idle_expiry, due::token, next.id);
                out.successor = tokens_[next.id] = std::move(next);
                if (const auto oldest = detail::trimmed_through(r, fam.record)) trim(fam, *oldest);
                break;
            }
            case rotate_status::grace_replay:
                out.successor = si->second;
                out.sealed_successor = t.sealed_successor;
                break;
            case rotate_status::reused:
                revoke_family_locked(fam);
                break;
            default:
                break;
        }
        out.family = fam.record;
        return out;
    }

    void trim(family_entry& fam, std::uint64_t oldest) {  // erases the tokens of generation <= oldest
        std::erase_if(fam.tokens, [&](const std::string& id) {
            const auto ti = tokens_.find(id);
            if (ti == tokens_.end() || ti->second.generation > oldest) return false;
            erase_token(id);
            return true;
        });
    }

    void erase_token(const std::string& id) {
        const auto ti = tokens_.find(id);
        if (ti == tokens_.end()) return;
        unschedule(ti->second.idle_expiry, due::token, id);
        unschedule(ti->second.grace_until, due::sealed, id);
        tokens_.erase(ti);
    }

    // The family leaves its subject's index (which lists the families that may be live), so that a subject's
    // logins under a session cap cost O(live sessions), not O(every family held for reuse detection).
    void revoke_family_locked(family_entry& e) {
        e.record.revoked = true;
        e.active.clear();
        forget_in_subject_index(e.record);
        for (const auto& tid : e.tokens) {
            if (const auto ti = tokens_.find(tid); ti != tokens_.end()) {
                ti->second.state = token_state::revoked;
                ti->second.sealed_successor.clear();
            }
        }
    }

    void forget_in_subject_index(const family_record& f) {
        if (auto si = subjects_.find(f.subject); si != subjects_.end()) {
            std::erase(si->second, f.id);
            if (si->second.empty()) subjects_.erase(si);
        }
    }

    // After the step, never before it: the step reports `expired` for a record that has just expired.
    void maybe_purge(time_point now) {
        if (now < next_purge_) return;
        next_purge_ = later_by(now, options_.purge_interval);
        (void)purge_slice(now);
    }

    enum class due { token, family, sealed, denied, revocation, attempt };
    using due_entry = std::tuple<time_point, due, std::string>;
    // Compares entries with (time, kind, string_view) keys too, so unschedule looks up without a copy.
    struct due_order {
        using is_transparent = void;
        template <class A, class B>
        bool operator()(const A& a, const B& b) const {
            return key(a) < key(b);
        }

    private:
        template <class T>
        static std::tuple<time_point, due, std::string_view> key(const T& e) {
            return {std::get<0>(e), std::get<1>(e), std::string_view(std::get<2>(e))};
        }
    };

    void schedule(time_point at, due kind, std::string_view id) { due_.emplace(at, kind, std::string(id)); }
    void unschedule(time_point at, due kind, std::string_view id) {
        if (const auto it = due_.find(std::tuple(at, kind, id)); it != due_.end()) due_.erase(it);
    }

    struct slice_result {
        std::size_t removed = 0;
        bool more = false;  // entries due at `now` are left
    };

    // Handles at most purge_batch of the entries due at `now`, earliest first. Every record has exactly one
    // entry per expiry it carries, removed with the record, so each entry handled is real work.
    slice_result purge_slice(time_point now) {
        slice_result out;
        for (std::size_t n = 0; n < options_.purge_batch; ++n) {
            if (due_.empty() || now < std::get<0>(*due_.begin())) return out;
            auto node = due_.extract(due_.begin());
            const auto& [at, kind, id] = node.value();
            switch (kind) {
                case due::token:
                    out.removed += purge_token(id);
                    break;
                case due::family:
                    out.removed += purge_family(id);
                    break;
                case due::sealed:
                    if (const auto ti = tokens_.find(id); ti != tokens_.end())
                        ti->second.sealed_successor.clear();
                    break;
                case due::denied:
                    out.removed += denied_.erase(id);
                    break;
                case due::revocation:
                    out.removed += revocations_.erase(id);
                    break;
                case due::attempt:
                    out.removed += attempts_.erase(id);
                    break;
            }
        }
        out.more = !due_.empty() && now >= std::get<0>(*due_.begin());
        return out;
    }

    // A token past its idle expiry; its family goes too when it was the family's last token.
    std::size_t purge_token(const std::string& id) {
        const auto ti = tokens_.find(id);
        if (ti == tokens_.end()) return 0;
        const std::string family = ti->second.family;
        unschedule(ti->second.grace_until, due::sealed, id);
        tokens_.erase(ti);
        std::size_t removed = 1;
        const auto fi = families_.find(family);
        if (fi == families_.end()) return removed;
        family_entry& e = fi->second;
        std::erase(e.tokens, id);
        if (e.active == id) e.active.clear();
        if (e.tokens.empty()) {
            unschedule(e.record.absolute_expiry, due::family, family);
            if (!e.record.revoked) forget_in_subject_index(e.record);
            families_.erase(fi);
            ++removed;
        }
        return removed;
    }

    // A family past its absolute expiry, with its tokens.
    std::size_t purge_family(const std::string& id) {
        const auto fi = families_.find(id);
        if (fi == families_.end()) return 0;
        std::size_t removed = 1;
        for (const auto& tid : fi->second.tokens) {
            removed += tokens_.contains(tid) ? 1 : 0;
            erase_token(tid);
        }
        if (!fi->second.record.revoked) forget_in_subject_index(fi->second.record);
        families_.erase(fi);
        return removed;
    }

    memory_store_options options_{};
    mutable std::mutex m_;
    map<family_entry> families_;
    map<token_record> tokens_;
    map<std::vector<std::string>> subjects_;  // ids of the families not revoked, in insertion order
    map<time_point> denied_;
    map<subject_revocation> revocations_;
    map<failure_count> attempts_;
    std::set<due_entry, due_order> due_;  // one entry per expiry of every record, earliest first
    time_point next_purge_{};
};

static_assert(access_lookup_store<memory_store>);
static_assert(refresh_store<memory_store>);
static_assert(attempt_store<memory_store>);
static_assert(std::is_same_v<jot::v0::memory_store, jot::memory_store>);

}  // namespace jot::inline v0
