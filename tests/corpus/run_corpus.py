#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs `jot verify` on every case of adversarial.json and checks it gives the mandated outcome."""
import json, os, subprocess, sys, tempfile

jot, corpus_path = sys.argv[1], sys.argv[2]
corpus = json.load(open(corpus_path))
failures = 0
with tempfile.TemporaryDirectory() as tmp:
    for i, case in enumerate(corpus["cases"]):
        is_set = "keys" in case["key"]
        key_path = os.path.join(tmp, f"key{i}.{'jwks' if is_set else 'jwk'}")
        with open(key_path, "w") as f:
            json.dump(case["key"], f)
        args = [jot, "verify", "--jwks" if is_set else "--key", key_path, "--alg", case["alg"], *case["args"], "-"]
        proc = subprocess.run(args, input=case["token"], capture_output=True, text=True, timeout=30)
        if proc.returncode == 0:
            got = "valid"
        elif proc.returncode == 1 and proc.stderr.startswith("error: "):
            got = proc.stderr[len("error: "):].split(":", 1)[0]
        elif proc.returncode == 2 and case["expect"].startswith("key:") and case["expect"][4:] in proc.stderr:
            got = case["expect"]  # the key itself was refused, before any token was looked at
        elif proc.returncode == 2 and case["expect"].startswith("usage:") and case["expect"][6:] in proc.stderr:
            got = case["expect"]
        else:
            got = f"exit {proc.returncode}: {proc.stderr.strip()}"
        ok = got == case["expect"]
        failures += not ok
        print(f"{'pass' if ok else 'FAIL'}  {case['name']:<55} expected {case['expect']:<26} got {got}")
total = len(corpus["cases"])
print(f"{total - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
