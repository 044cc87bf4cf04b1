#!/usr/bin/env bash
# An agent on a fixture sysfs tree reporting to a real server over loopback: devices
# appear, vanish while allocated (kept, flagged), and move address (the allocation
# follows the fingerprint); the agent reports on change by itself.
set -uo pipefail
PCIPASS="$1"; ROOT="$2"
source "$ROOT/tests/lib.sh"
work=$(mktemp -d); trap 'kill $SERVER_PID $AGENT_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
AGENT_PID=
cp -a "$ROOT/testdata/sysfs/sriov-nic" "$work/tree"
cat >"$work/pci.conf" <<'CONF'
[pci]
device_spec = {"vendor_id": "8086"}
alias = {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"}
alias = {"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}
device_spec = {"vendor_id": "144d"}
alias = {"name": "igb", "vendor_id": "8086", "product_id": "1533", "device_type": "type-PCI"}
alias = {"name": "nvme", "vendor_id": "144d", "product_id": "a808", "device_type": "type-PCI"}
alias = {"name": "ixgbe", "vendor_id": "8086", "product_id": "10fb", "device_type": "type-PCI"}
CONF
start_server "$work" --config "$work/pci.conf" --db "sqlite:$work/p.db" || exit 1
"$PCIPASS" token create --db "sqlite:$work/p.db" --name agent-fx --role agent --host fixture-1 >"$work/agent.token"
agent() { "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/agent.token" --host fixture-1 --sysfs-root "$work/tree" "$@"; }

check "agent registers the fixture host" 0 "reported 7 devices of fixture-1" -- agent --once
check "wrong host is refused" 6 "may report only for host" -- "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/agent.token" --host fixture-2 --sysfs-root "$work/tree" --once
"$PCIPASS" flavor create vf1 --vcpus 1 --ram 512 --property pci_passthrough:alias=vf:1 >/dev/null
"$PCIPASS" flavor create pf1 --vcpus 1 --ram 512 --property pci_passthrough:alias=pf:1 >/dev/null
check "boot a VF" 0 "fixture-1" -- "$PCIPASS" server create vm-vf --flavor vf1
check "boot a PF (the other one: the first has a VF in use)" 0 "0000:41:00.1" -- "$PCIPASS" server create vm-pf --flavor pf1
vf=$("$PCIPASS" server show vm-vf --json | json 'd["devices"][0]["address"]')

# Vanish: the held VF leaves sysfs. It stays allocated, flagged.
vf_dir=$(readlink -f "$work/tree/sys/bus/pci/devices/$vf")
mv "$vf_dir" "$work/parked-vf"; mv "$work/tree/sys/bus/pci/devices/$vf" "$work/parked-link"
check "report after a held VF vanished" 0 "vanished while allocated" -- agent --once
check "the vanished VF is listed with its owner" 0 "vm-vf" -- "$PCIPASS" device list --status vanished
check "and the server still holds it" 0 "$vf" -- "$PCIPASS" server show vm-vf

# Move: the held PF 41:00.1 reappears as 42:00.1 (same VPD serial, so same fingerprint).
pf_dir=$(readlink -f "$work/tree/sys/bus/pci/devices/0000:41:00.1")
mv "$pf_dir" "$(dirname "$pf_dir")/0000:42:00.1"
rm "$work/tree/sys/bus/pci/devices/0000:41:00.1"
ln -s "../../../devices/pci0000:40/0000:40:01.0/0000:42:00.1" "$work/tree/sys/bus/pci/devices/0000:42:00.1"
check "report after the PF moved" 0 "moved to 0000:42:00.1" -- agent --once
check "the allocation followed the fingerprint" 0 "0000:42:00.1" -- "$PCIPASS" server show vm-pf
check "nothing at the old address" 4 "no device 0000:41:00.1" -- "$PCIPASS" device show fixture-1 0000:41:00.1

# Appear: the agent runs on its own and notices the VF coming back.
# Started directly (not through the shell function), so $! is the agent itself and the
# EXIT trap stops it.
"$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/agent.token" --host fixture-1 --sysfs-root "$work/tree" \
  --poll 1 --interval 3600 >"$work/agent.log" 2>&1 &
AGENT_PID=$!
sleep 1.5
mv "$work/parked-vf" "$vf_dir"; mv "$work/parked-link" "$work/tree/sys/bus/pci/devices/$vf"
for _ in $(seq 1 60); do
  [ "$("$PCIPASS" device list --status vanished --json | json 'len(d["devices"])')" = 0 ] && break
  sleep 0.1
done
check "the returning VF is no longer flagged" 0 "allocated" -- "$PCIPASS" device show fixture-1 "$vf"
check "the agent said why it reported" 0 "(changed)" -- cat "$work/agent.log"
check "deleting frees both" 0 "" -- "$PCIPASS" server delete vm-vf
check "and the moved PF" 0 "" -- "$PCIPASS" server delete vm-pf
check "capacity is whole again" 0 "fixture-1  pf     2     2" -- "$PCIPASS" capacity --host fixture-1

# Host truth (issue 11): what the agent's check finds is honoured, with the reason.
# A host without an active IOMMU takes no passthrough placement.
"$PCIPASS" token create --db "sqlite:$work/p.db" --name agent-noiommu --role agent --host noiommu-1 >"$work/noiommu.token"
check "an agent on a host without IOMMU reports" 0 "reported 2 devices of noiommu-1" -- \
  "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/noiommu.token" --host noiommu-1 --sysfs-root "$ROOT/testdata/sysfs/no-iommu" --once
"$PCIPASS" flavor create igb1 --vcpus 1 --ram 512 --property pci_passthrough:alias=igb:1 >/dev/null
"$PCIPASS" flavor create nvme1 --vcpus 1 --ram 512 --property pci_passthrough:alias=nvme:1 >/dev/null
check "no passthrough placement there, saying why and how to fix it" 5 "host noiommu-1 cannot do passthrough: iommu: no IOMMU is active" -- \
  "$PCIPASS" server create vm-noiommu --flavor igb1 --host noiommu-1
check "its device is listed unavailable with the reason" 0 "the host cannot do passthrough" -- \
  "$PCIPASS" device show noiommu-1 0000:00:03.0
# The default-route NIC, its IOMMU group companion and the root filesystem's NVMe are withheld.
"$PCIPASS" token create --db "sqlite:$work/p.db" --name agent-crit --role agent --host crit-1 >"$work/crit.token"
check "an agent on a host with host-critical devices reports" 0 "reported 4 devices of crit-1" -- \
  "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/crit.token" --host crit-1 --sysfs-root "$ROOT/testdata/sysfs/shared-critical-group" --once
check "the default-route NIC is withheld" 0 "the host depends on it: carries the default route (eno1)" -- \
  "$PCIPASS" device show crit-1 0000:02:00.0
check "so is its IOMMU group companion" 0 "IOMMU group 20 also holds 0000:02:00.0: the host depends on it" -- \
  "$PCIPASS" device show crit-1 0000:03:00.0
check "and the root NVMe: no valid host, naming it" 5 "0000:04:00.0: the host depends on it: holds the root filesystem" -- \
  "$PCIPASS" server create vm-nvme --flavor nvme1 --host crit-1
# A VF whose network interface is up on the host: it is withheld, and so is its PF
# (handing the PF out would remove the VF).
cp -a "$ROOT/testdata/sysfs/sriov-nic" "$work/tree-up"
up_dev=$(readlink -f "$work/tree-up/sys/class/net/ens1f0v0")
echo up >"$up_dev/operstate"
up_vf=$(basename "$(dirname "$(dirname "$up_dev")")")
"$PCIPASS" token create --db "sqlite:$work/p.db" --name agent-up --role agent --host vfup-1 >"$work/up.token"
check "an agent on a host using a VF reports" 0 "reported 7 devices of vfup-1" -- \
  "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/up.token" --host vfup-1 --sysfs-root "$work/tree-up" --once
check "the VF in use by the host is withheld" 0 "its network interface ens1f0v0 is up on the host" -- \
  "$PCIPASS" device show vfup-1 "$up_vf"
check "and so is its PF" 0 "its VF $up_vf is used by the host" -- "$PCIPASS" device show vfup-1 0000:41:00.0
check "a PF request takes the other PF" 0 "0000:41:00.1" -- "$PCIPASS" server create vm-up --flavor pf1 --host vfup-1
# A VF on vfio-pci that a VM outside pcipass holds open (its VFIO group among a
# process's open files): it is withheld, and so is its PF.
cp -a "$ROOT/testdata/sysfs/sriov-nic" "$work/tree-open"
mkdir -p "$work/tree-open/proc/4242/fd"
echo qemu-system-x86 >"$work/tree-open/proc/4242/comm"
ln -s /dev/vfio/53 "$work/tree-open/proc/4242/fd/27"
"$PCIPASS" token create --db "sqlite:$work/p.db" --name agent-open --role agent --host vfopen-1 >"$work/open.token"
check "an agent on a host with an open VFIO device reports" 0 "reported 7 devices of vfopen-1" -- \
  "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/open.token" --host vfopen-1 --sysfs-root "$work/tree-open" --once
check "the open VF is withheld, naming the process" 0 "it is in use on the host: its VFIO device is open by qemu-system-x86 (pid 4242)" -- \
  "$PCIPASS" device show vfopen-1 0000:41:02.3
check "and so is its PF" 0 "its VF 0000:41:02.3 is in use on the host" -- "$PCIPASS" device show vfopen-1 0000:41:00.0
check "a PF request takes the other PF" 0 "0000:41:00.1" -- "$PCIPASS" server create vm-open --flavor pf1 --host vfopen-1
check "and a second finds none, saying why" 5 "its VF 0000:41:02.3 is in use on the host" -- \
  "$PCIPASS" server create vm-open-2 --flavor pf1 --host vfopen-1

# A persisted override whose address now holds another device: the agent's report
# carries check's warning, and the host shows it; nothing is withheld for it.
mkdir -p "$work/tree-open/etc/udev/rules.d"
echo '# pcipass-bind address=0000:41:00.1 driver=vfio-pci ids=1b36:0010 subsystem=1af4:1100 driverctl=yes fingerprint=slot:9.0' \
  >"$work/tree-open/etc/udev/rules.d/69-pcipass-bind.rules"
mkdir -p "$work/tree-open/etc/driverctl.d"; echo vfio-pci >"$work/tree-open/etc/driverctl.d/pci-0000:41:00.1"
check "the agent reports the warning" 0 "reported 7 devices of vfopen-1" -- \
  "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/open.token" --host vfopen-1 --sysfs-root "$work/tree-open" --once
check "the host shows it" 0 "0000:41:00.1: persisted for vfio-pci as 1b36:0010 (subsystem 1af4:1100), but 8086:1572 (subsystem 8086:0000) sits there now; pcipass's rule does not bind it, but driverctl's etc/driverctl.d/pci-0000:41:00.1 will bind it to vfio-pci at the next boot" -- \
  "$PCIPASS" host show vfopen-1 --json

# A host that uses its NICs through a bond, a bridge, Open vSwitch and addresses, and its
# drives for filesystems and swap: only the one free NIC is placed.
"$PCIPASS" token create --db "sqlite:$work/p.db" --name agent-uses --role agent --host uses-1 >"$work/uses.token"
check "an agent on a host using its devices reports" 0 "reported 9 devices of uses-1" -- \
  "$PCIPASS" agent --server "$PCIPASS_URL" --token-file "$work/uses.token" --host uses-1 --sysfs-root "$ROOT/testdata/sysfs/host-uses" --once
"$PCIPASS" flavor create ixgbe1 --vcpus 1 --ram 512 --property pci_passthrough:alias=ixgbe:1 >/dev/null
check "the free NIC is placed" 0 "0000:09:00.0" -- "$PCIPASS" server create vm-uses --flavor ixgbe1 --host uses-1
check "then no valid host, naming the bond member" 5 "0000:01:00.0: the host depends on it: carries the default route (bond0 over eth0)" -- \
  "$PCIPASS" server create vm-uses-2 --flavor ixgbe1 --host uses-1
check "the device list gives each reason: the bridge port" 0 "is a port of bridge br0 on the host (ens2)" -- "$PCIPASS" device list --host uses-1
check "the Open vSwitch port" 0 "is an Open vSwitch port on the host (ens3)" -- "$PCIPASS" device list --host uses-1
check "the addressed NIC" 0 "is addressed on the host (IPv6 2001:db8::4 on ens4)" -- "$PCIPASS" device list --host uses-1
check "the device list cuts a long reason short" 0 "0000:06:00.0: the host depends on it: holds the root filesystem (/dev/nvme0n1p1); holds the moun ..." -- \
  "$PCIPASS" device list --host uses-1
check "device show gives it whole: the drive under a mounted filesystem" 0 "holds the mounted filesystem /var/lib/libvirt/images (/dev/nvme0n1p2)" -- \
  "$PCIPASS" device show uses-1 0000:06:00.0
check "the swap drive" 0 "holds active swap (/dev/nvme1n1p1)" -- "$PCIPASS" device list --host uses-1
# A PF declared fixed (its card cannot be assumed reconfigurable): with VFs it is never
# handed out whole, and device show says so; without VFs it is, as it is.
sed -i 's|^device_spec = {"vendor_id": "8086"}$|device_spec = {"vendor_id": "8086", "product_id": "1572", "pcipass_fixed": true}\ndevice_spec = {"vendor_id": "8086"}|' "$work/pci.conf"
check "the configuration with a fixed PF is taken" 0 "" -- "$PCIPASS" config reload
check "the fixed PF with VFs is withheld, saying why" 0 "its mode is fixed (pcipass_fixed in device_spec): it keeps its 4 VF(s)" -- \
  "$PCIPASS" device show fixture-1 0000:41:00.0
check "device show says it is fixed" 0 "its mode is never changed" -- "$PCIPASS" device show fixture-1 0000:41:00.0
check "a PF request takes the fixed PF without VFs" 0 "0000:42:00.1" -- "$PCIPASS" server create vm-fixed --flavor pf1 --host fixture-1
echo "agent_fixture: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
