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

# promtool: on PATH, or where scripts/setup.sh puts it (.tools/bin).
promtool_bin() {
  command -v promtool 2>/dev/null || { [ -x "$ROOT/.tools/bin/promtool" ] && echo "$ROOT/.tools/bin/promtool"; } || echo promtool-is-missing
}

# fetch URL [TOKEN_FILE]: the body of a GET (exit 22 on an HTTP error, as curl -f).
fetch() {
  python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    req.add_header("Authorization", "Bearer " + open(sys.argv[2]).read().strip())
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        sys.stdout.write(r.headers.get("Content-Type", "") + "\n" + r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write(f"HTTP {e.code}\n")
    sys.exit(22)
PY
}
