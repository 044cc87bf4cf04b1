#!/usr/bin/env bash
# run-guest.sh - (pcipass e2e; from ../shared/qemu-e2e) boot a real Linux kernel in QEMU (q35 + emulated Intel IOMMU +
# emulated PCIe devices incl. an SR-IOV capable NVMe controller), run a test
# script inside it and exit with the test script's exit status.
#
# Usage:
#   run-guest.sh TEST_SCRIPT [FILE...]
#
#   TEST_SCRIPT  shell script run by busybox sh as root inside the guest
#                (cwd /e2e, PATH starts with /e2e/bin)
#   FILE...      extra executables/data copied to /e2e/bin in the guest
#                (static binaries best; dynamic ELF get their ldd libraries copied)
#
# Environment knobs (all optional):
#   ACCEL=auto|kvm|tcg    auto = kvm if /dev/kvm is usable AND backed by kvm_intel/kvm_amd
#                         (VMX/SVM), else tcg                            (default auto)
#   KVER=...              guest kernel version (default: newest /boot/vmlinuz-* with modules)
#   KERNEL=path           kernel image (default $KROOT/boot/vmlinuz-$KVER)
#   KROOT=dir             tree with boot/vmlinuz-* and lib/modules/* (default /), e.g. an
#                         unpacked linux-image .deb: see fetch-kernel.sh
#   MEM=1G SMP=2          guest memory / CPUs (SMP>=2 needed for the 2 NUMA nodes)
#   TIMEOUT=300           seconds before QEMU is killed
#   TOPOLOGY=default|none default: see qemu_topology() below; none: only QEMU_EXTRA
#   IOMMU=on|off          off: no emulated IOMMU and intel_iommu=off, a host that
#                         cannot do passthrough                          (default on)
#   QEMU_EXTRA="..."      extra QEMU args (word-split), appended after the topology
#   APPEND="..."          extra kernel command line
#   E2E_MODULES="..."     modules loaded by /init (default: vfio vfio_iommu_type1 vfio_pci nvme e1000e)
#   LOG=path              keep the serial console log there (default: temp file, deleted)
#   QUIET=1               do not echo the serial console to stdout
#   CPU=...               -cpu model (default host,arch-capabilities=off for kvm, max for tcg)
#   VERBOSE=1             print the QEMU command line
#   DEBUG=1               full kernel log on the console (earlyprintk, ignore_loglevel)
#
# Exit status: the test script's status (from the "E2E_EXIT_STATUS=<n>" marker line
# printed by /init on the serial console); 124 if QEMU timed out; 125 if the
# guest never printed the marker (boot failure, kernel panic, QEMU error).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 1 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 2; }
TEST_SCRIPT="$1"; shift

ACCEL="${ACCEL:-auto}"
MEM="${MEM:-1G}"
SMP="${SMP:-2}"
TIMEOUT="${TIMEOUT:-300}"
TOPOLOGY="${TOPOLOGY:-default}"
IOMMU="${IOMMU:-on}"
QEMU="${QEMU:-qemu-system-x86_64}"

if [ -z "${KVER:-}" ]; then
  for v in $(ls -1 "${KROOT:-}/lib/modules" 2>/dev/null | sort -V -r); do
    if [ -e "${KROOT:-}/boot/vmlinuz-$v" ]; then KVER="$v"; break; fi
  done
fi
KERNEL="${KERNEL:-${KROOT:-}/boot/vmlinuz-${KVER:-none}}"
[ -r "$KERNEL" ] || { echo "run-guest: kernel $KERNEL not readable (apt-get install linux-image-amd64)" >&2; exit 2; }
command -v "$QEMU" >/dev/null || { echo "run-guest: $QEMU missing (apt-get install qemu-system-x86)" >&2; exit 2; }

# auto: KVM only with hardware virtualisation (kvm_intel/kvm_amd). Some cloud
# sandboxes expose /dev/kvm backed by kvm_pvm (Pagetable-based Virtual Machine,
# no VMX/SVM): it runs SeaBIOS but a stock distro kernel hangs right after the
# decompressor, so treat that as "no KVM" and use TCG.
kvm_usable() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ] && return 0
  grep -qwE 'vmx|svm' /proc/cpuinfo
}
if [ "$ACCEL" = auto ]; then
  if kvm_usable; then ACCEL=kvm; else ACCEL=tcg; fi
fi

WORK="$(mktemp -d)"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
LOGFILE="${LOG:-$WORK/serial.log}"

"$HERE/build-initramfs.sh" -o "$WORK/initramfs.cpio.gz" -t "$TEST_SCRIPT" -k "$KVER" -r "${KROOT:-}" "$@"

# ---------------------------------------------------------------------------
# Machine + device topology.
#   00:02.0  e1000e (root-complex integrated endpoint on pcie.0)
#   00:03.0  pcie-root-port rp1 -> 01:00.0 nvme PF, SR-IOV up to 4 VFs (01:00.1..)
#   00:04.0  pcie-root-port rp2 -> 02:00.0 e1000e
#   00:05.0  pxb-pcie (bus 0x80, numa_node=1) -> root port rp3 -> 81:00.0 e1000e (numa_node 1)
#   2 NUMA nodes (cpu0/mem0 = node0, cpu1/mem1 = node1)
# ---------------------------------------------------------------------------
machine=(-machine "q35,accel=$ACCEL,kernel-irqchip=split")
# -cpu host alone aborts on this (nested, AMD EPYC) host with QEMU 7.2:
#   "failed to set MSR 0x10a" (IA32_ARCH_CAPABILITIES) -> switch that feature off.
if [ "$ACCEL" = kvm ]; then CPU="${CPU:-host,arch-capabilities=off}"; else CPU="${CPU:-max}"; fi
cpu=(-cpu "$CPU")

qemu_topology() {
  local half
  half=$(( $(numfmt --from=iec "$MEM") / 2 / 1048576 ))M
  TOPO=()
  local pxbnuma=""
  if [ "$SMP" -ge 2 ]; then
    pxbnuma=",numa_node=1"   # two NUMA nodes: cpu0 on node 0, the rest on node 1
    TOPO+=(
      -object "memory-backend-ram,id=mem0,size=$half"
      -object "memory-backend-ram,id=mem1,size=$half"
      -numa "node,nodeid=0,cpus=0,memdev=mem0"
      -numa "node,nodeid=1,cpus=1-$((SMP - 1)),memdev=mem1"
    )
  fi
  # the IOMMU must come before the PCI devices
  [ "$IOMMU" = on ] && TOPO+=(-device intel-iommu,intremap=on)
  TOPO+=(
    -netdev hubport,id=hp0,hubid=0
    -netdev hubport,id=hp1,hubid=0
    -netdev hubport,id=hp2,hubid=0
    -device e1000e,netdev=hp0,bus=pcie.0,addr=0x2,mac=52:54:00:00:00:01
    -device pcie-root-port,id=rp1,bus=pcie.0,addr=0x3,chassis=1,slot=1
    -device nvme-subsys,id=nvmesubsys0,nqn=e2e-subsys0
    -device "nvme,id=nvme0,bus=rp1,serial=e2e-nvme0,subsys=nvmesubsys0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=12,msix_qsize=8"
    -blockdev null-co,node-name=nullblk0,size=1073741824
    -device nvme-ns,drive=nullblk0,bus=nvme0,nsid=1
    -device pcie-root-port,id=rp2,bus=pcie.0,addr=0x4,chassis=2,slot=2
    -device e1000e,netdev=hp1,bus=rp2,mac=52:54:00:00:00:02
    -device "pxb-pcie,id=pxb1,bus=pcie.0,addr=0x5,bus_nr=128$pxbnuma"
    -device pcie-root-port,id=rp3,bus=pxb1,chassis=3,slot=3
    -device e1000e,netdev=hp2,bus=rp3,mac=52:54:00:00:00:03
  )
}
TOPO=()
[ "$TOPOLOGY" = default ] && qemu_topology
# shellcheck disable=SC2206
EXTRA=(${QEMU_EXTRA:-})

if [ -n "${DEBUG:-}" ]; then verbosity="earlyprintk=serial,ttyS0,115200 ignore_loglevel"; else verbosity="quiet loglevel=4"; fi
cmdline="console=ttyS0,115200 intel_iommu=$IOMMU iommu=pt panic=-1 $verbosity rdinit=/init ${APPEND:-}"

cmd=("$QEMU" "${machine[@]}" "${cpu[@]}" -smp "$SMP" -m "$MEM"
     -nodefaults -no-user-config -display none -monitor none -no-reboot
     -serial stdio
     -kernel "$KERNEL" -initrd "$WORK/initramfs.cpio.gz" -append "$cmdline"
     "${TOPO[@]}" "${EXTRA[@]}")

echo "run-guest: accel=$ACCEL kernel=$KERNEL" >&2
if [ -n "${VERBOSE:-}" ]; then { printf 'run-guest: cmd:'; printf ' %q' "${cmd[@]}"; echo; } >&2; fi

start=$(date +%s.%N)
set +e
if [ -n "${QUIET:-}" ]; then
  timeout --foreground -k 5 "$TIMEOUT" "${cmd[@]}" < /dev/null > "$LOGFILE" 2>&1
  qrc=$?
else
  timeout --foreground -k 5 "$TIMEOUT" "${cmd[@]}" < /dev/null 2>&1 | tee "$LOGFILE"
  qrc=${PIPESTATUS[0]}
fi
set -e
end=$(date +%s.%N)
wall=$(awk "BEGIN{printf \"%.2f\", $end-$start}")
echo "run-guest: qemu exit=$qrc wall=${wall}s accel=$ACCEL" >&2

status=$(tr -d '\r' < "$LOGFILE" | sed -n 's/^E2E_EXIT_STATUS=\([0-9][0-9]*\)$/\1/p' | tail -1)
if [ -n "$status" ]; then
  exit "$status"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "run-guest: timed out after ${TIMEOUT}s" >&2
  exit 124
fi
echo "run-guest: no E2E_EXIT_STATUS marker on the console (boot failure?)" >&2
[ -n "${QUIET:-}" ] && tail -n 40 "$LOGFILE" >&2
exit 125
