#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyJWT (Debian 12: python3-jwt 2.6) on the token and keys made by benchmarks/compare.

    /usr/bin/python3 pyjwt_bench.py MANIFEST.json

Keys are loaded once with `cryptography` (PEM for RSA/EC/Ed25519, raw bytes for HMAC) and the key objects
are passed to PyJWT, so no PEM is parsed in the timed loop. Verification is jwt.decode() with the one
expected algorithm, issuer, audience and exp required and checked, as jot's verifier does; signing is
jwt.encode() of the same claims with the header kid (PyJWT adds typ JWT). Timing uses timeit.
Prints {"pyjwt": {...}} on stdout: per algorithm ops/s per repetition, or an error.
"""
import json
import sys
import timeit

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key


def measure(op, min_seconds):
    """ops/s of one batch that took at least min_seconds (batch size found as timeit.autorange does)."""
    timer = timeit.Timer(op)
    n = 16
    while True:
        dt = timer.timeit(n)
        if dt >= min_seconds:
            return n / dt
        n = min(n * 10, int(n * min_seconds * 1.2 / max(dt, 1e-9)) + 1)


def bench(alg, files, manifest, claims):
    iss, aud = manifest["iss"], manifest["aud"]
    with open(files["token_file"]) as f:
        token = f.read().strip()
    if alg.startswith("HS"):
        with open(files["secret_file"], "rb") as f:
            verify_key = sign_key = f.read()
    else:
        with open(files["public_pem"], "rb") as f:
            verify_key = load_pem_public_key(f.read())
        with open(files["private_pem"], "rb") as f:
            sign_key = load_pem_private_key(f.read(), password=None)
    options = {"require": ["exp", "iss", "aud"]}

    def verify(t=token):
        return jwt.decode(t, verify_key, algorithms=[alg], audience=aud, issuer=iss, options=options)["sub"]

    def sign():
        return jwt.encode(claims, sign_key, algorithm=alg, headers={"kid": files["kid"]})

    try:
        verify()
    except Exception as e:  # noqa: BLE001 - report whatever PyJWT raises
        return {"error": f"cannot verify the token: {type(e).__name__}: {e}"}
    try:
        sample = sign()
        verify(sample)
    except Exception as e:  # noqa: BLE001
        return {"error": f"cannot sign: {type(e).__name__}: {e}"}
    reps, min_s = manifest["repetitions"], manifest["min_seconds"]
    return {
        "verify": [measure(verify, min_s) for _ in range(reps)],
        "sign": [measure(sign, min_s) for _ in range(reps)],
        "sample": sample,
    }


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    with open(manifest["claims_file"]) as f:
        claims = json.load(f)
    results = {alg: bench(alg, files, manifest, claims) for alg, files in manifest["algs"].items()}
    print(json.dumps({"pyjwt": {"version": jwt.__version__, "python": sys.version.split()[0], "results": results}}))


if __name__ == "__main__":
    main()
