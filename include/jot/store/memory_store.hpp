// SPDX-License-Identifier: MIT
// The default refresh_store: all records in process memory behind one mutex, expired records purged.
#pragma once

#include <algorithm>      // std::min, std::stable_sort, std::erase_if
#include <chrono>         // std::chrono::seconds
#include <cstddef>        // std::size_t
#include <functional>     // std::equal_to
#include <mutex>          // std::mutex, std::lock_guard
#include <optional>       // std::optional
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <type_traits>    // std::is_same_v
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

#include "refresh_store.hpp"

namespace jot::inline v0 {

/// Tuning of a memory_store.
struct memory_store_options {
    /// Write operations also purge expired records when this much time (by the times they carry) has
    /// passed since the last purge, so memory stays bounded without a background thread.
    std::chrono::seconds purge_interval = std::chrono::minutes{1};
};

/// A refresh_store in process memory: one mutex makes every operation one atomic step. Suits one process;
/// everything is lost when it exits. Thread-safe. See refresh_store.hpp for the semantics of each member.
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
        rev.subject = subject;
        rev.not_before = now;
        rev.until = std::max(rev.until, until);
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
        if (!inserted) it->second = std::max(it->second, until);
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

    [[nodiscard]] result<std::size_t> purge_expired(time_point now) {
        const std::lock_guard lock(m_);
        return purge_locked(now);
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
        if (ti == tokens_.end() || !hash_equal(ti->second.hash, r.presented)) return out;
        token_record& t = ti->second;
        const auto fi = families_.find(t.family);
        if (fi == families_.end()) return errc::store_corrupt;
        family_entry& fam = fi->second;
        if (fam.record.revoked || t.state == token_state::revoked) {
            out.status = rotate_status::revoked;
        } else if (r.now >= fam.record.absolute_expiry || r.now >= t.idle_expiry) {
            out.status = rotate_status::expired;
        } else if (t.state == token_state::active) {
            if (tokens_.contains(r.successor.id)) return errc::store_corrupt;
            t.state = token_state::rotated;
            t.successor = r.successor.id;
            t.sealed_successor = r.sealed_successor;
            t.grace_until = r.now + r.grace;
            token_record next = r.successor;
            next.family = fam.record.id;
            next.generation = ++fam.record.generation;
            next.state = token_state::active;
            next.idle_expiry = std::min(next.idle_expiry, fam.record.absolute_expiry);
            next.successor.clear();
            next.sealed_successor.clear();
            fam.tokens.push_back(next.id);
            fam.active = next.id;
            out.status = rotate_status::rotated;
            out.successor = tokens_[next.id] = std::move(next);
        } else if (const auto si = tokens_.find(t.successor);
                   r.now < t.grace_until && !t.sealed_successor.empty() && si != tokens_.end() &&
                   si->second.state == token_state::active) {
            out.status = rotate_status::grace_replay;
            out.successor = si->second;
            out.sealed_successor = t.sealed_successor;
        } else {
            revoke_family_locked(fam);
            out.status = rotate_status::reused;
        }
        out.family = fam.record;
        return out;
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
        purge_locked(now);
    }

    std::size_t purge_locked(time_point now) {
        next_purge_ = now + options_.purge_interval;
        std::size_t removed = 0;
        for (auto& [id, t] : tokens_)
            if (now >= t.grace_until) t.sealed_successor.clear();
        removed += std::erase_if(tokens_, [now](const auto& kv) { return now >= kv.second.idle_expiry; });
        for (auto fi = families_.begin(); fi != families_.end();) {
            family_entry& e = fi->second;
            if (now >= e.record.absolute_expiry) {
                for (const auto& tid : e.tokens) removed += tokens_.erase(tid);
                e.tokens.clear();
            } else {
                std::erase_if(e.tokens, [this](const std::string& tid) { return !tokens_.contains(tid); });
            }
            if (!e.active.empty() && !tokens_.contains(e.active)) e.active.clear();
            if (e.tokens.empty()) {
                if (!e.record.revoked) forget_in_subject_index(e.record);
                fi = families_.erase(fi);
                ++removed;
            } else {
                ++fi;
            }
        }
        removed += std::erase_if(denied_, [now](const auto& kv) { return now >= kv.second; });
        removed += std::erase_if(revocations_, [now](const auto& kv) { return now >= kv.second.until; });
        return removed;
    }

    memory_store_options options_{};
    mutable std::mutex m_;
    map<family_entry> families_;
    map<token_record> tokens_;
    map<std::vector<std::string>> subjects_;  // ids of the families not revoked, in insertion order
    map<time_point> denied_;
    map<subject_revocation> revocations_;
    time_point next_purge_{};
};

static_assert(access_lookup_store<memory_store>);
static_assert(std::is_same_v<jot::v0::memory_store, jot::memory_store>);

}  // namespace jot::inline v0
