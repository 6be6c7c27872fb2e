// SPDX-License-Identifier: MIT
// The auth server's endpoints: /login, /token, /refresh, /logout, /logout-all, /revoke, /introspect, JWKS.
#pragma once

#include <openssl/crypto.h>  // CRYPTO_memcmp
#include <openssl/evp.h>     // EVP_Digest, EVP_sha256

#include <algorithm>    // std::find
#include <array>        // std::array
#include <chrono>       // std::chrono::seconds
#include <cstdint>      // std::int64_t
#include <functional>   // std::function
#include <map>          // std::map
#include <optional>     // std::optional
#include <span>         // std::span
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <nlohmann/json.hpp>

#include <jot/base64url.hpp>
#include <jot/login_throttle.hpp>
#include <jot/refresh_token.hpp>
#include <jot/token_service.hpp>

#include "../common/store.hpp"
#include "../http/helpers.hpp"
#include "../http/router.hpp"
#include "demo_page.hpp"
#include "users.hpp"

namespace jot_auth {

using service = jot::basic_token_service<jot::any_store>;
using throttle = jot::basic_login_throttle<jot::any_store>;
namespace http = jot_examples::http;

/// The refresh cookie's name. With Secure it takes the __Host- prefix (RFC 6265bis §4.1.3.2): the browser
/// then accepts it only from this origin, Secure, with Path=/ and no Domain, so a sibling subdomain cannot
/// plant one that shadows it.
[[nodiscard]] inline std::string_view refresh_cookie_name(bool secure) noexcept {
    return secure ? "__Host-jot_refresh" : "jot_refresh";
}

/// SHA-256 of `data`.
inline std::array<unsigned char, 32> sha256_of(std::string_view data) {
    std::array<unsigned char, 32> out{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr) != 1 ||
        size != out.size())
        throw jot_examples::config_error("SHA-256 failed");
    return out;
}

/// Clients that may call /introspect, with their secrets kept as SHA-256 and compared in constant time.
class client_db {
public:
    /// Adds "ID:SECRET". Throws config_error if malformed.
    void add_spec(const std::string& spec) {
        const auto colon = spec.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
            throw jot_examples::config_error("--client expects ID:SECRET");
        clients_[spec.substr(0, colon)] = sha256_of(std::string_view(spec).substr(colon + 1));
    }

    /// True if `id` exists and `secret` is its secret.
    [[nodiscard]] bool check(const std::string& id, std::string_view secret) const {
        const auto presented = sha256_of(secret);
        const auto it = clients_.find(id);
        const auto& expected = it == clients_.end() ? presented : it->second;
        const bool same = CRYPTO_memcmp(expected.data(), presented.data(), presented.size()) == 0;
        return same && it != clients_.end();
    }

    [[nodiscard]] std::size_t size() const noexcept { return clients_.size(); }

private:
    std::map<std::string, std::array<unsigned char, 32>> clients_;
};

/// How a POST /login with a username and a password ended.
enum class login_outcome { success, invalid_credentials, throttled, busy, store_error };

/// The name of a login outcome as written in the enum, e.g. "throttled".
[[nodiscard]] constexpr const char* name(login_outcome o) noexcept {
    switch (o) {
        case login_outcome::success:
            return "success";
        case login_outcome::invalid_credentials:
            return "invalid_credentials";
        case login_outcome::throttled:
            return "throttled";
        case login_outcome::busy:
            return "busy";
        case login_outcome::store_error:
            return "store_error";
    }
    return "unknown";
}

/// What the routes need besides the token service.
struct route_options {
    std::string client_id = "jot-example-web";
    bool cookie_secure = true;
    std::string demo_api{};  // the resource server the demo page calls
    /// Origins besides the server's own (its Host) whose pages may POST /login and /logout, e.g.
    /// "https://app.example".
    std::vector<std::string> allowed_origins{};
    std::chrono::seconds jwks_max_age{60};          // Cache-Control max-age of the JWKS
    std::function<void(login_outcome)> on_login{};  // told how each login ended (metrics); thread-safe
};

/// The endpoints of the auth server. Every handler is thread-safe (the service, users and clients are).
class auth_routes {
public:
    /// `limit` counts failed logins in the same store as `svc`, so that every instance on it agrees.
    auth_routes(service& svc, const throttle& limit, const user_db& users, const client_db& clients,
                route_options o)
        : svc_(svc), throttle_(limit), users_(users), clients_(clients), o_(std::move(o)) {}

    /// Routes every endpoint to `r`. /login hashes a password and always runs on the work pool; the other
    /// endpoints call the store, and run there too when `store_blocks` (SQLite, Redis: disk and network
    /// waits). The memory store never waits on I/O, so with it they run on the I/O threads, without the
    /// hop to the pool and back. The demo page never waits.
    void install(http::router& r, bool store_blocks = true) {
        const auto to = [this](void (auth_routes::*serve)(const http::request&, http::response&)) {
            return [this, serve](const http::request& req) {
                http::response res;
                (this->*serve)(req, res);
                return res;
            };
        };
        const auto store_call = store_blocks ? http::execution::work_pool : http::execution::io_thread;
        r.post("/login", to(&auth_routes::login), http::execution::work_pool);
        r.post("/token", to(&auth_routes::token), store_call);
        r.post("/refresh", to(&auth_routes::refresh_cookie_flow), store_call);
        r.post("/logout", to(&auth_routes::logout), store_call);
        r.post("/logout-all", to(&auth_routes::logout_all), store_call);
        r.post("/revoke", to(&auth_routes::revoke), store_call);
        r.post("/introspect", to(&auth_routes::introspect), store_call);
        r.get("/.well-known/jwks.json", to(&auth_routes::jwks), store_call);
        r.get("/healthz", to(&auth_routes::health), store_call);
        r.get("/", to(&auth_routes::demo), http::execution::io_thread);
    }

private:
    // GET /: the browser demo. The page keeps the access token in memory; the refresh token stays in the
    // HttpOnly cookie. Inline script and style only, and it may talk only to us and the resource server.
    void demo(const http::request&, http::response& res) {
        std::string page(demo_page);
        const std::string api =
            nlohmann::json(o_.demo_api).dump();  // a JSON string is a safe attribute value
        const std::string meta = "<meta name=\"jot-api\" content=" + api + ">";
        page.insert(page.find("<title>"), meta + "\n");
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; script-src 'unsafe-inline'; style-src "
                       "'unsafe-inline'; connect-src 'self' " +
                           o_.demo_api + "; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Cache-Control", "no-cache");
        res.set_content(page, "text/html; charset=utf-8");
    }

    // POST /login {"username","password"}: Argon2id check, then a new session.
    void login(const http::request& req, http::response& res) {
        if (refuse_cross_site(req, res)) return;
        const auto p = http::read_params(req, res);
        if (!p) return;
        const std::string* user = p->find("username");
        const std::string* password = p->find("password");
        if (!user || !password) {
            http::send_error(res, 400, "invalid_request", "username and password are required strings");
            return;
        }
        // Guessing stops here: past the failures allowed, the answer is 429 whatever the password, and the
        // password is not even checked. Counters are per (user, client address) and per user.
        const auto allowed = throttle_.check(*user, req.peer());
        if (!allowed) return login_failed(res, allowed.error());
        if (!allowed->allowed) {
            tell(login_outcome::throttled);
            res.set_header("Retry-After",
                           std::to_string(allowed->retry_after(std::chrono::system_clock::now()).count()));
            http::send_error(res, 429, "too_many_attempts", "too many failed logins; try again later");
            return;
        }
        const auto verdict = users_.verify(*user, *password);
        if (verdict == user_db::verdict::busy) {
            tell(login_outcome::busy);
            res.set_header("Retry-After", "1");
            http::send_error(res, 503, "temporarily_unavailable",
                             "too many logins at once; try again shortly");
            return;
        }
        if (verdict != user_db::verdict::match) {
            if (const auto counted = throttle_.record_failure(*user, req.peer()); !counted)
                return login_failed(res, counted.error());
            tell(login_outcome::invalid_credentials);
            http::send_error(res, 401, "invalid_credentials", "wrong username or password");
            return;
        }
        if (const auto cleared = throttle_.record_success(*user, req.peer()); !cleared)
            return login_failed(res, cleared.error());
        const auto issued = svc_.login(*user, o_.client_id);
        if (!issued) return login_failed(res, issued.error());
        tell(login_outcome::success);
        set_refresh_cookie(res, *issued);
        send_tokens(res, *issued, true);
    }

    // POST /token: RFC 6749 §6 (form, grant_type=refresh_token) or JSON {"refresh_token"}.
    void token(const http::request& req, http::response& res) {
        const auto p = http::read_params(req, res);
        if (!p) return;
        const bool form = http::media_type(req) == "application/x-www-form-urlencoded";
        const std::string* grant = p->find("grant_type");
        if (form && !grant) {
            http::send_error(res, 400, "invalid_request", "grant_type is required");
            return;
        }
        if (grant && *grant != "refresh_token") {
            http::send_error(res, 400, "unsupported_grant_type", "only refresh_token is supported here");
            return;
        }
        const std::string* rt = p->find("refresh_token");
        if (!rt && !form) rt = p->find("token");  // the tutorial's {"token": ...}
        if (!rt || rt->empty()) {
            http::send_error(res, 400, "invalid_request", "refresh_token is required");
            return;
        }
        // RFC 6749 §6: the token must belong to the client presenting it (public clients name themselves).
        const std::string* client = p->find("client_id");
        const auto issued = svc_.refresh(*rt, client && !client->empty() ? *client : o_.client_id);
        if (!issued) {
            grant_failure(res, issued.error());
            return;
        }
        send_tokens(res, *issued, true);
    }

    // POST /refresh: the refresh token from the HttpOnly cookie; needs "X-CSRF: 1", which a cross-site form
    // cannot send without a CORS preflight this server never grants.
    void refresh_cookie_flow(const http::request& req, http::response& res) {
        if (req.header("X-CSRF") != "1") {
            http::send_error(res, 403, "invalid_request", "the X-CSRF: 1 header is required");
            return;
        }
        const auto rt = http::cookie(req, refresh_cookie_name(o_.cookie_secure));
        if (!rt || rt->empty()) {
            http::send_error(res, 400, "invalid_request", "no refresh cookie");
            return;
        }
        const auto issued = svc_.refresh(*rt, o_.client_id);  // the cookie belongs to the web client
        if (!issued) {
            if (issued.error() == jot::condition::refresh_rejected) clear_refresh_cookie(res);
            grant_failure(res, issued.error());
            return;
        }
        set_refresh_cookie(res, *issued);
        // The cookie flow keeps the refresh token out of reach of page scripts: it is only in the cookie.
        send_tokens(res, *issued, false);
    }

    // POST /logout: revokes the family of the refresh token in the body or the cookie; 204 even if unknown.
    void logout(const http::request& req, http::response& res) {
        if (refuse_cross_site(req, res)) return;
        const auto p = http::read_params(req, res, true);
        if (!p) return;
        std::optional<std::string> rt;
        if (const auto* v = p->find("refresh_token"))
            rt = *v;
        else if (const auto* t = p->find("token"))
            rt = *t;
        else
            rt = http::cookie(req, refresh_cookie_name(o_.cookie_secure));
        if (rt && !revoke_session(*rt)) {
            http::send_error(res, 503, "temporarily_unavailable", "the token store is unavailable");
            return;
        }
        // The caller's access token, if sent, ends now rather than at its expiry.
        if (const auto b = http::bearer_token(req); b.what == http::bearer::kind::token) {
            if (const auto t = svc_.verify_access(b.token)) (void)svc_.revoke_access(*t);
        }
        clear_refresh_cookie(res);
        res.status = 204;
    }

    // POST /logout-all with a Bearer access token: every session of the subject, and its earlier access
    // tokens.
    void logout_all(const http::request& req, http::response& res) {
        const auto b = http::bearer_token(req);
        if (b.what != http::bearer::kind::token) {
            http::send_bearer_challenge(res, "a Bearer access token is required");
            return;
        }
        const auto t = svc_.verify_access(b.token);
        if (!t) {
            if (t.error() == jot::condition::store_failure) return store_failure(res, t.error());
            http::send_bearer_challenge(res, describe_access(t.error()));
            return;
        }
        const auto n = svc_.revoke_subject(t->subject());
        if (!n) return store_failure(res, n.error());
        clear_refresh_cookie(res);
        res.status = 204;
    }

    // POST /revoke (RFC 7009): 200 whether or not the token was known; refresh tokens end their family,
    // access tokens go on the denylist until they expire.
    void revoke(const http::request& req, http::response& res) {
        const auto p = http::read_params(req, res);
        if (!p) return;
        const std::string* tok = p->find("token");
        if (!tok || tok->empty()) {
            http::send_error(res, 400, "invalid_request", "token is required");
            return;
        }
        bool ok = true;
        if (looks_like_refresh_token(*tok)) {
            ok = revoke_session(*tok);
        } else if (const auto t = svc_.verify_access(*tok)) {
            ok = static_cast<bool>(svc_.revoke_access(*t));
        }
        if (!ok) {
            http::send_error(res, 503, "temporarily_unavailable", "the token store is unavailable");
            return;
        }
        http::no_store(res);
        res.status = 200;
    }

    // POST /introspect (RFC 7662) with client Basic authentication.
    void introspect(const http::request& req, http::response& res) {
        if (!client_authenticated(req)) {
            res.set_header("WWW-Authenticate", "Basic realm=\"jot\"");
            http::send_error(res, 401, "invalid_client", "client authentication failed");
            return;
        }
        const auto p = http::read_params(req, res);
        if (!p) return;
        const std::string* tok = p->find("token");
        if (!tok || tok->empty()) {
            http::send_error(res, 400, "invalid_request", "token is required");
            return;
        }
        nlohmann::json out = {{"active", false}};
        if (looks_like_refresh_token(*tok)) {
            out = introspect_refresh(*tok);
        } else if (const auto t = svc_.verify_access(*tok)) {  // a token of a revoked session fails here
            out = t->claims();
            out["active"] = true;
            out["token_type"] = "Bearer";
        }
        http::no_store(res);
        http::send_json(res, 200, out);
    }

    // GET /.well-known/jwks.json: cacheable for jwks_max_age, with a strong ETag (a hash of the document),
    // and 304 to an If-None-Match that names it (RFC 9110 §13.1.2).
    void jwks(const http::request& req, http::response& res) {
        std::string doc = svc_.jwks().dump();
        const auto digest = sha256_of(doc);
        std::string etag = "\"" + jot::base64url_encode(std::as_bytes(std::span(digest))) + "\"";
        res.set_header("Cache-Control", "public, max-age=" + std::to_string(o_.jwks_max_age.count()));
        res.set_header("ETag", etag);
        if (etag_matches(req.header("If-None-Match"), etag)) {
            res.status = 304;
            return;
        }
        res.set_content(std::move(doc), "application/json");
    }

    static bool etag_matches(std::string_view if_none_match, std::string_view etag) {
        while (!if_none_match.empty()) {
            const auto comma = if_none_match.find(',');
            std::string_view tag = if_none_match.substr(0, comma);
            if_none_match =
                comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
            while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
            while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
            if (tag.starts_with("W/")) tag.remove_prefix(2);  // weak comparison, as If-None-Match uses
            if (tag == etag || tag == "*") return true;
        }
        return false;
    }

    void health(const http::request&, http::response& res) {
        const auto probe = svc_.store().is_denied("healthz", std::chrono::system_clock::now());
        if (!probe) {
            http::send_json(res, 503, {{"status", "store unavailable"}});
            return;
        }
        http::send_json(res, 200, {{"status", "ok"}});
    }

    nlohmann::json introspect_refresh(const std::string& text) {
        const nlohmann::json inactive = {{"active", false}};
        const auto rt = jot::refresh_token::parse(text);
        if (!rt) return inactive;
        const auto t = svc_.store().find_token(rt->id());
        if (!t || !*t) return inactive;
        const auto presented = rt->hash();
        if (CRYPTO_memcmp((*t)->hash.data(), presented.data(), presented.size()) != 0) return inactive;
        const auto now = std::chrono::system_clock::now();
        if ((*t)->state != jot::token_state::active || now >= (*t)->idle_expiry) return inactive;
        const auto f = svc_.store().find_family((*t)->family);
        if (!f || !*f || (*f)->revoked || now >= (*f)->absolute_expiry) return inactive;
        return {{"active", true},
                {"token_type", "refresh_token"},
                {"iss", svc_.options().issuer},
                {"sub", (*f)->subject},
                {"client_id", (*f)->client},
                {"sid", (*f)->id},
                {"iat", unix_seconds((*t)->created)},
                {"exp", unix_seconds((*t)->idle_expiry)}};
    }

    /// Revokes the family of a refresh token given with its secret. False only if the store failed.
    bool revoke_session(const std::string& text) {
        const auto revoked = svc_.revoke_token(text);
        if (!revoked) return revoked.error() != jot::condition::store_failure;
        if (!*revoked) return true;
        // The secret matched: end the whole session, even if this token was an already rotated one.
        const auto rt = jot::refresh_token::parse(text);
        const auto t = svc_.store().find_token(rt->id());
        if (!t) return false;
        if (*t) {
            const auto f = svc_.revoke_family((*t)->family);
            if (!f) return false;
        }
        return true;
    }

    bool client_authenticated(const http::request& req) const {
        const std::string h(req.header("Authorization"));
        if (h.size() < 7 || (h.compare(0, 6, "Basic ") != 0 && h.compare(0, 6, "basic ") != 0)) return false;
        const auto decoded = base64_standard_decode(std::string_view(h).substr(6));
        if (!decoded) return false;
        const auto colon = decoded->find(':');
        if (colon == std::string::npos) return false;
        // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
        const auto id = http::parse_form("i=" + decoded->substr(0, colon));
        const auto secret = http::parse_form("s=" + decoded->substr(colon + 1));
        if (!id || !secret || id->empty() || secret->empty()) return false;
        return clients_.check(id->begin()->second, secret->begin()->second);
    }

    static std::optional<std::string> base64_standard_decode(std::string_view s) {
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        while (!s.empty() && s.back() == '=') s.remove_suffix(1);
        std::string url(s);
        for (auto& c : url) {
            if (c == '+')
                c = '-';
            else if (c == '/')
                c = '_';
            else if (c == '-' || c == '_')
                return std::nullopt;
        }
        auto out = jot::base64url_decode(url);
        if (!out) return std::nullopt;
        return *std::move(out);
    }

    static bool looks_like_refresh_token(std::string_view t) noexcept {
        return t.size() == jot::refresh_token_size && t.find('.') == 22;
    }

    static std::int64_t unix_seconds(jot::time_point t) {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    }

    void send_tokens(http::response& res, const jot::issued_tokens& t, bool with_refresh) const {
        nlohmann::json body = {{"access_token", t.access_token},
                               {"token_type", "Bearer"},
                               {"expires_in", svc_.options().access_ttl.count()}};
        if (with_refresh) body["refresh_token"] = t.refresh_token;
        http::no_store(res);
        http::send_json(res, 200, body);
    }

    void set_refresh_cookie(http::response& res, const jot::issued_tokens& t) const {
        const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(
                                 t.refresh_expires_at - std::chrono::system_clock::now())
                                 .count();
        res.set_header("Set-Cookie",
                       std::string(refresh_cookie_name(o_.cookie_secure)) + "=" + t.refresh_token +
                           "; HttpOnly" + (o_.cookie_secure ? "; Secure" : "") +
                           "; SameSite=Strict; Path=/; Max-Age=" + std::to_string(max_age > 0 ? max_age : 0));
    }

    void clear_refresh_cookie(http::response& res) const {
        res.set_header("Set-Cookie", std::string(refresh_cookie_name(o_.cookie_secure)) + "=; HttpOnly" +
                                         (o_.cookie_secure ? "; Secure" : "") +
                                         "; SameSite=Strict; Path=/; Max-Age=0");
    }

    /// Login CSRF and forced logout: a page of another site could POST a form to /login (and set its own
    /// session in the victim's browser) or to /logout. Browsers say where a request comes from in
    /// Sec-Fetch-Site and Origin; a request from elsewhere gets 403. Clients that are not browsers send
    /// neither and pass.
    bool refuse_cross_site(const http::request& req, http::response& res) const {
        bool foreign = req.header("Sec-Fetch-Site") == "cross-site";
        if (const auto origin = req.header("Origin"); !origin.empty() && !foreign) {
            const auto scheme_end = origin.find("://");
            const bool own =
                scheme_end != std::string_view::npos && origin.substr(scheme_end + 3) == req.header("Host");
            foreign = !own && std::find(o_.allowed_origins.begin(), o_.allowed_origins.end(), origin) ==
                                  o_.allowed_origins.end();
        }
        if (foreign) http::send_error(res, 403, "invalid_request", "cross-site requests are refused here");
        return foreign;
    }

    void tell(login_outcome o) const {
        if (o_.on_login) o_.on_login(o);
    }

    void login_failed(http::response& res, std::error_code ec) const {
        tell(login_outcome::store_error);
        store_failure(res, ec);
    }

    static void store_failure(http::response& res, std::error_code ec) {
        if (ec == jot::condition::store_failure)
            http::send_error(res, 503, "temporarily_unavailable", "the token store is unavailable");
        else
            http::send_error(res, 500, "server_error", "internal error");
    }

    // RFC 6749 §5.2: an invalid, expired, revoked or reused refresh token is invalid_grant.
    static void grant_failure(http::response& res, std::error_code ec) {
        if (ec != jot::condition::refresh_rejected) return store_failure(res, ec);
        const char* why = "the refresh token is invalid";
        if (ec == jot::errc::refresh_token_expired)
            why = "the refresh token expired";
        else if (ec == jot::errc::refresh_token_revoked)
            why = "the refresh token was revoked";
        else if (ec == jot::errc::refresh_token_reused)
            why = "the refresh token was already used; the session is revoked";
        http::send_error(res, 400, "invalid_grant", why);
    }

    static const char* describe_access(std::error_code ec) {
        if (ec == jot::errc::token_expired) return "the access token expired";
        if (ec == jot::errc::token_revoked) return "the access token was revoked";
        return "the access token is invalid";
    }

    service& svc_;
    const throttle& throttle_;
    const user_db& users_;
    const client_db& clients_;
    route_options o_;
};

}  // namespace jot_auth
