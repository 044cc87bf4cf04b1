#!/usr/bin/env bash
# Installs the Debian 12 packages pcipass needs to build, test and benchmark.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libsqlite3-dev libpq-dev postgresql-15
  libcpp-httplib-dev libboost1.74-dev libssl-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-nova
  dpkg-dev file groff-base man-db systemd
  pci.ids pciutils
  qemu-system-x86 busybox-static cpio kmod udev
  libvirt-clients libvirt-dev libxml2-dev libxml2-utils libnl-3-dev libnl-route-3-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
updated=no
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
else
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  updated=yes
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# promtool checks /metrics in the tests. Debian packages it with the Prometheus server,
# which would start as a service: only promtool is taken from the package, into .tools/.
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v promtool >/dev/null 2>&1 && [ ! -x "$root/.tools/bin/promtool" ]; then
  echo "setup: promtool from Debian's prometheus package, into .tools/bin"
  [ "$updated" = yes ] || $SUDO apt-get update -qq
  scratch=$(mktemp -d)
  (cd "$scratch" && apt-get download -qq prometheus >/dev/null && dpkg-deb -x prometheus_*.deb x)
  mkdir -p "$root/.tools/bin"
  cp "$scratch/x/usr/bin/promtool" "$root/.tools/bin/promtool"
  rm -rf "$scratch"
fi
