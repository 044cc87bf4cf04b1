#!/usr/bin/python3
"""pcipass against Nova 26's own parser, line by line.

Usage: nova_config_diff.py PCIPASS CORPUS.jsonl

Each corpus entry is one [pci] device_spec or alias value (or a list of them, read
together), mostly taken from Nova's unit tests (test_request.py, test_devspec.py,
test_whitelist.py) and from the audit of every key Nova's schemas allow. Nova
(Debian's python3-nova, imported from /usr/lib/python3/dist-packages) either takes the
lines or raises; `pcipass config check` either exits 0 or 2. They must agree, except
on entries marked "differs", where they must disagree: each such difference is listed
in docs/nova-differences.md, and the test fails when one disappears unnoticed.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import nova.conf
    from nova.pci import request, whitelist
except ImportError as e:
    print(f"nova_config_diff: cannot import Nova ({e}); scripts/setup.sh installs python3-nova")
    sys.exit(1)

CONF = nova.conf.CONF
CONF([], project="nova", default_config_files=[])


def nova_takes(kind, lines):
    try:
        if kind == "alias":
            CONF.set_override("alias", lines, group="pci")
            request._get_alias_from_config()
        else:
            whitelist.Whitelist(lines)
        return True, ""
    except Exception as e:  # Nova's refusals are of many types, a TypeError included
        return False, f"{type(e).__name__}: {e}"


def pcipass_takes(pcipass, kind, lines, path):
    with open(path, "w") as f:
        f.write("[pci]\n" + "".join(f"{kind} = {line}\n" for line in lines))
    r = subprocess.run([pcipass, "config", "check", path], capture_output=True, text=True)
    if r.returncode not in (0, 2):
        return None, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    return r.returncode == 0, (r.stderr or r.stdout).strip()


def main():
    pcipass, corpus = sys.argv[1], sys.argv[2]
    failures = 0
    agree = differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "nova.conf")
        for n, raw in enumerate(open(corpus), 1):
            if not raw.strip():
                continue
            e = json.loads(raw)
            lines = e["line"] if isinstance(e["line"], list) else [e["line"]]
            nova, why_nova = nova_takes(e["kind"], lines)
            ours, why_ours = pcipass_takes(pcipass, e["kind"], lines, path)
            if ours is None:
                print(f"FAIL {corpus}:{n} ({e['case']}): pcipass crashed or misbehaved: {why_ours}")
                failures += 1
                continue
            word = lambda took: "takes" if took else "refuses"
            if "differs" in e:
                if nova == ours:
                    print(f"FAIL {corpus}:{n} ({e['case']}): marked as a difference ({e['differs']}) but both {word(nova)} it")
                    failures += 1
                else:
                    differ += 1
            elif nova != ours:
                print(f"FAIL {corpus}:{n} ({e['case']}): Nova {word(nova)} it ({why_nova or 'no error'}), "
                      f"pcipass {word(ours)} it ({why_ours or 'no error'})")
                failures += 1
            else:
                agree += 1
    print(f"nova_config_diff: {agree} agree, {differ} documented differences, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
