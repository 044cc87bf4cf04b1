#!/usr/bin/env bash
# Installs the Debian 12 packages pcipass needs to build, test and benchmark.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libsqlite3-dev libpq-dev postgresql-15
  libcpp-httplib-dev libboost1.74-dev libssl-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-nova
  pci.ids pciutils
  qemu-system-x86 busybox-static cpio kmod udev
  libvirt-clients libvirt-dev libxml2-dev libxml2-utils libnl-3-dev libnl-route-3-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
