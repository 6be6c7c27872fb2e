// SPDX-License-Identifier: MIT
// The store_opener of sqlite_store: open_store<sqlite_opener>("sqlite:PATH") (target jot::sqlite).
#pragma once

#include <filesystem>    // std::filesystem
#include <memory>        // std::make_shared
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code

#include "../error.hpp"
#include "any_store.hpp"
#include "sqlite_store.hpp"

namespace jot::inline v0 {

/// Opens "sqlite:PATH": a sqlite_store on the file PATH (created with its schema when absent; a missing
/// parent directory is created, readable by its owner only).
struct sqlite_opener {
    static constexpr std::string_view scheme = "sqlite:PATH";
    [[nodiscard]] static bool accepts(std::string_view url) noexcept { return url.starts_with("sqlite:"); }
    /// Throws setup_error for an empty path, a directory that cannot be created, or a file sqlite_store
    /// refuses.
    [[nodiscard]] static any_store open(std::string_view url) {
        const std::string path(url.substr(7));
        if (path.empty()) throw setup_error("jot: store URL sqlite:PATH needs a path");
        const std::filesystem::path parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
            std::filesystem::create_directories(parent, ec);
            if (ec) throw setup_error("jot: cannot create '" + parent.string() + "': " + ec.message());
            std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
        }
        return {std::make_shared<sqlite_store>(sqlite_store_options{.path = path}), "sqlite:" + path};
    }
};
static_assert(store_opener<sqlite_opener>);

}  // namespace jot::inline v0
