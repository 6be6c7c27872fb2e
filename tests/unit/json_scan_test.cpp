// SPDX-License-Identifier: MIT
#include <jot/detail/json_scan.hpp>

#include "../support/test.hpp"

#include <random>
#include <string>
#include <vector>

#include <jot/detail/json.hpp>
#include <jot/jwk.hpp>

using jot::errc;
using jot::detail::json_scanner;
using jot::detail::json_value_view;

namespace {

errc scan(std::string_view text, std::size_t depth = 16) {
    return json_scanner(text, depth).scan_object([](std::string_view, const json_value_view&) {});
}

// What the DOM parser (nlohmann with jot's strict builder) says of the same text.
errc dom(std::string_view text, std::size_t depth = 16) {
    nlohmann::json j;
    const auto r = jot::detail::parse_strict_json(text, j, depth);
    if (!r) return static_cast<errc>(r.error().value());
    return j.is_object() ? errc{} : errc::payload_invalid;
}

}  // namespace

TEST_CASE("json_scan reports top-level members with decoded names and raw values") {
    std::vector<std::pair<std::string, std::string>> seen;
    const errc e = json_scanner(R"( {"a":1, "b\u0063":"x\n", "d":{"e":[1,2]}, "f":null} )", 8)
                       .scan_object([&](std::string_view n, const json_value_view& v) {
                           seen.emplace_back(std::string(n), std::string(v.raw));
                       });
    CHECK(e == errc{});
    CHECK(seen == std::vector<std::pair<std::string, std::string>>{
                      {"a", "1"}, {"bc", R"("x\n")"}, {"d", R"({"e":[1,2]})"}, {"f", "null"}});
}

TEST_CASE("json_scan decodes escapes and surrogate pairs in strings") {
    json_value_view v{json_value_view::kind::string, R"("a\"b\\c\/d\u00e9\ud83d\udd11")", true};
    CHECK(jot::detail::decode_json_string(v) == "a\"b\\c/d\xc3\xa9\xf0\x9f\x94\x91");
}

TEST_CASE("json_scan refuses duplicate names, also when one is escaped or nested") {
    CHECK(scan(R"({"exp":1,"exp":2})") == errc::json_duplicate_member);
    CHECK(scan(R"({"exp":1,"\u0065xp":2})") == errc::json_duplicate_member);
    CHECK(scan(R"({"a":{"x":1,"x":2}})") == errc::json_duplicate_member);
    // Many distinct names (more than share the 64 quick-check marks, more than the inline name store
    // holds), then a repeat of each one in turn: only the repeats are refused.
    std::string many = "{";
    for (int i = 0; i < 200; ++i) many += "\"n" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    CHECK(scan(many + "\"last\":0}") == errc{});
    for (int i = 0; i < 200; i += 7)
        CHECK(scan(many + "\"n" + std::to_string(i) + "\":0}") == errc::json_duplicate_member);
    CHECK(scan(R"({"a":[{"x":1},{"x":2}]})") == errc{});  // the same name in sibling objects is fine
    CHECK(scan(R"({"a":{"x":1},"b":{"x":1}})") == errc{});
}

TEST_CASE("json_scan accepts finite numbers and refuses overflow") {
    CHECK(scan(R"({"n":0,"m":-0,"f":1.5e3,"g":-2E-3,"big":123456789012345678901234567890})") == errc{});
    CHECK(scan(R"({"tiny":1e-400})") == errc{});
    CHECK(scan(R"({"tiny":0.000001e-400})") == errc{});
    CHECK(scan(R"({"huge":1e400})") == errc::json_number_out_of_range);
    CHECK(scan(R"({"huge":-1.5E+309})") == errc::json_number_out_of_range);
    CHECK(scan("{\"huge\":1" + std::string(400, '0') + "}") == errc::json_number_out_of_range);
    for (const char* bad : {R"({"n":01})", R"({"n":1.})", R"({"n":.5})", R"({"n":+1})", R"({"n":1e})",
                            R"({"n":-})", R"({"n":NaN})", R"({"n":Infinity})", R"({"n":0x10})"})
        CHECK_MESSAGE(scan(bad) == errc::json_invalid, bad);
}

TEST_CASE("json_scan refuses malformed strings and control characters") {
    CHECK(scan("{\"a\":\"x\ty\"}") == errc::json_invalid);
    CHECK(scan(R"({"a":"\x"})") == errc::json_invalid);
    CHECK(scan(R"({"a":"\u12"})") == errc::json_invalid);
    CHECK(scan(R"({"a":"\ud800"})") == errc::json_invalid);
    CHECK(scan(R"({"a":"\udc00"})") == errc::json_invalid);
    CHECK(scan(R"({"a":"\ud800\u0041"})") == errc::json_invalid);
    CHECK(scan(R"({"a":"unterminated})") == errc::json_invalid);
    CHECK(scan("{\"a\":\"\xff\"}") == errc::json_invalid_utf8);
}

TEST_CASE("json_scan bounds depth and refuses trailing bytes") {
    CHECK(scan(R"({"a":[[1]]})", 3) == errc{});
    CHECK(scan(R"({"a":[[[1]]]})", 3) == errc::json_too_deep);
    CHECK(scan(R"({"a":1} {)") == errc::json_invalid);
    CHECK(scan(R"({"a":1},)") == errc::json_invalid);
    CHECK(scan(R"([1])") == errc::payload_invalid);
    CHECK(scan("") == errc::payload_invalid);
    CHECK(scan("\xef\xbb\xbf{}") == errc::payload_invalid);  // a byte order mark is not JSON whitespace
    CHECK(scan(R"({"a":1,})") == errc::json_invalid);
    CHECK(scan(R"({"a" 1})") == errc::json_invalid);
    CHECK(scan(R"({a:1})") == errc::json_invalid);
    CHECK(scan(R"({"a":tru})") == errc::json_invalid);
    CHECK(scan(std::string(100000, '[')) == errc::payload_invalid);
    CHECK(scan("{\"a\":" + std::string(100000, '[')) == errc::json_too_deep);
}

TEST_CASE("json_scan and the strict DOM parser refuse bytes after a NUL (found by fuzz_json_scan)") {
    const std::string doc = std::string(R"({"iss":"a","exp":1})") + '\0' + "e";
    CHECK(scan(doc) == errc::json_invalid);
    CHECK(dom(doc) == errc::json_invalid);
    CHECK(
        jot::parse_jwk(
            std::string_view(
                std::string(
                    R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})") +
                '\0' + "junk"))
            .error() == errc::key_invalid);
}

TEST_CASE("json_scan agrees with the strict DOM parser on valid and mutated documents") {
    const std::vector<std::string> seeds = {
        R"({"iss":"https://auth.example","aud":["a","b"],"exp":1700000000,"nbf":1.5,"x":{"y":[true,false,null]}})",
        R"({"s":"caf\u00e9 \ud83d\udd11","n":-0.0e+0,"e":{}, "a":[]})",
        "{\"k\":\"J\xc3\xb6rg\",\"d\":{\"d\":{\"d\":{}}}}",
    };
    const std::string alphabet = "{}[]\":,\\u0123456789eE.+-tfnalsrx \xc3\xa9\xff\t\n";
    std::mt19937 rng(20261123);
    int compared = 0, accepted = 0;
    for (const auto& seed : seeds) {
        for (int i = 0; i < 4000; ++i) {
            std::string doc = seed;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int e = 0; e < edits; ++e) {
                const auto at = rng() % (doc.size() + 1);
                const char c = alphabet[rng() % alphabet.size()];
                switch (rng() % 3) {
                    case 0:
                        doc.insert(doc.begin() + static_cast<long>(at), c);
                        break;
                    case 1:
                        if (at < doc.size()) doc.erase(at, 1);
                        break;
                    default:
                        if (at < doc.size()) doc[at] = c;
                        break;
                }
            }
            const errc s = scan(doc, 4), d = dom(doc, 4);
            // Both accept or both reject, with the same reason (the DOM reports grammar errors as
            // json_invalid).
            const auto norm = [](errc x) { return x == errc::payload_invalid ? errc::json_invalid : x; };
            CHECK_MESSAGE(norm(s) == norm(d), doc);
            ++compared;
            accepted += s == errc{};
        }
    }
    CHECK(compared == 12000);
    CHECK(accepted > 100);  // the mutations must reach valid documents too
}

namespace {

using kind = json_value_view::kind;

// The elements scan_array reports, as (kind, raw text) pairs.
std::pair<errc, std::vector<std::pair<kind, std::string>>> elements(std::string_view text,
                                                                    std::size_t depth = 16) {
    std::vector<std::pair<kind, std::string>> seen;
    const errc e = json_scanner(text, depth).scan_array([&](const json_value_view& v) {
        seen.emplace_back(v.type, std::string(v.raw));
    });
    return {e, seen};
}

}  // namespace

TEST_CASE("json_scan iterates array elements, nested arrays and objects each as one element") {
    const auto [e, seen] = elements(R"( [ "a", 1.5e3, {"k":[1,{"x":null}]}, [[], [2]], true, null, {} ] )");
    CHECK(e == errc{});
    CHECK(seen == std::vector<std::pair<kind, std::string>>{{kind::string, R"("a")"},
                                                            {kind::number, "1.5e3"},
                                                            {kind::object, R"({"k":[1,{"x":null}]})"},
                                                            {kind::array, "[[], [2]]"},
                                                            {kind::boolean, "true"},
                                                            {kind::null, "null"},
                                                            {kind::object, "{}"}});
}

TEST_CASE("json_scan array elements: an empty array has none, escaped strings decode") {
    for (const std::string_view empty : {"[]", " [ ] ", "[\n]"}) {
        const auto [e, seen] = elements(empty);
        CHECK(e == errc{});
        CHECK(seen.empty());
    }
    std::vector<std::string> decoded;
    std::vector<bool> escaped;
    const errc e = json_scanner(R"(["plain", "a\"b\\c\/d", "\u00e9\ud83d\ude00", "tab\there"])", 16)
                       .scan_array([&](const json_value_view& v) {
                           decoded.push_back(jot::detail::decode_json_string(v));
                           escaped.push_back(v.escaped);
                       });
    CHECK(e == errc{});
    CHECK(decoded == std::vector<std::string>{"plain", "a\"b\\c/d", "\xc3\xa9\xf0\x9f\x98\x80", "tab\there"});
    CHECK(escaped == std::vector<bool>{false, true, true, true});
}

TEST_CASE("json_scan array elements: the whole array is validated") {
    CHECK(elements(R"({"a":1})").first == errc::json_invalid);  // not an array
    CHECK(elements("").first == errc::json_invalid);
    CHECK(elements("[1,]").first == errc::json_invalid);
    CHECK(elements("[1] x").first == errc::json_invalid);
    CHECK(elements("[1 2]").first == errc::json_invalid);
    CHECK(elements(R"([{"a":1,"a":2}])").first == errc::json_duplicate_member);
    CHECK(elements("[1e999]").first == errc::json_number_out_of_range);
    CHECK(elements("[\"\xff\"]").first == errc::json_invalid_utf8);
    CHECK(elements("[[[1]]]", 3).first == errc{});
    CHECK(elements("[[[[1]]]]", 3).first == errc::json_too_deep);
}
