#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) and runs each for
# SECONDS (default 60), seeded with the bundled scenarios, config and fleet. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
scripts/setup.sh
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || \
    { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo; $SUDO apt-get install -y -qq "$p" >/dev/null; }
done
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPCIPASS_SANITIZE=ON \
  -DPCIPASS_FUZZ=ON -DPCIPASS_BUILD_TESTS=OFF -DPCIPASS_BUILD_BENCH=OFF >/dev/null
ninja -C build-fuzz scenario_fuzz config_fuzz
corpus=build-fuzz/corpus/scenario
mkdir -p "$corpus"
cp testdata/scenarios/*.json testdata/scenarios/invalid/*.json testdata/fuzz-regressions/* examples/*.json "$corpus"/
build-fuzz/scenario_fuzz -max_total_time="$seconds" -max_len=16384 -timeout=10 "$corpus"

# The controller's text inputs: nova.conf [pci] lines (first byte even) and agent reports (odd).
corpus=build-fuzz/corpus/config
mkdir -p "$corpus"
{ printf '\0'; cat examples/pcipass.conf; } >"$corpus/pcipass.conf"
python3 - "$corpus" <<'PY'
import json, sys
d = json.load(open("examples/fleet.json"))
for i, h in enumerate(d["hosts"]):
    body = json.dumps({"numa": h.get("numa"), "devices": h["devices"]})
    open(f"{sys.argv[1]}/host-{i}.json", "wb").write(b"\x01" + body.encode())
PY
build-fuzz/config_fuzz -max_total_time="$seconds" -max_len=16384 -timeout=10 "$corpus"
