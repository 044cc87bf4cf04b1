# Shared helpers for the shell tests (sourced). Each test keeps `passed` and `failed`.
passed=0; failed=0
# check NAME WANT_RC WANT_TEXT -- COMMAND...: the command exits WANT_RC and prints WANT_TEXT.
check() {
  local name="$1" want_rc="$2" want_text="$3"; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want_rc" ]; then echo "FAIL $name: exit $rc, expected $want_rc: $out"; failed=$((failed+1)); return; fi
  case "$out" in *"$want_text"*) passed=$((passed+1)) ;; *) echo "FAIL $name: output lacks '$want_text': $out"; failed=$((failed+1)) ;; esac
}
