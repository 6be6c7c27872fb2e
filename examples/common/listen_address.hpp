// SPDX-License-Identifier: MIT
// A listen address given as one flag, "HOST:PORT" (--metrics-listen).
#pragma once

#include <charconv>      // std::from_chars
#include <optional>      // std::optional
#include <string>        // std::string
#include <string_view>   // std::string_view
#include <system_error>  // std::errc

#include "config.hpp"

namespace jot_examples {

/// A HOST:PORT to listen on ("[::1]:9100" for IPv6).
struct listen_address {
    std::string host;
    unsigned short port = 0;
};

/// Parses --metrics-listen: nullopt for "" (the public listener) and "off"; throws config_error for
/// anything but HOST:PORT with a port in 0..65535 (0 picks a free one).
[[nodiscard]] inline std::optional<listen_address> parse_metrics_listen(std::string_view text) {
    if (text.empty() || text == "off") return std::nullopt;
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
        throw config_error("--metrics-listen: expected HOST:PORT, \"off\" or nothing");
    auto host = text.substr(0, colon);
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        throw config_error("--metrics-listen: the port must be a number in 0..65535");
    return listen_address{std::string(host), static_cast<unsigned short>(port)};
}

}  // namespace jot_examples
