#!/bin/bash
set -euo pipefail
[ -e /root/rootfs/bin/busybox ] || bash /opt/lesson/solutions/make-rootfs.sh
pgrep -xf 'sleep 11202' >/dev/null && exit 0
setsid -f chroot /root/rootfs sleep 11202 </dev/null >/dev/null 2>&1
sleep 0.5
