// SPDX-License-Identifier: MIT
// Test support: a temporary directory removed with everything in it when the test is done.
#pragma once

#include <cstdlib>       // mkdtemp
#include <filesystem>    // std::filesystem
#include <stdexcept>     // std::runtime_error
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::error_code

namespace jot_test {

class temp_dir {
public:
    temp_dir() {
        std::string t = (std::filesystem::temp_directory_path() / "jot-sqlite-XXXXXX").string();
        if (!mkdtemp(t.data())) throw std::runtime_error("cannot create a temporary directory");
        path_ = t;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(std::string_view name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace jot_test
