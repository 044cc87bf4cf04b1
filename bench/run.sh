#!/usr/bin/env bash
# Runs the benchmarks: the scheduler through Fleet (pcipass_bench), then the real
# `pcipass simulate` binary end to end on generated scenario files of the same fleets
# (JSON parsing, validation, fleet build, every op, output).
# then the realistic mix at 10 000 and 100 000 hosts (pcipass_scale_bench, and simulate end
# to end), then the HTTP API through a real `pcipass server` on SQLite and on PostgreSQL.
# Usage: bench/run.sh [OPS]   (default 100000; needs a release build in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
ops="${1:-100000}"
[ -x build/pcipass_bench ] || scripts/build.sh release >/dev/null
echo "== scheduler (Fleet): $ops mixed ops after filling to ~20 VMs per host"
build/pcipass_bench --ops "$ops"
echo
echo "== pcipass simulate end to end: fill boots + $ops mixed ops"
printf "%7s %10s %9s %10s %12s %12s %10s\n" hosts ops_total wall_s setup_s schedule_s ops_total_s max_rss_MB
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for n in 100 1000 10000; do
  build/pcipass_bench --hosts "$n" --ops "$ops" --write-scenario "$tmp/fleet-$n.json"
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" build/pcipass simulate -q "$tmp/fleet-$n.json" | tail -n 1 > "$tmp/summary"
  end=$(date +%s.%N)
  python3 - "$tmp/summary" "$n" "$start" "$end" "$tmp/rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
t = s["time_us"]
rss = int(open(sys.argv[5]).read().split()[-1]) / 1024
print(f"{sys.argv[2]:>7} {s['ops']:>10} {float(sys.argv[4]) - float(sys.argv[3]):>9.2f} {t['setup']/1e6:>10.2f} "
      f"{t['schedule']/1e6:>12.2f} {t['total']/1e6:>12.2f} {rss:>10.0f}")
PY
  rm -f "$tmp/fleet-$n.json"
done

echo
echo "== scale: the realistic mix (issue 14) through Simulation, 10 000 and 100 000 hosts, --reasons grouped"
[ -x build/pcipass_scale_bench ] || scripts/build.sh release >/dev/null
build/pcipass_scale_bench --hosts 10000 --ops 100000
build/pcipass_scale_bench --hosts 100000 --ops 100000
echo
echo "== scale: the same mix at 10 000 hosts through pcipass simulate --reasons grouped, end to end"
build/pcipass_scale_bench --hosts 10000 --ops 100000 --write-scenario "$tmp/mix.json"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$tmp/rss" build/pcipass simulate -q --reasons grouped "$tmp/mix.json" | tail -n 1 > "$tmp/summary"
end=$(date +%s.%N)
python3 - "$tmp/summary" "$start" "$end" "$tmp/rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
t = s["time_us"]
print(f"wall {float(sys.argv[3]) - float(sys.argv[2]):.2f} s, setup {t['setup']/1e6:.2f} s, ops {t['total']/1e6:.2f} s "
      f"(schedule {t['schedule']/1e6:.2f}, claim {t['claim']/1e6:.2f}, free {t['free']/1e6:.2f}, query {t['query']/1e6:.2f}, "
      f"explain {t['explain']/1e6:.2f}), peak {int(open(sys.argv[4]).read().split()[-1]) / 1024:.0f} MB, results {s['results']}")
PY
rm -f "$tmp/mix.json"

echo
echo "== the HTTP API: boot+delete pairs with 8 client threads, 10 000 hosts registered"
[ -x build/pcipass_http_bench ] || scripts/build.sh release >/dev/null
rm -f "$tmp/http.db"*
build/pcipass_http_bench --pcipass build/pcipass --db "sqlite:$tmp/http.db" --hosts 10000 --seconds 10
pg="/tmp/pcipass-bench-pg-$$"   # outside $tmp: the postgres user must reach it
tests/pg/pg-server.sh start "$pg"
trap 'tests/pg/pg-server.sh stop "$pg"; rm -rf "$tmp"' EXIT
build/pcipass_http_bench --pcipass build/pcipass --db "$(tests/pg/pg-server.sh conninfo "$pg")" --hosts 10000 --seconds 10
