#!/usr/bin/env bash
# fetch-kernel.sh DIR: unpack Debian's current linux-image-*-amd64 into DIR without
# installing it (no /boot changes, no initramfs-tools), and generate modules.dep.
# Idempotent: does nothing if DIR already holds a kernel with modules.
set -euo pipefail
DEST="${1:?usage: fetch-kernel.sh DIR}"
if ls "$DEST"/boot/vmlinuz-* >/dev/null 2>&1 && ls "$DEST"/lib/modules/*/modules.dep >/dev/null 2>&1; then
  exit 0
fi
resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
PKG="${KPKG:-$(resolve)}"
if [ -z "$PKG" ] && [ "$(id -u)" -eq 0 ]; then apt-get update -qq >/dev/null 2>&1; PKG="$(resolve)"; fi
[ -n "$PKG" ] || { echo "fetch-kernel: cannot resolve linux-image-amd64 (run apt-get update)" >&2; exit 2; }
mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
chmod 0777 "$tmp"   # apt's _apt sandbox user writes there
( cd "$tmp" && apt-get download "$PKG" >/dev/null )
dpkg-deb -x "$tmp"/*.deb "$DEST"
KVER="$(ls -1 "$DEST/lib/modules" | sort -V | tail -n 1)"
depmod -b "$DEST" "$KVER"
echo "fetch-kernel: $PKG -> $DEST (KVER=$KVER)" >&2
