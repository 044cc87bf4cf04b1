#!/usr/bin/env bash
# The realistic mix of the scale benchmark (null-NUMA hosts, per-host device_spec, an
# alias defined twice, NUMA policies, forced hosts, a near-full fleet) at a small size
# through `pcipass simulate --check`: after every op the fleet's invariants hold and the
# hosts it keeps for the op's shape are those a from-scratch evaluation finds; the
# grouped reasons say why, and booting a live id again is refused before anything runs.
# Usage: scale_mix.sh PCIPASS SCALE_BENCH
set -uo pipefail
pcipass="$1"; bench="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=1; }
"$bench" --hosts 200 --ops 2000 --seed 7 --write-scenario "$tmp/mix.json" || fail "cannot generate the mix"
"$pcipass" simulate --check -q --reasons grouped "$tmp/mix.json" > "$tmp/out.jsonl"; rc=$?
[ "$rc" -eq 0 ] || fail "simulate --check exited $rc"
python3 - "$tmp/out.jsonl" <<'PY' || failed=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = lines.pop()["summary"]
r = summary["results"]
nvh = [l for l in lines if l.get("result") == "NoValidHost"]
if r.get("boot:ok", 0) < 1000 or len(nvh) < 10:
    sys.exit(f"FAIL the mix should fill the fleet: {r}")
for l in nvh:
    why = l.get("why")
    if not why or "reasons" in l:
        sys.exit(f"FAIL a grouped NoValidHost without why: {l}")
    forced = sum(g["hosts"] for g in why)
    if forced not in (1, summary["hosts"]):
        sys.exit(f"FAIL groups count {forced} hosts, not every host once: {l}")
    if any(len(g["sample"]) > 3 or len(g["sample"]) > g["hosts"] for g in why):
        sys.exit(f"FAIL samples: {l}")
if summary["time_us"]["explain"] <= 0:
    sys.exit("FAIL no explain time")
print(f"scale_mix: {r}")
PY
# A boot, at the end, of an id booted and never deleted: the message names both ops.
booted=$(python3 - "$tmp/mix.json" "$tmp/again.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
deleted = {o["id"] for o in d["ops"] if o["op"] == "delete"}
i, op = next((i, o) for i, o in enumerate(d["ops"]) if o["op"] == "boot" and o["id"] not in deleted)
d["ops"].append(dict(op))
json.dump(d, open(sys.argv[2], "w"))
print(f"ops[{len(d['ops']) - 1}].id: instance \"{op['id']}\" is still alive: ops[{i}] booted it")
PY
)
err=$("$pcipass" simulate -q "$tmp/again.json" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || fail "booting a live id again exited $rc"
case "$err" in *"$booted"*) ;; *) fail "booting a live id again said: $err (wanted $booted)" ;; esac
[ "$failed" -eq 0 ] && echo "scale_mix: passed"
exit "$failed"
