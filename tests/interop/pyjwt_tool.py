# SPDX-License-Identifier: MIT
"""PyJWT side of jot's interop tests.

Reads a JSON array of requests on stdin and prints a JSON array of results, one per request:
  {"op": "verify", "token": T, "jwk": {...}, "alg": A, "issuer": I, "audience": U} -> {"ok": true, "claims": {...}}
  {"op": "sign", "jwk": {...}, "alg": A, "kid": K, "claims": {...}}                -> {"ok": true, "token": T}
A failed request gives {"ok": false, "error": "<exception>"}. Keys come as JWKs made by `jot keygen` / `jot pub`.
"""
import json
import sys

import jwt


def run(request):
    key = jwt.PyJWK(request["jwk"], request["alg"]).key
    if request["op"] == "verify":
        claims = jwt.decode(
            request["token"],
            key,
            algorithms=[request["alg"]],
            issuer=request["issuer"],
            audience=request["audience"],
            options={"require": ["exp", "iat"]},
        )
        return {"ok": True, "claims": claims}
    if request["op"] == "sign":
        token = jwt.encode(request["claims"], key, algorithm=request["alg"], headers={"kid": request["kid"]})
        return {"ok": True, "token": token}
    raise ValueError("unknown op " + repr(request["op"]))


def main():
    results = []
    for request in json.load(sys.stdin):
        try:
            results.append(run(request))
        except Exception as e:  # noqa: BLE001 - every failure is a result to report
            results.append({"ok": False, "error": type(e).__name__ + ": " + str(e)})
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--version":
        import cryptography

        print("PyJWT " + jwt.__version__ + ", cryptography " + cryptography.__version__)
        sys.exit(0)
    sys.exit(main())
