#!/usr/bin/env bash
# The README's main job: the bundled example fleet replays with every expectation met,
# invariants checked, and shows placements and an explained failure.
set -uo pipefail
pcipass="$1"; root="$2"
out=$("$pcipass" simulate --human --check "$root/examples/fleet.json" 2>&1); rc=$?
passed=0; failed=0
expect() { case "$out" in *"$1"*) passed=$((passed+1)) ;; *) echo "FAIL: output lacks '$1'"; failed=$((failed+1)) ;; esac; }
[ "$rc" -eq 0 ] && passed=$((passed+1)) || { echo "FAIL: exit $rc"; failed=$((failed+1)); }
expect "boot render-1: ok on gpu-0, devices 0000:17:00.0 0000:17:00.1"
expect "No valid host was found"
expect "hosts: no device for alias qat-vf"
expect "0 expectation mismatches"
echo "$out" | head -40
echo "example: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
