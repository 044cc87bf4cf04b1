# Shared by the scripts run inside the QEMU guest (busybox sh): the check helpers and a
# controller on loopback. Sourced as /e2e/bin/guest-lib.sh.
fails=0
checks=0
pass() { checks=$((checks + 1)); echo "PASS: $1"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $1"; }
drv() { l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null); [ -n "$l" ] && basename "$l" || echo none; }
run() {  # run WANT_RC DESCRIPTION COMMAND... : output in /tmp/out
  want=$1; desc=$2; shift 2
  echo "+ $*"
  "$@" > /tmp/out 2>&1
  rc=$?
  cat /tmp/out
  if [ "$rc" = "$want" ]; then pass "$desc (exit $rc)"; else fail "$desc: exit $rc, expected $want"; fi
}
has() { if grep -q -- "$2" /tmp/out; then pass "$1"; else fail "$1: output lacks '$2'"; fi; }
is() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: '$2', expected '$3'"; fi; }

# start_controller CONFIG: `pcipass server` on loopback with SQLite under /tmp/ctl, an
# admin token for the CLI ($PCIPASS_URL, $PCIPASS_TOKEN_FILE) and an agent token for
# host "guest" in /tmp/ctl/agent.token.
start_controller() {
  mkdir -p /tmp/ctl
  ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
  pcipass server --listen 127.0.0.1:0 --bootstrap-admin-token-file /tmp/ctl/admin.token --config "$1" \
    --db sqlite:/tmp/ctl/p.db > /tmp/ctl/server.log 2>&1 &
  SERVER_PID=$!
  i=0
  while [ $i -lt 200 ] && ! grep -q "listening on" /tmp/ctl/server.log; do i=$((i + 1)); sleep 0.05; done
  PCIPASS_URL=$(grep -o 'http://127.0.0.1:[0-9]*' /tmp/ctl/server.log | head -1)
  export PCIPASS_URL PCIPASS_TOKEN_FILE=/tmp/ctl/admin.token
  if [ -n "$PCIPASS_URL" ]; then pass "the controller listens on $PCIPASS_URL"; else fail "the controller did not start"; cat /tmp/ctl/server.log; fi
  pcipass token create --db sqlite:/tmp/ctl/p.db --name guest-agent --role agent --host guest > /tmp/ctl/agent.token
}
report() { pcipass agent --server "$PCIPASS_URL" --token-file /tmp/ctl/agent.token --host guest --once; }
