#!/bin/bash
set -euo pipefail
if [ ! -e /root/rootfs/bin/busybox ]; then
  mkdir -p /root/rootfs
  docker rm -f rootfs-src >/dev/null 2>&1 || true
  docker create --name rootfs-src busybox >/dev/null
  docker export rootfs-src | tar -C /root/rootfs -xf -
  docker rm rootfs-src >/dev/null
fi
pgrep -xf 'sleep 11204' >/dev/null && exit 0
setsid -f unshare -m -p -f sh -c '
  mount --bind /root/rootfs /root/rootfs
  cd /root/rootfs
  mkdir -p old_root
  pivot_root . old_root
  cd /
  umount -l /old_root
  rmdir /old_root
  mount -t proc proc /proc
  exec sleep 11204' </dev/null >/dev/null 2>&1
sleep 1
