#!/usr/bin/env python3
"""Turns criterion's results for `benches/verify.rs` into the markdown table of docs/performance.md.

Usage: scripts/bench_table.py [target/criterion]  (after `scripts/bench.sh` or
`cargo bench -p webhook-receiver-benches --bench verify`). Prints markdown to stdout.

Each row is one provider and body size; each cell is the mean time and, in brackets, the
ratio to the floor measured in the same run: `verify` against `floor_hmac`, `parse` against
`floor_parse`, `verify_parse` against `floor_hmac + floor_parse`; for receeve also against the
hand-written `floor_sequence`; for Standard Webhooks the peers against this crate's `verify`.
"""
import json
import os
import platform
import subprocess
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
providers = ["palenca", "receeve", "munity", "standard"]
sizes = ["200B", "1KiB", "16KiB", "256KiB"]


def mean_ns(provider, size, function):
    path = os.path.join(root, f"{provider}_{size}", function, "new", "estimates.json")
    if not os.path.exists(path):
        path = os.path.join(root, f"{provider}/{size}", function, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["mean"]["point_estimate"]
    except OSError:
        return None


def fmt(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def ratio(a, b):
    return "" if a is None or not b else f" ({a / b:.2f}×)"


def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"Measured on {cpu()}, {os.cpu_count()} cores, {rustc}; criterion means. "
      "Ratios are to the floor measured in the same run.\n")
print("| provider | size | floor HMAC | floor parse | verify | parse | verify+parse | other |")
print("|---|---|---|---|---|---|---|---|")
for p in providers:
    for s in sizes:
        fh, fp = mean_ns(p, s, "floor_hmac"), mean_ns(p, s, "floor_parse")
        v, pa, vp = mean_ns(p, s, "verify"), mean_ns(p, s, "parse"), mean_ns(p, s, "verify_parse")
        if fh is None:
            continue
        floor_both = fh + fp if fh is not None and fp is not None else None
        other = ""
        if p == "receeve":
            seq = mean_ns(p, s, "floor_sequence")
            other = f"hand-written sequence {fmt(seq)}; verify+parse{ratio(vp, seq)}"
        elif p == "munity":
            tok, dig = mean_ns(p, s, "verify_token"), mean_ns(p, s, "floor_digest")
            with_digest = floor_both + dig if floor_both and dig else None
            other = (f"token verify {fmt(tok)}; body digest (the message id) {fmt(dig)}; "
                     f"verify+parse vs floors + digest{ratio(vp, with_digest)}")
        elif p == "standard":
            sw, sx = mean_ns(p, s, "peer_standardwebhooks"), mean_ns(p, s, "peer_svix")
            other = (f"`standardwebhooks` {fmt(sw)} ({sw / v:.1f}× ours); "
                     f"`svix` {fmt(sx)} ({sx / v:.1f}× ours)") if sw and sx and v else ""
        print(f"| {p} | {s} | {fmt(fh)} | {fmt(fp)} | {fmt(v)}{ratio(v, fh)} | "
              f"{fmt(pa)}{ratio(pa, fp)} | {fmt(vp)}{ratio(vp, floor_both)} | {other} |")
