"""Shared helpers for the Python generators: fixed clock, case records, JSON output."""
import json
import os
import re
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
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
    path = os.path.join(HERE, f"{sender}.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(compact_pairs(json.dumps(doc, indent=2, ensure_ascii=False)))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases "
          f"({sum(c['sdk_accepts'] for c in cases)} accepted)")
