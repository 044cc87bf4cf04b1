#!/usr/bin/env bash
# Replays every bundled Nova ground-truth scenario through the real binary with
# --weigher name and --check, and compares boot results, chosen hosts and query host
# sets with what Nova 26.2.2 produced; then checks that every invalid scenario exits
# 2 naming the expected JSON path. Usage: run_scenarios.sh PCIPASS DIR
set -uo pipefail
pcipass="$1"; dir="$2"
failed=0; passed=0
for scenario in "$dir"/*.json; do
  expected="${scenario%.json}.expected.jsonl"
  [ -f "$expected" ] || continue
  for weigher in name pack; do
    out=$("$pcipass" simulate --weigher "$weigher" --check -q "$scenario"); rc=$?
    if [ "$rc" -ne 0 ]; then
      echo "FAIL $(basename "$scenario") ($weigher): exit $rc"; failed=$((failed+1)); continue
    fi
    if [ "$weigher" = name ]; then
      if ! diff_out=$(python3 - "$expected" <(printf '%s\n' "$out") <<'PY'
import json, sys
exp = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
summary = got.pop()
assert "summary" in summary, "no summary line"
if len(exp) != len(got):
    sys.exit(f"{len(got)} op lines, expected {len(exp)}")
for i, (e, g) in enumerate(zip(exp, got)):
    if e["op"] != g["op"]:
        sys.exit(f"ops[{i}]: op {g['op']} != {e['op']}")
    if e["op"] == "query":
        if e["hosts"] != g["hosts"]:
            sys.exit(f"ops[{i}]: hosts {g['hosts']} != Nova's {e['hosts']}")
    else:
        if e["result"] != g["result"] or e.get("host") != g.get("host"):
            sys.exit(f"ops[{i}]: {g.get('result')} on {g.get('host')} != Nova's {e['result']} on {e.get('host')}")
        if g["result"] == "NoValidHost" and set(g["reasons"]) != set(e["reasons"]):
            sys.exit(f"ops[{i}]: reasons name hosts {sorted(g['reasons'])}, Nova's {sorted(e['reasons'])}")
PY
      ); then
        echo "FAIL $(basename "$scenario") ($weigher): $diff_out"; failed=$((failed+1)); continue
      fi
    fi
    passed=$((passed+1))
  done
done
for scenario in "$dir"/invalid/*.json; do
  want=$(sed -n 1p "${scenario%.json}.expected.txt" | awk '{print $2}')
  path=$(sed -n 2p "${scenario%.json}.expected.txt" | cut -d: -f1)
  err=$("$pcipass" simulate -q "$scenario" 2>&1 >/dev/null); rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL invalid/$(basename "$scenario"): exit $rc, expected $want"; failed=$((failed+1)); continue
  fi
  case "$err" in
    *": $path"*|*": $path."*|*": $path["*) passed=$((passed+1)) ;;
    *) echo "FAIL invalid/$(basename "$scenario"): error does not name $path: $err"; failed=$((failed+1)) ;;
  esac
done
echo "scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
