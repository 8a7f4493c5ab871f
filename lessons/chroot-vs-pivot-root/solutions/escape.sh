#!/bin/bash
set -euo pipefail
if [ ! -e /root/rootfs/bin/busybox ]; then
  mkdir -p /root/rootfs
  docker rm -f rootfs-src >/dev/null 2>&1 || true
  docker create --name rootfs-src busybox >/dev/null
  docker export rootfs-src | tar -C /root/rootfs -xf -
  docker rm rootfs-src >/dev/null
fi
mkdir -p /root/rootfs/proc
findmnt /root/rootfs/proc >/dev/null || mount -t proc proc /root/rootfs/proc
chroot /root/rootfs cat /proc/1/root/etc/debian_version > /root/escaped.txt
umount /root/rootfs/proc
