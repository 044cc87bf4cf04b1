# Issue 12 on a real kernel (busybox sh in the QEMU guest; run by run.sh): `pcipass
# server` on SQLite, `pcipass agent --manage-devices` and the CLI, all in the guest. A
# PF flavor on the NVMe PF with VFs: its VFs go, it goes to vfio-pci, /dev/vfio/N is
# there, the server is active; deleted, the PF is back on nvme with its VF count and the
# VFs are available, and a VF flavor boots on one. A step that fails midway leaves the
# server in error and the host as it was; an agent stopped in the middle of a prepare
# undoes it when it starts again. An interface's VF count set through the controller is
# carried out while the host is locked, and refused while it is not.
. /e2e/bin/guest-lib.sh

PF=0000:01:00.0
VF0=0000:01:00.1
numvfs() { cat /sys/bus/pci/devices/$PF/sriov_numvfs; }
status() { pcipass server show "$1" --json 2>/dev/null | grep -o '"status": "[a-z]*"' | head -1 | cut -d'"' -f4; }
wait_status() {  # wait_status SERVER STATUS: up to 30 s
  i=0
  while [ $i -lt 300 ] && [ "$(status "$1")" != "$2" ]; do i=$((i + 1)); sleep 0.1; done
  is "server $1 is $2" "$(status "$1")" "$2"
}
start_agent() {
  pcipass agent --server "$PCIPASS_URL" --token-file /tmp/ctl/agent.token --host guest --manage-devices --poll 1 >> /tmp/agent.log 2>&1 &
  AGENT_PID=$!
}

run 0 "two VFs on the NVMe PF, without autoprobe" pcipass sriov $PF 2 --no-autoprobe
cat > /tmp/pci.conf <<'CONF'
[pci]
device_spec = {"vendor_id": "1b36"}
alias = {"name": "nvme-pf", "vendor_id": "1b36", "device_type": "type-PF"}
alias = {"name": "nvme-vf", "vendor_id": "1b36", "device_type": "type-VF"}
CONF
start_controller /tmp/pci.conf
pcipass flavor create pf1 --vcpus 1 --ram 256 --property pci_passthrough:alias=nvme-pf:1 >/dev/null
pcipass flavor create vf1 --vcpus 1 --ram 256 --property pci_passthrough:alias=nvme-vf:1 >/dev/null
start_agent

echo "== a PF server: the VFs go, the PF goes to vfio-pci"
i=0; while [ $i -lt 100 ] && ! grep -q "reported" /tmp/agent.log; do i=$((i + 1)); sleep 0.1; done
run 0 "boot the PF flavor and wait" pcipass server create vm-pf --flavor pf1 --wait --timeout 60
has "it is active" "server vm-pf: active"
run 0 "show it" pcipass server show vm-pf
has "it says what the agent did" "bind $PF to vfio-pci"
is "the PF is on vfio-pci" "$(drv $PF)" vfio-pci
is "its VFs are gone" "$(numvfs)" 0
g=$(basename "$(readlink /sys/bus/pci/devices/$PF/iommu_group)")
if [ -c "/dev/vfio/$g" ]; then pass "/dev/vfio/$g is there"; else fail "/dev/vfio/$g is missing"; fi
run 0 "server list" pcipass server list
has "the list shows it active" "vm-pf  *active"

echo "== deleted: the PF back on nvme with its VFs, reported before they are offered"
run 0 "delete and wait" pcipass server delete vm-pf --wait --timeout 60
has "it is gone" "server vm-pf is deleted"
is "the PF is back on nvme" "$(drv $PF)" nvme
is "the recorded VF count" "$(numvfs)" 2
run 0 "its VFs are available" pcipass device list --host guest --status available
has "VF 0 is available" "$VF0"
run 0 "a VF flavor boots on one of them" pcipass server create vm-vf --flavor vf1 --wait --timeout 60
has "it is active" "server vm-vf: active"
is "VF 0 is on vfio-pci" "$(drv $VF0)" vfio-pci
run 0 "delete the VF server" pcipass server delete vm-vf --wait --timeout 60
is "VF 0 has no driver again" "$(drv $VF0)" none

echo "== a step that fails midway: error, and the host as it was"
# /dev/vfio/N will not appear: the VFs are removed and the PF bound before that check fails.
mount -t tmpfs none /dev/vfio
run 8 "the boot ends in error" pcipass server create vm-bad --flavor pf1 --wait --timeout 60
has "the error names the step" "failed at prepare $PF: /dev/vfio/$g"
umount /dev/vfio
is "the PF is back on nvme" "$(drv $PF)" nvme
is "its VFs are back" "$(numvfs)" 2
run 0 "delete the failed server at once" pcipass server delete vm-bad
run 0 "nothing leaked: the PF is free" pcipass device list --host guest --status available
has "the PF is available" "^guest  $PF .* available"

echo "== an agent stopped in the middle of a prepare"
kill $AGENT_PID; wait $AGENT_PID 2>/dev/null
run 0 "boot while no agent runs" pcipass server create vm-pf2 --flavor pf1
is "it is building" "$(status vm-pf2)" building
# What a killed agent leaves: the journal says preparing; the VFs are gone and the PF has
# left nvme, but it is not on vfio-pci yet.
mkdir -p /var/lib/pcipass
cat > /var/lib/pcipass/agent-journal.json <<JSON
{"version": 1, "servers": [{"server": "vm-pf2", "phase": "preparing", "devices": [{"address": "$PF", "type": "type-PF",
 "managed": false, "driver": "nvme", "driver_override": null, "iommu_group": $g, "numvfs": 2, "autoprobe": false}]}], "attention": {}}
JSON
echo 0 > /sys/bus/pci/devices/$PF/sriov_numvfs
echo $PF > /sys/bus/pci/drivers/nvme/unbind
is "the PF is half done" "$(drv $PF)" none
start_agent
wait_status vm-pf2 active
run 0 "the agent log" grep "vm-pf2" /tmp/agent.log
has "it found the half-done prepare and undid it" "found its prepare half done; undoing it"
is "the PF is on vfio-pci" "$(drv $PF)" vfio-pci
run 0 "delete and wait" pcipass server delete vm-pf2 --wait --timeout 60
is "the PF is back on nvme" "$(drv $PF)" nvme
is "with its 2 VFs" "$(numvfs)" 2

echo "== an interface's VF count, set through the controller, carried out on a locked host only"
# The SR-IOV NVMe stands in for a NIC: the mechanism (sriov_numvfs through 0) is the same.
run 5 "refused while the host is unlocked" pcipass host interface set guest $PF --class pci-sriov --vfs 4 --datanetwork group0-data0
has "it says why" "is not locked"
is "nothing changed on the host" "$(numvfs)" 2
run 0 "lock the host" pcipass host lock guest
run 0 "set 4 VFs on group0-data0" pcipass host interface set guest $PF --class pci-sriov --vfs 4 --datanetwork group0-data0
i=0; while [ $i -lt 300 ] && [ "$(numvfs)" != 4 ]; do i=$((i + 1)); sleep 0.1; done
is "the agent set 4 VFs" "$(numvfs)" 4
run 0 "the agent log" grep "interface $PF" /tmp/agent.log
has "it said what it did" "interface $PF: 2 -> 4 VFs (pci-sriov on group0-data0)"
run 0 "persisted for the next boot" cat /etc/udev/rules.d/71-pcipass-sriov.rules
has "a udev rule sets 4" 'sriov_numvfs}="4"'
i=0; while [ $i -lt 100 ] && ! pcipass host interface list guest --json | grep -q '"sriov_numvfs": 4'; do i=$((i + 1)); sleep 0.1; done
run 0 "the controller lists what was reported" pcipass host interface list guest
has "4 of 4 VFs, on group0-data0" "pci-sriov .*group0-data0 .*4 .*4 .*group0-data0"
run 0 "unlock the host" pcipass host unlock guest
run 5 "and refused again once unlocked" pcipass host interface set guest $PF --class pci-sriov --vfs 1 --datanetwork group0-data0
is "the VF count stays" "$(numvfs)" 4
kill $AGENT_PID $SERVER_PID 2>/dev/null

echo "RESULT: $fails failed of $checks checks"
exit $fails
