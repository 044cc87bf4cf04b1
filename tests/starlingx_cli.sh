#!/usr/bin/env bash
# StarlingX's "Configure PCI Passthrough Ethernet Interfaces" end to end through the
# CLI against a real server over loopback, with agents on fixture trees: compute-0 has
# an SR-IOV NIC (sriov-nic: ens1f0 with 4 of 64 VFs, ens1f1), compute-1 NICs without
# SR-IOV (host-uses: only ens9 is free). Lock, interface class and data network,
# unlock, network net0 on VLAN 10 for project1, ports of both vnic types, boots with
# --nic port-id, XML checked by virt-xml-validate; and the type-PCI NIC by alias and flavor.
# Usage: starlingx_cli.sh PCIPASS ROOT
set -uo pipefail
PCIPASS="$1"; ROOT="$2"
source "$ROOT/tests/lib.sh"
work=$(mktemp -d); trap 'kill -9 $SERVER_PID 2>/dev/null; rm -rf "$work"' EXIT
P="$PCIPASS"
db="sqlite:$work/p.db"
# nova.conf offers only the NICs without SR-IOV (the type-PCI path); the SR-IOV NIC is
# offered through its interface class alone.
cat >"$work/pci.conf" <<'CONF'
[pci]
device_spec = {"vendor_id": "8086", "product_id": "10fb"}
alias = {"name": "nic", "vendor_id": "8086", "product_id": "10fb", "device_type": "type-PCI"}
CONF
start_server "$work" --config "$work/pci.conf" --db "$db" || exit 1
for h in compute-0 compute-1; do
  $P token create --db "$db" --name "agent-$h" --role agent --host "$h" >"$work/$h.token" || { echo "starlingx_cli: token failed"; exit 1; }
done
agent() { $P agent --server "$PCIPASS_URL" --token-file "$work/$1.token" --host "$1" --sysfs-root "$2" --once; }
check "compute-0 reports (SR-IOV NIC)" 0 "reported 7 devices of compute-0" -- agent compute-0 "$ROOT/testdata/sysfs/sriov-nic"
check "compute-1 reports (NICs without SR-IOV)" 0 "of compute-1" -- agent compute-1 "$ROOT/testdata/sysfs/host-uses"

# 1. Lock the compute node; look at its interfaces.
check "an interface does not change on an unlocked host: exit 5" 5 "is not locked" -- \
  $P host interface set compute-0 ens1f0 --class pci-sriov --vfs 4 --datanetwork group0-data0
check "host lock" 0 "locked" -- $P host lock compute-0
check "interface list: sriov_totalvfs and VF count" 0 "ens1f0" -- $P host interface list compute-0
check "interface list: a NIC without SR-IOV says so" 0 "no SR-IOV" -- $P host interface list compute-1
check "interface list: the link as its agent read it" 0 "up" -- $P host interface list compute-1
# 2. Interface classes and data networks.
check "pci-sriov with 4 VFs on group0-data0" 0 "group0-data0" -- \
  $P host interface set compute-0 ens1f0 --class pci-sriov --vfs 4 --datanetwork group0-data0
check "pci-passthrough by PCI address" 0 "pci-passthrough" -- \
  $P host interface set compute-0 0000:41:00.1 --class pci-passthrough --datanetwork group0-data0
check "more VFs than sriov_totalvfs: exit 2" 2 "at most 64" -- \
  $P host interface set compute-0 ens1f0 --class pci-sriov --vfs 65 --datanetwork group0-data0
check "a VF has no class of its own: exit 2" 2 "is a VF" -- \
  $P host interface set compute-0 0000:41:02.0 --class pci-sriov --vfs 1 --datanetwork group0-data0
check "pci-sriov without a data network: exit 2" 2 "needs a data network" -- \
  $P host interface set compute-0 ens1f0 --class pci-sriov --vfs 4
check "an unknown class: exit 2" 2 "--class" -- $P host interface set compute-0 ens1f0 --class sriov
check "an unknown interface: exit 4" 4 '"eth7" is neither an interface name nor a PCI address' -- \
  $P host interface set compute-0 eth7 --class pci-sriov --vfs 1 --datanetwork group0-data0
$P host lock compute-1 >/dev/null
check "pci-sriov on a NIC without SR-IOV: exit 2" 2 "has no SR-IOV (sriov_totalvfs is 0)" -- \
  $P host interface set compute-1 ens9 --class pci-sriov --vfs 2 --datanetwork group0-data0
check "a host-critical NIC: exit 5" 5 "host-critical" -- \
  $P host interface set compute-1 eth0 --class pci-passthrough --datanetwork group0-data0
$P host unlock compute-1 >/dev/null
check "interface list: the class, the data network and what scheduling sees" 0 "ens1f0 pci-sriov group0-data0 64 4 - group0-data0" -- \
  bash -c "$P host interface list compute-0 | tr -s ' ' | cut -d' ' -f1,3-"
check "interface list --json: the wanted VF count" 0 "[4, 0]" -- bash -c "$P host interface list compute-0 --json | python3 -c 'import json,sys; print([i[\"vfs_wanted\"] for i in json.load(sys.stdin)[\"interfaces\"]])'"
# 3. Unlock.
check "host unlock" 0 "unlocked" -- $P host unlock compute-0
check "an interface does not change once unlocked: exit 5" 5 "is not locked" -- \
  $P host interface set compute-0 ens1f0 --class none

# 4. Project, member, network net0 on VLAN 10, ports of both vnic types.
$P project create project1 >/dev/null && $P project create project2 >/dev/null
$P token create --db "$db" --name alice --role member --project project1 >"$work/alice.token"
$P token create --db "$db" --name bob --role member --project project2 >"$work/bob.token"
A=(--token-file "$work/alice.token"); B=(--token-file "$work/bob.token")
check "network net0: VLAN 10 on group0-data0, project1's" 0 "group0-data0" -- \
  $P network create net0 --provider-network-type vlan --provider-physical-network group0-data0 --provider-segment 10 --project project1
check "port p-vf (direct)" 0 "direct" -- $P port create p-vf --network net0 --vnic-type direct --mac-address 52:54:00:0a:00:01 "${A[@]}"
check "port p-pf (direct-physical)" 0 "direct-physical" -- $P port create p-pf --network net0 --vnic-type direct-physical "${A[@]}"
check "project2 cannot use net0: exit 4" 4 'no network "net0"' -- $P port create b1 --network net0 "${B[@]}"
check "nor project1's ports" 4 'no port "p-vf"' -- $P server create b-vm --flavor small --nic port-id=p-vf "${B[@]}"

# 5. Boot with --nic port-id.
$P flavor create small --vcpus 2 --ram 2048 >/dev/null
check "boot with a VF port: on compute-0, a VF of ens1f0" 0 "compute-0" -- $P server create vm-vf --flavor small --nic port-id=p-vf "${A[@]}"
check "its VF is an <interface type='hostdev'> with the port's MAC" 0 "<mac address='52:54:00:0a:00:01'/>" -- $P server show vm-vf --domain-xml "${A[@]}"
check "... and the network's VLAN" 0 "<tag id='10'/>" -- $P server show vm-vf --domain-xml "${A[@]}"
check "the VF port's domain XML is valid" 0 "" -- bash -c "$P server show vm-vf --domain-xml --token-file $work/alice.token | sed -n '/^<domain/,\$p' >$work/vf.xml && virt-xml-validate $work/vf.xml domain"
check "boot with a PF port: the pci-passthrough PF" 0 "0000:41:00.1" -- $P server create vm-pf --flavor small --nic port-id=p-pf "${A[@]}"
check "its VLAN is the access switch's" 0 "access port" -- $P server show vm-pf "${A[@]}"
check "the PF port's domain XML is valid" 0 "" -- bash -c "$P server show vm-pf --domain-xml --token-file $work/alice.token | sed -n '/^<domain/,\$p' >$work/pf.xml && virt-xml-validate $work/pf.xml domain"
check "the interface list names the server holding its VF" 0 "vm-vf" -- $P host interface list compute-0
# The pci-sriov PF itself is never handed out whole: a second PF port finds none.
$P port create p-pf2 --network net0 --vnic-type direct-physical "${A[@]}" >/dev/null
check "no second PF: No valid host naming the port, exit 5" 5 "alias port p-pf2 (direct-physical on group0-data0)" -- $P server create vm-pf2 --flavor small --nic port-id=p-pf2 "${A[@]}"

# 6. The NIC without SR-IOV: an alias with device_type type-PCI and a flavor.
$P flavor create nic1 --vcpus 1 --ram 1024 --property pci_passthrough:alias=nic:1 >/dev/null
check "type-PCI NIC by alias and flavor: the free one, ens9" 0 "0000:09:00.0" -- $P server create vm-nic --flavor nic1
check "its domain XML is valid" 0 "" -- bash -c "$P server show vm-nic --domain-xml | sed -n '/^<domain/,\$p' >$work/nic.xml && virt-xml-validate $work/nic.xml domain"
check "the host's own NICs are not handed out: exit 5" 5 "No valid host" -- $P server create vm-nic2 --flavor nic1

# Restarted on its store, the controller keeps the classes and what they serve.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
start_server "$work" --config "$work/pci.conf" --db "$db" || exit 1
check "after a restart: the interfaces" 0 "pci-passthrough" -- $P host interface list compute-0
$P server delete vm-vf "${A[@]}" >/dev/null
check "after a restart: a VF port boots on group0-data0 again" 0 "compute-0" -- $P server create vm-vf2 --flavor small --nic port-id=p-vf "${A[@]}"

echo "starlingx_cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
