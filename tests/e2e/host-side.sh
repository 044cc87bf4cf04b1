# pcipass on a real Linux kernel (busybox sh inside the QEMU guest; run by run.sh).
# Topology (run-guest.sh): 00:02.0 e1000e; 01:00.0 NVMe PF with up to 4 VFs behind a root
# port; 02:00.0 e1000e; 81:00.0 e1000e behind a NUMA-node-1 expander; ICH9 functions
# 00:1f.0/.2/.3 share one IOMMU group. Exit status = number of failed checks.
. /e2e/bin/guest-lib.sh

PF=0000:01:00.0
VF0=0000:01:00.1
NIC=0000:81:00.0
NIC2=0000:02:00.0

echo "== discover"
run 0 "discover" pcipass discover
has "discover lists the NVMe PF with 4 VFs possible" "^$PF .*\[PF: 0 of 4 VFs\]"
has "discover puts the expander's NIC on NUMA node 1" "^$NIC .* e1000e  *1 "
run 0 "discover --json" pcipass discover --json
has "json: the PF" "\"sriov_totalvfs\": 4"
has "json: NUMA nodes" "\"numa\": \["

echo "== check"
pcipass check > /tmp/out 2>&1
cat /tmp/out
has "check sees the emulated IOMMU" "\[ ok \] iommu: IOMMU active"
has "check sees interrupt remapping" "\[ ok \] interrupt-remapping"
has "check sees the vfio modules" "\[ ok \] vfio-modules"

echo "== sriov"
run 0 "sriov creates 2 VFs without autoprobe" pcipass sriov $PF 2 --no-autoprobe
is "VF 0 exists" "$(basename "$(readlink /sys/bus/pci/devices/$PF/virtfn0)")" "$VF0"
is "VF 0 has no driver" "$(drv $VF0)" none
run 0 "sriov again is a no-op" pcipass sriov $PF 2 --no-autoprobe
has "nothing to do" "nothing to do"

echo "== bind"
run 0 "bind the NUMA-1 NIC and a VF" pcipass bind $NIC $VF0
is "NIC on vfio-pci" "$(drv $NIC)" vfio-pci
is "VF on vfio-pci" "$(drv $VF0)" vfio-pci
g=$(basename "$(readlink /sys/bus/pci/devices/$NIC/iommu_group)")
if [ -c "/dev/vfio/$g" ]; then pass "/dev/vfio/$g appeared"; else fail "/dev/vfio/$g missing"; fi
is "driver_override is vfio-pci" "$(cat /sys/bus/pci/devices/$NIC/driver_override)" vfio-pci
run 0 "bind again is idempotent" pcipass bind $NIC
has "nothing to do" "nothing to do"
run 2 "a partial IOMMU group is refused" pcipass bind 0000:00:1f.3
has "the refusal names the group member" "which is not in the request"
run 2 "sriov refuses to remove a VF held by vfio-pci" pcipass sriov $PF 0
has "the refusal names the VF" "VF $VF0 is bound to vfio-pci"

echo "== unbind --restore"
run 0 "unbind --restore" pcipass unbind --restore $NIC
is "the NIC is back on e1000e" "$(drv $NIC)" e1000e
is "driver_override cleared" "$(cat /sys/bus/pci/devices/$NIC/driver_override)" "(null)"

echo "== failure midway rolls back (pcieport refuses a NIC after the unbind step)"
run 1 "bind --driver pcieport fails" pcipass bind --driver pcieport $NIC2
has "it says it rolled back" "rolled back"
is "the NIC is back on e1000e" "$(drv $NIC2)" e1000e
is "its driver_override is cleared" "$(cat /sys/bus/pci/devices/$NIC2/driver_override)" "(null)"

echo "== persist"
RULES=/etc/udev/rules.d/69-pcipass-bind.rules
run 0 "bind --persist" pcipass bind --persist --vfio-group root $NIC
if grep -q "KERNEL==\"$NIC\", ATTR{vendor}==\"0x8086\", ATTR{device}==\"0x10d3\"" $RULES; then pass "the rule is keyed by address and ids"; else fail "no id-keyed rule"; cat $RULES; fi
if [ ! -e "/etc/driverctl.d/pci-$NIC" ]; then pass "no driverctl file without --driverctl"; else fail "a driverctl file was written"; fi
if grep -q 'SUBSYSTEM=="vfio", GROUP="root", MODE="0660"' /etc/udev/rules.d/70-pcipass-vfio.rules; then pass "udev rule"; else fail "udev rule"; fi
# As after a reboot: the host driver has the NIC, the kernel has no override. Real udev
# replays the add events, and pcipass's rule binds it again.
echo $NIC > /sys/bus/pci/drivers/vfio-pci/unbind; echo > /sys/bus/pci/devices/$NIC/driver_override; echo $NIC > /sys/bus/pci/drivers_probe
is "the NIC is on e1000e, as after a reboot" "$(drv $NIC)" e1000e
# A record for the NVMe PF's address that says an e1000e NIC sat there (a re-enumeration):
grep "$NIC" $RULES | sed "s/$NIC/$PF/g" >> $RULES
ln -sf /e2e/bin/udevadm /tmp/systemd-udevd
if /tmp/systemd-udevd --daemon --resolve-names=never 2>/tmp/udevd.err; then
  udevadm trigger --action=add --subsystem-match=pci && udevadm settle --timeout=30
  is "udev's add event binds the NIC by pcipass's rule" "$(drv $NIC)" vfio-pci
  is "the rule whose ids do not fit leaves the PF alone" "$(drv $PF)" nvme
  udevadm control --exit
else
  fail "systemd-udevd did not start: $(cat /tmp/udevd.err)"
fi
run 0 "check" pcipass check
has "check flags the record whose address now holds another device" "$PF: persisted for vfio-pci as 8086:10d3"
has "and names the device there now" "but 1b36:0010"
run 0 "unbind --persisted-only forgets it, touching no device" pcipass unbind --persisted-only $PF
is "the PF stays on nvme" "$(drv $PF)" nvme
run 0 "unbind --restore forgets the override" pcipass unbind --restore $NIC
if [ ! -e "$RULES" ]; then pass "the rules file went with the last binding"; else fail "rules file still there"; cat $RULES; fi
is "the NIC is back on e1000e" "$(drv $NIC)" e1000e
run 0 "bind --persist --driverctl" pcipass bind --persist --driverctl $NIC
is "driverctl file" "$(cat /etc/driverctl.d/pci-$NIC)" vfio-pci
run 0 "unbind --restore" pcipass unbind --restore $NIC
if [ ! -e "/etc/driverctl.d/pci-$NIC" ]; then pass "driverctl file removed"; else fail "driverctl file still there"; fi

echo "== rekey: a persisted binding follows its device to a new address (by fingerprint)"
# NIC2 sits in hotplug slot 2 (its fingerprint). Its record is moved to 0000:05:00.0, as if
# the bus had been renumbered since, and the NIC is on its host driver, as after that boot.
run 0 "bind --persist NIC2" pcipass bind --persist $NIC2
sed -i "s/$NIC2/0000:05:00.0/g" $RULES
echo $NIC2 > /sys/bus/pci/drivers/vfio-pci/unbind; echo > /sys/bus/pci/devices/$NIC2/driver_override; echo $NIC2 > /sys/bus/pci/drivers_probe
run 0 "check" pcipass check
has "check says where the device went" "the device it was written for is at $NIC2 now"
run 0 "bind --rekey" pcipass bind --rekey
has "it says what moved" "0000:05:00.0 moved to $NIC2"
is "NIC2 is bound again" "$(drv $NIC2)" vfio-pci
if grep -q "address=$NIC2 driver=vfio-pci" $RULES && ! grep -q "0000:05:00.0" $RULES; then pass "the record moved"; else fail "the record did not move"; cat $RULES; fi
run 0 "bind --rekey again: nothing to do" pcipass bind --rekey
has "nothing to re-key" "nothing to re-key"
run 0 "unbind --restore NIC2" pcipass unbind --restore $NIC2
is "NIC2 back on e1000e" "$(drv $NIC2)" e1000e

echo "== remove the VFs"
run 0 "unbind the VF" pcipass unbind $VF0
run 0 "sriov 0" pcipass sriov $PF 0 --persist
if [ ! -e /sys/bus/pci/devices/$PF/virtfn0 ]; then pass "VFs removed"; else fail "VFs still there"; fi

echo "== apply (declarative: 2 VFs without autoprobe, the first VF and the NUMA-1 NIC on vfio-pci)"
cat > /tmp/host.json <<'JSON'
{"format": "pcipass-host/1",
 "sriov": [{"pf": "0000:01:00.0", "vfs": 2, "autoprobe": false}],
 "passthrough": [{"address": "0000:01:00.1"}, {"address": "0000:81:00.0"}],
 "vfio": {"group": "root", "mode": "0600"}}
JSON
run 1 "apply --drift before" pcipass apply --drift /tmp/host.json
has "drift names the VF count" "has 0 VFs, the config wants 2"
run 0 "apply" pcipass apply /tmp/host.json
is "VF on vfio-pci" "$(drv $VF0)" vfio-pci
is "NIC on vfio-pci" "$(drv $NIC)" vfio-pci
run 0 "apply --drift after: in line" pcipass apply --drift /tmp/host.json
run 0 "apply again: nothing to do" pcipass apply /tmp/host.json
has "nothing to do" "nothing to do"
echo 0000:81:00.0 > /sys/bus/pci/drivers/vfio-pci/unbind
run 1 "apply --drift sees a hand-made change" pcipass apply --drift /tmp/host.json
has "drift names the NIC" "0000:81:00.0 is bound to no driver, the config wants vfio-pci"
run 0 "apply repairs it" pcipass apply /tmp/host.json
is "NIC back on vfio-pci" "$(drv $NIC)" vfio-pci

echo "== the controller honours what the agent finds (issue 11)"
# The NVMe PF now has 2 VFs; VF 0 is on vfio-pci. A VM outside pcipass (here a process
# holding its VFIO group open) uses it: the PF must not be taken whole.
g=$(basename "$(readlink /sys/bus/pci/devices/$VF0/iommu_group)")
sleep 600 3<>/dev/vfio/$g &
HOLDER=$!
cat > /tmp/pci.conf <<'CONF'
[pci]
device_spec = {"vendor_id": "1b36"}
alias = {"name": "nvme-pf", "vendor_id": "1b36", "device_type": "type-PF"}
alias = {"name": "nvme-vf", "vendor_id": "1b36", "device_type": "type-VF"}
CONF
start_controller /tmp/pci.conf
run 0 "the agent reports the guest" report
pcipass flavor create pf1 --vcpus 1 --ram 256 --property pci_passthrough:alias=nvme-pf:1 >/dev/null
pcipass flavor create vf1 --vcpus 1 --ram 256 --property pci_passthrough:alias=nvme-vf:1 >/dev/null
run 0 "the open VF is withheld, naming its holder" pcipass device show guest $VF0
has "the reason names the process" "its VFIO device is open by sleep (pid $HOLDER)"
run 5 "the PF whose VF is in use is not taken whole" pcipass server create vm-pf --flavor pf1
has "no valid host says why" "its VF $VF0 is in use on the host"
run 0 "a VF request takes the idle VF" pcipass server create vm-vf --flavor vf1
has "the idle VF" "0000:01:00.2"
kill $HOLDER; wait $HOLDER 2>/dev/null
run 0 "the agent reports the VF closed" report
run 0 "delete the VF server" pcipass server delete vm-vf
run 0 "now the PF is placed" pcipass server create vm-pf --flavor pf1
has "the boot says the VFs go" "2 VF(s) enabled on the host"
kill $SERVER_PID 2>/dev/null

echo "RESULT: $fails failed of $checks checks"
exit $fails
