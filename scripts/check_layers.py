#!/usr/bin/env python3
"""Checks pcipass's layers against the table in ARCHITECTURE.md.

The table (the rows between "<!-- layers -->" and "<!-- /layers -->") gives, per CMake
target, its directories and the targets it may use. A target may use what it lists and,
through them, what they may use (CMake passes PUBLIC links on the same way). Checked:
  - every #include "..." of every file under src/ lands in the file's own target or in
    one it may use; tests (*_test.cc and the test support files) may include anything
    but the app (the app's own tests excepted), and core's tests only core;
  - every pcipass_* target that CMakeLists.txt links a library target to is one it may use;
  - every file under src/ belongs to a target of the table, and every target of the
    table exists in CMakeLists.txt.
Usage: check_layers.py [ROOT]   (exit 0: clean; 1: violations, each printed)
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
root = os.path.abspath(root)
problems = []

# ---- the table ----------------------------------------------------------------------
text = open(os.path.join(root, "ARCHITECTURE.md"), encoding="utf-8").read()
m = re.search(r"<!-- layers -->(.*?)<!-- /layers -->", text, re.S)
if not m:
    sys.exit("ARCHITECTURE.md: no <!-- layers --> table")
targets = {}  # name -> {"dirs": [...], "uses": set()}
for line in m.group(1).splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 3 or not cells[0].startswith("`pcipass"):
        continue
    name = cells[0].strip("`")
    dirs = re.findall(r"`(src/[^`]*)`", cells[1])
    uses = set(re.findall(r"`(pcipass[a-z_]*)`", cells[2]))
    targets[name] = {"dirs": dirs, "uses": uses}
if not targets:
    sys.exit("ARCHITECTURE.md: the layers table has no rows")
for t, info in targets.items():
    for u in info["uses"]:
        if u not in targets:
            problems.append(f"ARCHITECTURE.md: {t} may use {u}, which is not in the table")


def closure(t, seen=None):
    seen = set() if seen is None else seen
    for u in targets.get(t, {}).get("uses", ()):
        if u not in seen:
            seen.add(u)
            closure(u, seen)
    return seen


allowed = {t: closure(t) | {t} for t in targets}


def owner(path):
    """The target whose directory (or file) holds `path` (relative to src/'s parent); the longest match wins."""
    best, best_len = None, -1
    for t, info in targets.items():
        for d in info["dirs"]:
            if (path == d or (d.endswith("/") and path.startswith(d))) and len(d) > best_len:
                best, best_len = t, len(d)
    return best


TEST_SUPPORT = ("src/core/test_support.", "src/ports/store_contract", "src/adapters/store_postgres/pg_test_server.",
                "src/adapters/sysfs/testing/", "src/host/testing/", "src/server/api_test_support.")


def is_test(path):
    return path.endswith("_test.cc") or path.startswith(TEST_SUPPORT)


# ---- includes --------------------------------------------------------------------------
include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
for dirpath, _, files in os.walk(os.path.join(root, "src")):
    for f in sorted(files):
        if not f.endswith((".cc", ".h")):
            continue
        full = os.path.join(dirpath, f)
        path = os.path.relpath(full, root)
        mine = owner(path)
        if mine is None:
            problems.append(f"{path}: in no target of ARCHITECTURE.md's layers table")
            continue
        for inc in include_re.findall(open(full, encoding="utf-8").read()):
            target = owner("src/" + inc)
            if target is None:
                if os.path.exists(os.path.join(root, "src", inc)):
                    problems.append(f"{path}: includes {inc}, which is in no target of the table")
                continue  # a system or generated header
            if is_test(path):
                ok = target in allowed["pcipass_core"] if path.startswith("src/core/") else (target != "pcipass" or mine == "pcipass")
            else:
                ok = target in allowed[mine]
            if not ok:
                problems.append(f"{path} ({mine}{', test' if is_test(path) else ''}) includes {inc} ({target}): not a layer it may use")

# ---- CMake links --------------------------------------------------------------------------
cmake = open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8").read()
defined = set(re.findall(r"add_(?:library|executable)\(\s*(pcipass[a-z_]*)", cmake))
for t in targets:
    if t not in defined:
        problems.append(f"ARCHITECTURE.md: {t} is not a target in CMakeLists.txt")
for name, args in re.findall(r"target_link_libraries\(\s*(pcipass[a-z_]*)\s+([^)]*)\)", cmake):
    if name not in targets:
        continue  # tests, benchmarks, fuzzers: wired freely
    for dep in re.findall(r"\bpcipass[a-z_]*\b", args):
        if dep in ("pcipass_warnings",) or dep == name:
            continue
        if dep not in allowed[name]:
            problems.append(f"CMakeLists.txt: {name} links {dep}, which ARCHITECTURE.md does not let it use")

for p in problems:
    print(p)
print(f"check_layers: {len(targets)} targets, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
