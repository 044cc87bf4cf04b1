#!/usr/bin/env bash
# Every refusal kind a client can meet, through HTTP (status and the error body's code)
# and through the client's exit status, against a real server on a PostgreSQL server of
# this test's own: which it locks (Busy) and finally stops (Unavailable: a store outage
# is the server's failure, 503 and exit 7, never "token refused").
# Usage: refusals.sh PCIPASS ROOT
set -uo pipefail
PCIPASS="$1"; ROOT="$2"
source "$ROOT/tests/lib.sh"
work=$(mktemp -d)
pg="/tmp/pcipass-refusals-pg-$$"  # outside $work: the postgres user must reach it
cleanup() {
  { kill -9 "${SERVER_PID:-0}" "${LOCKER_PID:-0}"; wait; } 2>/dev/null
  "$ROOT/tests/pg/pg-server.sh" stop "$pg" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
"$ROOT/tests/pg/pg-server.sh" start "$pg" >/dev/null || { echo "refusals: cannot start PostgreSQL"; exit 1; }
conninfo=$("$ROOT/tests/pg/pg-server.sh" conninfo "$pg")
cp "$ROOT/examples/pcipass.conf" "$work/pcipass.conf"
start_server "$work" --config "$work/pcipass.conf" --db "$conninfo" || exit 1
P="$PCIPASS"

# http METHOD PATH [BODY] [TOKEN]: prints "STATUS CODE" (the error body's code, or "-").
http() {
  python3 - "$PCIPASS_URL" "$1" "$2" "${3:-}" "${4:-$(cat "$PCIPASS_TOKEN_FILE")}" <<'PY'
import json, sys, urllib.request, urllib.error
url, method, path, body, token = sys.argv[1:6]
req = urllib.request.Request(url + path, method=method, data=body.encode() if body else None,
                             headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        status, text = r.status, r.read()
except urllib.error.HTTPError as e:
    status, text = e.code, e.read()
try:
    code = json.loads(text)["error"]["code"]
except Exception:
    code = "-"
print(status, code)
PY
}

$P host import "$ROOT/examples/fleet.json" >/dev/null || { echo "refusals: host import failed"; exit 1; }
$P flavor create vf1 --vcpus 1 --ram 512 --property pci_passthrough:alias=nic-vf:1 >/dev/null
$P flavor create huge --vcpus 4096 --ram 512 --property pci_passthrough:alias=nic-vf:1 >/dev/null
reader=$(python3 - "$PCIPASS_URL" "$(cat "$PCIPASS_TOKEN_FILE")" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v1/tokens", method="POST", data=json.dumps({"name": "ops", "role": "reader"}).encode(),
                             headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)
echo "$reader" >"$work/reader.token"
echo "pcipass_not_a_token" >"$work/bad.token"

# InvalidArgument: 400, exit 2.
check "InvalidArgument over HTTP" 0 "400 InvalidArgument" -- http POST /v1/servers '{"name": "x y", "flavor": "vf1"}'
check "InvalidArgument: exit 2" 2 "name" -- $P server create "x y" --flavor vf1
check "a duplicate JSON key is InvalidArgument" 0 "400 InvalidArgument" -- http POST /v1/servers '{"name": "a", "name": "b", "flavor": "vf1"}'
# NotFound: 404, exit 4.
check "NotFound over HTTP" 0 "404 NotFound" -- http GET /v1/flavors/nope
check "NotFound: exit 4" 4 "no flavor" -- $P flavor show nope
# AlreadyExists: 409, exit 5.
check "AlreadyExists over HTTP" 0 "409 AlreadyExists" -- http POST /v1/flavors '{"name": "vf1", "vcpus": 1, "memory_mb": 1}'
check "AlreadyExists: exit 5" 5 "already exists" -- $P flavor create vf1 --vcpus 1 --ram 1
# NoValidHost: 409 with the reason per host, exit 5.
check "NoValidHost over HTTP" 0 "409 NoValidHost" -- http POST /v1/servers '{"name": "big", "flavor": "huge"}'
check "NoValidHost: exit 5 and the reasons" 5 "nfv-0: vCPUs" -- $P server create big --flavor huge
# Conflict: a reload whose configuration would orphan a held device, 409, exit 5; the running one stays.
$P server create held --flavor vf1 >/dev/null || { echo "FAIL: cannot boot"; failed=$((failed+1)); }
grep -v "device_spec" "$ROOT/examples/pcipass.conf" >"$work/pcipass.conf"
check "Conflict over HTTP" 0 "409 Conflict" -- http POST /v1/config/reload
check "Conflict: exit 5" 5 "does not fit what the store holds" -- $P config reload
cp "$ROOT/examples/pcipass.conf" "$work/pcipass.conf"
check "the running configuration stayed" 0 "held" -- $P server show held
# Unauthenticated: 401, exit 6; PermissionDenied: 403, exit 6.
check "Unauthenticated over HTTP" 0 "401 Unauthenticated" -- http GET /v1/hosts "" pcipass_not_a_token
check "Unauthenticated: exit 6" 6 "unknown token" -- $P host list --token-file "$work/bad.token"
check "PermissionDenied over HTTP" 0 "403 PermissionDenied" -- http POST /v1/servers '{"name": "r", "flavor": "vf1"}' "$reader"
check "PermissionDenied: exit 6" 6 "needs an admin token" -- $P server create r --flavor vf1 --token-file "$work/reader.token"
# OverQuota: 403, exit 10 (a member's boot past its project's quota).
$P project create quota1 >/dev/null && $P quota set quota1 --servers 0 >/dev/null || { echo "refusals: project setup failed"; exit 1; }
member=$(python3 - "$PCIPASS_URL" "$(cat "$PCIPASS_TOKEN_FILE")" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v1/tokens", method="POST",
                             data=json.dumps({"name": "m1", "role": "member", "project_id": "quota1"}).encode(),
                             headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)
echo "$member" >"$work/member.token"
check "OverQuota over HTTP" 0 "403 OverQuota" -- http POST /v1/servers '{"name": "q1", "flavor": "vf1"}' "$member"
check "OverQuota: exit 10, naming the quota" 10 'quota servers of project "quota1" is 0' -- $P server create q1 --flavor vf1 --token-file "$work/member.token"

# Busy: another session holds every host's row; the server tries again for a while, then 503, exit 7.
psql "$conninfo" -q -c "SELECT 1" >/dev/null || { echo "refusals: psql cannot reach the server"; exit 1; }
( printf 'BEGIN;\nSELECT name FROM hosts FOR UPDATE;\nSELECT pg_sleep(30);\n' | psql "$conninfo" -q >/dev/null 2>&1 ) &
LOCKER_PID=$!
for _ in $(seq 1 50); do
  [ "$(psql "$conninfo" -tAc "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'hosts' AND l.mode = 'RowShareLock'")" -gt 0 ] && break
  sleep 0.1
done
check "Busy over HTTP" 0 "503 Busy" -- http POST /v1/servers '{"name": "b1", "flavor": "vf1"}'
check "Busy: exit 7" 7 "locked by another controller" -- $P server create b2 --flavor vf1
kill "$LOCKER_PID" 2>/dev/null; wait "$LOCKER_PID" 2>/dev/null
psql "$conninfo" -q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()" >/dev/null
check "the lock gone, the same boot works" 0 "b2" -- $P server create b2 --flavor vf1

# Unavailable: the store stops. A token the server has not seen yet cannot be checked:
# that is the server's failure (503, exit 7), not a refused token (401, exit 6).
second=$(python3 - "$PCIPASS_URL" "$(cat "$PCIPASS_TOKEN_FILE")" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v1/tokens", method="POST", data=json.dumps({"name": "ops2", "role": "reader"}).encode(),
                             headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)
echo "$second" >"$work/second.token"
"$ROOT/tests/pg/pg-server.sh" stop "$pg" >/dev/null
check "a store outage is 503 Unavailable over HTTP" 0 "503 Unavailable" -- http GET /v1/flavors "" "$second"
check "a store outage: exit 7, not 6" 7 "Unavailable" -- $P flavor list --token-file "$work/second.token" --json
check "writes too: 503, exit 7" 7 "HTTP 503" -- $P server create c1 --flavor vf1
check "the server itself still answers" 0 "200 -" -- http GET /v1

echo "refusals: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
