#!/usr/bin/env bash
# debian: debootstrap bookworm minbase from the host's configured mirror, plus the tools the labs use.
set -euo pipefail
root=${1:?rootfs dir}
mirror=$(grep -rhoE '^(deb|URIs:)\s*\S+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | awk '{print $2}' | grep -E '^https?://' | grep -v security | head -n1)
[ -n "$mirror" ] || { echo "debian.sh: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }
debootstrap --variant=minbase --include=iproute2,procps,util-linux,iptables,curl,ca-certificates \
  bookworm "$root" "$mirror"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
: > "$root/etc/hosts"; : > "$root/etc/resolv.conf"; echo debian > "$root/etc/hostname"
