#!/bin/bash
set -euo pipefail
[ -e /root/rootfs/bin/busybox ] || bash /opt/lesson/solutions/make-rootfs.sh
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
