#!/usr/bin/env bash
# The real binary end to end over loopback: the client's tables, --json and exit codes,
# then a server killed with SIGKILL under load and restarted: no claim lost or doubled.
# Usage: server_cli.sh PCIPASS ROOT [postgres]; with `postgres`, on a fresh database of
# the PostgreSQL server whose connection string is in PCIPASS_TEST_PG (ctest starts it).
set -uo pipefail
PCIPASS="$1"; ROOT="$2"; STORE="${3:-sqlite}"
source "$ROOT/tests/lib.sh"
work=$(mktemp -d); trap 'kill -9 $SERVER_PID 2>/dev/null; rm -rf "$work"' EXIT
if [ "$STORE" = postgres ]; then
  psql "$PCIPASS_TEST_PG" -q -c 'DROP DATABASE IF EXISTS t_server_cli WITH (FORCE)' -c 'CREATE DATABASE t_server_cli' ||
    { echo "server_cli: cannot make a fresh PostgreSQL database"; exit 1; }
  db="$PCIPASS_TEST_PG dbname=t_server_cli"
else
  db="sqlite:$work/p.db"
fi
P="$PCIPASS"
# A configuration that is not a regular file stops the start with a clear error, exit 2.
check "--config /dev/zero is refused at start" 2 "is a device: a configuration must be a regular file" -- $P server --config /dev/zero --db "sqlite:$work/refused.db" --listen 127.0.0.1:0
check "--config DIRECTORY is refused at start" 2 "is a directory" -- $P server --config "$work" --db "sqlite:$work/refused.db" --listen 127.0.0.1:0
start_server "$work" --config "$ROOT/examples/pcipass.conf" --db "$db" || exit 1

check "import the example fleet" 0 "registered crypto-0" -- $P host import "$ROOT/examples/fleet.json"
check "host list" 0 "nfv-0" -- $P host list
check "alias list" 0 "qat-vf" -- $P alias list
check "flavor create" 0 "pci_passthrough:alias=nic-vf:2" -- $P flavor create router --vcpus 8 --ram 16384 --property pci_passthrough:alias=nic-vf:2 --property hw:numa_nodes=1
check "flavor set" 0 "nic-vf:1" -- $P flavor set router --property pci_passthrough:alias=nic-vf:1
check "flavor show --json" 0 '"vcpus": 8' -- $P flavor show router --json
check "bad --property" 2 "KEY=VALUE" -- $P flavor create x --vcpus 1 --ram 1 --property nothing
check "flavor with an unknown alias" 2 "nosuch" -- $P flavor create x --vcpus 1 --ram 1 --property pci_passthrough:alias=nosuch:1
check "server create prints the XML" 0 "<interface type='hostdev' managed='yes'>" -- $P server create r1 --flavor router
check "server show" 0 "r1" -- $P server show r1
check "server show --domain-xml" 0 "<domain type='kvm'>" -- $P server show r1 --domain-xml
check "device list --owner" 0 "allocated" -- $P device list --owner r1
check "device show: relatives and group" 0 "vfs" -- $P device show nfv-0 0000:41:00.0
check "device show: a PF's VF counts" 0 "64 8" -- bash -c "$P device show nfv-0 0000:41:00.0 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"sriov_totalvfs\"], d[\"sriov_numvfs\"])'"
check "capacity" 0 "(fleet)" -- $P capacity
$P flavor create gpu-nic --vcpus 8 --ram 65536 --property "pci_passthrough:alias=gpu:1, nic-vf:1" >/dev/null
check "no valid host: exit 5, reasons per host" 5 "gpu-0: no device for alias nic-vf" -- $P server create bad --flavor gpu-nic
check "explain" 0 "fits on 0 host(s)" -- $P explain --flavor gpu-nic
check "explain: grouped by reason" 0 "crypto-0, nfv-0, nfv-1" -- $P explain --flavor gpu-nic
check "no valid host: grouped too" 5 "3 hosts: no device for alias gpu (crypto-0, nfv-0, nfv-1)" -- $P server create bad --flavor gpu-nic
check "explain per host: a page and the next marker" 0 "more hosts: --marker gpu-0" -- $P explain --flavor gpu-nic --per-host --limit 2
check "explain per host: the next page" 0 "nfv-1" -- $P explain --flavor gpu-nic --per-host --marker gpu-0
check "explain: a page of 0 is bad input" 2 "limit: a page holds from 1 to 10000 hosts" -- $P explain --flavor gpu-nic --per-host --limit 0
check "unknown flavor: exit 4" 4 "no flavor" -- $P server create x --flavor nope
check "unknown server: exit 4" 4 "no server \"nope\"" -- $P server delete nope
check "duplicate name: exit 5" 5 "already exists" -- $P server create r1 --flavor router
check "no token: exit 6" 6 "missing bearer token" -- env -u PCIPASS_TOKEN_FILE $P host list
echo "pcipass_not_a_token" >"$work/bad.token"
check "wrong token: exit 6" 6 "unknown token" -- $P host list --token-file "$work/bad.token"
check "unreachable: exit 7, saying why and what to do" 7 'cannot reach http://127.0.0.1:1: connection refused; is `pcipass server` running? set --url or PCIPASS_URL' -- $P host list --url http://127.0.0.1:1
check "unresolvable: exit 7, naming the host" 7 "cannot resolve nowhere.invalid" -- $P host list --url http://nowhere.invalid:8774
check "server delete" 0 "" -- $P server delete r1

# The openstack client's habits: --disk, --image, --key-name, --wait; -f and -c; a list
# of devices one per line.
check "flavor create --disk" 0 "80" -- $P flavor create disked --vcpus 2 --ram 2048 --disk 80 --property pci_passthrough:alias=nic-vf:2 -f value -c disk_gb
check "flavor show -f yaml" 0 "disk_gb: 80" -- $P flavor show disked -f yaml
check "server create --image --key-name --wait" 0 "server img1: placed" -- $P server create img1 --flavor disked --image debian-12 --key-name ops --wait
check "server show -f value -c: image and key pair kept" 0 "debian-12
ops" -- $P server show img1 -f value -c image -c key_name
check "the domain names them" 0 "<pcipass:key_name>ops</pcipass:key_name>" -- $P server show img1 --domain-xml
check "server list: one device per line" 0 "1" -- bash -c "$P server list -c id -c devices | grep -cE '^ +[0-9a-f]{4}:'"
check "server list -f json -c: the devices as a list" 0 "2" -- bash -c "$P server list -f json -c id -c devices | python3 -c 'import json,sys; print(len([s for s in json.load(sys.stdin) if s[\"id\"] == \"img1\"][0][\"devices\"]))'"
check "-c of no column: exit 2, naming the columns" 2 "-c colour: no such column; the columns are id, status, host, flavor, devices" -- $P server list -c colour
check "-f of no format: exit 2" 2 "csv not in" -- $P server list -f csv
check "a bad key pair name: exit 2, naming the field" 2 "key_name" -- $P server create k2 --flavor disked --key-name 'a<b'
check "server delete --wait" 0 "server img1 is deleted" -- $P server delete img1 --wait

# The log: one line per request (who called, never the secret) and per state change.
check "a request is logged with its caller" 0 "http.request method=POST target=/v1/servers status=201" -- cat "$work/server.log"
check "with the token's name" 0 "caller=admin peer=127.0.0.1:" -- bash -c "grep 'target=/v1/servers status=201' '$work/server.log'"
check "a state change is logged" 0 "server.created server=img1 host=" -- cat "$work/server.log"
check "a delete too" 0 "server.deleted server=img1" -- cat "$work/server.log"
check "a refused request too, as a 4xx" 0 "target=/v1/servers/nope status=404" -- cat "$work/server.log"
check "an agent's routine report is not logged at the default level" 0 "absent" -- bash -c "grep -q 'method=PUT target=/v1/hosts/nfv-0 ' '$work/server.log' && echo present || echo absent"
check "the secret never" 0 "absent" -- bash -c "grep -qF \"\$(cat '$work/admin.token')\" '$work/server.log' && echo present || echo absent"
check "config show" 0 "pcipass.conf" -- $P config show

# nova.conf lines Nova 26 accepts start the server; what cannot work is said in its log,
# at start and on reload, and per host (Nova's remote_managed start-time checks).
if [ "$STORE" = sqlite ]; then
  mkdir -p "$work/nova26"
  cat >"$work/nova26/nova.conf" <<'CONF'
[pci]
device_spec = {"vendor_id": "8086", "product_id": "154c", "trusted": "maybe"}
device_spec = {"devname": "ens9f9", "remote_managed": "true"}
alias = {"name": "QuickAssist", "capability_type": "pci", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}
alias = {"name": "anyvf", "device_type": "type-VF", "vendor_id": "15b3", "vendor_id": "8086"}
CONF
  main_pid=$SERVER_PID; main_url=$PCIPASS_URL; main_token=$PCIPASS_TOKEN_FILE
  start_server "$work/nova26" --config "$work/nova26/nova.conf" --db "sqlite:$work/nova26/p.db" || exit 1
  check "Nova 26 lines: the alias no device can serve is named at start" 0 'configuration warning: '"$work"'/nova26/nova.conf: alias \"QuickAssist\" is unusable' -- cat "$work/nova26/server.log"
  check "Nova 26 lines: a repeated key is named with its line" 0 'nova.conf:5: [pci] alias: key \"vendor_id\" is given more than once' -- cat "$work/nova26/server.log"
  check "Nova 26 lines: alias list says which alias is unusable" 0 "False" -- bash -c "$P alias list --json | python3 -c 'import json,sys; print({a[\"name\"]: a[\"usable\"] for a in json.load(sys.stdin)[\"aliases\"]}[\"QuickAssist\"])'"
  $P host import "$ROOT/examples/fleet.json" >/dev/null
  check "Nova 26 lines: a remote_managed devname not on a host is logged per host" 0 'host nfv-0: device_spec[1]: remote_managed entry names devname \"ens9f9\", which is not on this host' -- cat "$work/nova26/server.log"
  check "Nova 26 lines: the host shows it and still takes placements" 0 "[] 1" -- bash -c "$P host show nfv-0 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"problems\"], len(d[\"config_findings\"]))'"
  $P config reload >/dev/null
  check "Nova 26 lines: warnings are logged again on reload" 0 "configuration warning (reload): " -- cat "$work/nova26/server.log"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=$main_pid; PCIPASS_URL=$main_url; PCIPASS_TOKEN_FILE=$main_token; export PCIPASS_URL PCIPASS_TOKEN_FILE
fi

# Under a low open-file limit the connection cap is lowered to fit, with a warning, and a
# connection beyond it is refused in order (503), not left waiting unaccepted.
if [ "$STORE" = sqlite ]; then
  ( ulimit -n 200 && exec $P server --listen 127.0.0.1:0 --db "sqlite:$work/fd.db" --bootstrap-admin-token-file "$work/fd.token" ) >"$work/fd.log" 2>&1 &
  FD_PID=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/fd.log" && break; sleep 0.05; done
  check "a low open-file limit lowers the connection cap, saying so" 0 "at most 136 connections (not 10000)" -- cat "$work/fd.log"
  fd_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/fd.log" | head -1)
  check "one connection over the lowered cap is answered 503" 0 "136 held, then 503" -- python3 - "${fd_url##*:}" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(136)]
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(5)
answer = extra.recv(4096).decode()
print(f"{len(held)} held, then {answer.split()[1] if answer else 'nothing'}")
PY
  kill "$FD_PID"; wait "$FD_PID" 2>/dev/null
fi

# Prometheus /metrics: a token that sees the fleet, unless --metrics-open; promtool accepts it.
PROMTOOL=$(promtool_bin)
fetch "$PCIPASS_URL/metrics" "$PCIPASS_TOKEN_FILE" | tail -n +2 >"$work/metrics.txt"
check "metrics: promtool check metrics accepts them" 0 "" -- bash -c "'$PROMTOOL' check metrics <'$work/metrics.txt'"
check "metrics: text exposition format" 0 "text/plain; version=0.0.4" -- fetch "$PCIPASS_URL/metrics" "$PCIPASS_TOKEN_FILE"
check "metrics: devices by host, alias and status" 0 'pcipass_devices{host="nfv-0",alias="nic-vf",status="available"}' -- cat "$work/metrics.txt"
check "metrics: servers by status" 0 'pcipass_servers{status="placed"}' -- cat "$work/metrics.txt"
check "metrics: No valid host counted, by reason kind" 0 'pcipass_no_valid_host_reasons_total{kind="no_device"} 2' -- cat "$work/metrics.txt"
check "metrics: boot decisions as a histogram" 0 'pcipass_boot_decision_seconds_bucket{outcome="placed",le="+Inf"}' -- cat "$work/metrics.txt"
check "metrics: commits and batch sizes" 0 'pcipass_store_batch_writes_count' -- cat "$work/metrics.txt"
check "metrics: report age per host" 0 'pcipass_host_report_age_seconds{host="gpu-0"}' -- cat "$work/metrics.txt"
check "metrics: requests by route" 0 'pcipass_http_requests_total{route="/v1/servers",method="POST",code="201"}' -- cat "$work/metrics.txt"
check "metrics: build info" 0 'pcipass_build_info{version="' -- cat "$work/metrics.txt"
check "metrics: no token, no metrics" 22 "HTTP 401" -- fetch "$PCIPASS_URL/metrics"
# and promtool does fail on a broken exposition, so the check above can fail.
printf '# TYPE x counter\nx{a="b" 1\n' >"$work/broken.txt"
check "metrics: promtool rejects a broken one" 1 "" -- bash -c "'$PROMTOOL' check metrics <'$work/broken.txt'"

# --log-format json: every line one JSON object a log shipper reads.
if [ "$STORE" = sqlite ]; then
  mkdir -p "$work/jsonlog"
  main_pid=$SERVER_PID; main_url=$PCIPASS_URL; main_token=$PCIPASS_TOKEN_FILE
  start_server "$work/jsonlog" --db "sqlite:$work/jsonlog/p.db" --log-format json --log-level debug --metrics-open || exit 1
  $P host import "$ROOT/examples/fleet.json" >/dev/null
  check "--log-level debug: the routine reports too" 0 '"target":"/v1/hosts/nfv-0"' -- cat "$work/jsonlog/server.log"
  check "--metrics-open: no token needed" 0 "pcipass_build_info" -- fetch "$PCIPASS_URL/metrics"
  $P host list >/dev/null; $P server show nope >/dev/null 2>&1
  check "json log: every line parses, with time, level and event" 0 "True" -- python3 -c "
import json, sys
lines = [json.loads(l) for l in open('$work/jsonlog/server.log')]
print(all({'time', 'level', 'event'} <= l.keys() for l in lines) and len(lines) >= 3)"
  check "json log: a request's fields are typed" 0 "404 True" -- python3 -c "
import json
r = [json.loads(l) for l in open('$work/jsonlog/server.log') if '\"http.request\"' in l][-1]
print(r['status'], isinstance(r['duration_ms'], float) and r['caller'] == 'admin')"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
  check "json log: the stop is logged" 0 '"event":"server.stopped"' -- cat "$work/jsonlog/server.log"
  SERVER_PID=$main_pid; PCIPASS_URL=$main_url; PCIPASS_TOKEN_FILE=$main_token; export PCIPASS_URL PCIPASS_TOKEN_FILE
fi

# SIGKILL under load, restart on the same database.
$P flavor create vf1 --vcpus 1 --ram 512 --property pci_passthrough:alias=nic-vf:1 >/dev/null
for w in 1 2; do
  ( for i in $(seq 1 200); do
      if $P server create "w$w-$i" --flavor vf1 >/dev/null 2>&1; then echo "w$w-$i"; fi
    done >"$work/created-$w" ) &
done
sleep 1.5
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
wait
start_server "$work" --config "$ROOT/examples/pcipass.conf" --db "$db" || exit 1
cat "$work"/created-* | sort >"$work/acknowledged"
$P server list --json >"$work/after.json"
json 'chr(10).join(sorted(s["id"] for s in d["servers"]))' <"$work/after.json" >"$work/stored"
check "some boots were acknowledged before the kill" 0 "w" -- head -1 "$work/acknowledged"
check "every acknowledged boot survived the kill" 0 "" -- bash -c "comm -23 '$work/acknowledged' '$work/stored' | (! grep .)"
check "no server is stored twice" 0 "" -- bash -c "uniq -d '$work/stored' | (! grep .)"
pairs=$(json 'len([a for s in d["servers"] for a in s["devices"]]) == len({(s["host"], a) for s in d["servers"] for a in s["devices"]})' <"$work/after.json")
check "no device is held twice" 0 "True" -- echo "$pairs"
$P device list --status allocated --json >"$work/alloc.json"
check "the restarted fleet holds exactly the stored claims" 0 "True" -- bash -c "python3 -c 'import json; a=json.load(open(\"$work/alloc.json\")); s=json.load(open(\"$work/after.json\")); print(sorted((d[\"host\"], d[\"address\"]) for d in a[\"devices\"]) == sorted((x[\"host\"], y) for x in s[\"servers\"] for y in x[\"devices\"]))'"

echo "server_cli ($STORE): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
