#!/usr/bin/env bash
# pcipass discover on this machine's real /sys (read-only): every device lspci sees is
# listed with the same address, ids and class, and vice versa; --json output pastes
# into a scenario that simulate accepts. Usage: discover_real_sysfs.sh PCIPASS
set -uo pipefail
pcipass="$1"
command -v lspci >/dev/null || { echo "FAIL: lspci (pciutils) is not installed; scripts/setup.sh installs it"; exit 1; }
[ -d /sys/bus/pci/devices ] || { echo "FAIL: /sys/bus/pci/devices is missing on this machine"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$pcipass" discover --json > "$tmp/discover.json" 2> "$tmp/err" || { echo "FAIL: discover exited $?"; cat "$tmp/err"; exit 1; }
lspci -D -n > "$tmp/lspci.txt"
python3 - "$tmp/discover.json" "$tmp/lspci.txt" "$pcipass" "$tmp" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
ours = {x["address"]: x for x in d["devices"]}
theirs = {}
for line in open(sys.argv[2]):
    parts = line.split()
    addr, cls, ids = parts[0], parts[1].rstrip(":"), parts[2]
    theirs[addr] = (cls, ids)
failed = 0
def fail(msg):
    global failed
    failed += 1
    print("FAIL:", msg)
if not theirs:
    fail("lspci lists no devices")
if set(ours) != set(theirs):
    fail(f"address sets differ: only pcipass {sorted(set(ours) - set(theirs))}, only lspci {sorted(set(theirs) - set(ours))}")
for addr, (cls, ids) in theirs.items():
    if addr not in ours:
        continue
    o = ours[addr]
    if f"{o['vendor_id']}:{o['product_id']}" != ids:
        fail(f"{addr}: ids {o['vendor_id']}:{o['product_id']} != lspci {ids}")
    if o["class_code"][:4] != cls:
        fail(f"{addr}: class {o['class_code']} != lspci {cls}")
# The output pastes into a scenario host and simulate accepts it.
host = {k: d[k] for k in ("name", "numa", "devices")}
if host["numa"] is None:
    del host["numa"]
scenario = {"format": "pcipass-scenario/1", "device_spec": [{"vendor_id": "*"}], "hosts": [host],
            "ops": [{"op": "query", "vcpus": 1, "memory_mb": 1}]}
path = sys.argv[4] + "/scenario.json"
json.dump(scenario, open(path, "w"))
r = subprocess.run([sys.argv[3], "simulate", "-q", "--check", path], capture_output=True, text=True)
if r.returncode != 0:
    fail(f"simulate rejected the pasted discover output: {r.stderr.strip()}")
print(f"real sysfs: {len(ours)} devices match lspci -D -n" if not failed else "")
print(f"discover_real_sysfs: {3 - min(failed, 3)} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
