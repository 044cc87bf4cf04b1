#!/usr/bin/env bash
# End-to-end: boots a real Debian kernel in QEMU (emulated Intel IOMMU, SR-IOV NVMe,
# e1000e NICs, a NUMA-1 expander) and runs the real pcipass binary inside it
# (host-side.sh). Usage: run.sh PCIPASS [KERNEL_DIR]
# Skips (exit 0 with a clear message) only where QEMU cannot run at all.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pcipass="${1:?usage: run.sh PCIPASS [KERNEL_DIR]}"
kdir="${2:-$here/../../build/e2e-kernel}"
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "e2e: SKIPPED: qemu-system-x86_64 is not installed and QEMU cannot run here (scripts/setup.sh installs qemu-system-x86)"
  exit 0
fi
udevadm=$(command -v udevadm || echo /bin/udevadm)
[ -x "$udevadm" ] || { echo "e2e: FAILED: udevadm is missing (scripts/setup.sh installs udev)"; exit 1; }
for tool in busybox cpio modprobe depmod; do
  command -v "$tool" >/dev/null || { echo "e2e: FAILED: $tool is missing (scripts/setup.sh installs busybox-static cpio kmod)"; exit 1; }
done
"$here/fetch-kernel.sh" "$kdir" || { echo "e2e: FAILED: could not fetch a kernel into $kdir"; exit 1; }
# guest SCRIPT [ENV=VALUE...]: one boot; its checks are printed, its status returned.
guest() {
  local script="$1"; shift
  local log; log="$(mktemp)"
  env "$@" QUIET=1 LOG="$log" KROOT="$kdir" TIMEOUT="${E2E_TIMEOUT:-240}" "$here/run-guest.sh" "$here/$script" "$pcipass" "$here/guest-lib.sh" "$udevadm"
  local rc=$?
  sed -n '/E2E_TEST_BEGIN/,/E2E_TEST_END/p' "$log" | tr -d '\r'
  rm -f "$log"
  return "$rc"
}
passed=0; failed=0
for run in "host-side.sh" "placements.sh" "no-iommu.sh IOMMU=off"; do
  # shellcheck disable=SC2086
  if guest $run; then passed=$((passed + 1)); else echo "e2e: $run failed"; failed=$((failed + 1)); fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
