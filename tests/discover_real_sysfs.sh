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
# Virtio devices (this machine kind is a VM) are listed with their driver.
virtio = [a for a, (cls, ids) in theirs.items() if ids.startswith("1af4:")]
for a in virtio:
    if a in ours and ours[a]["driver"] not in ("virtio-pci", None):
        fail(f"{a}: virtio device with driver {ours[a]['driver']}")
# check: on a machine without an IOMMU it says so plainly and exits 1.
import os
iommu_units = os.listdir("/sys/class/iommu") if os.path.isdir("/sys/class/iommu") else []
r = subprocess.run([sys.argv[3], "check"], capture_output=True, text=True)
if not iommu_units:
    if r.returncode != 1 or "no IOMMU is active on this machine" not in r.stdout:
        fail(f"check on a machine without IOMMU: exit {r.returncode}, output: {r.stdout[-400:]}")
elif "[ ok ] iommu: IOMMU active" not in r.stdout:
    fail(f"check on a machine with {len(iommu_units)} IOMMU units does not report it active: {r.stdout[-400:]}")
print(f"real sysfs: {len(ours)} devices match lspci -D -n ({len(virtio)} virtio); IOMMU units: {len(iommu_units)}" if not failed else "")
print(f"discover_real_sysfs: {5 - min(failed, 5)} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
