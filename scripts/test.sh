#!/usr/bin/env bash
# Every test: unit, scenario and CLI tests, in a normal build and again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
status=0
for kind in release asan; do
  echo "== build ($kind)"
  scripts/build.sh "$kind" >/dev/null
  dir=build; [ "$kind" = asan ] && dir=build-asan
  echo "== ctest ($kind)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" || status=1
done
exit $status
