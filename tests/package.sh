#!/usr/bin/env bash
# The Debian package CPack makes: its control data (dependencies, conffiles, maintainer
# scripts), its files, the binary it carries, its manual pages (rendered by groff without
# a warning) and its systemd units (systemd-analyze verify, and their hardening).
# With --install (as root, on a machine to spare: a fresh one), also installs it with
# apt and checks the server's user, the units and the binary in place.
# Usage: package.sh BUILD_DIR ROOT [--install]
set -uo pipefail
BUILD="$1"; ROOT="$2"; INSTALL="${3:-}"
source "$ROOT/tests/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$BUILD" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { echo "cpack failed:"; cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/pcipass_*_amd64.deb 2>/dev/null | head -1)
check "cpack makes a .deb" 0 "pcipass_" -- echo "$deb"
check "it depends on the libraries the binary links" 0 "libsqlite3-0" -- dpkg-deb --field "$deb" Depends
check "and on libpq" 0 "libpq5" -- dpkg-deb --field "$deb" Depends
check "its configuration files are conffiles" 0 "/etc/pcipass/pcipass.conf" -- bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles"
check "postinst makes the server's user" 0 "systemd-sysusers" -- bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./postinst"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$work/files"
for f in /usr/bin/pcipass /usr/lib/systemd/system/pcipass-server.service /usr/lib/systemd/system/pcipass-agent.service \
         /usr/lib/sysusers.d/pcipass.conf /etc/pcipass/pcipass.conf /etc/default/pcipass-server /etc/default/pcipass-agent \
         /usr/share/man/man1/pcipass.1 /usr/share/man/man1/pcipass-server.1 /usr/share/man/man1/pcipass-agent.1 \
         /usr/share/bash-completion/completions/pcipass; do
  check "it holds $f" 0 "$f" -- grep -x "$f" "$work/files"
done
dpkg-deb -x "$deb" "$work/root"
check "the binary runs" 0 "pcipass " -- "$work/root/usr/bin/pcipass" --version
check "stripped" 0 ", stripped" -- file -L "$work/root/usr/bin/pcipass"
for page in "$work"/root/usr/share/man/man1/*.1; do
  out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  if [ -n "$out" ]; then echo "FAIL man page $(basename "$page"): $out"; failed=$((failed+1)); else passed=$((passed+1)); fi
done
check "a page says what --help says" 0 "bootstrap-admin-token-file" -- bash -c "groff -man -Tutf8 '$work/root/usr/share/man/man1/pcipass-server.1' 2>/dev/null | col -b"
# The units, pointed at the binary unpacked here, as systemd reads them.
mkdir -p "$work/units"
for u in pcipass-server pcipass-agent; do
  sed "s#/usr/bin/pcipass#$work/root/usr/bin/pcipass#g" "$work/root/usr/lib/systemd/system/$u.service" >"$work/units/$u.service"
  check "systemd-analyze verify $u.service" 0 "" -- env MANPATH="$work/root/usr/share/man" systemd-analyze verify "$work/units/$u.service"
done
# and verify does fail on a broken unit, so the checks above can fail.
printf '[Service]\nExecStart=relative/path\nProtectSystem=sometimes\n' >"$work/units/broken.service"
check "systemd-analyze verify refuses a broken unit" 1 "" -- systemd-analyze verify --man=no "$work/units/broken.service"
server_unit="$work/root/usr/lib/systemd/system/pcipass-server.service"
for key in "User=pcipass" "ProtectSystem=strict" "NoNewPrivileges=yes" "CapabilityBoundingSet=$" "PrivateDevices=yes" "StateDirectory=pcipass"; do
  check "the server's unit: $key" 0 "" -- grep -q "^$key" "$server_unit"
done
agent_unit="$work/root/usr/lib/systemd/system/pcipass-agent.service"
for key in "ProtectSystem=strict" "ReadWritePaths=/sys/bus/pci /sys/devices /var/lib/pcipass" "CapabilityBoundingSet=CAP_NET_ADMIN" "NoNewPrivileges=yes"; do
  check "the agent's unit: $key" 0 "" -- grep -q "^$key" "$agent_unit"
done
# systemd's own rating of each unit's exposure (0 safe .. 10 exposed): the server has no
# privilege at all; the agent keeps what writing sysfs and netlink needs.
check "the server's exposure is at most 2.0" 0 "yes" -- bash -c "awk -v e=\"\$(systemd-analyze security --offline=yes '$work/units/pcipass-server.service' 2>/dev/null | grep -oE 'level for [^:]*: [0-9.]+' | grep -oE '[0-9.]+\$')\" 'BEGIN { print (e != \"\" && e <= 2.0) ? \"yes\" : \"no: \" e }'"
check "the agent's exposure is at most 4.0" 0 "yes" -- bash -c "awk -v e=\"\$(systemd-analyze security --offline=yes '$work/units/pcipass-agent.service' 2>/dev/null | grep -oE 'level for [^:]*: [0-9.]+' | grep -oE '[0-9.]+\$')\" 'BEGIN { print (e != \"\" && e <= 4.0) ? \"yes\" : \"no: \" e }'"

if [ "$INSTALL" = --install ]; then
  [ "$(id -u)" -eq 0 ] || { echo "package.sh --install: needs root"; exit 1; }
  check "apt installs the package" 0 "" -- env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb"
  check "the server's user exists" 0 "pcipass" -- getent passwd pcipass
  check "its state directory is its own" 0 "pcipass pcipass" -- stat -c '%U %G' /var/lib/pcipass
  check "installed units verify" 0 "" -- systemd-analyze verify /usr/lib/systemd/system/pcipass-server.service /usr/lib/systemd/system/pcipass-agent.service
  check "pcipass is on PATH" 0 "pcipass " -- pcipass --version
  check "man finds its page" 0 "pcipass-server" -- bash -c "man -w pcipass-server"
  check "the example configuration is in /etc/pcipass" 0 "" -- pcipass config check /etc/pcipass/pcipass.conf
  check "apt removes it" 0 "" -- env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq pcipass
fi
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
