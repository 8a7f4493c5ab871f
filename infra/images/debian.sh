#!/usr/bin/env bash
# debian: debootstrap bookworm minbase from the host's configured mirror, plus the tools the labs use.
set -euo pipefail
root=${1:?rootfs dir}
# The first enabled Debian mirror of the host (one-line .list or deb822 .sources format).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -oE '^(deb|URIs:)[[:space:]]+(\[[^]]*\][[:space:]]+)?https?://[^[:space:]]+' | grep -oE 'https?://[^[:space:]]+' \
  | grep -E '/debian/?$' | head -n1 || true)
[ -n "$mirror" ] || { echo "debian.sh: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }
debootstrap --variant=minbase --include=iproute2,procps,util-linux,iptables,curl,ca-certificates \
  bookworm "$root" "$mirror"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
: > "$root/etc/hosts"; : > "$root/etc/resolv.conf"; echo debian > "$root/etc/hostname"
