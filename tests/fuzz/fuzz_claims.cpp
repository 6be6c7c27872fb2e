// SPDX-License-Identifier: MIT
// Fuzz target: any bytes as the payload (and, before a 0x00 byte, the header) of a token signed with the
// verifier's HS256 key, so that claims extraction, the policy and the verification cache run on every input.
#include <jot/jot.hpp>
#include <jot/verification_cache.hpp>

#include <openssl/evp.h>  // EVP_Q_mac

#include <chrono>       // std::chrono::seconds
#include <cmath>        // std::fabs
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t
#include <cstdlib>      // std::abort
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace {

const std::string secret(32, 'k');
const jot::time_point now{std::chrono::seconds{1'700'000'000}};
constexpr std::chrono::seconds leeway{30};
constexpr std::chrono::seconds max_age{3600};

jot::key_set keys() {
    jot::key_set k;
    k.add(jot::algorithm::hs256, jot::key::hmac(secret).value(), "k1");
    return k;
}

// Every check of the policy on.
const jot::verifier& strict() {
    static const jot::verifier v{keys(),
                                 {.issuer = "iss",
                                  .audience = {"api", "web"},
                                  .required_claims = {"sub", "jti"},
                                  .leeway = leeway,
                                  .max_age = max_age}};
    return v;
}

// Every check that can be turned off, off: more payloads reach the end of claims extraction.
const jot::verifier& lax() {
    static const jot::verifier v{keys(),
                                 {.allow_any_issuer = true,
                                  .allow_any_audience = true,
                                  .allow_any_type = true,
                                  .allow_missing_exp = true}};
    return v;
}

// The strict verifier behind a cache.
jot::verification_cache& cache() {
    static jot::verification_cache c{strict(), {.capacity = 1024}};
    return c;
}

void require(bool ok) {
    if (!ok) std::abort();
}

std::string sign(std::string_view header, std::string_view payload) {
    std::string token = jot::base64url_encode(header) + "." + jot::base64url_encode(payload);
    unsigned char mac[32];
    std::size_t size = 0;
    require(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                      reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, sizeof mac,
                      &size) != nullptr &&
            size == sizeof mac);
    return token + "." + jot::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), size));
}

double seconds(jot::time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The registered claims the verifier read agree with the claims object: the scanner and the JSON parser saw
// the same document.
void check_consistent(const jot::verified_token& t) {
    const auto& c = t.claims();
    require(c.is_object() && t.header().is_object());
    require(t.alg() == jot::algorithm::hs256);
    const auto same_string = [&c](const char* name, std::string_view read) {
        const auto it = c.find(name);
        if (it == c.end()) return read.empty();
        return it->is_string() && it->get_ref<const std::string&>() == read;
    };
    require(same_string("iss", t.issuer()) && same_string("sub", t.subject()) &&
            same_string("jti", t.jwt_id()));
    std::vector<std::string> aud;
    if (const auto it = c.find("aud"); it != c.end()) {
        if (it->is_string()) {
            aud.push_back(*it);
        } else {
            require(it->is_array());
            for (const auto& a : *it) {
                require(a.is_string());
                aud.push_back(a);
            }
        }
    }
    require(aud == t.audience());
    const auto same_date = [&c](const char* name, std::optional<jot::time_point> read) {
        const auto it = c.find(name);
        if (it == c.end()) return !read;
        if (!it->is_number() || !read) return false;
        // Dates past what time_point holds (year 2262) read as time_point::max().
        if (it->get<double>() >= seconds(jot::time_point::max()) - 1) return *read == jot::time_point::max();
        return std::fabs(it->get<double>() - seconds(*read)) < 1e-3;
    };
    require(same_date("exp", t.expires_at()) && same_date("nbf", t.not_before()) &&
            same_date("iat", t.issued_at()));
}

void check(const jot::verifier& v, const std::string& token, bool policy) {
    const auto r = v.verify_at(token, now);
    if (!r) {
        require(r.error().category() == jot::error_category());
        return;
    }
    check_consistent(*r);
    if (!policy) return;
    const double t = seconds(now), skew = static_cast<double>(leeway.count());
    const auto& c = r->claims();
    require(c.contains("sub") && c.contains("jti"));
    require(r->issuer() == "iss");
    bool audience = false;
    for (const auto& a : r->audience()) audience = audience || a == "api" || a == "web";
    require(audience);
    require(r->expires_at() && t < seconds(*r->expires_at()) + skew);
    require(r->issued_at() && seconds(*r->issued_at()) <= t + skew &&
            t - seconds(*r->issued_at()) <= static_cast<double>(max_age.count()) + skew);
    require(!r->not_before() || seconds(*r->not_before()) <= t + skew);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string_view header = R"({"alg":"HS256","typ":"JWT"})";
    std::string_view payload = in;
    if (const auto split = in.find('\0'); split != std::string_view::npos) {
        header = in.substr(0, split);
        payload = in.substr(split + 1);
    }
    const std::string token = sign(header, payload);
    check(strict(), token, true);
    check(lax(), token, false);
    // Later uses come from memory: they must get the answer the verifier gives at that time.
    for (const auto later : {now, now + std::chrono::seconds{1}, now + max_age}) {
        const auto cached = cache().verify_at(token, later);
        const auto direct = strict().verify_at(token, later);
        require(cached.has_value() == direct.has_value());
        require(cached || cached.error() == direct.error());
    }
    return 0;
}
