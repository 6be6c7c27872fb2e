// SPDX-License-Identifier: MIT
// Fuzz target: DPoP proofs and the htu normal form. The normal form of a URI is its own normal form.
#include <jot/dpop.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <jot/detail/uri.hpp>
#include <jot/dpop_replay_cache.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto normal = jot::detail::normalized_http_uri(text)) {
        const auto again = jot::detail::normalized_http_uri(*normal);
        if (!again || *again != *normal) std::abort();
    }
    static const jot::dpop_verifier verifier;
    jot::memory_replay_cache seen({.capacity = 1});
    const jot::time_point now{std::chrono::seconds{1'700'000'000}};
    const jot::dpop_request request{.method = "POST", .uri = "https://server.example.com/token"};
    if (const auto proof = verifier.verify_at(text, request, seen, now)) {
        if (proof->thumbprint().size() != 43 || proof->method() != "POST") std::abort();
        if (verifier.verify_at(text, request, seen, now).error() != jot::errc::dpop_replayed) std::abort();
    }
    return 0;
}
