// SPDX-License-Identifier: MIT
// Fuzz target: the auth server's endpoints called without a socket, over a real token service on the memory
// store with one session open, checking what every answer must look like.
//
// An input is up to 4 requests separated by 0x1e; each is
//   route flags authorization 0x1f cookie 0x1f x-csrf 0x1f body
// route (1 byte, mod 11): /login /token /refresh /logout /logout-all /revoke /introspect (POST), then
// /.well-known/jwks.json /healthz / (GET), then an unknown path. flags: bits 0-2 the Content-Type (none,
// JSON, form, text/plain, and odd spellings), bit 3 send Authorization, bit 4 Cookie, bit 5 X-CSRF, bit 6
// send each of them twice. In the three headers and the body, $R is the session's active refresh token,
// $P its rotated predecessor (within the grace window), $A a valid access token, $N and $M the newest
// refresh and access tokens an earlier answer of this input issued (else $R and $A), and $C the Basic
// credentials of the introspection client.
#include "auth_server/routes.hpp"

#include <array>        // std::array
#include <chrono>       // std::chrono::seconds
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t
#include <cstdio>       // std::fprintf
#include <cstdlib>      // std::abort
#include <map>          // std::map
#include <memory>       // std::make_shared
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include <jot/key_ring.hpp>
#include <jot/refresh_token.hpp>
#include <jot/store/memory_store.hpp>
#include <jot/token_service.hpp>

#include <jot/store/any_store.hpp>
#include "auth_server/users.hpp"
#include "http/router.hpp"

namespace {

constexpr std::string_view user = "alice";
constexpr std::string_view password = "pw";
constexpr std::size_t max_sessions = 2;  // small, so that logins in one input evict sessions

// Made once: the signing key, the user (at Argon2's minimum cost: a login is a few microseconds) and the
// introspection client.
struct fixed_parts {
    std::shared_ptr<jot::key_ring> ring = std::make_shared<jot::key_ring>(
        jot::algorithm::es256, jot::key::generate(jot::algorithm::es256).value());
    jot_auth::user_db users{jot_auth::argon2_cost::minimum(), 1};
    jot_auth::client_db clients;
    fixed_parts() {
        users.add_password(std::string(user), password);
        clients.add_spec("fuzz-client:fuzz-secret");
    }
};

const fixed_parts& fixed() {
    static const fixed_parts f;
    return f;
}

[[noreturn]] void fail() {
    std::abort();
}
void require(bool ok, const char* what, int line) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_auth_routes:%d: check failed: %s\n", line, what);
        fail();
    }
}
// Clang 14 (Debian 12) has no std::source_location, so the line comes from a macro.
#define FUZZ_REQUIRE(...) require((__VA_ARGS__), #__VA_ARGS__, __LINE__)

// Made for every input, so that each input starts from the same state: a service over an empty memory store
// with one session that has rotated once.
struct world {
    std::shared_ptr<jot::any_store> store =
        std::make_shared<jot::any_store>(std::make_shared<jot::memory_store>(), "memory");
    jot_auth::service svc{fixed().ring,
                          {.issuer = "https://auth.fuzz",
                           .audience = {"api"},
                           .grace = std::chrono::seconds{10},
                           .max_sessions = max_sessions},
                          store};
    jot_auth::throttle limit{store};
    jot_auth::auth_routes routes{svc, limit, fixed().users, fixed().clients, {.client_id = "fuzz-web"}};
    jot_examples::http::router router = [this] {
        jot_examples::http::router r;
        routes.install(r);
        return r;
    }();
    std::string rotated, active, access;
    std::string newest_refresh, newest_access;

    world() {
        const auto first = svc.login(user, "fuzz-web").value();
        const auto second = svc.refresh(first.refresh_token).value();
        rotated = first.refresh_token;
        active = newest_refresh = second.refresh_token;
        access = newest_access = second.access_token;
    }

    std::string expand(std::string_view s) const {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const char next = i + 1 < s.size() ? s[i + 1] : '\0';
            const std::string* with = nullptr;
            static const std::string basic = "ZnV6ei1jbGllbnQ6ZnV6ei1zZWNyZXQ=";  // fuzz-client:fuzz-secret
            switch (s[i] == '$' ? next : '\0') {
                case 'R':
                    with = &active;
                    break;
                case 'P':
                    with = &rotated;
                    break;
                case 'A':
                    with = &access;
                    break;
                case 'N':
                    with = &newest_refresh;
                    break;
                case 'M':
                    with = &newest_access;
                    break;
                case 'C':
                    with = &basic;
                    break;
                default:
                    break;
            }
            if (with) {
                out += *with;
                ++i;
            } else {
                out += s[i];
            }
        }
        return out;
    }

    // Secrets that no error answer may quote: the secret halves of refresh tokens, signatures of access
    // tokens.
    std::vector<std::string> secrets() const {
        std::vector<std::string> out;
        for (const auto* t : {&rotated, &active, &newest_refresh})
            if (t->size() == jot::refresh_token_size) out.push_back(t->substr(23));
        for (const auto* t : {&access, &newest_access})
            if (const auto dot = t->rfind('.'); dot != std::string::npos) out.push_back(t->substr(dot + 1));
        return out;
    }
};

enum class route {
    login,
    token,
    refresh,
    logout,
    logout_all,
    revoke,
    introspect,
    jwks,
    healthz,
    demo,
    unknown
};
constexpr std::array<std::string_view, 11> paths = {
    "/login",      "/token",  "/refresh",         "/logout",
    "/logout-all", "/revoke", "/introspect",      "/.well-known/jwks.json",
    "/healthz",    "/",       "/no-such-endpoint"};
constexpr std::array<std::string_view, 8> content_types = {"",
                                                           "application/json",
                                                           "application/x-www-form-urlencoded",
                                                           "text/plain",
                                                           "Application/JSON; charset=utf-8",
                                                           "APPLICATION/X-WWW-FORM-URLENCODED",
                                                           "application/json ;",
                                                           "multipart/form-data; boundary=x"};

struct request_parts {
    route r = route::unknown;
    std::uint8_t flags = 0;
    std::string authorization, cookie, csrf, body;
};

// Splits one request; the body is everything after the third 0x1f.
request_parts decode(std::string_view in, const world& w) {
    request_parts p;
    if (in.size() < 2) return p;
    p.r = static_cast<route>(static_cast<unsigned char>(in[0]) % paths.size());
    p.flags = static_cast<std::uint8_t>(in[1]);
    in.remove_prefix(2);
    std::array<std::string_view, 3> fields{};
    for (auto& f : fields) {
        const auto us = in.find('\x1f');
        f = in.substr(0, us);
        in = us == std::string_view::npos ? std::string_view{} : in.substr(us + 1);
    }
    p.authorization = w.expand(fields[0]);
    p.cookie = w.expand(fields[1]);
    p.csrf = w.expand(fields[2]);
    p.body = w.expand(in);
    return p;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return !needle.empty() && haystack.find(needle) != std::string_view::npos;
}

// The status codes each endpoint may answer with. The memory store never fails, so never 500 or 503.
bool allowed_status(route r, int status) {
    const auto one_of = [status](std::initializer_list<int> l) {
        for (const int s : l)
            if (s == status) return true;
        return false;
    };
    switch (r) {
        case route::login:
            return one_of({200, 400, 401, 415, 429});
        case route::token:
            return one_of({200, 400, 415});
        case route::refresh:
            return one_of({200, 400, 403});
        case route::logout:
            return one_of({204, 400, 415});
        case route::logout_all:
            return one_of({204, 401});
        case route::revoke:
            return one_of({200, 400, 415});
        case route::introspect:
            return one_of({200, 400, 401, 415});
        case route::jwks:
        case route::healthz:
        case route::demo:
            return status == 200;
        case route::unknown:
            return status == 404;
    }
    return false;
}

void check_answer(const request_parts& p, const jot_examples::http::request& req,
                  const jot_examples::http::response& res, world& w) {
    FUZZ_REQUIRE(allowed_status(p.r, res.status));
    if (res.status == 204) {
        FUZZ_REQUIRE(res.body.empty());
        if (p.r == route::logout_all) FUZZ_REQUIRE(w.svc.sessions(user).value().empty());
        return;
    }
    if (p.r == route::revoke && res.status == 200) {  // RFC 7009 §2.2: 200 with no body
        FUZZ_REQUIRE(res.body.empty() && res.header("Cache-Control") == "no-store");
        return;
    }
    if (p.r == route::demo) {
        FUZZ_REQUIRE(res.header("Content-Type").starts_with("text/html"));
        return;
    }
    FUZZ_REQUIRE(res.header("Content-Type") == "application/json");
    const auto body = nlohmann::json::parse(res.body, nullptr, false);
    FUZZ_REQUIRE(body.is_object());
    if (res.status >= 400) {
        // RFC 6749 §5.2 error bodies, never cached, never quoting a secret.
        FUZZ_REQUIRE(body.contains("error") && body["error"].is_string());
        FUZZ_REQUIRE(res.header("Cache-Control") == "no-store");
        for (const auto& s : w.secrets()) FUZZ_REQUIRE(!contains(res.body, s));
        if (res.status == 401 && p.r == route::logout_all)
            FUZZ_REQUIRE(res.header("WWW-Authenticate").starts_with("Bearer "));
        if (res.status == 401 && p.r == route::introspect)
            FUZZ_REQUIRE(res.header("WWW-Authenticate").starts_with("Basic "));
        return;
    }
    switch (p.r) {
        case route::login:
        case route::token:
        case route::refresh: {
            FUZZ_REQUIRE(res.header("Cache-Control") == "no-store");
            FUZZ_REQUIRE(body.contains("access_token") && body["access_token"].is_string());
            FUZZ_REQUIRE(body.value("token_type", "") == "Bearer");
            const std::string at = body["access_token"];
            const auto v = w.svc.verify_access(at);
            FUZZ_REQUIRE(v && v->subject() == user);
            w.newest_access = at;
            // The cookie flow keeps the refresh token out of the body, and needs the CSRF header.
            FUZZ_REQUIRE(body.contains("refresh_token") == (p.r != route::refresh));
            if (p.r == route::refresh) FUZZ_REQUIRE(req.header("X-CSRF") == "1");
            if (body.contains("refresh_token")) {
                FUZZ_REQUIRE(body["refresh_token"].is_string());
                w.newest_refresh = body["refresh_token"];
                FUZZ_REQUIRE(jot::refresh_token::parse(w.newest_refresh).has_value());
            }
            if (p.r != route::token) {
                const std::string cookie(res.header("Set-Cookie"));
                constexpr std::string_view name = "__Host-jot_refresh=";
                FUZZ_REQUIRE(cookie.starts_with(name) &&
                             contains(cookie, "; HttpOnly; Secure; SameSite=Strict"));
                w.newest_refresh = cookie.substr(name.size(), cookie.find(';') - name.size());
                FUZZ_REQUIRE(jot::refresh_token::parse(w.newest_refresh).has_value());
            }
            break;
        }
        case route::introspect:
            FUZZ_REQUIRE(body.contains("active") && body["active"].is_boolean());
            FUZZ_REQUIRE((p.flags & 0x08) != 0);  // client authentication is required
            break;
        case route::healthz:
            FUZZ_REQUIRE(body.value("status", "") == "ok");
            break;
        case route::jwks:
            FUZZ_REQUIRE(body.contains("keys") && body["keys"].is_array());
            break;
        default:
            fail();
    }
}

void run(const request_parts& p, world& w) {
    const bool post = p.r <= route::introspect || p.r == route::unknown;
    std::vector<std::pair<std::string, std::string>> headers;
    const int copies = (p.flags & 0x40) != 0 ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
        if (const auto type = content_types[p.flags & 7u]; !type.empty())
            headers.emplace_back("Content-Type", std::string(type));
        if ((p.flags & 0x08) != 0) headers.emplace_back("Authorization", p.authorization);
        if ((p.flags & 0x10) != 0) headers.emplace_back("Cookie", p.cookie);
        if ((p.flags & 0x20) != 0) headers.emplace_back("X-CSRF", p.csrf);
    }
    const auto req = jot_examples::http::request::make(post ? "POST" : "GET",
                                                       paths[static_cast<std::size_t>(p.r)], headers, p.body);
    const auto res = w.router.respond(req);
    check_answer(p, req, res, w);
}

// At most one active token per family, and no subject with more live sessions than the cap.
void check_store(world& w) {
    const auto d = w.svc.store().dump().value();
    std::map<std::string, int> active;
    for (const auto& t : d.tokens)
        if (t.state == jot::token_state::active) FUZZ_REQUIRE(++active[t.family] == 1);
    FUZZ_REQUIRE(w.svc.sessions(user).value().size() <= max_sessions);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    world w;
    for (int n = 0; n < 4 && !in.empty(); ++n) {
        const auto rs = in.find('\x1e');
        run(decode(in.substr(0, rs), w), w);
        in = rs == std::string_view::npos ? std::string_view{} : in.substr(rs + 1);
    }
    check_store(w);
    return 0;
}
