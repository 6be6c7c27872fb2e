// SPDX-License-Identifier: MIT
#include <jot/detail/uri.hpp>

#include "../support/test.hpp"

#include <optional>
#include <string>

using jot::detail::normalized_http_uri;
using jot::detail::remove_dot_segments;

namespace {
std::string normal(std::string_view uri) {
    const auto n = normalized_http_uri(uri);
    REQUIRE_MESSAGE(n, std::string(uri));
    return *n;
}
}  // namespace

TEST_CASE("uri keeps a URI that is already in normal form") {
    CHECK(normal("https://server.example.com/token") == "https://server.example.com/token");
    CHECK(normal("http://a.example/") == "http://a.example/");
    CHECK(normal("https://a.example:8443/x/y") == "https://a.example:8443/x/y");
    CHECK(normal("https://[2001:db8::1]:8443/x") == "https://[2001:db8::1]:8443/x");
    CHECK(normal("https://a.example/p;q=1/%2F/@:!$&'()*+,=") == "https://a.example/p;q=1/%2F/@:!$&'()*+,=");
}

TEST_CASE("uri drops query and fragment") {
    CHECK(normal("https://a.example/x?y=1") == "https://a.example/x");
    CHECK(normal("https://a.example/x#frag") == "https://a.example/x");
    CHECK(normal("https://a.example/x?y=1#frag") == "https://a.example/x");
    CHECK(normal("https://a.example/x#frag?y") == "https://a.example/x");
    CHECK(normal("https://a.example?y=1") == "https://a.example/");
    CHECK(normal("https://a.example#f") == "https://a.example/");
    // Whatever a query or fragment holds is not looked at.
    CHECK(normal("https://a.example/x?<\"{}>") == "https://a.example/x");
}

TEST_CASE("uri lower-cases scheme and host but not the path") {
    CHECK(normal("HTTPS://A.Example.COM/Path") == "https://a.example.com/Path");
    CHECK(normal("HtTp://A.example/") == "http://a.example/");
    CHECK(normal("https://[2001:DB8::A]/") == "https://[2001:db8::a]/");
}

TEST_CASE("uri drops default and empty ports and writes others without leading zeros") {
    CHECK(normal("https://a.example:443/x") == "https://a.example/x");
    CHECK(normal("http://a.example:80/x") == "http://a.example/x");
    CHECK(normal("https://a.example:/x") == "https://a.example/x");
    CHECK(normal("https://a.example:0443/x") == "https://a.example/x");
    CHECK(normal("https://a.example:80/x") == "https://a.example:80/x");
    CHECK(normal("http://a.example:443/x") == "http://a.example:443/x");
    CHECK(normal("http://a.example:08080/x") == "http://a.example:8080/x");
    CHECK(normal("https://a.example:65535/") == "https://a.example:65535/");
    CHECK(normal("https://[::1]:443/") == "https://[::1]/");
}

TEST_CASE("uri gives an empty path as /") {
    CHECK(normal("https://a.example") == "https://a.example/");
    CHECK(normal("https://a.example:8443") == "https://a.example:8443/");
}

TEST_CASE("uri normalizes percent-encoding") {
    CHECK(normal("https://a.example/%7Euser") == "https://a.example/~user");
    CHECK(normal("https://a.example/%41%62%2d%2E%5f") == "https://a.example/Ab-._");
    CHECK(normal("https://a.example/%2f%3a%c3%a9") == "https://a.example/%2F%3A%C3%A9");
    CHECK(normal("https://%61.Example/") == "https://a.example/");
    CHECK(normal("https://a%2Eexample/") == "https://a.example/");
    // A decoded '.' is a dot segment like any other (RFC 3986 §6.2.2: percent-encoding first).
    CHECK(normal("https://a.example/x/%2E%2E/y") == "https://a.example/y");
}

TEST_CASE("uri removes dot segments") {
    CHECK(normal("https://a.example/./x") == "https://a.example/x");
    CHECK(normal("https://a.example/a/b/../c") == "https://a.example/a/c");
    CHECK(normal("https://a.example/a/b/../../c") == "https://a.example/c");
    CHECK(normal("https://a.example/../../c") == "https://a.example/c");
    CHECK(normal("https://a.example/a/.") == "https://a.example/a/");
    CHECK(normal("https://a.example/a/..") == "https://a.example/");
    CHECK(normal("https://a.example/a/...") == "https://a.example/a/...");
    CHECK(normal("https://a.example/a//b") == "https://a.example/a//b");
    // RFC 3986 §5.4.2 examples, resolved against nothing but their own path.
    CHECK(remove_dot_segments("/a/b/c/./../../g") == "/a/g");
    CHECK(remove_dot_segments("mid/content=5/../6") == "mid/6");
    CHECK(remove_dot_segments("/b/c/.././g") == "/b/g");
    CHECK(remove_dot_segments("/g.") == "/g.");
    CHECK(remove_dot_segments("/..g") == "/..g");
    CHECK(remove_dot_segments("/./g/.") == "/g/");
    CHECK(remove_dot_segments("/") == "/");
    CHECK(remove_dot_segments("") == "");
}

TEST_CASE("uri refuses what is not an absolute http or https URI") {
    for (const char* bad : {"",
                            "/token",
                            "token",
                            "server.example.com/token",
                            "//a.example/x",
                            "https:/a.example",
                            "https:a.example",
                            "ftp://a.example/",
                            "wss://a.example/",
                            "urn:x:y",
                            "https://",
                            "https:///x",
                            "https://:443/x",
                            "https://user@a.example/",
                            "https://u:p@a.example/",
                            "https://a.example:99999/",
                            "https://a.example:65536/",
                            "https://a.example:8o/",
                            "https://a.example:-1/",
                            "https://[::1/",
                            "https://[]/",
                            "https://[::1]x/",
                            "https://[::g]/",
                            "https://a example/",
                            "https://a.example/x y",
                            "https://a.example/%",
                            "https://a.example/%4",
                            "https://a.example/%zz",
                            "https://a.example/\x01",
                            "https://a.example/\xc3\xa9",
                            "https://a\\b/",
                            "https://a.example/<x>",
                            "https://a.example/\"",
                            "https://a.example/x|y",
                            "ht!tp://a.example/"}) {
        CAPTURE(bad);
        CHECK_FALSE(normalized_http_uri(bad));
    }
}

TEST_CASE("uri gives every spelling of one URI the same normal form") {
    const std::string want = "https://server.example.com/a/b";
    for (const char* same : {"https://server.example.com/a/b", "HTTPS://SERVER.EXAMPLE.COM/a/b",
                             "https://server.example.com:443/a/b", "https://server.example.com:/a/b",
                             "https://server.example.com/a/./b", "https://server.example.com/a/c/../b",
                             "https://server.example.com/%61/%62", "https://server.example.com/a/b?x=1#y"}) {
        CAPTURE(same);
        CHECK(normal(same) == want);
    }
    CHECK(normal("https://server.example.com/a/B") != want);
    CHECK(normal("https://server.example.com/a/b/") != want);
    CHECK(normal("https://server.example.com/a%2Fb") != want);
}
