#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""docs.benchmark_plots: benchmarks/plot/render draws the three PNGs of benchmarks/README.md from the committed
benchmarks/results/*.json (and a copy with non-2xx answers), and refuses, naming the field, a file that lacks a
field the plots read.

    /usr/bin/python3 tests/docs/benchmark_plots.py RENDER

RENDER is benchmarks/plot/render. Everything is written into a temporary directory; the committed PNGs are
not touched (this test does not compare pixels: matplotlib versions draw differently).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = ["jot-vs-floor.png", "jot-vs-peers.png", "http.png"]
# One field each plot needs, per file: removed in a copy, the renderer must fail and name it.
BROKEN = [
    ("compare.json", ["rows", 0], "floor_ops"),
    ("compare.json", [], "jot_commit"),
    ("http.json", ["rows", 2], "non_2xx"),
    ("http.json", ["wrk"], "duration"),
]

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}", file=sys.stderr)


def render(cmd, results, out):
    return subprocess.run([cmd, "--results", results, "--out", out], capture_output=True, text=True)


def check_pngs(out):
    for name in PLOTS:
        path = os.path.join(out, name)
        if not os.path.isfile(path):
            fail(f"{name} was not written")
            continue
        with open(path, "rb") as f:
            head = f.read(len(PNG_MAGIC))
        size = os.path.getsize(path)
        if head != PNG_MAGIC:
            fail(f"{name} does not start with the PNG signature")
        elif size < 10_000:
            fail(f"{name} is only {size} bytes")
        else:
            print(f"ok: {name}, {size:,} bytes")


def check_non_2xx(cmd, results, tmp):
    """The committed run may have no non-2xx answers; the plot must still draw and label them."""
    copy = os.path.join(tmp, "non_2xx")
    shutil.copytree(results, copy)
    path = os.path.join(copy, "http.json")
    with open(path) as f:
        doc = json.load(f)
    doc["rows"][-1]["non_2xx"] = doc["rows"][-1]["requests"] // 2
    with open(path, "w") as f:
        json.dump(doc, f)
    out = os.path.join(copy, "plots")
    r = render(cmd, copy, out)
    if r.returncode != 0 or not os.path.isfile(os.path.join(out, "http.png")):
        fail(f"render failed on a row with non-2xx answers: {r.stderr.strip()}")
    else:
        print("ok: a row with non-2xx answers is drawn")


def check_broken(cmd, results, tmp):
    for i, (name, where, field) in enumerate(BROKEN):
        broken = os.path.join(tmp, f"broken{i}")
        shutil.copytree(results, broken)
        path = os.path.join(broken, name)
        with open(path) as f:
            doc = json.load(f)
        obj = doc
        for key in where:
            obj = obj[key]
        del obj[field]
        with open(path, "w") as f:
            json.dump(doc, f)
        out = os.path.join(broken, "plots")
        r = render(cmd, broken, out)
        what = f"{name} without {'.'.join(map(str, where + [field]))}"
        if r.returncode == 0:
            fail(f"render accepted {what}")
        elif f"missing field '{field}'" not in r.stderr:
            fail(f"render refused {what} without naming the field: {r.stderr.strip()}")
        elif os.path.isdir(out) and os.listdir(out):
            fail(f"render refused {what} but wrote {', '.join(sorted(os.listdir(out)))} first")
        else:
            print(f"ok: {what} refused: {r.stderr.strip()}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cmd = os.path.abspath(sys.argv[1])
    results = os.path.join(os.path.dirname(os.path.dirname(cmd)), "results")
    with tempfile.TemporaryDirectory(prefix="jot-plots-") as tmp:
        out = os.path.join(tmp, "plots")
        r = render(cmd, results, out)
        sys.stdout.write(r.stdout)
        if r.returncode != 0:
            fail(f"render failed on the committed JSON (exit {r.returncode}): {r.stderr.strip()}")
        else:
            check_pngs(out)
        check_non_2xx(cmd, results, tmp)
        check_broken(cmd, results, tmp)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("benchmark plots: every check passed")


if __name__ == "__main__":
    main()
