// SPDX-License-Identifier: MIT
// Test support for remote_jwks: a scripted fetch that counts its calls, and keys that sign test tokens.
#pragma once

#include <jot/builder.hpp>
#include <jot/jwk.hpp>
#include <jot/key.hpp>
#include <jot/remote_jwks.hpp>

#include <atomic>      // std::atomic
#include <chrono>      // std::chrono
#include <functional>  // std::function
#include <memory>      // std::shared_ptr, std::make_shared
#include <mutex>       // std::mutex, std::lock_guard
#include <string>      // std::string
#include <thread>      // std::this_thread::sleep_for
#include <vector>      // std::vector

namespace jot_test {

/// An ES256 key with its kid, and the JWK a JWKS server publishes for it.
struct signing_key {
    explicit signing_key(std::string k) : kid(std::move(k)), sign(jot::algorithm::es256, make(), kid) {}
    std::string kid;
    jot::signer sign;
    [[nodiscard]] nlohmann::json jwk() const {
        return jot::to_jwk(sign.signing_key().public_key(), kid, jot::algorithm::es256);
    }
    /// A token the policy of the tests accepts, valid for an hour from `now`.
    [[nodiscard]] std::string token(jot::time_point now) const {
        const auto exp =
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 3600;
        return sign
            .sign_text(R"({"iss":"https://auth.example","aud":"api","sub":"alice","exp":)" +
                       std::to_string(exp) + "}")
            .value();
    }

private:
    static jot::key make() { return jot::key::generate(jot::algorithm::es256).value(); }
};

/// The JWKS text of these keys.
inline std::string jwks_of(const std::vector<const signing_key*>& keys) {
    nlohmann::json doc = {{"keys", nlohmann::json::array()}};
    for (const auto* k : keys) doc["keys"].push_back(k->jwk());
    return doc.dump();
}

/// The verifier policy of the tests.
inline jot::verifier_options test_policy() {
    return {.issuer = "https://auth.example", .audience = {"api"}};
}

/// A JWKS server in a function: answers with `respond`, counts calls and records the If-None-Match sent.
struct scripted_fetch {
    using responder = std::function<jot::result<jot::jwks_response>(const jot::jwks_request&)>;

    void set(responder r) {
        const std::lock_guard lock(m);
        respond = std::move(r);
    }
    /// Answers 200 with `body`, these headers, and 304 when If-None-Match equals `etag`.
    void serve(std::string body, std::string cache_control = "max-age=300", std::string etag = {}) {
        set([=](const jot::jwks_request& r) -> jot::result<jot::jwks_response> {
            if (!etag.empty() && r.if_none_match == etag)
                return jot::jwks_response{304, {}, cache_control, etag};
            return jot::jwks_response{200, body, cache_control, etag};
        });
    }
    [[nodiscard]] std::vector<std::string> sent_etags() const {
        const std::lock_guard lock(m);
        return etags;
    }

    [[nodiscard]] jot::jwks_fetch fetch() {
        return [this](const jot::jwks_request& r) {
            ++calls;
            if (delay.count() > 0) std::this_thread::sleep_for(delay);
            responder copy;
            {
                const std::lock_guard lock(m);
                etags.emplace_back(r.if_none_match);
                copy = respond;
            }
            return copy(r);
        };
    }

    std::atomic<int> calls{0};
    std::chrono::milliseconds delay{0};

private:
    mutable std::mutex m;
    responder respond;
    std::vector<std::string> etags;
};

}  // namespace jot_test
