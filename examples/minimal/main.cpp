// SPDX-License-Identifier: MIT
// The smallest complete use of jot: generate an ES256 key, issue a token and verify it.
#include <chrono>        // std::chrono::system_clock, std::chrono_literals
#include <iostream>      // std::cout, std::cerr
#include <string>        // std::string
#include <system_error>  // std::error_code

#include <jot/jot.hpp>

static int fail(const char* step, std::error_code ec) {
    std::cerr << step << " failed: " << ec.message() << '\n';
    return 1;
}

int main() {
    using namespace std::chrono_literals;
    const auto key = jot::ec_key::from(jot::key::generate(jot::algorithm::es256));
    if (!key) return fail("key generation", key.error());
    const std::string kid = jot::thumbprint(*key);

    const auto now = std::chrono::system_clock::now();
    const jot::claims claims{.issuer = "https://auth.example",
                             .subject = "alice",
                             .audience = {"api"},
                             .expires_at = now + 15min,
                             .issued_at = now};
    const auto token = jot::sign<jot::es256>(*key, claims, {.kid = kid});
    if (!token) return fail("signing", token.error());

    jot::key_set keys;
    keys.add<jot::es256>(key->public_key(), kid);
    const jot::verifier verifier{keys, {.issuer = "https://auth.example", .audience = {"api"}}};
    const auto verified = verifier.verify(*token);
    if (!verified) return fail("verification", verified.error());

    std::cout << "verified a token for " << verified->subject() << '\n';
    return 0;
}
