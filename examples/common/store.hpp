// SPDX-License-Identifier: MIT
// The store an example server runs on, chosen at start by URL from the backends this build links.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view

#include <jot/store/any_store.hpp>
#if defined(JOT_EXAMPLES_WITH_SQLITE)
#include <jot/store/sqlite_opener.hpp>
#endif
#if defined(JOT_EXAMPLES_WITH_REDIS)
#include <jot/store/redis_opener.hpp>
#endif

#include "config.hpp"

namespace jot_examples {

namespace detail {
template <jot::store_opener... Openers>
struct openers {
    static jot::any_store open(std::string_view url) {
        try {
            return jot::open_store<Openers...>(url);
        } catch (const jot::setup_error& e) {
            throw config_error(std::string("--store: ") + e.what());
        }
    }
    static std::string kinds() { return jot::store_schemes<Openers...>(); }
};
#if defined(JOT_EXAMPLES_WITH_SQLITE) && defined(JOT_EXAMPLES_WITH_REDIS)
using linked = openers<jot::sqlite_opener, jot::redis_opener>;
#elif defined(JOT_EXAMPLES_WITH_SQLITE)
using linked = openers<jot::sqlite_opener>;
#elif defined(JOT_EXAMPLES_WITH_REDIS)
using linked = openers<jot::redis_opener>;
#else
using linked = openers<>;
#endif
}  // namespace detail

/// Opens the store `url` names with the backends this build links. Throws config_error naming --store.
[[nodiscard]] inline jot::any_store open_store(std::string_view url) {
    return detail::linked::open(url);
}

/// The URL forms --store takes, for --help.
[[nodiscard]] inline std::string store_kinds() {
    return detail::linked::kinds();
}

}  // namespace jot_examples
