// SPDX-License-Identifier: MIT
#include <jot/detail/json_write.hpp>

#include "../support/test.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <jot/builder.hpp>
#include <jot/claims.hpp>
#include <jot/verifier.hpp>

using jot::errc;

namespace {

std::string write(const nlohmann::json& j) {
    std::string out;
    const errc e = jot::detail::append_json(out, j);
    REQUIRE(e == errc{});
    return out;
}

// A random JSON value: every type, strings with escapes and multi-byte characters, nested containers.
nlohmann::json random_value(std::mt19937& rng, int depth) {
    std::uniform_int_distribution<int> pick(0, depth > 3 ? 5 : 7);
    static const std::vector<std::string> pieces = {"a",    "\"", "\\", "\n", "\t",   "\x01",
                                                    "\x1f", "/",  "é",  "€",  "𝄞",    "\x7f",
                                                    " ",    "\b", "\f", "\r", "plain"};
    switch (pick(rng)) {
        case 0:
            return nullptr;
        case 1:
            return rng() % 2 == 0;
        case 2:
            return static_cast<std::int64_t>(rng()) - (std::int64_t{1} << 31);
        case 3:
            return std::uint64_t{rng()} << 32 | rng();
        case 4: {
            std::uniform_real_distribution<double> d(-1e6, 1e6);
            const double choices[] = {d(rng), 0.0, -0.0, 1.0, 1e300, 5e-324, 0.1, 123456789.0};
            return choices[rng() % 8];
        }
        case 5: {
            std::string s;
            for (auto n = rng() % 6; n > 0; --n) s += pieces[rng() % pieces.size()];
            return s;
        }
        case 6: {
            auto a = nlohmann::json::array();
            for (auto n = rng() % 4; n > 0; --n) a.push_back(random_value(rng, depth + 1));
            return a;
        }
        default: {
            auto o = nlohmann::json::object();
            for (auto n = rng() % 4; n > 0; --n)
                o[pieces[rng() % pieces.size()] + std::to_string(n)] = random_value(rng, depth + 1);
            return o;
        }
    }
}

}  // namespace

TEST_CASE("append_json writes what nlohmann's dump writes, for every kind of value") {
    std::mt19937 rng(20261123);
    for (int i = 0; i < 3000; ++i) {
        const auto v = random_value(rng, 0);
        const std::string ours = write(v);
        CAPTURE(ours);
        // Same value back, same type of every number (a float stays a float).
        CHECK(nlohmann::json::parse(ours) == v);
        // Byte-identical to dump() except where the shortest float form differs from nlohmann's.
        if (v.dump().find_first_of(".e") == std::string::npos) CHECK(ours == v.dump());
    }
}

TEST_CASE("append_json: floats stay floats, non-finite numbers are null, strings are escaped") {
    CHECK(write(1.0) == "1.0");
    CHECK(write(-0.0) == "-0.0");
    CHECK(write(0.5) == "0.5");
    CHECK(write(1e300) == "1e+300");
    CHECK(write(std::numeric_limits<double>::infinity()) == "null");
    CHECK(write(std::nan("")) == "null");
    CHECK(write(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
    CHECK(write(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
    CHECK(write("a\"b\\c\n\x01\x7f/") == R"("a\"b\\c\n\u0001)"
                                         "\x7f"
                                         R"(/")");
    CHECK(write(nlohmann::json::object()) == "{}");
    CHECK(write(nlohmann::json::array()) == "[]");
    // Long plain runs take the eight-bytes-at-a-time path; a quote at every position must still be seen.
    for (std::size_t at = 0; at < 40; ++at) {
        std::string s(40, 'x');
        s[at] = '"';
        CHECK(nlohmann::json::parse(write(s)) == s);
    }
}

TEST_CASE("append_json refuses invalid UTF-8 and values JSON cannot hold, instead of throwing") {
    std::string out;
    CHECK(jot::detail::append_json(out, std::string("ok\xff")) == errc::json_invalid_utf8);
    CHECK(jot::detail::append_json(out, std::string(20, 'a') + "\xc3") == errc::json_invalid_utf8);
    CHECK(jot::detail::append_json(out, {{"k\xc0\xaf", 1}}) == errc::json_invalid_utf8);
    CHECK(jot::detail::append_json(out, nlohmann::json::binary({1, 2})) == errc::payload_invalid);
}

TEST_CASE("signing claims that are not UTF-8 is an error value, not an exception") {
    const auto k = jot::hmac_key::from_secret(std::string(32, 'k')).value();
    CHECK(jot::sign<jot::hs256>(k, nlohmann::json{{"name", "bad\xff"}}).error() == errc::json_invalid_utf8);
    jot::claims c{.issuer = "iss\xfe"};
    CHECK(jot::sign<jot::hs256>(k, c).error() == errc::json_invalid_utf8);
    CHECK(jot::sign<jot::hs256>(k, nlohmann::json{{"n", 1}}, {.kid = "kid\xff"}).error() ==
          errc::json_invalid_utf8);
}

TEST_CASE("claims are written as to_json() makes them: registered claims win over custom ones") {
    const auto at = jot::time_point{std::chrono::seconds{1'700'000'000}};
    const jot::claims c{.issuer = "i",
                        .subject = "s",
                        .audience = {"a1", "a2"},
                        .expires_at = at + std::chrono::minutes{5},
                        .not_before = at,
                        .issued_at = at,
                        .jwt_id = "j",
                        .extra = {{"iss", "not me"}, {"role", "admin"}, {"nested", {{"x", {1, 2.5}}}}}};
    std::string out;
    REQUIRE(jot::detail::append_claims_json(out, c) == errc{});
    CHECK(nlohmann::json::parse(out) == c.to_json());

    const jot::claims only_custom{.extra = {{"iss", "custom"}, {"aud", "x"}}};
    out.clear();
    REQUIRE(jot::detail::append_claims_json(out, only_custom) == errc{});
    CHECK(nlohmann::json::parse(out) == only_custom.to_json());

    out.clear();
    const jot::claims not_object{.extra = nlohmann::json::array()};
    CHECK_THROWS_AS((void)jot::detail::append_claims_json(out, not_object), jot::setup_error);
}

TEST_CASE("registered claim names: one table, looked up by exact name") {
    using jot::detail::registered_claim;
    CHECK(jot::detail::registered_claim_count == 7);
    for (std::size_t i = 0; i < jot::detail::registered_claim_count; ++i) {
        const auto r = jot::detail::registered_claim_of(jot::detail::registered_claim_names[i]);
        REQUIRE(r);
        CHECK(jot::detail::index_of(*r) == i);
    }
    CHECK(jot::detail::claim_name(registered_claim::iss) == "iss");
    CHECK(jot::detail::claim_name(registered_claim::jti) == "jti");
    static_assert(jot::detail::registered_claim_of("exp") == registered_claim::exp);
    for (const std::string_view other : {"", "is", "issx", "ISS", "client_id", "sid", "typ", "kid"})
        CHECK_FALSE(jot::detail::registered_claim_of(other));
    CHECK_FALSE(jot::detail::registered_claim_of(std::string_view("aud\0", 4)));

    // A custom claim is left out only when the same registered claim is set.
    const jot::claims c{.subject = "s", .extra = {{"sub", "custom"}, {"iss", "custom"}, {"client_id", "c"}}};
    std::string out;
    REQUIRE(jot::detail::append_claims_json(out, c) == errc{});
    CHECK(out == R"({"sub":"s","client_id":"c","iss":"custom"})");
    CHECK(nlohmann::json::parse(out) == c.to_json());
}
