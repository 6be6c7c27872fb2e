// SPDX-License-Identifier: MIT
// detail::published<T>: a shared_ptr<const T> that readers copy without a lock while one writer replaces it.
#pragma once

#include <array>    // std::array
#include <atomic>   // std::atomic
#include <cstdint>  // std::uint64_t
#include <memory>   // std::shared_ptr
#include <thread>   // std::this_thread::yield
#include <utility>  // std::move

namespace jot::inline v0::detail {

/// The value readers copy with a few atomic operations and no lock (they retry only when a store lands
/// between two of them), so a reader never waits for a writer. A store waits until readers of the value it
/// replaces have taken their copy (a few instructions each), then frees its holder. Two counters indexed by
/// the epoch's parity, seq_cst throughout: a reader either sees the new epoch and retries, or the writer
/// sees it counted and waits. (libstdc++ 12's std::atomic<std::shared_ptr> unlocks with a relaxed store
/// after reading the pointer, which ThreadSanitizer reports as a race.) Stores must not run concurrently
/// with each other; loads may run concurrently with everything.
template <class T>
class published {
public:
    published() = default;
    published(const published&) = delete;
    published& operator=(const published&) = delete;
    ~published() { delete current_.load(); }

    /// The current value, or null before the first store. Thread-safe; never blocks.
    [[nodiscard]] std::shared_ptr<const T> load() const {
        for (;;) {
            const std::uint64_t e = epoch_.load();
            auto& readers = readers_[e & 1];
            readers.fetch_add(1);
            if (epoch_.load() == e) {
                std::shared_ptr<const T> out;
                if (const holder* h = current_.load()) out = h->value;
                readers.fetch_sub(1);
                return out;
            }
            readers.fetch_sub(1);
        }
    }

    /// Replaces the value. Callers serialise their stores; it waits only for readers already copying.
    void store(std::shared_ptr<const T> value) {
        holder* old = current_.exchange(new holder{std::move(value)});
        const std::uint64_t e = epoch_.fetch_add(1);
        while (readers_[e & 1].load() != 0) std::this_thread::yield();
        delete old;
    }

private:
    struct holder {
        std::shared_ptr<const T> value;
    };
    std::atomic<std::uint64_t> epoch_{0};
    mutable std::array<std::atomic<std::uint64_t>, 2> readers_{};
    std::atomic<holder*> current_{nullptr};
};

}  // namespace jot::inline v0::detail
