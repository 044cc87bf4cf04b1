#!/usr/bin/env bash
# The main job: set up and build, start `pcipass server` on the embedded SQLite, register
# this machine's real PCI inventory through a local agent (read-only on /sys) and the
# bundled example fleet, then boot sample flavors through the CLI client: placements,
# an explained "No valid host", and the libvirt XML. Then this machine's readiness.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null
P=./build/pcipass
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
say() { printf '\n== %s\n' "$*"; }

say "pcipass server --config examples/pcipass.conf --db sqlite:$work/pcipass.db"
$P server --config examples/pcipass.conf --db "sqlite:$work/pcipass.db" --listen 127.0.0.1:0 \
  --bootstrap-admin-token-file "$work/admin.token" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.05; done
cat "$work/server.log"
export PCIPASS_URL; PCIPASS_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1)
export PCIPASS_TOKEN_FILE="$work/admin.token"
host=$(hostname)

say "pcipass agent --once   (this machine's real /sys, read-only, with an agent token bound to $host)"
$P token create --db "sqlite:$work/pcipass.db" --name "agent-$host" --role agent --host "$host" >"$work/agent.token"
$P agent --server "$PCIPASS_URL" --token-file "$work/agent.token" --once

say "pcipass host import examples/fleet.json   (the bundled example fleet)"
$P host import examples/fleet.json

say "pcipass host list"
$P host list
say "pcipass alias list   (from examples/pcipass.conf, nova.conf's [pci] lines)"
$P alias list

say "sample flavors"
$P flavor create router --vcpus 8 --ram 16384 --property pci_passthrough:alias=nic-vf:2 --property hw:numa_nodes=1 --property pcipass:vlan=100 >/dev/null
$P flavor create dpdk --vcpus 4 --ram 8192 --property "pci_passthrough:alias=nic-pf:1, nic-vf:1" >/dev/null
$P flavor create render --vcpus 8 --ram 65536 --property pci_passthrough:alias=gpu:1 --property hw:numa_nodes=1 >/dev/null
$P flavor create vpn --vcpus 4 --ram 4096 --property pci_passthrough:alias=qat-vf:2 --property hw:numa_nodes=1 >/dev/null
$P flavor create render-nic --vcpus 8 --ram 65536 --property "pci_passthrough:alias=gpu:1, nic-vf:1" >/dev/null
$P flavor list

for vm in router-1:router router-2:router dpdk-1:dpdk render-1:render render-2:render vpn-1:vpn; do
  say "pcipass server create ${vm%%:*} --flavor ${vm##*:}"
  $P server create "${vm%%:*}" --flavor "${vm##*:}" | sed -n '1,9p'
done

say "pcipass server show router-1   (the libvirt XML for its devices: NIC VFs as <interface type='hostdev'> with MAC and VLAN)"
$P server show router-1

say "pcipass server create render-3 --flavor render   (both GPUs are taken: an explained failure)"
$P server create render-3 --flavor render || echo "(exit $?: no valid host; the reasons above, grouped, then host by host)"

say "pcipass explain --flavor render-nic   (why this flavor fits nowhere, grouped by reason)"
$P explain --flavor render-nic
say "pcipass explain --flavor render-nic --per-host   (the same, host by host)"
$P explain --flavor render-nic --per-host

say "pcipass capacity"
$P capacity

say "pcipass server delete render-1; the freed GPU takes render-3"
$P server delete render-1
$P server create render-3 --flavor render | sed -n '1,4p'

say "pcipass check   (is this machine ready for passthrough? read-only)"
$P check || echo "(check exits 1: this machine is not ready for passthrough; the items above say why)"
