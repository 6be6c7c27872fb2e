#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Draws the benchmark plots from the JSON that benchmarks/compare and benchmarks/http/run write.

    /usr/bin/python3 benchmarks/plot/plot.py [--out DIR] [--check] COMPARE_JSON HTTP_JSON

COMPARE_JSON has the schema "jot-compare/1" and HTTP_JSON "jot-http/1" (both in benchmarks/README.md). The
files are checked first: a missing or mistyped field the plots need stops the script with its name and row.
--check stops there; otherwise it writes three PNGs into DIR (default benchmarks/plots):

    jot-vs-floor.png  jot's throughput over the floor's (OpenSSL alone), per algorithm and operation
    jot-vs-peers.png  jot's throughput over each peer's (libjwt, jsonwebtoken, jose, PyJWT), log scale
    http.png          requests/s of jot's example servers and of the tutorial's Node servers, log scale,
                      the non-2xx share of each bar hatched and counted

Needs matplotlib (Debian python3-matplotlib), hence /usr/bin/python3 rather than whatever python3 is on PATH.
The PNGs depend only on the JSON and the matplotlib version: no timestamp is written into them.
"""
import argparse
import json
import os
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
NUMBER = (int, float)
OPTIONAL_NUMBER = (int, float, type(None))

# The fields each plot reads: (name, accepted types). Anything else in the files is ignored.
COMPARE_FIELDS = [("schema", str), ("date", str), ("jot_commit", str), ("machine", dict), ("rows", list)]
COMPARE_ROW_FIELDS = [("algorithm", str), ("op", str), ("jot_ops", NUMBER), ("floor_ops", NUMBER),
                      ("peers", dict)]
HTTP_FIELDS = [("schema", str), ("date", str), ("jot_commit", str), ("machine", dict), ("wrk", dict),
               ("rows", list)]
HTTP_ROW_FIELDS = [("route", str), ("side", str), ("server", str), ("detail", str), ("connections", int),
                   ("requests", int), ("req_per_s", NUMBER), ("non_2xx", int)]
SIDES = ("jot", "tutorial", "baseline")


class SchemaError(Exception):
    pass


def require(obj, fields, where):
    if not isinstance(obj, dict):
        raise SchemaError(f"{where}: expected an object, found {type(obj).__name__}")
    for name, types in fields:
        if name not in obj:
            raise SchemaError(f"{where}: missing field '{name}'")
        # bool is an int in Python; no field here is a boolean.
        if isinstance(obj[name], bool) or not isinstance(obj[name], types):
            raise SchemaError(f"{where}: field '{name}' has the wrong type ({type(obj[name]).__name__})")


def load(path, schema, fields, row_fields, check_row):
    name = os.path.basename(path)
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise SchemaError(f"{name}: cannot read it as JSON: {e}")
    require(doc, fields, name)
    if doc["schema"] != schema:
        raise SchemaError(f"{name}: schema is '{doc['schema']}', expected '{schema}'")
    require(doc["machine"], [("nproc", int)], f"{name}: machine")
    if not doc["rows"]:
        raise SchemaError(f"{name}: rows is empty")
    for i, row in enumerate(doc["rows"]):
        require(row, row_fields, f"{name}: rows[{i}]")
        check_row(row, f"{name}: rows[{i}]")
    return doc


def check_compare_row(row, where):
    if row["op"] not in ("sign", "verify"):
        raise SchemaError(f"{where}: op is '{row['op']}', expected 'sign' or 'verify'")
    for peer, ops in row["peers"].items():
        if isinstance(ops, bool) or not isinstance(ops, OPTIONAL_NUMBER):
            raise SchemaError(f"{where}: peers.{peer} must be a number or null")


def check_http_row(row, where):
    if row["side"] not in SIDES:
        raise SchemaError(f"{where}: side is '{row['side']}', expected one of {', '.join(SIDES)}")


def load_compare(path):
    return load(path, "jot-compare/1", COMPARE_FIELDS, COMPARE_ROW_FIELDS, check_compare_row)


def load_http(path):
    doc = load(path, "jot-http/1", HTTP_FIELDS, HTTP_ROW_FIELDS, check_http_row)
    require(doc["wrk"], [("threads", int), ("connections", int), ("duration", str)],
            f"{os.path.basename(path)}: wrk")
    return doc


# ------------------------------------------------------------------------------------------------ drawing

SIGN_COLOUR, VERIFY_COLOUR = "#4c72b0", "#55a868"
PEER_COLOURS = {"libjwt": "#8172b2", "jsonwebtoken": "#c44e52", "jose": "#dd8452", "pyjwt": "#937860"}
# Legends sit in one row between the title and the axes, clear of the bars and their labels.
LEGEND = {"loc": "lower left", "bbox_to_anchor": (0, 1.0), "ncol": 5, "frameon": False}
TITLE_PAD = 24
SIDE_COLOURS = {"jot": "#4c72b0", "tutorial": "#dd8452", "baseline": "#8c8c8c"}


def times(ratio):
    """12.3×, 1.5×, 0.07×: one decimal, or two significant digits below 1."""
    return f"{ratio:.1f}×" if ratio >= 1 else f"{ratio:.2g}×"


def row_label(row):
    label = f"{row['op']} {row['algorithm']}"
    if row.get("variant"):
        label += f" + {row['variant']}"
        if row.get("floor_row"):
            label += f"\n(floor: {row['floor_row'].rsplit('/', 1)[-1]})"
    return label


def finish(fig, lines):
    """The footnote (wrapped to the figure's width) under the axes, and the layout that leaves room for it."""
    width, height = fig.get_size_inches()
    wrapped = [w for ln in lines for w in textwrap.wrap(ln, width=int(width * 16))]
    fig.text(0.01, 0.01, "\n".join(wrapped), fontsize=7.5, color="#444444", ha="left", va="bottom")
    fig.tight_layout(rect=(0, (0.12 + 0.13 * len(wrapped)) / height, 1, 1))


def load_text(machine):
    """ ", 1-minute load average 1.20 at the start, 2.37 at the end", or "" when not recorded."""
    parts = [f"{machine[k][0]:.2f} at the {k[len('load_at_'):]}" for k in ("load_at_start", "load_at_end")
             if machine.get(k)]
    return f", 1-minute load average {', '.join(parts)}" if parts else ""


def compare_footnote(doc):
    m = doc["machine"]
    machine = f"{m.get('cpu') or 'CPU ?'}, {m['nproc']} cores{load_text(m)}"
    settings = doc.get("settings") or {}
    return [f"Measured {doc['date']} with benchmarks/compare --json, jot commit {doc['jot_commit']}"
            f" ({doc.get('build_type', 'build type ?')}), {machine}.",
            f"Medians of {settings.get('repetitions', '?')} repetitions; {doc.get('openssl', '')}."
            " Compare ratios from one run only, never figures from different runs."]


def plot_floor(doc, out, plt):
    rows = [r for r in doc["rows"] if r["floor_ops"]]
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.45 * len(rows)))
    ratios = [r["jot_ops"] / r["floor_ops"] for r in rows]
    y = range(len(rows))
    colours = [SIGN_COLOUR if r["op"] == "sign" else VERIFY_COLOUR for r in rows]
    ax.barh(y, ratios, color=colours, height=0.65)
    for i, (r, ratio) in enumerate(zip(rows, ratios)):
        ax.text(ratio + 0.01, i, f"{ratio:.2f}  (jot {r['jot_ops']:,.0f} ops/s, floor {r['floor_ops']:,.0f})",
                va="center", fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    ax.axvline(1.0, color="black", linewidth=1, linestyle="--")
    ax.set_yticks(list(y), [row_label(r) for r in rows], fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.25, max(ratios) * 1.6))
    ax.set_xlabel("jot ÷ floor, throughput ratio (ops/s ÷ ops/s; higher is better, 1 = as fast as OpenSSL alone)")
    ax.set_title("jot against its floor (the same signature with OpenSSL alone), per algorithm", pad=TITLE_PAD)
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=SIGN_COLOUR), plt.Rectangle((0, 0), 1, 1, color=VERIFY_COLOUR),
                       plt.Line2D([], [], color="black", linewidth=1, linestyle="--")],
              labels=["sign", "verify", "the floor (OpenSSL alone) = 1"], fontsize=8, **LEGEND)
    finish(fig, compare_footnote(doc))
    save(fig, out, "jot-vs-floor.png", plt)


def plot_peers(doc, out, plt):
    rows = doc["rows"]
    names = []
    for r in rows:
        names += [n for n in r["peers"] if n not in names]
    info = doc.get("peers") or {}

    def title(name):
        p = info.get(name) or {}
        return f"{p.get('title', name)} {p.get('version') or ''}".strip()

    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.9 * len(rows)))
    height = 0.8 / max(len(names), 1)
    ratios = [r["jot_ops"] / v for r in rows for v in r["peers"].values() if v]
    lo, hi = min(ratios + [1.0]), max(ratios + [1.0])
    labelled = set()
    for j, name in enumerate(names):
        for i, r in enumerate(rows):
            y = i - 0.4 + height * (j + 0.5)
            v = r["peers"].get(name)
            if not v:
                ax.text(1.04, y, f"{title(name)}: n/a", va="center", fontsize=6.5, color="#666666")
                continue
            ratio = r["jot_ops"] / v
            ax.barh(y, ratio, height=height * 0.9, color=PEER_COLOURS.get(name, "#999999"),
                    label=None if name in labelled else title(name))
            labelled.add(name)
            ax.text(ratio * 1.04, y, times(ratio), va="center", fontsize=6.5)
    ax.set_xscale("log")
    ax.set_xlim(lo / 2.5, hi * 2.5)
    ax.axvline(1.0, color="black", linewidth=1, linestyle="--", label="1 = as fast as the peer")
    ax.set_yticks(range(len(rows)), [row_label(r) for r in rows], fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlabel("jot ÷ peer, throughput ratio (ops/s ÷ ops/s, log scale; above 1: jot is faster)")
    ax.set_title("jot against other JWT libraries, same token and keys", pad=TITLE_PAD)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, fontsize=8, **LEGEND)
    lines = compare_footnote(doc)
    runtimes = sorted({p["runtime"] for p in info.values() if p.get("runtime")})
    lines.append("Peers: " + ", ".join(title(n) for n in names) + (f" ({', '.join(runtimes)})" if runtimes else "")
                 + ". n/a: the peer lacks the algorithm or was left out. Peers always build the claims DOM;"
                 " the '+ claims DOM' row is like for like.")
    finish(fig, lines)
    save(fig, out, "jot-vs-peers.png", plt)


def plot_http(doc, out, plt):
    rows = doc["rows"]
    fig, ax = plt.subplots(figsize=(10, 1.6 + 0.5 * len(rows)))
    tutorial = {r["route"]: r["req_per_s"] for r in rows if r["side"] == "tutorial"}
    lo = min(r["req_per_s"] for r in rows if r["req_per_s"] > 0)
    hi = max(r["req_per_s"] for r in rows)
    for i, r in enumerate(rows):
        rps, colour = r["req_per_s"], SIDE_COLOURS[r["side"]]
        bad = r["non_2xx"] / r["requests"] if r["requests"] else 0.0
        ok_rps = rps * (1 - bad)
        ax.barh(i, ok_rps, color=colour, height=0.65)
        if bad:
            ax.barh(i, rps - ok_rps, left=ok_rps, height=0.65, color="white", edgecolor="#c44e52", hatch="///")
        text = f"{rps:,.0f} req/s"
        if r["side"] != "tutorial" and tutorial.get(r["route"]):
            text += f"  ({times(rps / tutorial[r['route']])} the tutorial)"
        if r["non_2xx"]:
            text += f"  — {r['non_2xx']:,} of {r['requests']:,} answers non-2xx ({bad:.0%})"
        ax.text(rps * 1.05, i, text, va="center", fontsize=7.5, color="#c44e52" if bad else "black")
    ax.set_xscale("log")
    ax.set_xlim(lo / 2, hi * 15)
    labels = [f"{r['route']}  {r['server']}\n({r['detail']}, -c {r['connections']})" for r in rows]
    ax.set_yticks(range(len(rows)), labels, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlabel("requests per second (req/s, log scale; higher is better)")
    ax.set_title("HTTP: jot's example servers against the tutorial's Node/Express servers (wrk, loopback)", pad=TITLE_PAD)
    handles = [plt.Rectangle((0, 0), 1, 1, color=SIDE_COLOURS[s]) for s in SIDES if any(r["side"] == s for r in rows)]
    names = [{"jot": "jot (C++)", "tutorial": "tutorial (Node/Express)", "baseline": "baseline build"}[s]
             for s in SIDES if any(r["side"] == s for r in rows)]
    if any(r["non_2xx"] for r in rows):
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#c44e52", hatch="///"))
        names.append("non-2xx answers (counted by wrk in req/s)")
    ax.legend(handles, names, fontsize=8, **LEGEND)
    w, m = doc["wrk"], doc["machine"]
    t = doc.get("tutorial") or {}
    finish(fig, [
        f"Measured {doc['date']} with benchmarks/http/run --json, jot commit {doc['jot_commit']}; {m['nproc']} cores"
        f" shared by the servers and wrk{load_text(m)}.",
        f"wrk -t {w['threads']} -c {w['connections']} -d {w['duration']} after {w.get('warmup', '?')} of warm-up"
        f" (login rows at -c {w.get('login_connections', '?')}); tutorial: node {t.get('node', '?')}, express "
        f"{t.get('express', '?')}, jsonwebtoken {t.get('jsonwebtoken', '?')}.",
        "jot does more per request than the tutorial: ES256 not HS256, refresh-token rotation, Argon2id password"
        " checks (the tutorial checks none)."])
    save(fig, out, "http.png", plt)


def save(fig, out, name, plt):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    print(f"plot: wrote {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("compare_json", help='benchmarks/compare --json output (schema "jot-compare/1")')
    ap.add_argument("http_json", help='benchmarks/http/run --json output (schema "jot-http/1")')
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "plots"), help="directory of the PNGs")
    ap.add_argument("--check", action="store_true", help="check the JSON files and draw nothing")
    args = ap.parse_args()
    try:
        compare, http = load_compare(args.compare_json), load_http(args.http_json)
    except SchemaError as e:
        sys.exit(f"plot: {e}")
    if args.check:
        print("plot: both files have every field the plots need")
        return
    try:
        import matplotlib
    except ImportError:
        sys.exit(f"plot: {sys.executable} has no matplotlib: apt-get install python3-matplotlib (scripts/install-deps)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(args.out, exist_ok=True)
    plot_floor(compare, args.out, plt)
    plot_peers(compare, args.out, plt)
    plot_http(http, args.out, plt)


if __name__ == "__main__":
    main()
