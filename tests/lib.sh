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

# start_server DIR [ARGS...]: starts `pcipass server` (binary in $PCIPASS) on a free
# loopback port with an admin token in DIR/admin.token; sets SERVER_PID and
# PCIPASS_URL, and PCIPASS_TOKEN_FILE for the client commands.
start_server() {
  local dir="$1"; shift
  "$PCIPASS" server --listen 127.0.0.1:0 --bootstrap-admin-token-file "$dir/admin.token" "$@" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$dir/server.log" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:"; cat "$dir/server.log"; return 1; }
    sleep 0.05
  done
  PCIPASS_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$dir/server.log" | head -1)
  export PCIPASS_URL PCIPASS_TOKEN_FILE="$dir/admin.token"
}

# json PYTHON_EXPR: evaluates EXPR with `d` bound to the JSON on standard input.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
