#!/bin/bash
set -euo pipefail
if [ ! -e /root/rootfs/bin/busybox ]; then
  mkdir -p /root/rootfs
  docker rm -f rootfs-src >/dev/null 2>&1 || true
  docker create --name rootfs-src busybox >/dev/null
  docker export rootfs-src | tar -C /root/rootfs -xf -
  docker rm rootfs-src >/dev/null
fi
pgrep -xf 'sleep 11202' >/dev/null && exit 0
setsid -f chroot /root/rootfs sleep 11202 </dev/null >/dev/null 2>&1
sleep 0.5
