#!/usr/bin/env bash
# debian: debootstrap bookworm minbase from the host's configured mirror, plus the tools the labs use.
set -euo pipefail
root=${1:?rootfs dir}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mirror.sh
. "$here/mirror.sh"
debootstrap --variant=minbase --include=iproute2,procps,util-linux,iptables,curl,ca-certificates \
  bookworm "$root" "$(debian_mirror)"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
: > "$root/etc/hosts"; : > "$root/etc/resolv.conf"; echo debian > "$root/etc/hostname"
