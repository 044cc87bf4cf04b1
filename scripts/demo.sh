#!/usr/bin/env bash
# The main job: set up, build, and replay the bundled example fleet through the
# scheduler (placements, then an explained "No valid host").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null
echo "== pcipass simulate --human examples/fleet.json"
./build/pcipass simulate --human --check examples/fleet.json
