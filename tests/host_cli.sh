#!/usr/bin/env bash
# Host-side commands on fixture trees: discover, check, and bind/unbind plans (--dry-run;
# real writes happen only in the QEMU guest, tests/e2e). Usage: host_cli.sh PCIPASS ROOT
set -uo pipefail
pcipass="$1"; fx="$2/testdata/sysfs"
. "$(dirname "$0")/lib.sh"
# git keeps no empty directories: a fixture that needs one would differ in a fresh clone.
empty=$(find "$fx" -type d -empty | head -3)
if [ -z "$empty" ]; then passed=$((passed+1)); else echo "FAIL fixtures have empty directories (lost by git): $empty"; failed=$((failed+1)); fi
check discover-tree 0 '`- VF 3: 0000:41:02.3' -- "$pcipass" discover --sysfs-root "$fx/sriov-nic"
check discover-json 0 '"fingerprint": "vf:vpd:8086:1572:SN1234567.0#3"' -- "$pcipass" discover --json --sysfs-root "$fx/sriov-nic"
check discover-not-sysfs 2 "does not exist" -- "$pcipass" discover --sysfs-root "$fx/nope"
check check-ready 0 "ready for PCI passthrough" -- "$pcipass" check --sysfs-root "$fx/sriov-nic"
check check-no-iommu 1 "no IOMMU is active on this machine" -- "$pcipass" check --sysfs-root "$fx/no-iommu"
check check-json 1 '"ready": false' -- "$pcipass" check --json --sysfs-root "$fx/no-iommu"
check discover-json-host-truth 0 '"host_use": "carries the default route (eno1)"' -- "$pcipass" discover --json --sysfs-root "$fx/shared-critical-group"
check discover-json-platform 0 '"iommu": false' -- "$pcipass" discover --json --sysfs-root "$fx/no-iommu"
check bind-plan 0 "2. unbind 0000:41:02.0 from iavf" -- "$pcipass" bind --dry-run --sysfs-root "$fx/sriov-nic" 0000:41:02.0
check bind-persist-plan 0 "persist vfio-pci for 0000:41:02.0 (etc/udev/rules.d/69-pcipass-bind.rules: at boot, only while each address holds the same device)" -- \
  "$pcipass" bind --dry-run --persist --sysfs-root "$fx/sriov-nic" 0000:41:02.0
check bind-persist-driverctl-plan 0 "persist vfio-pci for 0000:41:02.0 (driverctl-compatible etc/driverctl.d/pci-0000:41:02.0)" -- \
  "$pcipass" bind --dry-run --persist --driverctl --sysfs-root "$fx/sriov-nic" 0000:41:02.0
check bind-driverctl-needs-persist 2 "--driverctl requires --persist" -- "$pcipass" bind --dry-run --driverctl --sysfs-root "$fx/sriov-nic" 0000:41:02.0
check bind-help-states-the-risk 0 "RISK: driverctl binds by address alone" -- "$pcipass" bind --help
check bind-override-only 0 "would run 1 step:
  1. set driver_override of 0000:41:02.3 to vfio-pci" -- "$pcipass" bind --dry-run --sysfs-root "$fx/sriov-nic" 0000:41:02.3
check bind-short-address 2 "41:02.0: required full DDDD:BB:SS.F PCI address" -- "$pcipass" bind --dry-run --sysfs-root "$fx/sriov-nic" 41:02.0
check bind-unknown 2 "no such PCI device on this host" -- "$pcipass" bind --dry-run --sysfs-root "$fx/sriov-nic" 0000:99:00.0
check bind-group 2 "which is not in the request" -- "$pcipass" bind --dry-run --sysfs-root "$fx/gpu-audio-group" 0000:17:00.1
check bind-pf-with-vf-in-use 2 "its VF 0000:41:02.3 is bound to vfio-pci" -- "$pcipass" bind --dry-run --sysfs-root "$fx/sriov-nic" 0000:41:00.0
check bind-pf-forced-says-vfs-go 0 "0000:41:00.0 leaves its driver: its" -- "$pcipass" bind --dry-run --force --sysfs-root "$fx/sriov-nic" 0000:41:00.0
check bind-critical 2 "carries the default route (eno1)" -- "$pcipass" bind --dry-run --sysfs-root "$fx/shared-critical-group" 0000:02:00.0
check bind-no-driver 2 "modprobe vfio-pci first" -- "$pcipass" bind --dry-run --sysfs-root "$fx/no-iommu" 0000:00:03.0
check unbind-plan 0 "give 0000:41:02.3 back to its host driver" -- "$pcipass" unbind --dry-run --restore --sysfs-root "$fx/sriov-nic" 0000:41:02.3
check sriov-plan 0 "1. remove the 4 VFs of 0000:41:00.0" -- "$pcipass" sriov --dry-run --force --sysfs-root "$fx/sriov-nic" 0000:41:00.0 8
check sriov-in-use 2 "VF 0000:41:02.3 is bound to vfio-pci" -- "$pcipass" sriov --dry-run --sysfs-root "$fx/sriov-nic" 0000:41:00.0 8
check sriov-too-many 2 "the device supports at most 64" -- "$pcipass" sriov --dry-run --sysfs-root "$fx/sriov-nic" 0000:41:00.1 65
check sriov-same 0 "already has 4 VFs" -- "$pcipass" sriov --dry-run --sysfs-root "$fx/sriov-nic" 0000:41:00.0 4
check sriov-negative 2 "must be 0 to 65535" -- "$pcipass" sriov --dry-run --sysfs-root "$fx/sriov-nic" 0000:41:00.1 -- -1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -a "$fx/sriov-nic" "$tmp/open"; mkdir -p "$tmp/open/proc/4242/fd"; echo qemu-system-x86 >"$tmp/open/proc/4242/comm"; ln -s /dev/vfio/53 "$tmp/open/proc/4242/fd/9"
check bind-pf-names-who-holds-its-vf 2 "its VF 0000:41:02.3 is bound to vfio-pci and qemu-system-x86 (pid 4242) holds it open" -- \
  "$pcipass" bind --dry-run --sysfs-root "$tmp/open" 0000:41:00.0
printf '{"format": "pcipass-host/1", "sriov": [{"pf": "0000:41:00.1", "vfs": 2, "autoprobe": false}],\n "passthrough": [{"vendor_id": "8086", "product_id": "154c"}]}\n' > "$tmp/host.json"
check apply-plan 0 "devices the new VFs bring are matched again" -- "$pcipass" apply --dry-run --sysfs-root "$fx/sriov-nic" "$tmp/host.json"
check apply-drift 1 "drift: PF 0000:41:00.1 has 0 VFs, the config wants 2" -- "$pcipass" apply --drift --sysfs-root "$fx/sriov-nic" "$tmp/host.json"
printf '{"format": "pcipass-host/1", "passthrough": [{"address": "41:02.0"}]}\n' > "$tmp/short.json"
check apply-short-address 2 "passthrough[0].address: required full DDDD:BB:SS.F PCI address" -- "$pcipass" apply --dry-run --sysfs-root "$fx/sriov-nic" "$tmp/short.json"
printf '{"format": "pcipass-host/1", "passthrough": [{"address": "0000:41:02.0"}, {"vendor_id": "15b3", "product_id": "1018"}]}\n' > "$tmp/missing.json"
check apply-missing-device 2 "passthrough[1]: no 15b3:1018 device on this host" -- "$pcipass" apply --dry-run --sysfs-root "$fx/sriov-nic" "$tmp/missing.json"
check apply-missing-device-drift 1 "no 15b3:1018 device on this host" -- "$pcipass" apply --drift --sysfs-root "$fx/sriov-nic" "$tmp/missing.json"
printf '{"format": "pcipass-host/1", "passthrough": [}\n' > "$tmp/bad.json"
check apply-bad-json 2 "invalid JSON at line 1" -- "$pcipass" apply --dry-run --sysfs-root "$fx/sriov-nic" "$tmp/bad.json"
# Persisted overrides after a re-enumeration: pcipass's record for an address that is now
# empty (its device, by VPD serial, sits at 0000:41:00.1) and for an address that now
# holds another device; driverctl's address-only file on the host's own NIC.
cp -a "$fx/sriov-nic" "$tmp/moved"
mkdir -p "$tmp/moved/etc/udev/rules.d"
cat >"$tmp/moved/etc/udev/rules.d/69-pcipass-bind.rules" <<'RULES'
# pcipass-bind address=0000:43:00.1 driver=vfio-pci ids=8086:1572 subsystem=8086:0000 driverctl=yes fingerprint=vpd:8086:1572:SN1234567.1
# pcipass-bind address=0000:41:00.0 driver=vfio-pci ids=1b36:0010 subsystem=1af4:1100 driverctl=no fingerprint=path:/sys/x
RULES
check check-flags-a-moved-device 0 "0000:43:00.1: persisted for vfio-pci as 8086:1572 (subsystem 8086:0000), but no device is at that address now; pcipass's rule does not bind it; the device it was written for is at 0000:41:00.1 now: \`pcipass bind --rekey\` moves the override there" -- \
  "$pcipass" check --sysfs-root "$tmp/moved"
check check-flags-another-device-at-the-address 0 "0000:41:00.0: persisted for vfio-pci as 1b36:0010 (subsystem 1af4:1100), but 8086:1572 (subsystem 8086:0000) sits there now" -- \
  "$pcipass" check --sysfs-root "$tmp/moved"
check discover-ignores-a-rule-for-another-device 0 "0000:41:00.0  020000  8086:1572  i40e" -- "$pcipass" discover --sysfs-root "$tmp/moved"
check agent-report-carries-the-warnings 0 '"persistence: 0000:43:00.1: persisted for vfio-pci' -- "$pcipass" discover --json --sysfs-root "$tmp/moved"
check rekey-plan 0 "0000:43:00.1 moved to 0000:41:00.1: re-keying its vfio-pci binding" -- "$pcipass" bind --rekey --dry-run --sysfs-root "$tmp/moved"
check rekey-plan-moves-the-record 0 "persist vfio-pci for 0000:41:00.1, forget 0000:43:00.1" -- "$pcipass" bind --rekey --dry-run --sysfs-root "$tmp/moved"
check rekey-takes-no-address 2 "--rekey takes no addresses" -- "$pcipass" bind --rekey --dry-run --sysfs-root "$tmp/moved" 0000:41:00.1
check rekey-nothing 0 "nothing to re-key" -- "$pcipass" bind --rekey --dry-run --sysfs-root "$fx/sriov-nic"
check forget-a-record-without-touching-the-device 0 "forget the persisted binding of 0000:41:00.0" -- \
  "$pcipass" unbind --persisted-only --dry-run --sysfs-root "$tmp/moved" 0000:41:00.0
check forget-touches-no-device 0 "would run 1 step:" -- "$pcipass" unbind --persisted-only --dry-run --sysfs-root "$tmp/moved" 0000:41:00.0
check forget-an-empty-address 0 "forget the persisted binding of 0000:43:00.1" -- \
  "$pcipass" unbind --persisted-only --dry-run --sysfs-root "$tmp/moved" 0000:43:00.1
printf '{"format": "pcipass-host/1", "passthrough": [{"address": "0000:41:00.0"}]}\n' > "$tmp/stale.json"
check apply-refuses-an-address-persisted-for-another-device 2 "passthrough[0]: 0000:41:00.0 was persisted for 1b36:0010, but 8086:1572 sits there now (renumbered?)" -- \
  "$pcipass" apply --dry-run --sysfs-root "$tmp/moved" "$tmp/stale.json"
printf '{"format": "pcipass-host/1", "passthrough": [{"address": "0000:41:00.1"}]}\n' > "$tmp/follow.json"
check apply-rekeys-a-moved-device 0 "0000:43:00.1 moved to 0000:41:00.1: its persisted binding follows it" -- \
  "$pcipass" apply --dry-run --sysfs-root "$tmp/moved" "$tmp/follow.json"
check apply-rekey-is-one-step 0 "persist vfio-pci for 0000:41:00.1, forget 0000:43:00.1" -- \
  "$pcipass" apply --dry-run --sysfs-root "$tmp/moved" "$tmp/follow.json"
printf '{"format": "pcipass-host/1", "fixed": ["0000:41:00.0"], "sriov": [{"pf": "0000:41:00.0", "vfs": 8}]}\n' > "$tmp/fixed-sriov.json"
check apply-never-changes-a-fixed-pfs-vf-count 2 "sriov[0].pf: 0000:41:00.0 is declared fixed (fixed[0]): pcipass never changes its VF count" -- \
  "$pcipass" apply --dry-run --sysfs-root "$fx/sriov-nic" "$tmp/fixed-sriov.json"
printf '{"format": "pcipass-host/1", "fixed": ["0000:41:00.0"], "passthrough": [{"address": "0000:41:00.0"}], "force": true}\n' > "$tmp/fixed-bind.json"
check apply-never-binds-a-fixed-pf-with-vfs-whole 2 "0000:41:00.0 is declared fixed (fixed[0]) and has 4 VF(s): binding it whole would remove them" -- \
  "$pcipass" apply --dry-run --sysfs-root "$fx/sriov-nic" "$tmp/fixed-bind.json"
printf '{"format": "pcipass-host/1", "fixed": ["41:00.0"]}\n' > "$tmp/fixed-short.json"
check apply-fixed-needs-full-addresses 2 "fixed[0]: required full DDDD:BB:SS.F PCI address" -- \
  "$pcipass" apply --dry-run --sysfs-root "$fx/sriov-nic" "$tmp/fixed-short.json"
check bind-needs-an-address 2 "no device given" -- "$pcipass" bind --dry-run --sysfs-root "$fx/sriov-nic"
cp -a "$fx/shared-critical-group" "$tmp/dctl"
mkdir -p "$tmp/dctl/etc/driverctl.d"; echo vfio-pci >"$tmp/dctl/etc/driverctl.d/pci-0000:02:00.0"
check check-flags-driverctl-on-the-hosts-nic 0 "etc/driverctl.d/pci-0000:02:00.0 binds 0000:02:00.0 to vfio-pci at boot by address alone, but the host depends on 8086:1533 (subsystem 0000:0000) there now (carries the default route (eno1))" -- \
  "$pcipass" check --sysfs-root "$tmp/dctl"
check forget-driverctls-file 0 "remove driverctl's persistent override etc/driverctl.d/pci-0000:02:00.0" -- \
  "$pcipass" unbind --persisted-only --dry-run --sysfs-root "$tmp/dctl" 0000:02:00.0
echo "host cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
