#!/usr/bin/env bash
# The layer check on the tree, then on a copy with one forbidden include and one
# forbidden link, which it must refuse (so the check itself cannot rot into a pass).
# Usage: check_layers.sh ROOT
set -uo pipefail
ROOT="$1"
source "$ROOT/tests/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
check "the tree keeps its layers" 0 "0 problem(s)" -- python3 "$ROOT/scripts/check_layers.py" "$ROOT"
cp -r "$ROOT/src" "$ROOT/ARCHITECTURE.md" "$ROOT/CMakeLists.txt" "$work/"
printf '#include "server/views.h"\n' >>"$work/src/core/error.cc"
check "core including the server is refused" 1 "src/core/error.cc (pcipass_core) includes server/views.h" -- python3 "$ROOT/scripts/check_layers.py" "$work"
cp "$ROOT/src/core/error.cc" "$work/src/core/error.cc"
sed -i 's|target_link_libraries(pcipass_host PUBLIC pcipass_ports|target_link_libraries(pcipass_host PUBLIC pcipass_ports pcipass_server|' "$work/CMakeLists.txt"
check "the host library linking the server is refused" 1 "pcipass_host links pcipass_server" -- python3 "$ROOT/scripts/check_layers.py" "$work"
echo "check_layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
