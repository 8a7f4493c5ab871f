#!/bin/bash
set -euo pipefail
[ -e /root/rootfs/bin/busybox ] || bash /opt/lesson/solutions/make-rootfs.sh
mkdir -p /root/rootfs/proc
findmnt /root/rootfs/proc >/dev/null || mount -t proc proc /root/rootfs/proc
chroot /root/rootfs cat /proc/1/root/etc/debian_version > /root/escaped.txt
umount /root/rootfs/proc
