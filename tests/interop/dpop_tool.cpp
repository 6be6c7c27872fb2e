// SPDX-License-Identifier: MIT
// The jot side of the DPoP interop test (dpop.mjs): makes keys and proofs, and verifies proofs.
//
// usage: dpop_tool keygen ALG                          -> a private JWK
//        dpop_tool sign ALG METHOD URI NOW [TOKEN]     (private JWK on stdin) -> a proof
//        dpop_tool verify METHOD URI NOW [TOKEN]       (proof on stdin) -> {"jkt","jti","htm","htu","iat"}
// A refused proof prints the errc name on stderr and exits with 1; bad usage exits with 2.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <jot/dpop.hpp>
#include <jot/dpop_proof.hpp>
#include <jot/dpop_replay_cache.hpp>
#include <jot/jwk.hpp>

namespace {

int refused(std::error_code e) {
    std::cerr << (e.category() == jot::error_category() ? jot::name(static_cast<jot::errc>(e.value()))
                                                        : e.message().c_str())
              << '\n';
    return 1;
}

std::string read_stdin() {
    std::string s{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

jot::time_point at(const char* seconds) {
    return jot::time_point{std::chrono::seconds{std::stoll(seconds)}};
}

}  // namespace

int main(int argc, char** argv) {
    const std::string_view command = argc > 1 ? argv[1] : "";
    if (command == "keygen" && argc == 3) {
        const auto alg = jot::algorithm_from_name(argv[2]);
        if (!alg) return 2;
        auto k = jot::key::generate(*alg);
        if (!k) return refused(k.error());
        std::cout << jot::to_jwk(*k, {}, *alg, true).dump() << '\n';
        return 0;
    }
    if (command == "sign" && (argc == 6 || argc == 7)) {
        const auto alg = jot::algorithm_from_name(argv[2]);
        if (!alg) return 2;
        auto jwk = jot::parse_jwk(read_stdin());
        if (!jwk) return refused(jwk.error());
        auto proof =
            jot::sign_dpop_proof(jwk->k, *alg, argv[3], argv[4],
                                 {.access_token = argc == 7 ? argv[6] : "", .issued_at = at(argv[5])});
        if (!proof) return refused(proof.error());
        std::cout << *proof << '\n';
        return 0;
    }
    if (command == "verify" && (argc == 5 || argc == 6)) {
        const jot::dpop_verifier verifier;
        jot::memory_replay_cache seen;
        const auto proof = read_stdin();
        const auto r = verifier.verify_at(
            proof, {.method = argv[2], .uri = argv[3], .access_token = argc == 6 ? argv[5] : ""}, seen,
            at(argv[4]));
        if (!r) return refused(r.error());
        const nlohmann::json out = {
            {"jkt", r->thumbprint()},
            {"jti", r->jwt_id()},
            {"htm", r->method()},
            {"htu", r->uri()},
            {"alg", jot::name(r->alg())},
            {"iat",
             std::chrono::duration_cast<std::chrono::seconds>(r->issued_at().time_since_epoch()).count()}};
        std::cout << out.dump() << '\n';
        return 0;
    }
    std::cerr
        << "usage: dpop_tool keygen ALG | sign ALG METHOD URI NOW [TOKEN] | verify METHOD URI NOW [TOKEN]\n";
    return 2;
}
