#!/usr/bin/env bash
# lab-debian: the machine a student gets. Debian bookworm minbase with the tools the lessons use:
# lxc (system containers, lesson 2), gcc + libc headers (clone() in C, lesson 10), docker-registry (a local
# registry) and docker-compose (talks to an Engine API socket).
set -euo pipefail
root=${1:?rootfs dir}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mirror.sh
. "$here/mirror.sh"
debootstrap --variant=minbase \
  --include=iproute2,iptables,util-linux,procps,psmisc,busybox,curl,ca-certificates,iputils-ping,vim-tiny,nano,less,kmod,bsdextrautils,file,attr,\
lxc,gcc,libc6-dev,docker-registry,docker-compose \
  bookworm "$root" "$(debian_mirror)"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
: > "$root/etc/hosts"; : > "$root/etc/resolv.conf"; echo lab > "$root/etc/hostname"
mkdir -p "$root/.dockyard"
