// SPDX-License-Identifier: MIT
// Unit tests of the refresh token format, its hash, and sealed successors.
#include <jot/refresh_token.hpp>

#include <doctest/doctest.h>

#include <set>           // std::set
#include <string>        // std::string
#include <system_error>  // std::error_code

template <>
struct doctest::StringMaker<std::error_code> {
    static String convert(const std::error_code& e) {
        return (e.category().name() + (":" + e.message())).c_str();
    }
};

namespace {

std::string bytes(std::span<const unsigned char> s) {
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("refresh_token generates a 128-bit id and a 256-bit secret as <id>.<secret>") {
    const auto t = jot::refresh_token::generate().value();
    const auto text = t.text();
    CHECK(text.size() == 66);
    CHECK(jot::refresh_token_size == 66);
    CHECK(t.id().size() == 22);
    CHECK(text.substr(0, 22) == t.id());
    CHECK(text[22] == '.');
    CHECK(t.secret().size() == 32);
    CHECK(jot::base64url_decode(text.substr(23)).value() == bytes(t.secret()));
    CHECK(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
          std::string::npos);
}

TEST_CASE("refresh_token generates a different id and secret each time") {
    std::set<std::string> ids, secrets;
    for (int i = 0; i < 1000; ++i) {
        const auto t = jot::refresh_token::generate().value();
        ids.insert(t.id());
        secrets.insert(bytes(t.secret()));
    }
    CHECK(ids.size() == 1000);
    CHECK(secrets.size() == 1000);
}

TEST_CASE("refresh_token parse reads back what generate wrote") {
    const auto t = jot::refresh_token::generate().value();
    const auto p = jot::refresh_token::parse(t.text()).value();
    CHECK(p.id() == t.id());
    CHECK(bytes(p.secret()) == bytes(t.secret()));
    CHECK(p.text() == t.text());
    CHECK(p.hash() == t.hash());
}

TEST_CASE("refresh_token parse rejects every malformed text with refresh_token_malformed") {
    const auto good = jot::refresh_token::generate()->text();
    std::string s;
    SUBCASE("empty") {
        s = "";
    }
    SUBCASE("huge") {
        s = std::string(1 << 20, 'A');
    }
    SUBCASE("one character short") {
        s = good.substr(1);
    }
    SUBCASE("one character long") {
        s = good + "A";
    }
    SUBCASE("no dot") {
        s = std::string(66, 'A');
    }
    SUBCASE("dot in the wrong place") {
        s = good.substr(0, 21) + "." + good.substr(21, 1) + good.substr(23);
    }
    SUBCASE("two dots") {
        s = good.substr(0, 40) + "." + good.substr(41);
    }
    SUBCASE("a JWT") {
        s = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
    }
    SUBCASE("a character outside base64url in the id") {
        s = "+" + good.substr(1);
    }
    SUBCASE("a character outside base64url in the secret") {
        s = good.substr(0, 30) + "/" + good.substr(31);
    }
    SUBCASE("padding") {
        s = good.substr(0, 65) + "=";
    }
    SUBCASE("non-zero trailing bits in the secret") {
        s = good.substr(0, 65) + "B";
    }
    SUBCASE("non-zero trailing bits in the id") {
        s = good.substr(0, 21) + "B" + good.substr(22);
    }
    SUBCASE("a NUL byte") {
        s = good.substr(0, 30) + std::string(1, '\0') + good.substr(31);
    }
    CHECK(jot::refresh_token::parse(s).error() == jot::errc::refresh_token_malformed);
}

TEST_CASE("refresh_token hash is the SHA-256 of the secret bytes") {
    const auto t = jot::refresh_token::generate().value();
    std::array<unsigned char, 32> expected{};
    REQUIRE(jot::crypto::sha256(bytes(t.secret()), expected));
    CHECK(t.hash() == expected);
    CHECK(bytes(t.hash()) != bytes(t.secret()));
    CHECK(t.hash() != jot::refresh_token::generate()->hash());
}

TEST_CASE("hash_equal compares secret hashes") {
    const auto a = jot::refresh_token::generate()->hash();
    auto b = a;
    CHECK(jot::hash_equal(a, b));
    b[31] ^= 1;
    CHECK_FALSE(jot::hash_equal(a, b));
    b = a;
    b[0] ^= 0x80;
    CHECK_FALSE(jot::hash_equal(a, b));
}

TEST_CASE("random_id is 128 random bits as 22 base64url characters") {
    const auto a = jot::random_id().value();
    CHECK(a.size() == 22);
    CHECK(jot::base64url_decode(a)->size() == 16);
    CHECK(a != jot::random_id().value());
}

TEST_CASE("seal_successor opens only under the predecessor's secret") {
    const auto pred = jot::refresh_token::generate().value();
    const auto next = jot::refresh_token::generate().value();
    const auto sealed = jot::seal_successor(pred, next).value();
    CHECK(sealed.size() == 12 + 66 + 16);
    CHECK(sealed.find(next.text()) == std::string::npos);
    CHECK(sealed.find(next.text().substr(23)) == std::string::npos);
    CHECK(sealed.find(bytes(next.secret())) == std::string::npos);
    CHECK(sealed != jot::seal_successor(pred, next).value());  // a fresh nonce each time

    SUBCASE("the predecessor recovers the successor") {
        const auto opened = jot::open_successor(pred, sealed).value();
        CHECK(opened.text() == next.text());
    }
    SUBCASE("another token cannot") {
        const auto other = jot::refresh_token::generate().value();
        CHECK(jot::open_successor(other, sealed).error() == jot::errc::store_corrupt);
    }
    SUBCASE("the same secret under another id cannot") {
        const auto other =
            jot::refresh_token::parse(jot::random_id().value() + pred.text().substr(22)).value();
        CHECK(jot::open_successor(other, sealed).error() == jot::errc::store_corrupt);
    }
    SUBCASE("the store, holding only the predecessor's hash, cannot") {
        const auto h = pred.hash();
        const auto posing =
            jot::refresh_token::parse(pred.id() + "." + jot::base64url_encode(bytes(h))).value();
        CHECK(jot::open_successor(posing, sealed).error() == jot::errc::store_corrupt);
    }
    SUBCASE("an altered byte is detected") {
        for (std::size_t i = 0; i < sealed.size(); i += 7) {
            auto bad = sealed;
            bad[i] = static_cast<char>(bad[i] ^ 1);
            CHECK(jot::open_successor(pred, bad).error() == jot::errc::store_corrupt);
        }
    }
    SUBCASE("a truncated seal is detected") {
        CHECK(jot::open_successor(pred, sealed.substr(0, 27)).error() == jot::errc::store_corrupt);
        CHECK(jot::open_successor(pred, "").error() == jot::errc::store_corrupt);
    }
}
