#!/bin/bash
set -euo pipefail
bash /opt/lesson/solutions/rootfs.sh
pgrep -xf 'sleep 11302' >/dev/null && exit 0
setsid -f unshare --mount --uts --ipc --net --pid --fork sh -e -c '
  hostname handmade
  mount --bind /root/ctr/rootfs /root/ctr/rootfs
  cd /root/ctr/rootfs
  mount -t proc proc proc
  mkdir -p old_root
  pivot_root . old_root
  cd /
  umount -l /old_root
  rmdir /old_root
  exec "$@"' sh sleep 11302 </dev/null >/dev/null 2>&1
sleep 1
