// SPDX-License-Identifier: MIT
// The store_opener of redis_store: open_store<redis_opener>("redis://...") (target jot::redis).
#pragma once

#include <memory>       // std::make_shared
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "any_store.hpp"
#include "redis_store.hpp"

namespace jot::inline v0 {

/// Opens "redis://[[user]:password@]host[:port][/db][?wait=N]", "unix:///path[?db=N][&wait=N]" or
/// "redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/primary[?db=N][&wait=N]": a redis_store
/// with the default options for that URL. Its description hides the password.
struct redis_opener {
    static constexpr std::string_view scheme =
        "redis://HOST[:PORT][/DB] | unix:///PATH | redis-sentinel://HOST[:PORT][,...]/PRIMARY";
    [[nodiscard]] static bool accepts(std::string_view url) noexcept {
        return url.starts_with("redis://") || url.starts_with("unix://") ||
               url.starts_with("redis-sentinel://");
    }
    /// Throws setup_error for a malformed URL or a server that cannot be reached (the message hides the
    /// password).
    [[nodiscard]] static any_store open(std::string_view url) {
        return {std::make_shared<redis_store>(redis_store_options{.url = std::string(url)}),
                detail::redact_redis_url(url)};
    }
};
static_assert(store_opener<redis_opener>);

}  // namespace jot::inline v0
