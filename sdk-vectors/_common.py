"""Shared helpers for the Python scripts: fixed clock, case records, JSON output, and the check of
the cases the crate's testing kit signed (check_*.py)."""
import json
import os
import re
import sys
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
# Where gen_*.py write <sender>.json: $SDK_VECTORS_OUT (a scratch directory), else this directory.
OUT = os.environ.get("SDK_VECTORS_OUT") or HERE
# Where the crate-signed cases are read from (tests/signed_for_sdks.rs writes them there).
SIGNED_VAR = "WEBHOOK_RECEIVER_SIGNED_FOR_SDKS"
NOW = 1767225600  # 2026-01-01T00:00:00Z, the fixed "current time" every verifier is run at


def sdk_label(dist):
    return f"{dist}@{version(dist)} (PyPI)"


def case(name, *, headers, body, accepts, note, now=NOW, method="POST", url=None, detail=None, sdk_specific=False):
    c = {"name": name, "method": method}
    if url is not None:
        c["url"] = url
    c.update({"headers": [list(h) for h in headers], "body": body, "now": now,
              "sdk_accepts": bool(accepts), "note": note})
    if detail:
        c["sdk_detail"] = detail
    if sdk_specific:  # verdict follows from this SDK's implementation choice, not from the documented scheme
        c["sdk_specific"] = True
    return c


def compact_pairs(text):
    """Print each [name, value] header pair on one line."""
    return re.sub(r'\[\n\s+("(?:[^"\\]|\\.)*"),\n\s+("(?:[^"\\]|\\.)*")\n\s+\]', r'[\1, \2]', text)


def write(sender, sdk, functions, material, cases, extra=None):
    doc = {"sender": sender, "sdk": sdk, "sdk_functions": functions, **material}
    if extra:
        doc.update(extra)
    doc["cases"] = cases
    path = os.path.join(OUT, f"{sender}.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(compact_pairs(json.dumps(doc, indent=2, ensure_ascii=False)))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases "
          f"({sum(c['sdk_accepts'] for c in cases)} accepted)")


def header(c, name):
    return next((v for n, v in c["headers"] if n.lower() == name.lower()), None)


def check_signed(sender, sdk, verify, known=None):
    """Runs every case the crate's testing kit signed for `sender` through verify(case, doc) -> (ok, detail)
    and exits non-zero, listing the cases, when the SDK's verdict is not the case's "expect". `known` maps a
    case name to (verdict, reason) where this SDK documentedly decides otherwise; an entry that no longer
    holds fails too."""
    known = known or {}
    directory = os.environ.get(SIGNED_VAR)
    if not directory:
        sys.exit(f"{SIGNED_VAR} is not set: run sdk-vectors/interop.sh")
    with open(os.path.join(directory, f"{sender}.json"), encoding="utf-8") as f:
        doc = json.load(f)
    failures, names = [], set()
    for c in doc["cases"]:
        names.add(c["name"])
        expected, reason = known.get(c["name"], (c["expect"], None))
        try:
            ok, detail = verify(c, doc)
        except Exception as e:  # an SDK that throws rejects
            ok, detail = False, f"raised {type(e).__name__}: {e}"
        if bool(ok) != expected:
            failures.append(f"  {sender}/{c['name']}: {sdk} says {'accept' if ok else 'reject'}, expected "
                            f"{'accept' if expected else 'reject'} ({c['note']}{'; ' + reason if reason else ''})"
                            f"{' -- ' + str(detail) if detail else ''}")
        elif reason:
            print(f"  {sender}/{c['name']}: {sdk} says {'accept' if ok else 'reject'}, as documented: {reason}")
    failures += [f"  {sender}/{n}: listed as a documented difference of {sdk} but there is no such case" for n in set(known) - names]
    if failures:
        print(f"FAIL {sender} ({doc['signed_by']}) checked with {sdk}: {len(failures)} disagreement(s)")
        print("\n".join(failures))
        sys.exit(1)
    print(f"ok   {sender}: {sdk} agrees on all {len(doc['cases'])} cases signed by {doc['signed_by']}")
