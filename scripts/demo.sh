#!/usr/bin/env bash
# The main job: set up, build, replay the bundled example fleet through the scheduler
# (placements, then an explained "No valid host"), then show this machine's real PCI
# devices and passthrough readiness (read-only).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null
echo "== pcipass simulate --human examples/fleet.json   (the bundled example fleet)"
./build/pcipass simulate --human --check examples/fleet.json
echo
echo "== pcipass discover   (this machine's real /sys, read-only)"
./build/pcipass discover
echo
echo "== pcipass check   (is this machine ready for passthrough? read-only)"
./build/pcipass check || echo "(check exits 1: this machine is not ready for passthrough; the items above say why)"
